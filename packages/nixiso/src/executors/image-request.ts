/**
 * The executors' options resolved once, against the project and the Nx
 * context: for build and eval, the image's source, format, release, where
 * its outputs go, and the Nix request that the pure command builders turn
 * into a command line; for the targets that use a built image (push,
 * boot-test), where the build recorded it. Defaults are applied, paths made
 * absolute and checked here; nothing downstream reads the raw options.
 */
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../nx/runtime';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type Backend, BACKEND_IDS, backendById, type BuildRequest, findBackend, formatFor, requirementMessage } from '../backends';
import { gitFlakeRef, hasFlakeScheme, type ImageSource, inputRef, resolveNixPathEntry } from '../nix/building/command';
import { lockFilePolicy, type LockFilePolicy } from '../nix/flakes/flake-lock';
import { flakePathRef } from '../nix/flakes/flake-ref';
import { findRelease, flakeNixpkgsRelease, type Release } from '../nix/building/releases';
import { capture, findExecutable } from '../nix/process/run';
import type { BuildExecutorSchema } from './image-build/schema';
import { overriddenTargetWarningFor } from '../nx/target-defaults';
import { NixisoError } from './executor-result';
import { type BuildOptionsWithDefaults, withBuildDefaults } from './build-options';
import { type ImageOutputs, placeOutputs } from '../built-image/outputs';
import { type ManifestScope, manifestScope, type ValidManifest, validManifest } from '../built-image/manifest';
import { parseBudgets, type SizeBudgets } from './image-build/size-budget';

export interface ImageTarget {
  projectName: string;
  projectRoot: string;
  workspaceRoot: string;
  absRoot: string;
  flake: boolean;
  /** Git work tree holding the project, when there is one. */
  gitRoot?: string;
  request: BuildRequest;
  /** Option "lockFile", `auto` resolved: what a missing or outdated flake.lock does. */
  lockFile: LockFilePolicy;
  /** The command that creates or updates flake.lock: the project's inferred lock target. */
  lockCommand: string;
  /** Option outputPath (by default dist/<projectRoot>) and what the build writes there. */
  outputs: ImageOutputs;
  /** What the manifest is checked against: the Nix store and dist/<projectRoot>. */
  scope: ManifestScope;
  /** Option copyTo, absolute: the directory that gets a copy of the image file. */
  copyTo?: string;
  /** Options maxImageSize and maxClosureSize, in bytes: none set, no budget. */
  budgets: SizeBudgets;
}

function releaseOf(options: BuildExecutorSchema, absRoot: string): Release | undefined {
  if (options.release !== undefined && options.release !== '') {
    // `--release=25.05` on the command line arrives as the number 25.05.
    const id = String(options.release);
    const release = findRelease(id);
    if (!release) throw new NixisoError(`option "release": unknown NixOS release "${id}"`);
    return release;
  }
  const flakeFile = join(absRoot, 'flake.nix');
  if (!existsSync(flakeFile)) return undefined;
  return flakeNixpkgsRelease(readFileSync(flakeFile, 'utf8'));
}

async function gitRootOf(dir: string): Promise<string | undefined> {
  if (!findExecutable('git')) return undefined;
  const r = await capture({ command: 'git', args: ['rev-parse', '--show-toplevel'] }, dir);
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * The build and eval executors' options, resolved: defaults filled in,
 * every value checked (a bad one fails naming the option), every path made
 * absolute. What runs afterwards reads the target, never the options.
 */
export async function resolveImageTarget(given: BuildExecutorSchema, context: ExecutorContext): Promise<ImageTarget> {
  const options = withBuildDefaults(given);
  const projectName = context.projectName;
  if (!projectName) throw new NixisoError('the build executor must run as a project target');
  const projectRoot = context.projectsConfigurations.projects[projectName].root;
  const overridden = overriddenTargetWarningFor(context);
  if (overridden) logger.warn(`nixiso: warning: ${overridden}`);
  const workspaceRoot = context.root;
  const absRoot = resolve(workspaceRoot, projectRoot);

  const backend = findBackend(options.backend);
  if (!backend) {
    throw new NixisoError(`option "backend": unknown backend "${options.backend}" (expected one of ${BACKEND_IDS.join(', ')})`);
  }
  const format = formatFor(options.format, backend);
  if ('error' in format) throw new NixisoError(format.error);

  const flake = existsSync(join(absRoot, 'flake.nix'));
  const lockFile = lockFilePolicy(options.lockFile, process.env);
  if (typeof lockFile !== 'string') throw new NixisoError(lockFile.error);
  const gitRoot = await gitRootOf(absRoot);
  // Nix runs in the image directory; a path that a URL cannot hold is written relative to it (flake-ref.ts).
  const nixCwd = realpathSync(absRoot);
  const source = imageSource(options, { flake, absRoot, projectRoot, gitRoot, nixCwd });
  const release = releaseOf(options, absRoot);
  const executable = backendExecutable(backend, options, workspaceRoot);

  const scope = manifestScope(workspaceRoot, projectRoot);
  const placed = placeOutputs(options, scope);
  if ('error' in placed) throw new NixisoError(placed.error);
  const { outputs, outLink } = placed;
  const budgets = parseBudgets(options);
  if ('error' in budgets) throw new NixisoError(budgets.error);
  const request: BuildRequest = {
    backend: backend.id,
    source,
    format,
    release,
    outLink,
    system: options.system,
    builders: options.builders,
    maxJobs: options.maxJobs,
    extraPlatforms: options.extraPlatforms,
    nixPath: (options.nixPath ?? []).map((entry) => resolveNixPathEntry(entry, workspaceRoot)),
    nixOptions: options.nixOptions ?? {},
    overrideInputs: Object.fromEntries(
      Object.entries(options.overrideInputs ?? {}).map(([name, value]) => [
        name,
        // Local paths are relative to the workspace root, like every path option of the executor.
        hasFlakeScheme(value) ? value : inputRef(resolve(workspaceRoot, value), nixCwd),
      ]),
    ),
    extraArgs: options.extraArgs ?? [],
    showTrace: options.showTrace ?? false,
    printBuildLogs: options.printBuildLogs ?? false,
    executable,
  };
  return {
    projectName,
    projectRoot,
    workspaceRoot,
    absRoot,
    flake: source.kind === 'flake',
    gitRoot,
    request,
    lockFile,
    lockCommand: `nx run ${projectName}:${lockTargetName(context, projectName)}`,
    outputs,
    scope,
    ...(options.copyTo ? { copyTo: resolve(workspaceRoot, options.copyTo) } : {}),
    budgets,
  };
}

/**
 * The build task this task depends on (`<project>:build--<configuration>`
 * for a split image, with the same Nx configuration), from the task graph;
 * `<project>:build` when run without one.
 */
function buildTaskOf(context: ExecutorContext): string {
  const project = context.projectName ?? '';
  const self = [project, context.targetName, context.configurationName].filter(Boolean).join(':');
  const dependency = context.taskGraph?.dependencies[self]?.find((id) => id.startsWith(`${project}:`));
  return dependency ?? `${project}:build${context.configurationName ? `:${context.configurationName}` : ''}`;
}

/** Where the build recorded the image that push and boot-test use: their option outputPath, resolved as the build resolves its own. */
export interface BuiltImageLocation {
  outputs: ImageOutputs;
  scope: ManifestScope;
  /** The build task that records this image: what to run when it is missing. */
  buildTask: string;
}

export function locateBuiltImage(outputPath: string | undefined, context: ExecutorContext, executor: string): BuiltImageLocation {
  const project = context.projectName;
  if (!project) throw new NixisoError(`the ${executor} executor must run as a project target`);
  const scope = manifestScope(context.root, context.projectsConfigurations.projects[project].root);
  const placed = placeOutputs({ outputPath }, scope);
  if ('error' in placed) throw new NixisoError(placed.error);
  return { outputs: placed.outputs, scope, buildTask: buildTaskOf(context) };
}

/** The manifest the build recorded (or a cache hit restored), validated before anything acts on it. */
export function readBuiltImage(image: BuiltImageLocation, executor: string, verb: string): ValidManifest {
  const path = image.outputs.manifest;
  if (!existsSync(path)) {
    throw new NixisoError(
      `${path} does not exist: ${executor} ${verb} the image the build recorded there; run \`nx run ${image.buildTask}\` first ` +
        `(${executor} depends on the build, unless run with --exclude-task-dependencies)`,
    );
  }
  try {
    return validManifest(readFileSync(path, 'utf8'), path, image.scope);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
}

/**
 * What the build evaluates: a flake's configuration (or an output given by
 * `attribute`), a channel-style module (`configurationFile`, by default
 * configuration.nix), or a file that evaluates the system itself
 * (`expressionFile`, with `attribute` selecting the image in its value).
 */
function imageSource(
  options: BuildOptionsWithDefaults<BuildExecutorSchema>,
  where: { flake: boolean; absRoot: string; projectRoot: string; gitRoot?: string; nixCwd: string },
): ImageSource {
  const { absRoot, projectRoot, nixCwd } = where;
  /** A file option: relative to the project root, inside it, and there. */
  const fileOption = (name: string, value: string): string => {
    const file = resolve(absRoot, value);
    const inProject = relative(absRoot, file);
    if (!inProject || inProject.startsWith('..') || isAbsolute(inProject)) {
      throw new NixisoError(`option "${name}": "${value}" is not a file inside ${projectRoot} (it is relative to the project root)`);
    }
    if (!existsSync(file)) throw new NixisoError(`option "${name}": ${join(projectRoot, inProject)} does not exist`);
    return file;
  };
  if (where.flake && !options.expressionFile && !options.configurationFile) {
    return {
      kind: 'flake',
      flakeRef: where.gitRoot ? gitFlakeRef(where.gitRoot, nixCwd, nixCwd) : flakePathRef('path', nixCwd, nixCwd),
      configurationName: options.configurationName,
      ...(options.attribute ? { attribute: options.attribute } : {}),
    };
  }
  if (options.expressionFile) {
    if (options.configurationFile) throw new NixisoError('options "expressionFile" and "configurationFile" exclude each other: set one');
    return { kind: 'expression', file: fileOption('expressionFile', options.expressionFile), ...(options.attribute ? { attribute: options.attribute } : {}) };
  }
  if (options.attribute) throw new NixisoError(`option "attribute" needs a flake or "expressionFile"; ${projectRoot} builds a NixOS module`);
  const configurationFile = options.configurationFile ?? 'configuration.nix';
  if (!options.configurationFile && !existsSync(join(absRoot, configurationFile))) {
    throw new NixisoError(`${projectRoot} has neither flake.nix nor configuration.nix (set "configurationFile" or "expressionFile")`);
  }
  return { kind: 'channel', configurationFile: fileOption('configurationFile', configurationFile) };
}

/** The project's inferred lock target (plugin option lockTargetName): the target that runs `nix flake lock`. */
function lockTargetName(context: ExecutorContext, projectName: string): string {
  const targets = context.projectsConfigurations.projects[projectName]?.targets ?? {};
  for (const [name, target] of Object.entries(targets)) {
    const command = target.command ?? (target.options as { command?: unknown } | undefined)?.command;
    if (typeof command === 'string' && /\bflake lock\b/.test(command)) return name;
  }
  return 'lock';
}

function fail(message: string): never {
  throw new NixisoError(message);
}

/**
 * The backend's own executable, when a build option may name it
 * (Backend.executableOption): that option's file, relative to the workspace
 * root, else the program on PATH; undefined when neither is there.
 */
function backendExecutable(backend: Backend, options: BuildExecutorSchema, workspaceRoot: string): string | undefined {
  if (!backend.executableOption) return undefined;
  const { option, program } = backend.executableOption;
  const given = options[option as keyof BuildExecutorSchema];
  if (typeof given !== 'string' || !given) return findExecutable(program);
  return findExecutable(resolve(workspaceRoot, given)) ?? fail(`option "${option}": ${given} does not exist`);
}

/** Fails before anything runs when a tool the request's backend needs is not on PATH, saying what to install. */
export function requireBackendTools(request: Pick<BuildRequest, 'backend' | 'source' | 'executable'>): void {
  for (const requirement of backendById(request.backend).requirements({ kind: request.source.kind, executable: request.executable })) {
    if (!requirement.anyOf.some((name) => findExecutable(name))) throw new NixisoError(requirementMessage(requirement));
  }
}
