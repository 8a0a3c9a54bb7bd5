/**
 * Where a build leaves an image's record (manifest.json, image.json, the
 * default out-link) and how the targets that use the image (push,
 * boot-test) find it again: the option outputPath, by default
 * dist/<projectRoot>; a flake with several image configurations gives each
 * its own directory below it.
 */
import type { ExecutorContext } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ManifestScope, manifestScope, outputDirProblem, type ValidManifest, validManifest } from './manifest';
import { NixisoError } from '../executors/executor-result';

/** The absolute output directory, checked: dist/<projectRoot> or a directory inside it. */
export function imageOutputDir(outputPath: string | undefined, workspaceRoot: string, projectRoot: string): string {
  if (outputPath === undefined) return join(workspaceRoot, 'dist', projectRoot);
  const problem = outputDirProblem(outputPath, manifestScope(workspaceRoot, projectRoot));
  if (problem) {
    throw new NixisoError(
      `option "outputPath" (${JSON.stringify(outputPath)}) ${problem}; leave it unset (${join('dist', projectRoot)}) or name a directory inside it`,
    );
  }
  return resolve(workspaceRoot, outputPath);
}

/**
 * The build task this task depends on (`<project>:build--<configuration>`
 * for a split image, with the same Nx configuration), from the task graph;
 * `<project>:build` when run without one.
 */
export function buildTaskOf(context: ExecutorContext): string {
  const project = context.projectName ?? '';
  const self = [project, context.targetName, context.configurationName].filter(Boolean).join(':');
  const dependency = context.taskGraph?.dependencies[self]?.find((id) => id.startsWith(`${project}:`));
  return dependency ?? `${project}:build${context.configurationName ? `:${context.configurationName}` : ''}`;
}

export interface BuiltImage {
  manifest: ValidManifest;
  scope: ManifestScope;
  /** The absolute output directory the manifest is in. */
  outputDir: string;
  /** The build task that records this image: what to run when it is missing. */
  buildTask: string;
}

/** The manifest the build recorded (or a cache hit restored), validated before anything acts on it. */
export function readBuiltImage(context: ExecutorContext, outputPath: string | undefined, executor: string, verb: string): BuiltImage {
  const project = context.projectName;
  if (!project) throw new NixisoError(`the ${executor} executor must run as a project target`);
  const projectRoot = context.projectsConfigurations.projects[project].root;
  const outputDir = imageOutputDir(outputPath, context.root, projectRoot);
  const scope = manifestScope(context.root, projectRoot);
  const buildTask = buildTaskOf(context);
  const path = join(outputDir, 'manifest.json');
  if (!existsSync(path)) {
    throw new NixisoError(
      `${path} does not exist: ${executor} ${verb} the image the build recorded there; run \`nx run ${buildTask}\` first ` +
        `(${executor} depends on the build, unless run with --exclude-task-dependencies)`,
    );
  }
  try {
    return { manifest: validManifest(readFileSync(path, 'utf8'), path, scope), scope, outputDir, buildTask };
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
}
