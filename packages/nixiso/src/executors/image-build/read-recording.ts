/**
 * A build that evaluates records what its Nix evaluation read: the build
 * command runs under strace (nix/inputs/read-trace.ts), the trace becomes a read
 * record kept with the outputs and in the workspace's data
 * (built-image/read-record.ts), where the graph plugin unites it with the
 * static model, and every read the target's inputs did not cover is named
 * (nix/inputs/input-coverage.ts). Tracing never fails a build: a trace that cannot
 * be made or read gives an incomplete record that says why.
 */
import type { ExecutorContext } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative } from 'node:path';
import { type Command, commandLine } from '../../nix/building/command';
import { type InputEntry, uncoveredReads } from '../../nix/inputs/input-coverage';
import { type LinkedRead, readSet, type ReadSet, readTracerOf, TraceParser, tracedCommand, tracePid } from '../../nix/inputs/read-trace';
import { capture, findExecutable, gitIgnored } from '../../nix/process/run';
import { type ReadRecord, readDigests, writeReadRecord } from '../../built-image/read-record';
import { report } from '../executor-result';
import type { resolveImageTarget } from '../image-request';

/**
 * The name of a build's read record among its project's: the target, its Nx
 * configuration and its command (`build:offline#1a2b3c4d`). One record per
 * command: a build with other options (`--backend=…` once) evaluates other
 * things, and its record must not stand for the usual build's.
 */
export function recordConfiguration(context: ExecutorContext, cmd: Command): string {
  const digest = createHash('sha256').update(commandLine(cmd)).digest('hex').slice(0, 8);
  return `${[context.targetName, context.configurationName].filter(Boolean).join(':') || 'build'}#${digest}`;
}

export interface TraceRun {
  /** The command to run: the build under strace, or the build itself when tracing cannot work here. */
  cmd: Command;
  /** Where strace writes its files (removed by `remove`). */
  dir?: string;
  /** Why there is no trace although strace is there. */
  problem?: string;
  remove(): void;
}

/**
 * The build under strace, so that it records what Nix read: on Linux, with
 * strace on PATH, unless NIXISO_TRACE=0. strace is tried on `true` first: where
 * it cannot trace (ptrace forbidden in a container), the build runs untraced
 * and the record says why.
 */
export async function prepareTrace(cmd: Command, cwd: string): Promise<TraceRun | undefined> {
  const strace = findExecutable('strace');
  if (!strace || !readTracerOf(process.platform, process.env, strace).available) return undefined;
  let dir: string | undefined;
  const remove = () => {
    process.off('exit', remove);
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    dir = mkdtempSync(join(tmpdir(), 'nixiso-trace-'));
    // Also when Nx ends the process on Ctrl-C before the build's own cleanup runs.
    process.once('exit', remove);
    const probe = await capture(tracedCommand({ command: 'true', args: [] }, dir, strace), cwd, undefined, { timeoutMs: 15000 });
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
    if (probe.exitCode !== 0) {
      const why = probe.stderr.trim().split('\n')[0] || `exit code ${probe.exitCode}`;
      remove();
      return { cmd, problem: `strace cannot trace here (${why})`, remove: () => undefined };
    }
    return { cmd: tracedCommand(cmd, dir, strace), dir, remove };
  } catch (e) {
    remove();
    return { cmd, problem: `strace could not be set up: ${(e as Error).message}`, remove: () => undefined };
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * What the build's Nix read, from the trace: recorded with the outputs and in
 * the workspace's data, and checked against the target's inputs. Never fails
 * the build: a trace that cannot be read makes an incomplete record.
 */
export async function recordReads(trace: TraceRun, cmd: Command, target: ImageTargetOf, context: ExecutorContext): Promise<void> {
  const configurationName = recordConfiguration(context, cmd);
  const base = {
    version: 1 as const,
    tracer: 'strace' as const,
    command: commandLine(cmd),
    project: target.projectName,
    ...(context.targetName ? { target: context.targetName } : {}),
    ...(context.configurationName ? { configuration: context.configurationName } : {}),
  };
  const where = { distFile: target.outputs.readRecord, workspaceRoot: target.workspaceRoot, projectRoot: target.projectRoot, configurationName };
  const empty = { files: [], listed: [], missing: [], external: [] };
  try {
    if (!trace.dir) {
      writeReadRecord({ ...base, complete: false, incomplete: trace.problem, ...empty, recordedAt: new Date().toISOString() }, where);
      return;
    }
    const problems: string[] = [];
    const parser = new TraceParser(target.absRoot);
    const files = readdirSync(trace.dir)
      .map((name) => ({ name, pid: tracePid(name) }))
      .filter((f): f is { name: string; pid: number } => f.pid !== undefined)
      .sort((a, b) => a.pid - b.pid);
    for (const file of files) {
      try {
        parser.add(file.pid, readFileSync(join(trace.dir, file.name), 'utf8'));
      } catch (e) {
        problems.push(`the trace of process ${file.pid} could not be read (${(e as Error).message})`);
      }
    }
    trace.remove();
    const parsed = parser.result();
    if (!parsed.processes) problems.push('strace wrote no trace');
    if (parsed.unparsed.count) problems.push(`${parsed.unparsed.count} trace line(s) not understood, e.g. ${JSON.stringify(parsed.unparsed.example)}`);
    if (parsed.unresolved.count) {
      problems.push(`${parsed.unresolved.count} relative path(s) resolved against a guessed working directory, e.g. ${JSON.stringify(parsed.unresolved.example)}`);
    }
    const reads = readSet(parsed, readSetOptions(target));
    if (target.flake && !reads.flakeCopy) problems.push("the flake's store copy was not found among the files Nix opened");

    const project = context.projectsConfigurations.projects[target.projectName];
    const nixiso = ((project?.metadata as { nixiso?: Record<string, unknown> } | undefined)?.nixiso ?? {}) as Record<string, unknown>;
    const inputs = (project?.targets?.[context.targetName ?? '']?.inputs as InputEntry[] | undefined) ?? ['default'];
    const recorded = { files: reads.files, listed: reads.listed, missing: reads.missing, external: reads.external };
    const uncovered = uncoveredReads(recorded, {
      projectRoot: target.projectRoot,
      inputs,
      namedInputs: {
        default: ['{projectRoot}/**/*'],
        ...((context.nxJsonConfiguration?.namedInputs ?? {}) as Record<string, InputEntry[]>),
        ...((project?.namedInputs ?? {}) as Record<string, InputEntry[]>),
      },
      fingerprinted: stringList(nixiso.fingerprinted),
      ignored: stringList(nixiso.ignoredReads),
      gitIgnored: target.gitRoot ? gitIgnored(target.workspaceRoot, [...reads.files, ...reads.listed, ...reads.missing]) : [],
      nestedProjectRoots: Object.values(context.projectsConfigurations.projects)
        .map((p) => p.root)
        .filter((root) => root !== target.projectRoot && (target.projectRoot === '.' || root.startsWith(`${target.projectRoot}/`))),
    });
    for (const path of uncovered) {
      report(`nixiso: this image read ${describeRead(path, reads, target.workspaceRoot)}, which the inputs did not cover; it is now an input`);
    }
    const record: ReadRecord = {
      ...base,
      complete: !problems.length,
      ...(problems.length ? { incomplete: problems.join('; ') } : {}),
      ...recorded,
      digests: readDigests(target.workspaceRoot, recorded),
      uncovered,
      ...(reads.links.length ? { links: reads.links.map((l) => recordedLink(l, target.workspaceRoot)) } : {}),
      recordedAt: new Date().toISOString(),
    };
    writeReadRecord(record, where);
  } catch (e) {
    trace.remove();
    try {
      writeReadRecord(
        { ...base, complete: false, incomplete: `the trace could not be recorded: ${(e as Error).message}`, ...empty, recordedAt: new Date().toISOString() },
        where,
      );
    } catch {
      // Not even the record could be written: the build itself succeeded.
    }
  }
}

type ImageTargetOf = Awaited<ReturnType<typeof resolveImageTarget>>;

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function readSetOptions(target: ImageTargetOf): Parameters<typeof readSet>[1] {
  const { workspaceRoot } = target;
  const realRoot = realpathOr(workspaceRoot);
  const outputs = [target.outputs.dir, target.request.outLink]
    .map((p) => relative(workspaceRoot, p))
    .filter((p) => p && !p.startsWith('..') && !isAbsolute(p));
  // Nix is given the flake as git+file://<git top level>?dir=<image> or path:<image>, both real paths (image-request.ts).
  const imageDir = realpathOr(target.absRoot);
  return {
    workspaceRoot,
    ...(realRoot !== workspaceRoot ? { workspaceAliases: [realRoot] } : {}),
    ...(target.flake
      ? {
          flakeSource: target.gitRoot
            ? { dirInSource: relative(target.gitRoot, imageDir), localRoot: target.gitRoot }
            : { dirInSource: '', localRoot: imageDir },
        }
      : {}),
    ignore: outputs,
    searchPath: (process.env.PATH ?? '').split(delimiter),
    tempDirs: [tmpdir()],
    home: homedir(),
  };
}


const relativeTo = (workspaceRoot: string, path: string): string => {
  const rel = relative(workspaceRoot, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
};

/** A link as the record keeps it: workspace-relative where it can be, with what it says. */
function recordedLink(link: LinkedRead, workspaceRoot: string): { path: string; link: string; target: string } {
  let says: string;
  try {
    says = readlinkSync(link.link);
  } catch {
    says = relative(dirname(link.link), link.target) || '.';
  }
  return { path: link.path, link: relativeTo(workspaceRoot, link.link), target: says };
}

/** A read as the self-check names it: the path, and the symlink it went through (`keys/alice.pub through shared/ → ../../keys`). */
function describeRead(path: string, reads: ReadSet, workspaceRoot: string): string {
  const kind = reads.listed.includes(path) ? ' (its listing)' : reads.missing.includes(path) && !reads.files.includes(path) ? ' (absent)' : '';
  const link = reads.links.find((l) => l.path === path);
  if (!link) return `${path}${kind}`;
  const { link: name, target } = recordedLink(link, workspaceRoot);
  let isDirectory = false;
  try {
    isDirectory = statSync(link.link).isDirectory();
  } catch {
    // Gone since: named as a file.
  }
  return `${path}${kind} through ${name}${isDirectory ? '/' : ''} → ${target}`;
}
