/**
 * The one place nixiso starts processes. Nix runs in its own process group so
 * that Ctrl-C / SIGTERM stop the whole Nix process tree (nix, its builders,
 * nixos-generate's nix-build) and nothing is left running.
 */
import type execaModule from 'execa';

/**
 * execa, loaded when a process is first started: the graph plugin imports
 * this module for findExecutable and starts Nix only when discovery must ask
 * it, so an ordinary graph computation does not pay for loading execa.
 */
const execa: typeof execaModule = ((...args: Parameters<typeof execaModule>) =>
  (require('execa') as typeof execaModule)(...args)) as typeof execaModule;
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Command } from '../building/command';

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Forward the child's stderr to ours as it arrives (default true). */
  streamStderr?: boolean;
  /** Forward the child's stdout to ours as it arrives (default false). */
  streamStdout?: boolean;
  /**
   * Receives the child's stderr line by line instead of it being forwarded
   * (Nix's `--log-format internal-json`). stderr is then not kept: a long
   * build's log would not fit in memory, so RunResult.stderr is ''.
   */
  onStderrLine?: (line: string) => void;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when we stopped the child because we received this signal. */
  interruptedBy?: NodeJS.Signals;
  /** Set when capture stopped the child at its timeout. */
  timedOut?: true;
}

export function findExecutable(name: string, pathValue = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of pathValue.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const KILL_GRACE_MS = 5000;

/**
 * Options of every long child: in its own process group (detached), so that
 * stopping it stops Nix's or QEMU's children too; never rejecting, the
 * caller reads the exit code; `env` replaces the environment when given.
 */
function ownProcessGroup(options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return { cwd: options.cwd, env: options.env, extendEnv: options.env === undefined, reject: false, detached: true } as const;
}

export async function runCommand(cmd: Command, options: RunOptions): Promise<RunResult> {
  const { onStderrLine } = options;
  const child = execa(cmd.command, cmd.args, { ...ownProcessGroup(options), stdin: 'ignore', all: false, buffer: !onStderrLine });
  let stdout = '';
  let streamsDone: Promise<unknown> = Promise.resolve();
  if (onStderrLine) {
    // Without execa's buffering we read both streams ourselves, and to their end: the process may exit first.
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    streamsDone = Promise.all([closed(child.stdout), forEachLine(child.stderr, onStderrLine)]);
  } else if (options.streamStderr !== false) {
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  }
  if (options.streamStdout) child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));

  let interruptedBy: NodeJS.Signals | undefined;
  const stopTree = (signal: NodeJS.Signals) => {
    interruptedBy = signal;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const onSigint = () => stopTree('SIGINT');
  const onSigterm = () => stopTree('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const result = await child;
    // Bounded: a process of the group that outlived Nix could hold the pipe open. (No pid: it never started.)
    if (child.pid) await Promise.race([streamsDone, new Promise((done) => setTimeout(done, KILL_GRACE_MS).unref())]);
    return {
      exitCode: interruptedBy ? 130 : (result.exitCode ?? 1),
      stdout: onStderrLine ? stdout : (result.stdout ?? ''),
      stderr: onStderrLine ? '' : (result.stderr ?? ''),
      interruptedBy,
    };
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    // Builders that outlived nix itself go too.
    if (interruptedBy) killGroup(child.pid, 'SIGKILL');
  }
}

function closed(stream: Readable | null): Promise<void> {
  return new Promise((done) => (stream ? stream.once('close', () => done()) : done()));
}

/** Calls `handle` for each line of `stream`; resolves when it ended. A handler that throws gets the line printed instead. */
function forEachLine(stream: Readable | null, handle: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    try {
      handle(line);
    } catch {
      process.stderr.write(`${line}\n`);
    }
  });
  return new Promise((done) => lines.once('close', () => done()));
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export interface CaptureOptions {
  /** Stops the child after this long (SIGTERM, SIGKILL 5 s later); the result says `timedOut`. */
  timeoutMs?: number;
}

/** A short command whose output we need (git, nix --version); never streamed. */
export async function capture(cmd: Command, cwd: string, env?: NodeJS.ProcessEnv, options: CaptureOptions = {}): Promise<RunResult> {
  const result = await execa(cmd.command, cmd.args, { cwd, env, reject: false, stdin: 'ignore', timeout: options.timeoutMs });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    ...(result.timedOut ? { timedOut: true as const } : {}),
  };
}

export interface InteractiveOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The child's stdout as it arrives (UTF-8 text, chunks not aligned to lines). */
  onStdout: (chunk: string) => void;
  /** The child's stderr as it arrives; forwarded to ours when not given. */
  onStderr?: (chunk: string) => void;
}

export interface InteractiveProcess {
  /** Writes to the child's stdin (false once it has exited). */
  write(text: string): boolean;
  /** SIGTERM to its process group, SIGKILL after the grace period. */
  stop(graceMs?: number): void;
  /** Resolves when the child exited; interruptedBy is set when our SIGINT/SIGTERM stopped it. */
  exited: Promise<RunResult>;
}

/**
 * A long-running child we talk to (QEMU with its serial console on stdio):
 * in its own process group like runCommand, stopped with us on SIGINT/SIGTERM.
 */
export function startInteractive(cmd: Command, options: InteractiveOptions): InteractiveProcess {
  const child = execa(cmd.command, cmd.args, { ...ownProcessGroup(options), stdin: 'pipe', buffer: false });
  let exited = false;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => options.onStdout(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (options.onStderr ? options.onStderr(chunk) : process.stderr.write(chunk)));
  // A write after the child exited is an EPIPE we expect, not a crash.
  child.stdin?.on('error', () => undefined);
  let interruptedBy: NodeJS.Signals | undefined;
  const stop = (graceMs = KILL_GRACE_MS) => {
    if (exited) return;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs).unref();
  };
  const onSigint = () => ((interruptedBy = 'SIGINT'), stop());
  const onSigterm = () => ((interruptedBy = 'SIGTERM'), stop());
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const done = (async (): Promise<RunResult> => {
    try {
      const result = await child;
      return { exitCode: interruptedBy ? 130 : (result.exitCode ?? (result.signal ? 128 : 1)), stdout: '', stderr: '', interruptedBy };
    } finally {
      exited = true;
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      if (interruptedBy) killGroup(child.pid, 'SIGKILL');
    }
  })();
  return {
    write: (text) => (!exited && !!child.stdin?.writable ? child.stdin.write(text) : false),
    stop,
    exited: done,
  };
}

/** What every command that needs Nix says when it is not on PATH. */
export const NIX_MISSING =
  'nix not found on PATH; install Nix (https://nixos.org/download) or, on Debian/Ubuntu, `apt-get install nix-bin`';

/**
 * Which of `paths` (workspace-relative) git ignores, by its patterns alone
 * (`--no-index`: Nx skips an ignored file even when git tracks it). One git
 * process; none ignored outside a git work tree or without git.
 */
export function gitIgnored(workspaceRoot: string, paths: readonly string[]): string[] {
  if (!paths.length) return [];
  let out: string;
  try {
    out = execFileSync('git', ['check-ignore', '--no-index', '-z', '--stdin'], {
      cwd: workspaceRoot,
      input: paths.join('\0'),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch {
    // Exit 1: none ignored; 128: not a git work tree; ENOENT: no git.
    return [];
  }
  return out.split('\0').filter(Boolean);
}
