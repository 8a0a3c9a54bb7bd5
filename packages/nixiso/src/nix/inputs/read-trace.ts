/**
 * What a Nix evaluation actually read, from an strace of the process tree:
 * the command that traces it (tracedCommand), the parse of strace's output
 * (parseTrace) and the reads sorted into workspace files, directory listings,
 * paths looked for and absent, and paths outside the workspace (readSet).
 * Pure: the caller runs the command and reads the trace files.
 *
 * strace runs with `-f -ff`: one file per process (or thread), so lines never
 * interleave and a syscall is never split into `<unfinished …>` and
 * `<… resumed>`; `-y`: every fd argument and result is followed by its path,
 * `3</dir>`, and `AT_FDCWD</cwd>` by the working directory, so fd-relative
 * *at calls and getdents64 resolve; `--seccomp-bpf`: only the traced syscalls
 * stop the process, everything else (reads, writes, mmap) runs at full speed.
 */
import { posix } from 'node:path';
import type { Command } from '../building/command';

/**
 * The syscalls traced: those that open, stat, probe or list a path, plus
 * what changes or tells the working directory. `?` lets strace skip a name
 * the architecture lacks (aarch64 has no open, stat, access or readlink).
 */
export const TRACED_SYSCALLS = [
  '?open',
  'openat',
  '?openat2',
  '?stat',
  '?lstat',
  '?newfstatat',
  '?fstatat64',
  '?statx',
  '?access',
  'faccessat',
  '?faccessat2',
  '?readlink',
  'readlinkat',
  'execve',
  '?execveat',
  'chdir',
  'fchdir',
  'getcwd',
  'getdents64',
  '?getdents',
];

/**
 * Whether a build records what Nix read here, and why not: strace traces
 * Linux processes only, must be on PATH (`strace` is the path findExecutable
 * found, if any), and NIXISO_TRACE=0 turns it off.
 */
export function readTracerOf(platform: string, env: NodeJS.ProcessEnv, strace: string | undefined): { available: boolean; detail: string } {
  if (platform !== 'linux') return { available: false, detail: `strace traces Linux processes only (this is ${platform})` };
  if (env.NIXISO_TRACE === '0') return { available: false, detail: 'NIXISO_TRACE=0 turns read tracing off' };
  if (!strace) return { available: false, detail: 'strace is not on PATH' };
  return { available: true, detail: `strace at ${strace}` };
}

/** The prefix of strace's output files: `<traceDir>/trace.<pid>`. */
export const TRACE_FILE_PREFIX = 'trace';

/** `cmd` run under strace, writing one file per process to `<traceDir>/trace.<pid>`. */
export function tracedCommand(cmd: Command, traceDir: string, strace = 'strace'): Command {
  return {
    command: strace,
    args: [
      '-f',
      '-ff',
      '-y',
      '-qq',
      '--seccomp-bpf',
      '-e', 'signal=none',
      '-e', `trace=${TRACED_SYSCALLS.join(',')}`,
      '-o', posix.join(traceDir, TRACE_FILE_PREFIX),
      '--',
      cmd.command,
      ...cmd.args,
    ],
  };
}

/** The pid of an strace output file name (`trace.1234`), or undefined for another file. */
export function tracePid(fileName: string): number | undefined {
  const m = /^trace\.(\d+)$/.exec(fileName);
  return m ? Number(m[1]) : undefined;
}

export type ProbeKind = 'file' | 'directory' | 'symlink' | 'other' | 'unknown';

/**
 * When a path was reached, per process: the line numbers (counted over the
 * whole trace, so comparable within one process) of the first and last time.
 */
export interface Reached {
  pid: number;
  first: number;
  last: number;
}

export interface TracedPath {
  /** Absolute and normalised (symlinks not resolved): the path as asked for. */
  path: string;
  at: Reached[];
}

export interface OpenedPath extends TracedPath {
  /** Where the kernel's lookup led (strace -y on the result), when it differs from `path`. */
  real?: string;
}

export interface ProbedPath extends TracedPath {
  /** From the stat buffer; `unknown` for access/faccessat; `symlink` for a readlink that succeeded or an lstat of a link. */
  kind: ProbeKind;
}

export interface ParsedTrace {
  /** Files opened for reading (open/openat success, not O_DIRECTORY, not for writing), in the order first opened. */
  opened: OpenedPath[];
  /** Existing paths stat-ed, accessed, readlink-ed or opened as directories. */
  probed: ProbedPath[];
  /** Directories whose entries were read (getdents64 on an fd strace -y names). */
  listed: TracedPath[];
  /** Paths looked for that do not exist (ENOENT or ENOTDIR on open, stat, access, readlink). */
  missing: TracedPath[];
  /** Programs executed (execve success). */
  executed: TracedPath[];
  /** Processes (and threads) traced. */
  processes: number;
  /** Lines not understood: the record is incomplete when there are any. */
  unparsed: { count: number; example?: string };
  /** Relative paths resolved against a working directory that was a guess (a child process before it said where it was). */
  unresolved: { count: number; example?: string };
}

interface Arg {
  raw: string;
  /** The argument is one quoted string: its decoded value. */
  str?: string;
  /** The argument is an fd or AT_FDCWD decorated by -y: the path (undefined when the decoration is not a path). */
  fd?: { name: string; path?: string };
}

interface Call {
  name: string;
  args: Arg[];
  /** The return value: a number, or undefined for `?`. */
  ret?: number;
  errno?: string;
  /** The path -y printed after a returned fd. */
  retPath?: string;
}

/** Decodes strace's C escapes (`\"`, `\\`, `\n`, `\303\274`, `\xc3`) into the UTF-8 text they encode. */
export function decodeCString(escaped: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '"': 34, '\\': 92, "'": 39, '?': 63 };
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i];
    if (c !== '\\' || i + 1 >= escaped.length) {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const n = escaped[i + 1];
    if (/[0-7]/.test(n)) {
      let j = i + 1;
      let digits = '';
      while (j < escaped.length && digits.length < 3 && /[0-7]/.test(escaped[j])) digits += escaped[j++];
      bytes.push(parseInt(digits, 8) & 0xff);
      i = j - 1;
    } else if (n === 'x' && /^[0-9a-fA-F]{2}/.test(escaped.slice(i + 2, i + 4))) {
      bytes.push(parseInt(escaped.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (n in simple) {
      bytes.push(simple[n]);
      i += 1;
    } else {
      for (const b of Buffer.from(n, 'utf8')) bytes.push(b);
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Reads a `"…"` string at `i` (on the quote); returns its raw escaped text and the index after it (and after a `...` truncation mark). */
function scanString(line: string, i: number): { text: string; end: number } | undefined {
  let j = i + 1;
  while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
  if (j >= line.length) return undefined;
  const text = line.slice(i + 1, j);
  j += 1;
  if (line.startsWith('...', j)) j += 3;
  return { text, end: j };
}

/** Reads a `<…>` decoration at `i` (on the `<`): strace escapes `<` and `>` inside it. */
function scanDecoration(line: string, i: number): { text: string; end: number } | undefined {
  let j = i + 1;
  while (j < line.length && line[j] !== '>') j += line[j] === '\\' ? 2 : 1;
  if (j >= line.length) return undefined;
  return { text: line.slice(i + 1, j), end: j + 1 };
}

function decorationPath(text: string): string | undefined {
  const decoded = decodeCString(text);
  if (!decoded.startsWith('/')) return undefined; // pipe:[…], socket:[…], anon_inode:…, mnt:[…]
  return decoded.replace(/ \(deleted\)$/, '');
}

function toArg(raw: string): Arg {
  const text = raw.trim();
  const str = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/.exec(text);
  if (str) return { raw: text, str: decodeCString(str[1]) };
  const fd = /^(AT_FDCWD|-?\d+)<(.*)>$/s.exec(text);
  if (fd) return { raw: text, fd: { name: fd[1], path: decorationPath(fd[2]) } };
  return { raw: text };
}

/** One line of strace output as a call, `'skip'` for lines that carry nothing (exits, signals, unfinished calls), undefined when not understood. */
export function parseLine(line: string): Call | 'skip' | undefined {
  if (!line.trim() || line.startsWith('+++') || line.startsWith('---')) return 'skip';
  const head = /^([a-z_][a-z0-9_]*)\(/.exec(line);
  if (!head) return undefined;
  const args: Arg[] = [];
  let depth = 0;
  let start = head[0].length;
  let i = start;
  let closed = false;
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      const s = scanString(line, i);
      if (!s) return undefined;
      i = s.end;
      continue;
    }
    if (c === '<') {
      if (line.startsWith('<unfinished ...>', i)) return 'skip';
      const d = scanDecoration(line, i);
      if (!d) return undefined;
      i = d.end;
      continue;
    }
    if (c === '/' && line[i + 1] === '*') {
      const end = line.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ')') {
      if (depth === 0) {
        if (line.slice(start, i).trim() || args.length) args.push(toArg(line.slice(start, i)));
        i++;
        closed = true;
        break;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(toArg(line.slice(start, i)));
      start = i + 1;
    }
    i++;
  }
  if (!closed) return undefined;
  const rest = line.slice(i);
  const result = /^\s*=\s*(\?|-?\d+|0x[0-9a-f]+)/.exec(rest);
  if (!result) return undefined;
  const call: Call = { name: head[1], args };
  if (result[1] === '?') return call;
  call.ret = result[1].startsWith('0x') ? parseInt(result[1], 16) : Number(result[1]);
  let j = result[0].length;
  if (rest[j] === '<') {
    const d = scanDecoration(rest, j);
    if (!d) return undefined;
    call.retPath = decorationPath(d.text);
    j = d.end;
  }
  const errno = /^\s+([A-Z][A-Z0-9_]*)\b/.exec(rest.slice(j));
  if (errno) call.errno = errno[1];
  return call;
}

function kindOfBuffer(raw: string | undefined): ProbeKind {
  const mode = raw && /\bstx?_mode=S_IF([A-Z]+)/.exec(raw);
  if (!mode) return 'unknown';
  switch (mode[1]) {
    case 'REG':
      return 'file';
    case 'DIR':
      return 'directory';
    case 'LNK':
      return 'symlink';
    default:
      return 'other';
  }
}

/** How each traced syscall's arguments are laid out. */
const LAYOUT: Record<string, { dirfd?: number; path: number; flags?: number; buf?: number; op: 'open' | 'stat' | 'access' | 'readlink' | 'exec' }> = {
  open: { path: 0, flags: 1, op: 'open' },
  openat: { dirfd: 0, path: 1, flags: 2, op: 'open' },
  openat2: { dirfd: 0, path: 1, flags: 2, op: 'open' },
  stat: { path: 0, buf: 1, op: 'stat' },
  lstat: { path: 0, buf: 1, op: 'stat' },
  newfstatat: { dirfd: 0, path: 1, buf: 2, op: 'stat' },
  fstatat64: { dirfd: 0, path: 1, buf: 2, op: 'stat' },
  statx: { dirfd: 0, path: 1, buf: 4, op: 'stat' },
  access: { path: 0, op: 'access' },
  faccessat: { dirfd: 0, path: 1, op: 'access' },
  faccessat2: { dirfd: 0, path: 1, op: 'access' },
  readlink: { path: 0, op: 'readlink' },
  readlinkat: { dirfd: 0, path: 1, op: 'readlink' },
  execve: { path: 0, op: 'exec' },
  execveat: { dirfd: 0, path: 1, op: 'exec' },
};

const MISSING_ERRNOS = new Set(['ENOENT', 'ENOTDIR']);

/**
 * Accumulates strace's per-process files into what was read. Feed it one
 * file at a time (`add`) so that a long build's trace need not be held in
 * memory at once; `result()` gives the parse.
 */
export class TraceParser {
  private readonly opened = new Map<string, OpenedPath>();
  private readonly probed = new Map<string, ProbedPath>();
  private readonly listed = new Map<string, TracedPath>();
  private readonly missing = new Map<string, TracedPath>();
  private readonly executed = new Map<string, TracedPath>();
  private processes = 0;
  private seq = 0;
  private readonly unparsed = { count: 0, example: undefined as string | undefined };
  private readonly unresolved = { count: 0, example: undefined as string | undefined };

  /**
   * @param cwd where the first process added starts (the command's working
   *   directory); a later process's working directory is learnt from its own
   *   calls (AT_FDCWD</dir>, getcwd, chdir) and guessed as `cwd` until then.
   */
  constructor(private readonly cwd: string) {}

  add(pid: number, text: string): void {
    const first = this.processes === 0;
    this.processes++;
    let procCwd: string | undefined = first ? this.cwd : undefined;
    const guess = (line: string): string => {
      this.unresolved.count++;
      this.unresolved.example ??= line;
      return this.cwd;
    };
    const note = <T extends TracedPath>(map: Map<string, T>, path: string, make: () => T): T => {
      let entry = map.get(path);
      if (!entry) map.set(path, (entry = make()));
      const last = entry.at[entry.at.length - 1];
      if (last?.pid === pid) last.last = this.seq;
      else entry.at.push({ pid, first: this.seq, last: this.seq });
      return entry;
    };
    for (const line of text.split('\n')) {
      this.seq++;
      const call = parseLine(line);
      if (call === 'skip') continue;
      if (!call) {
        this.noteUnparsed(line);
        continue;
      }
      // AT_FDCWD</dir> names the working directory whatever the call did.
      for (const arg of call.args) if (arg.fd?.name === 'AT_FDCWD' && arg.fd.path) procCwd = arg.fd.path;
      if (call.ret === undefined) continue;
      const ok = call.ret >= 0;
      switch (call.name) {
        case 'getcwd':
          if (ok && call.args[0]?.str?.startsWith('/')) procCwd = call.args[0].str;
          continue;
        case 'chdir': {
          const path = call.args[0]?.str;
          if (!ok || path === undefined) continue;
          procCwd = path.startsWith('/') ? posix.normalize(path) : posix.resolve(procCwd ?? guess(line), path);
          continue;
        }
        case 'fchdir': {
          const path = call.args[0]?.fd?.path;
          if (ok && path) procCwd = path;
          continue;
        }
        case 'getdents64':
        case 'getdents': {
          const path = call.args[0]?.fd?.path;
          if (ok && path) note(this.listed, path, () => ({ path, at: [] }));
          else if (ok) this.noteUnparsed(line);
          continue;
        }
      }
      const layout = LAYOUT[call.name];
      if (!layout) {
        this.noteUnparsed(line);
        continue;
      }
      const given = call.args[layout.path]?.str;
      if (given === undefined) {
        this.noteUnparsed(line);
        continue;
      }
      if (given === '') continue; // fstat through AT_EMPTY_PATH: the fd was opened (and recorded) before
      let path: string;
      if (given.startsWith('/')) path = posix.normalize(given);
      else {
        const dirfd = layout.dirfd === undefined ? undefined : call.args[layout.dirfd]?.fd;
        const base = dirfd ? (dirfd.path ?? (dirfd.name === 'AT_FDCWD' ? procCwd : undefined)) : procCwd;
        path = posix.resolve(base ?? guess(line), given);
      }
      if (!ok) {
        if (call.errno && MISSING_ERRNOS.has(call.errno) && layout.op !== 'exec') note(this.missing, path, () => ({ path, at: [] }));
        continue;
      }
      switch (layout.op) {
        case 'open': {
          const flags = call.args[layout.flags as number]?.raw ?? '';
          if (/\bO_DIRECTORY\b/.test(flags)) this.probe(note, path, 'directory');
          // O_PATH is a handle, nothing read; the others write.
          else if (/\bO_(PATH|WRONLY|CREAT|TRUNC)\b/.test(flags)) continue;
          else {
            const real = call.retPath && call.retPath !== path ? call.retPath : undefined;
            note(this.opened, path, () => ({ path, ...(real ? { real } : {}), at: [] }));
          }
          continue;
        }
        case 'stat':
          this.probe(note, path, kindOfBuffer(call.args[layout.buf as number]?.raw));
          continue;
        case 'access':
          this.probe(note, path, 'unknown');
          continue;
        case 'readlink':
          this.probe(note, path, 'symlink');
          continue;
        case 'exec':
          note(this.executed, path, () => ({ path, at: [] }));
          continue;
      }
    }
  }

  private noteUnparsed(line: string): void {
    this.unparsed.count++;
    this.unparsed.example ??= line;
  }

  private probe(
    note: (map: Map<string, ProbedPath>, path: string, make: () => ProbedPath) => ProbedPath,
    path: string,
    kind: ProbeKind,
  ): void {
    const entry = note(this.probed, path, () => ({ path, kind, at: [] }));
    if (entry.kind === 'unknown') entry.kind = kind;
  }

  result(): ParsedTrace {
    return {
      opened: [...this.opened.values()],
      probed: [...this.probed.values()],
      listed: [...this.listed.values()],
      missing: [...this.missing.values()],
      executed: [...this.executed.values()],
      processes: this.processes,
      unparsed: { ...this.unparsed },
      unresolved: { ...this.unresolved },
    };
  }
}

/**
 * Parses strace's per-process files. The files are taken in pid order: the
 * lowest pid is the traced command itself, which starts in `cwd`.
 */
export function parseTrace(files: { pid: number; text: string }[], cwd: string): ParsedTrace {
  const parser = new TraceParser(cwd);
  for (const file of [...files].sort((a, b) => a.pid - b.pid)) parser.add(file.pid, file.text);
  return parser.result();
}

export interface FlakeSource {
  /** The flake's directory inside its source tree ('' when the flake is at the root): `dir=` of a git+file ref. */
  dirInSource: string;
  /** The local directory Nix copied to the store (the git top level, or the flake directory of a path: ref). */
  localRoot: string;
}

export interface ReadSetOptions {
  workspaceRoot: string;
  /** Other absolute spellings of the workspace root (its realpath when it lies behind a symlink). */
  workspaceAliases?: string[];
  flakeSource?: FlakeSource;
  /** Workspace-relative paths whose reads are not inputs (the build's own outputs, dist/<projectRoot>); everything under them too. */
  ignore?: string[];
  /** Directories of PATH: an absent `<dir>/<name>` there is a program looked up, not a read. */
  searchPath?: string[];
  /** The user's home directory, for Nix's (and git's) own files under it. */
  home?: string;
  /** Other absolute directories that are not inputs. */
  systemDirs?: string[];
  /** Temporary directories besides /tmp (TMPDIR): Nix's and nixiso's scratch directories in them do not count. */
  tempDirs?: string[];
  storeDir?: string;
}

export interface LinkedRead {
  /** Where the read led: workspace-relative, or absolute outside the workspace. */
  path: string;
  /** The symlink it went through, as asked for (absolute). */
  link: string;
  /** What that link resolved to (absolute). */
  target: string;
}

export interface ReadSet {
  /** Files read, workspace-relative (posix), sorted. */
  files: string[];
  /** Directories listed, workspace-relative ('.' for the root), sorted. */
  listed: string[];
  /** Paths looked for that did not exist, workspace-relative, sorted. */
  missing: string[];
  /** Absolute paths outside the workspace, the Nix store and the system's own directories. */
  external: string[];
  /** How many distinct paths were left out as the system's (or the Nix store's, or Nix's own state). */
  system: number;
  /** Reads that went through a symlink, with the link. */
  links: LinkedRead[];
  /** The flake's source copy in the store, when one was found. */
  flakeCopy?: string;
}

// /homeless-shelter: HOME in a Nix builder (the builds of a single-user Nix are traced too).
const SYSTEM_DIRS = ['/proc', '/sys', '/dev', '/run', '/etc', '/usr', '/lib', '/lib32', '/lib64', '/libx32', '/bin', '/sbin', '/var', '/build', '/nix', '/homeless-shelter'];
const HOME_DIRS = [
  '.cache/nix',
  '.config/nix',
  '.local/share/nix',
  '.local/state/nix',
  '.nix-defexpr',
  '.nix-profile',
  '.nix-channels',
  // git, run by Nix's git fetcher, reads its own configuration.
  '.gitconfig',
  '.config/git',
];

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * Temporary directories of Nix and nixiso (a builder's `nix-build-…`, Nix's
 * own `nix-<pid>-<n>`, the trace's `nixiso-trace-…`): made and gone within
 * the build. Any other file under /tmp or TMPDIR is a file like any other (a
 * module a variable names).
 */
function isScratch(path: string, tempDirs: readonly string[]): boolean {
  return tempDirs.some((dir) => {
    if (!inside(path, dir) || path === dir) return false;
    const first = path.slice(dir === '/' ? 1 : dir.length + 1).split('/')[0];
    return /^(nix-build-|nix-\d+-\d+$|nixiso-trace-)/.test(first);
  });
}

/** The link and what it resolved to: the longest part of `path` whose remainder `real` ends with. */
export function linkOf(path: string, real: string): { link: string; target: string } | undefined {
  if (path === real) return undefined;
  const a = path.split('/');
  const b = real.split('/');
  while (a.length > 1 && b.length > 1 && a[a.length - 1] === b[b.length - 1]) {
    a.pop();
    b.pop();
  }
  const link = a.join('/') || '/';
  const target = b.join('/') || '/';
  return link === target ? undefined : { link, target };
}

/**
 * The reads sorted: workspace files, listings and absent paths (relative,
 * posix), paths outside the workspace, and a count of the rest.
 *
 * For a flake, Nix evaluates a store copy of its source. Reads under that
 * copy are mapped back to the local files; reads of the local files
 * themselves (the copy being made: every tracked file) are dropped, and so
 * is what the process that made the copy did to it before it opened the
 * flake's flake.nix there (writing it, fixing its permissions: every file).
 */
export function readSet(parsed: ParsedTrace, options: ReadSetOptions): ReadSet {
  const storeDir = options.storeDir ?? '/nix/store';
  const trim = (p: string) => posix.normalize(p).replace(/(.)\/$/, '$1');
  const roots = [options.workspaceRoot, ...(options.workspaceAliases ?? [])].map(trim);
  const systemDirs = [
    ...SYSTEM_DIRS,
    ...(options.home ? HOME_DIRS.map((d) => posix.join(options.home as string, d)) : []),
    ...(options.systemDirs ?? []),
  ];
  const ignore = (options.ignore ?? []).map(trim).filter((p) => p && p !== '.');
  const tempDirs = [...new Set(['/tmp', ...(options.tempDirs ?? [])].map(trim))];
  const searchPath = new Set((options.searchPath ?? []).filter((d) => d.startsWith('/')).map(trim));

  const copy = options.flakeSource ? flakeCopyOf(parsed, options.flakeSource, storeDir) : undefined;
  const localRoot = options.flakeSource && trim(options.flakeSource.localRoot);
  const system = new Set<string>();

  type Where = { workspace: string } | { external: string };
  /** Where an absolute path lies, or undefined when it does not count. */
  const place = (abs: string): Where | undefined => {
    let path = abs;
    if (copy && localRoot && inside(path, copy.path)) path = posix.join(localRoot, path.slice(copy.path.length));
    // The local files themselves are read to copy them into the store: every tracked file, evaluated or not.
    else if (localRoot && inside(path, localRoot)) return undefined;
    for (const root of roots) {
      if (!inside(path, root)) continue;
      const rel = path === root ? '.' : path.slice(root === '/' ? 1 : root.length + 1);
      if (ignore.some((i) => inside(rel, i))) return undefined;
      return { workspace: rel };
    }
    if (inside(path, storeDir) || systemDirs.some((d) => inside(path, d)) || isScratch(path, tempDirs) || tempDirs.includes(path)) {
      system.add(path);
      return undefined;
    }
    return { external: path };
  };
  /** Whether a read counts: under the flake's copy, only what happened after its process began evaluating. */
  const evaluated = (entry: TracedPath, abs = entry.path): boolean => {
    if (!copy || !inside(abs, copy.path)) return true;
    return entry.at.some((a) => a.last >= (copy.evaluationStart.get(a.pid) ?? -1));
  };

  const files = new Set<string>();
  const listed = new Set<string>();
  const missing = new Set<string>();
  const external = new Set<string>();
  const links: LinkedRead[] = [];
  const directories = new Set<string>(parsed.listed.map((l) => l.path));
  for (const p of parsed.probed) if (p.kind === 'directory') directories.add(p.path);
  const add = (into: Set<string>, entry: TracedPath, abs = entry.path): Where | undefined => {
    if (!evaluated(entry, abs)) return undefined;
    const where = place(abs);
    if (where && 'workspace' in where) into.add(where.workspace);
    else if (where) external.add(where.external);
    return where;
  };

  for (const o of parsed.opened) {
    if (directories.has(o.path)) continue;
    // Both the path asked for and, through a symlink, where it led: changing either changes what Nix reads.
    if (o.real) add(files, o);
    const where = add(files, o, o.real ?? o.path);
    const link = o.real ? linkOf(o.path, o.real) : undefined;
    // A link whose own path does not count (the store copy being made) says nothing.
    // Nor does the workspace root lying behind one (its aliases say where).
    if (where && link && !roots.some((r) => inside(r, link.link)) && place(link.link)) links.push({ path: 'workspace' in where ? where.workspace : where.external, ...link });
  }
  for (const p of parsed.probed) {
    if (p.kind === 'directory' || p.kind === 'other' || directories.has(p.path)) continue;
    // An access() of a directory that something was read under is a directory, not a file.
    if (p.kind === 'unknown' && parsed.opened.some((o) => o.path.startsWith(`${p.path}/`))) continue;
    add(files, p);
  }
  for (const e of parsed.executed) add(files, e);
  for (const d of parsed.listed) add(listed, d);
  for (const m of parsed.missing) {
    // A program looked up in PATH, or a directory the build creates for its outputs.
    if (searchPath.has(posix.dirname(m.path))) continue;
    const where = evaluated(m) ? place(m.path) : undefined;
    if (where && 'workspace' in where && ignore.some((i) => inside(i, where.workspace))) continue;
    if (where && 'workspace' in where) missing.add(where.workspace);
    else if (where) external.add(where.external);
  }
  // A file that was also listed is a directory opened without O_DIRECTORY.
  for (const d of listed) files.delete(d);
  const sorted = (set: Set<string>) => [...set].sort();
  return {
    files: sorted(files),
    listed: sorted(listed),
    missing: sorted(missing),
    external: sorted(external),
    system: system.size,
    links: uniqueLinks(links),
    ...(copy ? { flakeCopy: copy.path } : {}),
  };
}

function uniqueLinks(links: LinkedRead[]): LinkedRead[] {
  const seen = new Map<string, LinkedRead>();
  for (const l of links) if (!seen.has(l.path)) seen.set(l.path, l);
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The store copy of the flake's source: the first `/nix/store/<hash>-<name>/<dirInSource>/flake.nix`
 * opened (the flake itself is read before any of its inputs).
 */
export function findFlakeCopy(parsed: ParsedTrace, source: FlakeSource, storeDir = '/nix/store'): string | undefined {
  return flakeCopyOf(parsed, source, storeDir)?.path;
}

/** The flake's store copy, and in each process that read its flake.nix, when it did first. */
function flakeCopyOf(parsed: ParsedTrace, source: FlakeSource, storeDir: string): { path: string; evaluationStart: Map<number, number> } | undefined {
  const dir = source.dirInSource.replace(/^\/+|\/+$/g, '');
  const suffix = `/${dir ? `${dir}/` : ''}flake.nix`;
  for (const o of parsed.opened) {
    const path = o.real ?? o.path;
    if (!path.startsWith(`${storeDir}/`) || !path.endsWith(suffix)) continue;
    const copy = path.slice(0, path.length - suffix.length);
    // The copy is a top-level store path: /nix/store/<hash>-<name>.
    if (posix.dirname(copy) !== storeDir || !/^[0-9a-z]{32}-/.test(posix.basename(copy))) continue;
    return { path: copy, evaluationStart: new Map(o.at.map((a) => [a.pid, a.first])) };
  }
  return undefined;
}
