/**
 * What an image reads when Nix evaluates it, as far as its sources say: the
 * files and directories that the Nix files of the project refer to by path,
 * followed through every Nix file they reach (a shared module importing
 * `../../keys/team.pub`), inside or outside any project. The graph plugin
 * turns this into the build and eval targets' inputs (cache and `nx
 * affected`) and into project-graph edges, so both come from one model.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync as realpathJs, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { unfingerprintable } from '../nix/inputs/fingerprint';
import { type NixSourceText, nixSourceText, opaqueDescription } from '../nix/language/nix-source';
import { type NixReads, scanNixReads } from '../nix/language/scan-imports';
import { gitIgnored } from '../nix/process/run';

export type ReadKind = 'file' | 'directory' | 'missing';

export interface ImageRead {
  /** Workspace-relative path ('.' for the workspace root). */
  path: string;
  kind: ReadKind;
  /** The Nix file (workspace-relative) that refers to it first; for a symlink, the link; for a nested project, its project file. */
  from?: string;
}

export interface ImageReads {
  /** Files and directories outside the project root that the image reads, workspace-relative, sorted, none inside another. */
  reads: ImageRead[];
  /** Absolute paths outside the workspace (and outside the Nix store) that the image reads. */
  external: string[];
  /** Paths below the home directory (`~/…`, which Nix resolves with $HOME), relative to it, sorted: `.ssh/id.pub`. */
  home: string[];
  /** Search-path names the image looks up (`mymods` for `<mymods/x.nix>`), sorted. */
  lookups: string[];
  /** Environment variables the image reads by name (`builtins.getEnv "X"`), sorted. */
  env: string[];
  /** Workspace-relative paths the image reads that git ignores (Nx never hashes them), sorted, none inside another. */
  ignored: string[];
  /** One line per computed path: where it is and which directory stands for it, or why nothing can. */
  computed: string[];
  /** One line per Nix file reached that is not Nix source (encrypted, binary): an input as a file, its references not followed. */
  opaque: string[];
  /**
   * Of `options.watch`, each file the image's evaluation may see, with the
   * first `<file>:<line>` that says so: it is named, a directory holding it
   * is read whole or by a computed path, a flake's source is taken whole
   * (`"${self}"`), or a Nix file reached cannot be read as Nix source.
   * Set when `watch` is.
   */
  sees?: Record<string, string>;
}

export interface ImageReadsOptions {
  /** A flake's `self`: the directory its source tree is (flakeSelfRoot). Unset for a channel image, whose `self` means nothing. */
  selfRoot?: string;
  /** What `~` is; $HOME by default, as Nix resolves it. */
  homeDir?: string;
  storeDir?: string;
  /** Which of the workspace-relative paths git ignores; one `git check-ignore` by default (gitIgnored). */
  ignoredOf?: (workspaceRoot: string, paths: readonly string[]) => string[];
  /** Workspace-relative paths a build recorded Nix reading (plugin/recorded-inputs.ts): asked about in the same git-ignore check. */
  recorded?: readonly string[];
  /** Workspace-relative files of the project to ask about: whether the image's evaluation may see them (`sees`). */
  watch?: readonly string[];
}

/** Directories never walked for Nix files: VCS data, package managers, Nx and Nix outputs. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.nx', 'dist', 'result']);
/** A directory reference as big as a whole workspace is read as a whole, but only this many of its Nix files are followed. */
const MAX_FOLLOWED_PER_DIRECTORY = 5000;
/** Files Nx reads a directory as another project by (project.json, or package.json for a package manager workspace). */
const PROJECT_FILES = ['project.json', 'package.json'];

/** The system's realpath(3): one call, where the JavaScript one lstat-s each component. */
const realpathSync = realpathJs.native;

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/** The real path of `path`, symlinks resolved, also for a path that does not exist (its existing prefix resolved). */
export function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = posix.dirname(path);
    if (parent === path) return path;
    let target: string | undefined;
    try {
      // A dangling link: where it points, so creating that counts.
      target = posix.resolve(posix.dirname(path), readlinkSync(path));
    } catch {
      // not a link
    }
    return target && target !== path ? realTarget(target) : posix.join(realTarget(parent), posix.basename(path));
  }
}

/** What one walk of a directory found. */
interface Walked {
  /** `.nix` files, as reached (a file below a linked directory under the link's path, as Nix sees it). */
  nixFiles: string[];
  /** Symlinks, as reached: their targets are read, not their text (which is all Nx hashes). */
  links: string[];
  /** Real paths of the files and directories below (links not included), for the git-ignore check. */
  entries: string[];
  /** Real directories below the root holding their own project file: another Nx project, whose files `{projectRoot}/**\/*` misses. */
  projects: { dir: string; file: string }[];
}

/**
 * Walks `dir` (absolute): its `.nix` files (at most `limit`), symlinks,
 * entries and nested projects. Linked directories are walked through the
 * link, as Nix reads them, but never into a directory the walk is already
 * in (a link to `..`).
 */
function walk(dir: string, limit = MAX_FOLLOWED_PER_DIRECTORY): Walked {
  const found: Walked = { nixFiles: [], links: [], entries: [], projects: [] };
  const visit = (current: string, real: string, ancestors: string[], viaLink: boolean) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    if (!viaLink && ancestors.length) {
      const file = PROJECT_FILES.find((name) => entries.some((e) => e.name === name && e.isFile()));
      if (file) found.projects.push({ dir: real, file: `${real}/${file}` });
    }
    for (const entry of entries) {
      if (found.nixFiles.length >= limit) return;
      const path = posix.join(current, entry.name);
      const realPath = posix.join(real, entry.name);
      if (SKIPPED_DIRS.has(entry.name) || entry.name.startsWith('result-')) continue;
      if (entry.isDirectory()) {
        found.entries.push(realPath);
        visit(path, realPath, [...ancestors, real], viaLink);
      } else if (entry.isFile()) {
        found.entries.push(realPath);
        if (entry.name.endsWith('.nix')) found.nixFiles.push(path);
      } else if (entry.isSymbolicLink()) {
        found.links.push(path);
        let target: string;
        try {
          target = realpathSync(path);
        } catch {
          continue; // dangling: read as missing where it points
        }
        if (kindOf(target) === 'directory') {
          if (target !== real && !ancestors.includes(target) && !inside(real, target)) visit(path, target, [...ancestors, real], true);
        } else if (entry.name.endsWith('.nix')) {
          found.nixFiles.push(path);
        }
      }
    }
  };
  visit(dir, realTarget(dir), [], false);
  found.nixFiles.sort();
  return found;
}

/** `.nix` files under `dir` (absolute), linked directories walked through the link; at most `limit`. */
export function nixFilesUnder(dir: string, limit = MAX_FOLLOWED_PER_DIRECTORY): string[] {
  return walk(dir, limit).nixFiles;
}

function kindOf(path: string): ReadKind {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

/**
 * A Nix file's text to lex, or why it is not Nix source (git-crypt or age
 * ciphertext, binary): such a file is an input like any other, but what its
 * bytes would lex as is noise. Undefined when it cannot be read.
 */
export function readNixSource(file: string): NixSourceText | undefined {
  try {
    return nixSourceText(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** What one Nix file reads, or why it is not scanned. */
type ScannedFile = { reads: NixReads } | { opaque: string };

const NOTHING: NixReads = { paths: [], self: [], wholeSelf: [], home: [], lookups: [], env: [] };

/** Scanned files by path, keyed by content: the daemon recomputes the graph often, the files rarely change. */
const scanCache = new Map<string, { bytes: Buffer; scanned: ScannedFile }>();

function scanFile(file: string): ScannedFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return { reads: NOTHING };
  }
  const cached = scanCache.get(file);
  if (cached?.bytes.equals(bytes)) return cached.scanned;
  const source = nixSourceText(bytes);
  const scanned: ScannedFile = 'text' in source ? { reads: scanNixReads(source.text, file) } : { opaque: opaqueDescription(source.opaque) };
  scanCache.set(file, { bytes, scanned });
  return scanned;
}

/**
 * The directory a flake's `self` is when nixiso builds it: a flake in a git
 * work tree is built as `git+file://<toplevel>?dir=<rel>`, whose `self` is
 * the whole work tree; any other flake as `path:`, whose `self` is the
 * flake's directory.
 */
export function flakeSelfRoot(workspaceRoot: string, projectRoot: string): string {
  const flakeDir = posix.resolve(workspaceRoot, projectRoot);
  for (let dir = flakeDir; ; dir = posix.dirname(dir)) {
    if (existsSync(posix.join(dir, '.git'))) return dir;
    if (dir === posix.dirname(dir)) return flakeDir;
  }
}


/**
 * Follows the path references of every `.nix` file under the project root,
 * and of every `.nix` file they reach, to a fixed point. A directory counts
 * whole (`source = ./dir`, `import ../modules/users`, a computed path's
 * base), and every `.nix` file in it is followed, since any of them may be
 * imported. Paths in the Nix store are immutable and left out.
 *
 * What Nx would hash wrongly is read where it really is: a symlink (in the
 * project, in a directory read, or on the way of a path) by its target,
 * which Nix reads, not its text, which is all Nx hashes; a project nested in
 * the image's, whose files `{projectRoot}/**\/*` leaves to it, as a whole
 * directory; a flake's `"${self}/…"` below `selfRoot`. What Nx cannot hash
 * as workspace files is reported for the runtime fingerprint: home paths,
 * search-path names, and the paths read that git ignores (checked at the end,
 * in one git process). `/`, the store and system roots (`/. + getEnv "X"`)
 * are never walked: a line in `computed` says so.
 */
export function imageReads(workspaceRoot: string, projectRoot: string, options: ImageReadsOptions = {}): ImageReads {
  const storeDir = options.storeDir ?? '/nix/store';
  const homeDir = options.homeDir || process.env.HOME || homedir();
  // Real paths throughout: what Nx hashes is a file's real place in the workspace.
  const root = realTarget(posix.resolve(workspaceRoot));
  const absRoot = realTarget(posix.resolve(root, projectRoot));
  const relative = (path: string) => posix.relative(root, path) || '.';
  const display = (path: string) => (inside(path, root) ? relative(path) : path);

  const queue: string[] = [];
  const followed = new Set<string>();
  const follow = (file: string) => {
    if (!followed.has(file)) {
      followed.add(file);
      queue.push(file);
    }
  };
  const reached = new Map<string, { kind: ReadKind; from: string }>();
  const external = new Set<string>();
  const home = new Set<string>();
  /** Nix files reached through `~`: their relative paths are below $HOME wherever the fingerprint runs. */
  const homeFiles = new Set<string>();
  const lookups = new Set<string>();
  const env = new Set<string>();
  const computed: string[] = [];
  const opaque: string[] = [];
  /** Real workspace paths read (inside the project too) and directories read whole: the git-ignore check's candidates. */
  const readPaths = new Set<string>();
  const readDirs = new Set<string>();
  const entries: string[] = [];
  const links: { link: string; from: string }[] = [];
  const nested: { dir: string; file: string }[] = [];

  /** The files asked about, by their real paths, and why the image may see each. */
  const watched = (options.watch ?? []).map((path) => ({ path, real: realTarget(posix.resolve(root, path)) }));
  const sees = new Map<string, string>();
  const see = (holds: (file: string) => boolean, because: string) => {
    for (const file of watched) if (!sees.has(file.path) && holds(file.real)) sees.set(file.path, because);
  };

  const walkedDirs = new Set<string>();
  const walkDirectory = (dir: string, isProjectRoot = false) => {
    if (walkedDirs.has(dir)) return;
    walkedDirs.add(dir);
    const walked = walk(dir);
    walked.nixFiles.forEach(follow);
    entries.push(...walked.entries);
    links.push(...walked.links.map((link) => ({ link, from: display(posix.join(realTarget(posix.dirname(link)), posix.basename(link))) })));
    if (isProjectRoot) nested.push(...walked.projects);
  };

  /** One path an image's file refers to (`text` as written, at `where`), `target` as Nix resolves it. */
  const read = (
    target: string,
    ref: { computed: boolean; line: number; text: string; expression?: string },
    where: string,
    viaHome: boolean,
    /** A link a walk found: the walk went through it already. */
    walked = false,
  ) => {
    if (inside(target, storeDir) && target !== storeDir) return;
    const real = realTarget(target);
    if (inside(real, storeDir) && real !== storeDir) return;
    if (watched.length) {
      const at = ref.line ? `${where}:${ref.line}` : where;
      const whole = real === absRoot ? 'the project directory' : real === root ? 'the workspace root' : display(real);
      see((file) => file === real, ref.line ? `${at} names it (${ref.text})` : `${at} links to it`);
      see(
        (file) => inside(file, real),
        ref.computed
          ? `${at} computes a path in ${whole} (${ref.expression ?? ref.text}), which may name it`
          : ref.line
            ? `${at} reads ${whole} whole (${ref.text})`
            : `${at} links to ${whole}, which holds it`,
      );
    }
    const refused = unfingerprintable(target) ?? unfingerprintable(real);
    if (refused) {
      computed.push(
        ref.computed
          ? `${where}:${ref.line}: ${ref.expression ?? ref.text} is built at evaluation time; only Nix's record of what it read covers it`
          : `${where}:${ref.line}: ${ref.text} is ${refused}: neither walked nor fingerprinted; only Nix's record of what it read covers it`,
      );
      return;
    }
    const kind = kindOf(real);
    if (ref.computed) computed.push(`${where}:${ref.line}: ${ref.text} is computed; the image counts all of ${display(real)}`);
    if (kind === 'directory') {
      readDirs.add(real);
      const before = queue.length;
      if (!walked) walkDirectory(target);
      if (viaHome) queue.slice(before).forEach((file) => homeFiles.add(file));
    } else if (kind === 'file' && (target.endsWith('.nix') || real.endsWith('.nix'))) {
      if (viaHome && !followed.has(target)) homeFiles.add(target);
      follow(target);
    }
    if (!inside(real, root)) {
      if (viaHome && inside(target, homeDir)) home.add(posix.relative(homeDir, target));
      else external.add(real);
      return;
    }
    readPaths.add(real);
    // Every file of the project is an input already, but those of a project nested in it.
    if (inside(real, absRoot) && !nested.some((p) => inside(real, p.dir))) return;
    if (!reached.has(real)) reached.set(real, { kind, from: where });
  };

  walkDirectory(absRoot, true);
  for (const project of nested) reached.set(project.dir, { kind: 'directory', from: relative(project.file) });
  for (let next = 0, linked = 0; next < queue.length || linked < links.length; ) {
    // Links found by the walks first: their targets are reads like any other, and may hold Nix files.
    if (linked < links.length) {
      const { link, from } = links[linked++];
      read(link, { computed: false, line: 0, text: from }, from, false, true);
      continue;
    }
    const file = queue[next++];
    const real = realTarget(file);
    // Reached through a link, Nix reads a file at its link's path (`./shared/default.nix`) or at its
    // real one (`import ./shared`, a linked file), and resolves its relative paths from there: both.
    if (real !== file) follow(real);
    const where = display(real);
    const scanned = scanFile(file);
    if ('opaque' in scanned) {
      opaque.push(`${where} is ${scanned.opaque}: an input as a file, its references not followed`);
      see(() => true, `${where} is ${scanned.opaque}: what it reads cannot be told`);
      continue;
    }
    const { reads } = scanned;
    const fromHome = homeFiles.has(file);
    for (const ref of reads.paths) read(ref.target, ref, where, fromHome && !ref.text.startsWith('/'));
    if (options.selfRoot) for (const ref of reads.self) read(posix.join(options.selfRoot, ref.path), ref, where, false);
    if (options.selfRoot && watched.length) {
      const selfRoot = realTarget(options.selfRoot);
      for (const ref of reads.wholeSelf) {
        see(
          (file) => inside(file, selfRoot),
          `${where}:${ref.line} ${ref.commit ? "depends on the flake source's commit" : 'copies the flake source whole'} (${ref.text})`,
        );
      }
    }
    for (const ref of reads.home) read(posix.join(homeDir, ref.path), ref, where, true);
    reads.lookups.forEach((name) => lookups.add(name));
    for (const ref of reads.env) {
      if (ref.name) env.add(ref.name);
      else computed.push(`${where}:${ref.line}: ${ref.text} reads an environment variable whose name is computed: which one cannot be known`);
    }
  }

  // The git-ignore check: every path read, the Nix files followed, and what lies in directories read whole.
  const candidates = new Set(readPaths);
  for (const file of followed) {
    const real = realTarget(file);
    if (inside(real, root)) candidates.add(real);
  }
  for (const project of nested) readDirs.add(project.dir);
  for (const entry of entries) {
    for (let dir = posix.dirname(entry); inside(dir, root); dir = posix.dirname(dir)) {
      if (readDirs.has(dir)) {
        candidates.add(entry);
        break;
      }
      if (dir === root) break;
    }
  }
  for (const path of options.recorded ?? []) candidates.add(posix.join(root, path));
  candidates.delete(root);
  const ignoredOf = options.ignoredOf ?? gitIgnored;
  const ignored = outermostPaths(ignoredOf(root, [...candidates].map(relative)));

  return {
    reads: outermost(reached, root),
    external: [...external].sort(),
    home: [...home].sort(),
    lookups: [...lookups].sort(),
    env: [...env].sort(),
    ignored,
    computed,
    opaque,
    ...(options.watch ? { sees: Object.fromEntries(sees) } : {}),
  };
}

/** Sorted, each once, none inside another. */
function outermostPaths(paths: readonly string[]): string[] {
  const kept: string[] = [];
  for (const path of [...new Set(paths)].sort()) if (!kept.some((dir) => inside(path, dir))) kept.push(path);
  return kept;
}

/** The reached paths, workspace-relative, dropping those inside a reached directory. */
function outermost(reached: Map<string, { kind: ReadKind; from: string }>, workspaceRoot: string): ImageRead[] {
  const all = [...reached].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const kept: [string, { kind: ReadKind; from: string }][] = [];
  for (const [path, read] of all) {
    if (kept.some(([dir, k]) => k.kind !== 'file' && path !== dir && inside(path, dir))) continue;
    kept.push([path, read]);
  }
  return kept.map(([path, { kind, from }]) => ({ path: posix.relative(workspaceRoot, path) || '.', kind, from }));
}

/** Glob metacharacters in a file name, made literal for Nx's input globs (minimatch and the native hasher alike). */
export function literalGlob(path: string): string {
  return path.replace(/[*?[\]{}()!+@]/g, (c) => `[${c}]`);
}

/** The Nx input patterns (`{workspaceRoot}/…`) that cover one reached path. */
export function inputPatterns(read: ImageRead): string[] {
  const base = read.path === '.' ? '{workspaceRoot}' : `{workspaceRoot}/${literalGlob(read.path)}`;
  switch (read.kind) {
    case 'file':
      return [base];
    case 'directory':
      return [`${base}/**/*`];
    case 'missing':
      // Not there yet: whichever it becomes, creating it must count.
      return read.path === '.' ? [`${base}/**/*`] : [base, `${base}/**/*`];
  }
}
