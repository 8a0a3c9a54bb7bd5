/**
 * Options of the build and eval executors normalised once: the image's
 * layout, flake reference, format, release and the Nix request that the pure
 * command builders turn into a command line.
 */
import { BOOT_TEST_OPTIONS_FILE } from './boot-test/options-file';
import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { logger } from '../nx/runtime';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { BACKENDS, type BackendId, formatFor } from '../backends/backends';
import {
  type BuildRequest,
  commandLine,
  configurationNamesCommand,
  FLAKE_INPUTS_COMMAND,
  gitFlakeRef,
  hasFlakeScheme,
  type ImageSource,
  inputRef,
  lockCheckCommand,
  resolveNixPathEntry,
} from '../nix/building/command';
import { parseNixFailure } from '../nix/building/errors';
import {
  type DeclaredInputs,
  describeLockProblem,
  isLockChangeRefusal,
  lockCoversInputs,
  lockFilePolicy,
  type LockFilePolicy,
  lockFileProblem,
  lockFloatingWarning,
  lockRequiredMessage,
} from '../nix/flakes/flake-lock';
import { flakePathRef } from '../nix/flakes/flake-ref';
import { findRelease, flakeNixpkgsRelease, type Release } from '../nix/building/releases';
import { capture, findExecutable, NIX_MISSING } from '../nix/process/run';
import type { BuildExecutorSchema } from './image-build/schema';
import { overriddenTargetWarningFor } from '../nx/target-defaults';
import { NixisoError } from './executor-result';
import { imageOutputDir } from '../built-image/image-output';

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
  /** Option outputPath, by default dist/<projectRoot>: manifest.json and the default out-link live here. */
  distDir: string;
  manifestPath: string;
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

export async function resolveImageTarget(options: BuildExecutorSchema, context: ExecutorContext): Promise<ImageTarget> {
  const projectName = context.projectName;
  if (!projectName) throw new NixisoError('the build executor must run as a project target');
  const projectRoot = context.projectsConfigurations.projects[projectName].root;
  const overridden = overriddenTargetWarningFor(context);
  if (overridden) logger.warn(`nixiso: warning: ${overridden}`);
  const workspaceRoot = context.root;
  const absRoot = resolve(workspaceRoot, projectRoot);

  const backend = (options.backend ?? 'nix') as BackendId;
  if (!BACKENDS.includes(backend)) {
    throw new NixisoError(`option "backend": unknown backend "${backend}" (expected one of ${BACKENDS.join(', ')})`);
  }
  const format = formatFor(options.format ?? 'iso', backend);
  if ('error' in format) throw new NixisoError(format.error);

  const flake = existsSync(join(absRoot, 'flake.nix'));
  const lockFile = lockFilePolicy(options.lockFile, process.env);
  if (typeof lockFile !== 'string') throw new NixisoError(lockFile.error);
  const gitRoot = await gitRootOf(absRoot);
  // Nix runs in the image directory; a path that a URL cannot hold is written relative to it (flake-ref.ts).
  const nixCwd = realpathSync(absRoot);
  const source = imageSource(options, { flake, absRoot, projectRoot, gitRoot, nixCwd });

  const distDir = imageOutputDir(options.outputPath, workspaceRoot, projectRoot);
  const request: BuildRequest = {
    backend,
    source,
    format,
    release: releaseOf(options, absRoot),
    outLink: options.outLink ? resolve(workspaceRoot, options.outLink) : join(distDir, 'result'),
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
    nixosGenerate:
      backend !== 'nixos-generators'
        ? undefined
        : options.nixosGenerate
          ? findExecutable(resolve(workspaceRoot, options.nixosGenerate)) ??
            fail(`option "nixosGenerate": ${options.nixosGenerate} does not exist`)
          : findExecutable('nixos-generate'),
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
    distDir,
    manifestPath: join(distDir, 'manifest.json'),
  };
}

/**
 * What the build evaluates: a flake's configuration (or an output given by
 * `attribute`), a channel-style module (`configurationFile`, by default
 * configuration.nix), or a file that evaluates the system itself
 * (`expressionFile`, with `attribute` selecting the image in its value).
 */
function imageSource(
  options: BuildExecutorSchema,
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
      configurationName: options.configurationName ?? 'liveImage',
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

async function declaredInputs(target: ImageTarget): Promise<DeclaredInputs> {
  const r = await capture(FLAKE_INPUTS_COMMAND, target.absRoot);
  if (r.exitCode !== 0) {
    const failure = parseNixFailure(r.stderr);
    throw new NixisoError(
      `cannot read the inputs of ${target.projectRoot}/flake.nix:\n${(failure.errorLines.length ? failure.errorLines : [r.stderr.trim()]).join('\n')}`,
    );
  }
  return JSON.parse(r.stdout) as DeclaredInputs;
}

/**
 * flake.lock against flake.nix, before Nix builds: builds never write the
 * lock, so `require` fails here, naming the lock command, and `warn` says the
 * inputs float. Under `require` a lock that has every input is also checked
 * by Nix (`--no-update-lock-file`) for entries whose URL changed.
 */
export async function checkFlakeLock(target: ImageTarget): Promise<void> {
  const { request } = target;
  if (request.source.kind !== 'flake') return;
  const declared = await declaredInputs(target);
  const lockPath = join(target.absRoot, 'flake.lock');
  const lockText = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined;
  const problem = lockFileProblem(declared, lockText, Object.keys(request.overrideInputs));
  if (problem) {
    const what = describeLockProblem(problem, target.projectRoot);
    if (target.lockFile === 'require') throw new NixisoError(lockRequiredMessage(what, target.lockCommand));
    logger.warn(`nixiso: warning: ${lockFloatingWarning(what, target.lockCommand)}`);
    return;
  }
  if (target.lockFile !== 'require' || lockText === undefined || !lockCoversInputs(declared, lockText)) return;
  const check = lockCheckCommand(request);
  const r = await capture(check, target.absRoot);
  if (r.exitCode === 0) return;
  const what = isLockChangeRefusal(r.stderr)
    ? `${target.projectRoot}/flake.lock is out of date: Nix would change it (an input's URL in flake.nix differs from what it locks)`
    : `${target.projectRoot}/flake.lock could not be checked (\`${commandLine(check)}\` failed:\n${parseNixFailure(r.stderr).errorLines.join('\n') || r.stderr.trim()})`;
  throw new NixisoError(lockRequiredMessage(what, target.lockCommand));
}

/**
 * A flake build names a configuration the project graph did not find
 * (a hand-written option, a stale project.json): before Nix builds, list
 * the flake's configurations and fail naming them when it is not one.
 */
export async function assertConfigurationDefined(target: ImageTarget, context: ExecutorContext): Promise<void> {
  const { source } = target.request;
  if (source.kind !== 'flake' || source.attribute) return;
  const found = (context.projectsConfigurations.projects[target.projectName]?.metadata as { nixiso?: { configurations?: unknown } } | undefined)
    ?.nixiso?.configurations;
  if (Array.isArray(found) && found.includes(source.configurationName)) return;
  const r = await capture(configurationNamesCommand(target.request), target.absRoot);
  // Nix says why it cannot list them (an input it cannot fetch, a syntax error) when it builds.
  if (r.exitCode !== 0) return;
  const names = JSON.parse(r.stdout) as string[];
  if (names.includes(source.configurationName)) return;
  throw new NixisoError(
    `${join(target.projectRoot, 'flake.nix')} defines no nixosConfigurations.${source.configurationName}; ` +
      `it defines ${names.length ? names.join(', ') : 'none'}. Set the option "configurationName", ` +
      `or name the image configurations in ${join(target.projectRoot, 'project.json')}: "metadata": { "nixiso": { "configurations": [...] } }`,
  );
}

function fail(message: string): never {
  throw new NixisoError(message);
}

/** Roots of the projects `project` depends on, directly or not. */
export function dependencyRoots(graph: ProjectGraph, project: string): string[] {
  const seen = new Set<string>([project]);
  const queue = [project];
  while (queue.length) {
    const current = queue.shift() as string;
    for (const dep of graph.dependencies[current] ?? []) {
      if (graph.nodes[dep.target] && !seen.has(dep.target)) {
        seen.add(dep.target);
        queue.push(dep.target);
      }
    }
  }
  seen.delete(project);
  return [...seen].map((name) => graph.nodes[name].data.root);
}

/**
 * A flake in git sees only tracked files. Untracked files in the image or the
 * projects it imports would make Nix fail with "path … does not exist"; name
 * them instead.
 */
export async function untrackedFiles(target: ImageTarget, graph: ProjectGraph | undefined): Promise<string[]> {
  if (!target.flake || !target.gitRoot) return [];
  const roots = [target.projectRoot, ...(graph ? dependencyRoots(graph, target.projectName) : [])].map((root) =>
    relative(target.gitRoot as string, resolve(target.workspaceRoot, root)) || '.',
  );
  const r = await capture(
    { command: 'git', args: ['ls-files', '--others', '--exclude-standard', '--', ...roots] },
    target.gitRoot,
  );
  // boot-test's options file is nixiso's, not Nix's: an image whose Nix reads it anyway fails in Nix, naming it.
  const bootTestOptions = relative(target.gitRoot, resolve(target.workspaceRoot, target.projectRoot, BOOT_TEST_OPTIONS_FILE));
  return r.exitCode === 0 ? r.stdout.split('\n').filter((f) => f && f !== bootTestOptions) : [];
}

/** Fails, naming them, when files a git flake build needs are untracked. */
export async function assertTracked(target: ImageTarget, graph: ProjectGraph | undefined): Promise<void> {
  const untracked = await untrackedFiles(target, graph);
  if (!untracked.length) return;
  throw new NixisoError(
    `these files are not tracked by git, so Nix cannot see them when it evaluates the flake ` +
      `(a flake in a git repository sees only tracked files):\n${untracked.map((f) => `  ${f}`).join('\n')}\n` +
      `run \`git add ${untracked.join(' ')}\` (or \`git add --intent-to-add\`) and try again`,
  );
}

export function requireNix(backend: BackendId, nixosGenerate: string | undefined): void {
  const needed = backend === 'nixos-generators' && nixosGenerate ? [] : ['nix'];
  for (const name of needed) if (!findExecutable(name)) throw new NixisoError(NIX_MISSING);
  if (backend === 'nix' && !findExecutable('nix-build')) throw new NixisoError(NIX_MISSING);
  if (backend === 'build-image' && !findExecutable('nixos-rebuild')) {
    throw new NixisoError(
      'backend "build-image" needs nixos-rebuild (NixOS ≥ 25.05) on PATH, and it was not found; ' +
        'use backend "nix" (the same system.build.images.<variant>) or run the build on NixOS',
    );
  }
}
