/**
 * What an image directory's own project files say to the plugin: its
 * project.json (name, targets, `metadata.nixiso`) and package.json's name.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { NixisoMetadata } from './discover';

export type ProjectJson = { name?: unknown; targets?: Record<string, unknown>; metadata?: { nixiso?: NixisoMetadata } };

/** A file of the workspace as text; undefined when it cannot be read (missing, a directory). */
function readSource(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The image directory's project.json, read once; undefined when there is none (Nx reports an unreadable one itself). */
export function readProjectJson(root: string, workspaceRoot: string): ProjectJson | undefined {
  return parseProjectJson(readSource(join(workspaceRoot, root, 'project.json')));
}

export function parseProjectJson(text: string | undefined): ProjectJson | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * project.json's `metadata.nixiso`: `image` (true or false) opts a directory
 * in or out, `configurations` names its image configurations.
 */
export function nixisoMetadata(projectJson: ProjectJson | undefined): NixisoMetadata | undefined {
  const value = projectJson?.metadata?.nixiso;
  if (!value || typeof value !== 'object') return undefined;
  return {
    image: typeof value.image === 'boolean' ? value.image : undefined,
    configurations: Array.isArray(value.configurations) ? value.configurations : undefined,
  };
}

/** The project's name as Nx gives it: project.json's, else package.json's, else the directory's. */
export function projectName(root: string, workspaceRoot: string, projectJson: ProjectJson | undefined): string {
  if (typeof projectJson?.name === 'string' && projectJson.name) return projectJson.name;
  const packageJson = readSource(join(workspaceRoot, root, 'package.json'));
  if (packageJson !== undefined) {
    const name = JSON.parse(packageJson).name;
    if (typeof name === 'string' && name) return name;
  }
  return basename(root) || 'image';
}
