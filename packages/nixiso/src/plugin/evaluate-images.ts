/**
 * Asking Nix which configurations of a flake are images, during graph
 * construction (as @nx/gradle asks Gradle): where the static reading cannot
 * decide. Cached on disk per flake, keyed by the command line, the Nix
 * version and what the flake reads, so that an unchanged workspace starts
 * no evaluation; without Nix, offline, or when Nix fails, the result says
 * why and the caller keeps its static reading.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { type Command, commandLine, gitFlakeRef, hasFlakeScheme, resolveNixPathEntry } from '../nix/building/command';
import type { FlakeReading } from '../nix/language/image-detect';
import type { FlakeEvaluation } from './discover';
import { type FlakeImages, type FlakeImagesRequest, flakeImagesCommand, parseFlakeImages } from '../nix/building/discovery-command';
import { parseNixFailure } from '../nix/building/errors';
import { capture, findExecutable, NIX_MISSING } from '../nix/process/run';
import { workspaceDataDirectoryOf, workspaceRoot } from '../nx/runtime';

export interface EvaluateFlakeImagesOptions extends FlakeImagesRequest {
  /** The flake's directory: where Nix runs. */
  cwd: string;
  /**
   * A hash of everything the flake reads (its Nix files, flake.lock, …),
   * computed by the caller: a different hash evaluates again.
   */
  inputsHash: string;
  /** How long Nix may evaluate before it is stopped (default 120). */
  timeoutSeconds?: number;
  /** Environment for Nix (PATH decides which nix runs); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Nx's workspace data directory; default: Nx's own for this workspace. The cache lives in `<it>/nixiso/discovery/`. */
  workspaceDataDirectory?: string;
}

export type FlakeImagesEvaluation =
  | { status: 'evaluated'; configurations: FlakeImages; cached: boolean }
  | { status: 'unavailable'; reason: string };

export const DEFAULT_DISCOVERY_TIMEOUT_SECONDS = 120;
/** Evaluations at a time in this process: each holds a nixpkgs evaluation in memory (hundreds of MB for real ones). */
export const MAX_CONCURRENT_EVALUATIONS = 2;
/** Bumped when the cache file's shape or the key's parts change: older files are then not used. */
const CACHE_FORMAT = 1;
/** How many of Nix's error lines the reason keeps. */
const REASON_LINES = 6;

/**
 * Nx's workspace data directory (`.nx/workspace-data`, NX_WORKSPACE_DATA_DIRECTORY)
 * as Nx computes it. Nx 23.2.1 and 24 both export it from
 * nx/src/utils/cache-directory, where @nx/gradle takes it; `@nx/devkit/internal`
 * re-exports it in both. Where neither has it, Nx's rule is applied to `workspaceRoot`.
 */
export function nxWorkspaceDataDirectory(workspaceRoot: string, load: (id: string) => unknown = require): string {
  for (const id of ['nx/src/utils/cache-directory', '@nx/devkit/internal']) {
    try {
      const value = (load(id) as Record<string, unknown> | undefined)?.workspaceDataDirectory;
      if (typeof value === 'string') return value;
    } catch {
      // Gone from this Nx, or it refused a configured directory: the next one.
    }
  }
  return workspaceDataDirectoryOf(workspaceRoot);
}

let nxDataDirectory: string | undefined;

/** Where the cache files are: `<workspace data>/nixiso/discovery`; Nx's directory is looked up only when none is given. */
export function discoveryCacheDirectory(workspaceDataDirectory?: string): string {
  const dataDirectory = workspaceDataDirectory ?? (nxDataDirectory ??= nxWorkspaceDataDirectory(workspaceRoot));
  return join(dataDirectory, 'nixiso', 'discovery');
}

/** `work` run when fewer than `max` others run; later callers wait in order. */
export function concurrencyLimit(max: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    // The slot passes straight to the next caller, so that no newcomer takes it in between.
    if (next) next();
    else running--;
  };
  return async (work) => {
    if (running < max) running++;
    else await new Promise<void>((start) => waiting.push(start));
    try {
      return await work();
    } finally {
      release();
    }
  };
}

const evaluationSlot = concurrencyLimit(MAX_CONCURRENT_EVALUATIONS);
/** Why an evaluation was unavailable, per cache key, for this process: not on disk, so a later process (online again) retries. */
const unavailableReasons = new Map<string, string>();
/** Evaluations running now, per cache key: a second caller shares the first one's. */
const running = new Map<string, Promise<FlakeImagesEvaluation>>();

/**
 * Which Nix this is, without starting it (a cache hit must cost no process):
 * the executable's real path (on NixOS a store path naming the version),
 * size and modification time, which an upgrade changes.
 */
export function nixIdentity(nix: string): string {
  try {
    const real = realpathSync(nix);
    const { size, mtimeMs } = statSync(real);
    return `${real}\0${size}\0${mtimeMs}`;
  } catch {
    return nix;
  }
}

/** The cache key: the command line, where it runs, which Nix and what the flake reads. */
function discoveryCacheKey(parts: { commandLine: string; cwd: string; nix: string; inputsHash: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([CACHE_FORMAT, parts.commandLine, parts.cwd, parts.nix, parts.inputsHash]))
    .digest('hex');
}

/** One file per flake (its directory and reference), holding the last evaluation and its key. */
function cacheFile(directory: string, cwd: string, flakeRef: string): string {
  const id = createHash('sha256').update(`${cwd}\0${flakeRef}`).digest('hex').slice(0, 32);
  return join(directory, `${id}.json`);
}

function readCache(file: string, key: string): FlakeImages | undefined {
  let entry: { format?: unknown; key?: unknown; configurations?: unknown };
  try {
    entry = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (entry.format !== CACHE_FORMAT || entry.key !== key) return undefined;
  const parsed = parseFlakeImages(JSON.stringify(entry.configurations));
  return 'configurations' in parsed ? parsed.configurations : undefined;
}

/** Written whole and renamed into place: a concurrent reader (another plugin worker) sees the old file or the new one. */
function writeCache(file: string, content: object): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const temporary = `${file}.${randomUUID()}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(temporary, file);
  } catch {
    // A read-only workspace: the next graph computation evaluates again.
  }
}

/** Nix's first error lines, without the `--show-trace` hint. */
function failureReason(stderr: string, exitCode: number): string {
  const lines = parseNixFailure(stderr).errorLines.filter((l) => !/^\(use '--show-trace'/.test(l.trim()));
  if (lines.length) return lines.slice(0, REASON_LINES).join('\n');
  const last = stderr.trim().split('\n').pop();
  return `nix eval exited with code ${exitCode}${last ? `: ${last}` : ''}`;
}

async function evaluate(
  cmd: Command,
  nix: string,
  options: EvaluateFlakeImagesOptions,
  file: string,
  key: string,
): Promise<FlakeImagesEvaluation> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_DISCOVERY_TIMEOUT_SECONDS;
  const r = await evaluationSlot(() => capture({ ...cmd, command: nix }, options.cwd, options.env, { timeoutMs: timeoutSeconds * 1000 }));
  let reason: string | undefined;
  if (r.timedOut) {
    reason = `nix eval of ${options.flakeRef}#nixosConfigurations did not finish within ${timeoutSeconds} s and was stopped (option timeoutSeconds)`;
  } else if (r.exitCode !== 0) {
    reason = failureReason(r.stderr, r.exitCode);
  } else {
    const parsed = parseFlakeImages(r.stdout);
    if ('configurations' in parsed) {
      writeCache(file, { format: CACHE_FORMAT, key, flakeRef: options.flakeRef, configurations: parsed.configurations });
      return { status: 'evaluated', configurations: parsed.configurations, cached: false };
    }
    reason = parsed.error;
  }
  unavailableReasons.set(key, reason);
  return { status: 'unavailable', reason };
}

/**
 * Which configurations of the flake in `options.cwd` are images, as Nix
 * evaluates them: from the cache when nothing it depends on changed (no
 * Nix process then, once this process knows the Nix version), else by
 * `nix eval` (flakeImagesCommand), at most MAX_CONCURRENT_EVALUATIONS at a time.
 * Never throws for Nix's sake: without Nix, offline, on a timeout or an
 * evaluation error the result is `unavailable` with the reason, which is
 * remembered for this process but not cached on disk.
 */
export async function evaluateFlakeImages(options: EvaluateFlakeImagesOptions): Promise<FlakeImagesEvaluation> {
  const env = options.env ?? process.env;
  const nix = findExecutable('nix', env.PATH ?? '');
  if (!nix) return { status: 'unavailable', reason: NIX_MISSING };
  const cmd = flakeImagesCommand(options);
  const key = discoveryCacheKey({ commandLine: commandLine(cmd), cwd: options.cwd, nix: nixIdentity(nix), inputsHash: options.inputsHash });
  const known = unavailableReasons.get(key);
  if (known !== undefined) return { status: 'unavailable', reason: known };
  const file = cacheFile(discoveryCacheDirectory(options.workspaceDataDirectory), options.cwd, options.flakeRef);
  const cached = readCache(file, key);
  if (cached) return { status: 'evaluated', configurations: cached, cached: true };

  let evaluation = running.get(key);
  if (!evaluation) {
    evaluation = evaluate(cmd, nix, options, file, key).finally(() => running.delete(key));
    running.set(key, evaluation);
  }
  return evaluation;
}

/**
 * What Nix says of a flake's configurations that the sources leave open,
 * evaluated as the build would (its default nixPath, overrideInputs and
 * nixOptions), and cached on everything the flake reads as far as the
 * sources say (its Nix files and flake.lock) and those options.
 */
export async function askNixAboutFlake(
  root: string,
  reading: FlakeReading,
  /** The build target's default options (not a configuration's). */
  build: { nixPath?: string[]; overrideInputs?: Record<string, string>; nixOptions?: Record<string, string> },
  workspace: string,
): Promise<FlakeEvaluation> {
  const workspaceRoot = posix.resolve(workspace);
  const absRoot = posix.join(workspaceRoot, root);
  const hash = createHash('sha256');
  for (const file of [...reading.files, posix.join(absRoot, 'flake.lock')].sort()) {
    let content = '';
    try {
      content = readFileSync(file, 'latin1');
    } catch {
      // Missing: hashed as empty, and a file appearing changes the key.
    }
    hash.update(`${file}\0${content}\0`);
  }
  hash.update(JSON.stringify(build));
  const gitRoot = gitWorkTreeOf(absRoot);
  const undecided = reading.configurations.filter((c) => c.verdict === 'undecided' && c.output.kind === 'nixosConfiguration').map((c) => c.name);
  const evaluation = await evaluateFlakeImages({
    flakeRef: gitRoot ? gitFlakeRef(gitRoot, absRoot) : `path:${absRoot}`,
    cwd: absRoot,
    names: reading.computedNames.length ? undefined : undecided,
    inputsHash: hash.digest('hex'),
    nixPath: (build.nixPath ?? []).map((entry) => resolveNixPathEntry(entry, workspaceRoot)),
    nixOptions: build.nixOptions,
    // Local paths are relative to the workspace root, as the executors take them.
    overrideInputs: Object.fromEntries(
      Object.entries(build.overrideInputs ?? {}).map(([name, ref]) => [name, hasFlakeScheme(ref) ? ref : posix.resolve(workspaceRoot, ref)]),
    ),
  });
  if (evaluation.status === 'unavailable') return evaluation;
  return {
    status: 'evaluated',
    configurations: Object.fromEntries(
      Object.entries(evaluation.configurations).map(([name, c]) => [name, 'error' in c ? { error: true } : { image: c.image }]),
    ),
  };
}

/** The git work tree holding a directory, found by its `.git`; undefined outside git. */
function gitWorkTreeOf(dir: string): string | undefined {
  for (let current = dir; ; current = posix.dirname(current)) {
    if (existsSync(posix.join(current, '.git'))) return current;
    if (current === posix.dirname(current)) return undefined;
  }
}
