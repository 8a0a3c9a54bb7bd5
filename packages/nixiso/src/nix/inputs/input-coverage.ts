/**
 * Which of the paths a build read (built-image/read-record.ts) its target's
 * Nx inputs do not cover: a file Nix read that no input names is one whose
 * change Nx would not notice, and a cache hit would bring back a stale image.
 * Pure: the caller says which paths git ignores and which it fingerprints.
 */
import * as path from 'node:path';

const { posix } = path;

/** One entry of a target's `inputs`: a file set or named input, or an object (fileset, runtime, env, …). */
export type InputEntry = string | Record<string, unknown>;

export interface CoverageOptions {
  /** The project's root, workspace-relative. */
  projectRoot: string;
  /** The target's Nx inputs. */
  inputs: readonly InputEntry[];
  /** Named inputs (nx.json's, then the project's) by name, for inputs that name one. */
  namedInputs?: Record<string, readonly InputEntry[]>;
  /** Paths (workspace-relative or absolute) that a runtime input fingerprints; a directory covers what is under it. */
  fingerprinted?: readonly string[];
  /** Paths or globs (workspace-relative) never reported. */
  ignored?: readonly string[];
  /** Workspace-relative paths that git ignores: Nx hashes none of them, only a fingerprint covers them. */
  gitIgnored?: readonly string[];
  /** Roots of projects nested under the project root: their files are theirs, not covered by `{projectRoot}/…`. */
  nestedProjectRoots?: readonly string[];
}

export interface RecordedReads {
  files: readonly string[];
  listed: readonly string[];
  missing: readonly string[];
  external: readonly string[];
}

const inside = (p: string, dir: string): boolean => dir === '.' || dir === '' || p === dir || p.startsWith(`${dir}/`);
const strictlyInside = (p: string, dir: string): boolean => p !== dir && inside(p, dir);

/** A glob with `literalGlob`'s `[c]` escapes undone, or undefined when it has a real glob metacharacter. */
export function literalPath(glob: string): string | undefined {
  const unescaped = glob.replace(/\[(.)\]/g, '\uE000$1');
  if (/[*?[\]{}]|[!+@*?]\(/.test(unescaped.replace(/\uE000./g, ''))) return undefined;
  return unescaped.replace(/\uE000(.)/g, '$1');
}

/** Node's glob matcher (Node ≥ 20.17, ≥ 22.5), when this Node has it. */
const matchesGlob: ((p: string, glob: string) => boolean) | undefined = (posix as { matchesGlob?: (p: string, glob: string) => boolean })
  .matchesGlob;

type Matcher = {
  /** Whether the pattern matches this file path. */
  file(p: string): boolean;
  /** Whether it matches every entry of this directory (its listing). */
  children(dir: string): boolean;
};

const NOTHING: Matcher = { file: () => false, children: () => false };

function globMatcher(glob: string): Matcher {
  if (!matchesGlob) return NOTHING;
  const test = (p: string) => {
    // Node 20 warns once that its glob is experimental: not a line for the build's output.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => undefined;
    try {
      return (matchesGlob as (p: string, glob: string) => boolean)(p, glob);
    } catch {
      return false;
    } finally {
      process.emitWarning = emitWarning;
    }
  };
  return { file: test, children: (dir) => test(dir === '.' ? '\u0001nixiso-probe' : `${dir}/\u0001nixiso-probe`) };
}

/** A matcher for one workspace-relative glob: the shapes nixiso writes exactly, others through Node's matcher. */
export function patternMatcher(glob: string): Matcher {
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  if (g === '**/*' || g === '**') return { file: () => true, children: () => true };
  if (g === '*') return { file: (p) => !p.includes('/'), children: (dir) => dir === '.' };
  const deep = /^(.*)\/\*\*(\/\*)?$/.exec(g);
  if (deep) {
    const base = literalPath(deep[1]);
    if (base !== undefined) return { file: (p) => strictlyInside(p, base), children: (dir) => inside(dir, base) };
  }
  const shallow = /^(.*)\/\*$/.exec(g);
  if (shallow) {
    const base = literalPath(shallow[1]);
    if (base !== undefined) return { file: (p) => posix.dirname(p) === base, children: (dir) => dir === base };
  }
  const literal = literalPath(g);
  if (literal !== undefined) return { file: (p) => p === literal, children: () => false };
  return globMatcher(g);
}

interface FileSet {
  negated: boolean;
  /** The pattern is relative to the project root (`{projectRoot}/…`): nested projects' files are not its. */
  project: boolean;
  matcher: Matcher;
}

/** The file sets of the inputs, named inputs expanded; runtime, env, dependency and other inputs cover no file. */
function fileSets(options: CoverageOptions): FileSet[] {
  const sets: FileSet[] = [];
  const seen = new Set<string>();
  const projectRoot = options.projectRoot.replace(/\/+$/, '') || '.';
  const visit = (entry: InputEntry) => {
    let text: string | undefined;
    if (typeof entry === 'string') text = entry;
    else if (typeof entry.fileset === 'string') text = entry.fileset;
    else if (typeof entry.input === 'string' && entry.projects === undefined && entry.dependencies !== true) text = entry.input;
    if (text === undefined) return;
    const negated = text.startsWith('!');
    const body = negated ? text.slice(1) : text;
    if (body.startsWith('^')) return; // the dependencies' inputs
    if (!body.includes('{') && !body.includes('/') && !body.includes('*')) {
      // A named input.
      const named = options.namedInputs?.[body];
      if (!named || seen.has(body)) return;
      seen.add(body);
      named.forEach(visit);
      return;
    }
    let glob: string;
    let project = false;
    if (body === '{workspaceRoot}' || body.startsWith('{workspaceRoot}/')) glob = body.slice('{workspaceRoot}/'.length) || '.';
    else if (body === '{projectRoot}' || body.startsWith('{projectRoot}/')) {
      project = true;
      const rest = body.slice('{projectRoot}/'.length);
      glob = projectRoot === '.' ? rest || '.' : rest ? `${projectRoot}/${rest}` : projectRoot;
    } else {
      // Nx reads a bare file set relative to the project root.
      project = true;
      glob = projectRoot === '.' ? body : `${projectRoot}/${body}`;
    }
    sets.push({ negated, project, matcher: glob === '.' ? { file: () => false, children: () => false } : patternMatcher(glob) });
  };
  options.inputs.forEach(visit);
  return sets;
}

/**
 * The recorded paths that no input covers: workspace files no file set
 * includes (a negation excludes), directories whose listing none covers,
 * absent paths whose creation none would notice, and paths outside the
 * workspace that are not fingerprinted. Sorted, files first.
 */
export function uncoveredReads(record: RecordedReads, options: CoverageOptions): string[] {
  const sets = fileSets(options);
  const nested = (options.nestedProjectRoots ?? []).map((r) => r.replace(/\/+$/, '')).filter((r) => r && r !== options.projectRoot);
  const gitIgnored = new Set(options.gitIgnored ?? []);
  const fingerprinted = (options.fingerprinted ?? []).map((f) => f.replace(/\/+$/, ''));
  const ignored = (options.ignored ?? []).map((i) => patternMatcher(i));
  const isFingerprinted = (p: string) => fingerprinted.some((f) => inside(p, f));
  const isIgnored = (p: string) => ignored.some((m) => m.file(p) || m.children(p)) || (options.ignored ?? []).some((i) => inside(p, i));

  const covered = (p: string, test: (m: Matcher) => boolean): boolean => {
    if (isFingerprinted(p)) return true;
    if (gitIgnored.has(p) || [...gitIgnored].some((g) => strictlyInside(p, g))) return false;
    const inNested = nested.some((n) => inside(p, n));
    const applies = (s: FileSet) => !(s.project && inNested);
    if (sets.some((s) => s.negated && applies(s) && test(s.matcher))) return false;
    return sets.some((s) => !s.negated && applies(s) && test(s.matcher));
  };

  const out = new Set<string>();
  for (const f of record.files) if (!isIgnored(f) && !covered(f, (m) => m.file(f))) out.add(f);
  for (const d of record.listed) if (!isIgnored(d) && !covered(d, (m) => m.children(d))) out.add(d);
  // An absent path is covered when its creation, as a file or as a directory with something in it, changes the hash.
  for (const m of record.missing) if (!isIgnored(m) && !covered(m, (x) => x.file(m) || x.children(m))) out.add(m);
  for (const e of record.external) if (!isFingerprinted(e) && !isIgnored(e)) out.add(e);
  return [...out];
}
