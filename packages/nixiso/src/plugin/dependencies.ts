import { posix } from 'node:path';
import type { CreateDependencies, CreateDependenciesContext, ProjectConfiguration, RawProjectGraphDependency } from '@nx/devkit';
import { DependencyType } from '../nx/runtime';
import { scanImports } from '../nix/language/scan-imports';
import { readNixSource } from './image-reads';

/**
 * What each `.nix` file refers to, workspace-relative, by file and content
 * hash: the daemon re-runs createDependencies on every change, and Nx hands
 * over only the changed files, but a rebuilt graph (new project) hands all.
 */
const scanned = new Map<string, { hash: string; targets: string[] }>();

function referencedPaths(file: string, hash: string | undefined, workspaceRoot: string): string[] {
  const key = `${workspaceRoot}\0${file}`;
  const cached = scanned.get(key);
  if (hash && cached?.hash === hash) return cached.targets;
  const source = readNixSource(posix.join(workspaceRoot, file));
  if (!source) return []; // deleted since Nx listed it
  const targets: string[] = [];
  // An encrypted or binary file's bytes would lex as stray paths: it refers to nothing.
  const referenced = 'text' in source ? scanImports(source.text, posix.join(workspaceRoot, file)) : [];
  for (const absolute of referenced) {
    const relative = posix.relative(workspaceRoot, absolute);
    if (relative !== '..' && !relative.startsWith('../') && !posix.isAbsolute(relative)) targets.push(relative || '.');
  }
  if (hash) scanned.set(key, { hash, targets });
  return targets;
}

/** Project name by root, for the deepest-root lookup. */
function projectsByRoot(projects: Record<string, ProjectConfiguration>): Map<string, string> {
  const byRoot = new Map<string, string>();
  for (const [name, project] of Object.entries(projects)) {
    byRoot.set(posix.normalize(project.root || '.'), project.name ?? name);
  }
  return byRoot;
}

/** The project whose root is the deepest directory containing `path` (a workspace-relative file or directory). */
export function owningProject(path: string, byRoot: ReadonlyMap<string, string>): string | undefined {
  let candidate = path;
  for (;;) {
    const owner = byRoot.get(candidate);
    if (owner) return owner;
    if (candidate === '.') return undefined;
    candidate = posix.dirname(candidate);
  }
}

/**
 * Static dependencies from Nix path references: an image (or module) whose
 * `.nix` files import `../../modules/users`, `"${../shared}/x.nix"` or a flake
 * input `path:../../modules/shared` depends on the project owning that path.
 * A directory import stands for its `default.nix`, which the same project owns.
 */
export const createDependencies: CreateDependencies = (_options, context: CreateDependenciesContext) => {
  const byRoot = projectsByRoot(context.projects);
  const dependencies: RawProjectGraphDependency[] = [];
  for (const [source, files] of Object.entries(context.filesToProcess.projectFileMap)) {
    for (const { file, hash } of files) {
      if (!file.endsWith('.nix')) continue;
      const targets = new Set<string>();
      for (const path of referencedPaths(file, hash, context.workspaceRoot)) {
        const target = owningProject(path, byRoot);
        if (target && target !== source) targets.add(target);
      }
      for (const target of targets) {
        dependencies.push({ source, target, sourceFile: file, type: DependencyType.static });
      }
    }
  }
  dependencies.push(...readDependencies(context.projects, byRoot));
  return dependencies;
};

/**
 * Edges from each image to the projects owning what it reads that no static
 * edge stands for: a path reached through a Nix file outside every project
 * (`../../nix/common.nix` importing a module project), and projects inside a
 * directory the image reads whole. The reads are the model its cache inputs
 * come from (image-reads.ts, recorded by createNodes in the project's
 * metadata); a path a project's own Nix file refers to already has its
 * static edge from that file.
 */
function readDependencies(projects: Record<string, ProjectConfiguration>, byRoot: ReadonlyMap<string, string>): RawProjectGraphDependency[] {
  const added: RawProjectGraphDependency[] = [];
  for (const [name, project] of Object.entries(projects)) {
    const source = project.name ?? name;
    const reads = (project.metadata as { nixiso?: { reads?: unknown } } | undefined)?.nixiso?.reads;
    if (!Array.isArray(reads)) continue;
    const targets = new Set<string>();
    for (const read of reads as { path?: unknown; from?: unknown }[]) {
      if (typeof read?.path !== 'string') continue;
      const path = posix.normalize(read.path.replace(/\/$/, '')) || '.';
      const owner = owningProject(path, byRoot);
      if (owner && !(typeof read.from === 'string' && owningProject(read.from, byRoot))) targets.add(owner);
      if (read.path.endsWith('/')) {
        for (const [root, inner] of byRoot) if (root !== path && (path === '.' || root.startsWith(`${path}/`))) targets.add(inner);
      }
    }
    targets.delete(source);
    for (const target of targets) added.push({ source, target, type: DependencyType.implicit });
  }
  return added;
}
