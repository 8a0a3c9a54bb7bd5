/**
 * What an image reads when Nix evaluates it, as far as its sources say: the
 * files and directories that the Nix files of the project refer to by path,
 * followed through every Nix file they reach (a shared module importing
 * `../../keys/team.pub`), inside or outside any project. The graph plugin
 * turns this into the build and eval targets' inputs (cache and `nx
 * affected`) and into project-graph edges, so both come from one model.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { type NixSourceText, nixSourceText, opaqueDescription } from '../nix/nix-source';
import { scanPathReferences } from '../nix/scan-imports';

export type ReadKind = 'file' | 'directory' | 'missing';

export interface ImageRead {
  /** Workspace-relative path ('.' for the workspace root). */
  path: string;
  kind: ReadKind;
  /** The Nix file (workspace-relative) that refers to it first. */
  from?: string;
}

export interface ImageReads {
  /** Files and directories outside the project root that the image reads, workspace-relative, sorted, none inside another. */
  reads: ImageRead[];
  /** Absolute paths outside the workspace (and outside the Nix store) that the image reads. */
  external: string[];
  /** One line per computed path: where it is and which directory stands for it. */
  computed: string[];
  /** One line per Nix file reached that is not Nix source (encrypted, binary): an input as a file, its references not followed. */
  opaque: string[];
}

/** Directories never walked for Nix files: VCS data, package managers, Nx and Nix outputs. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.nx', 'dist', 'result']);
/** A directory reference as big as a whole workspace is read as a whole, but only this many of its Nix files are followed. */
const MAX_FOLLOWED_PER_DIRECTORY = 5000;

/** `.nix` files under `dir` (absolute), not following symlinks; at most `limit`. */
export function nixFilesUnder(dir: string, limit = MAX_FOLLOWED_PER_DIRECTORY): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (found.length >= limit) return;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(posix.join(current, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.nix')) {
        found.push(posix.join(current, entry.name));
      }
    }
  };
  walk(dir);
  return found.sort();
}

function kindOf(path: string): ReadKind {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

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

type References = ReturnType<typeof scanPathReferences>;

/** What one Nix file refers to, or why it is not scanned. */
type ScannedFile = { refs: References } | { opaque: string };

/** Scanned files by path, keyed by content: the daemon recomputes the graph often, the files rarely change. */
const scanCache = new Map<string, { bytes: Buffer; scanned: ScannedFile }>();

function scanFile(file: string): ScannedFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return { refs: [] };
  }
  const cached = scanCache.get(file);
  if (cached?.bytes.equals(bytes)) return cached.scanned;
  const source = nixSourceText(bytes);
  const scanned: ScannedFile = 'text' in source ? { refs: scanPathReferences(source.text, file) } : { opaque: opaqueDescription(source.opaque) };
  scanCache.set(file, { bytes, scanned });
  return scanned;
}

/**
 * Follows the path references of every `.nix` file under the project root,
 * and of every `.nix` file they reach, to a fixed point. A directory counts
 * whole (`source = ./dir`, `import ../modules/users`, a computed path's
 * base), and every `.nix` file in it is followed, since any of them may be
 * imported. Paths in the Nix store are immutable and left out.
 */
export function imageReads(workspaceRoot: string, projectRoot: string, storeDir = '/nix/store'): ImageReads {
  const absRoot = posix.resolve(workspaceRoot, projectRoot);
  const queue = nixFilesUnder(absRoot);
  const followed = new Set(queue);
  const reached = new Map<string, { kind: ReadKind; from: string }>();
  const external = new Set<string>();
  const computed: string[] = [];
  const opaque: string[] = [];
  const follow = (file: string) => {
    if (!followed.has(file)) {
      followed.add(file);
      queue.push(file);
    }
  };
  while (queue.length) {
    const file = queue.shift() as string;
    const scanned = scanFile(file);
    if ('opaque' in scanned) {
      const where = posix.relative(workspaceRoot, file);
      opaque.push(`${where.startsWith('..') ? file : where} is ${scanned.opaque}: an input as a file, its references not followed`);
      continue;
    }
    for (const ref of scanned.refs) {
      const { target } = ref;
      if (inside(target, storeDir)) continue;
      const kind = kindOf(target);
      if (ref.computed) {
        const where = posix.relative(workspaceRoot, file);
        const base = posix.relative(workspaceRoot, target) || '.';
        computed.push(`${where}:${ref.line}: ${ref.text} is computed; the image counts all of ${base.startsWith('..') ? target : base}`);
      }
      if (kind === 'directory') nixFilesUnder(target).forEach(follow);
      else if (kind === 'file' && target.endsWith('.nix')) follow(target);
      if (!inside(target, workspaceRoot)) {
        external.add(target);
        continue;
      }
      if (inside(target, absRoot)) continue; // every file of the project is an input already
      if (!reached.has(target)) reached.set(target, { kind, from: posix.relative(workspaceRoot, file) });
    }
  }
  return {
    reads: outermost(reached, workspaceRoot),
    external: [...external].sort(),
    computed,
    opaque,
  };
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
