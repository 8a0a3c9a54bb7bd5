/**
 * What changed between two system closures, package by package, computed the
 * way `nix store diff-closures` computes it, from `nix path-info --json
 * --recursive` of each side. Computed here rather than by running
 * diff-closures: its output is text for people (colours, sizes rounded to
 * 0.1 KiB), while a report and diff.json need the versions and exact sizes.
 * Pure: the command is returned, its output parsed here.
 */
import { type Command, FLAKE_FEATURES } from '../building/command';

/** `nix path-info --json --recursive <path>`: every path in the closure with its NAR size, from the local store's database. */
export function closureInfoCommand(storePath: string): Command {
  return { command: 'nix', args: [...FLAKE_FEATURES, 'path-info', '--json', '--recursive', storePath] };
}

/** One store path of a closure, with the package name and version diff-closures groups it under. */
export interface ClosureEntry {
  path: string;
  name: string;
  version: string;
  /** Bytes, the size of the path's NAR serialisation (what diff-closures sums). */
  narSize: number;
}

/**
 * `builtins.parseDrvName`: the name ends at the first dash followed by
 * something other than a letter, the version is the rest (Nix's DrvName in
 * libstore/names.cc; "a letter" is C isalpha in the C locale, ASCII only).
 * `hello-2.12.1` → hello, 2.12.1; `X-Foo-1.0` → X-Foo, 1.0; `etc` → etc, "".
 */
export function parseDrvName(drvName: string): { name: string; version: string } {
  for (let i = 0; i + 1 < drvName.length; i++) {
    if (drvName[i] === '-' && !/[A-Za-z]/.test(drvName[i + 1])) {
      return { name: drvName.slice(0, i), version: drvName.slice(i + 1) };
    }
  }
  return { name: drvName, version: '' };
}

/**
 * diff-closures strips what looks like an output name before parsing the
 * rest as a derivation name, so `hello-2.12.1-man` groups with `hello-2.12.1`
 * (src/nix/diff-closures.cc, getClosureInfo). Its rule is a guess, as its
 * own comment says: any trailing dash and lowercase word, so `system-units`
 * becomes `system`. Kept as is, so that a diff here lists what
 * `nix store diff-closures` would list for the same two closures.
 */
const OUTPUT_SUFFIX = /^(.*)-([a-z]+|lib32|lib64)$/;

/** A store path's basename: 32 characters of Nix's base32 (no e, o, u, t), a dash, the name. */
const STORE_BASENAME = /^[0-9a-df-np-sv-z]{32}-(.+)$/;

/** The package name and version diff-closures groups `storePath` under; undefined for what is not a store path. */
export function packageOfStorePath(storePath: string): { name: string; version: string } | undefined {
  const basename = storePath.slice(storePath.lastIndexOf('/') + 1);
  const storeName = STORE_BASENAME.exec(basename)?.[1];
  if (storeName === undefined) return undefined;
  const withoutOutput = OUTPUT_SUFFIX.exec(storeName)?.[1] ?? storeName;
  return parseDrvName(withoutOutput);
}

/**
 * The closure in `nix path-info --json --recursive` output: Nix 2.8 prints a
 * list of `{ path, narSize, … }`, Nix ≥ 2.19 an object keyed by path. A path
 * the store does not hold (`"valid": false`, or null) would leave the
 * closure incomplete and the diff wrong, so it is an error like bad JSON.
 * Derivations are skipped: they are build recipes, not part of the system.
 */
export function parseClosureInfo(stdout: string): ClosureEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (error) {
    throw new Error(`nix path-info printed no JSON (${(error as Error).message}): ${excerpt(stdout)}`);
  }
  let infos: [string, unknown][];
  if (Array.isArray(value)) {
    infos = value.map((info) => [String((info as { path?: unknown } | null)?.path ?? ''), info]);
  } else if (value !== null && typeof value === 'object') {
    infos = Object.entries(value);
  } else {
    throw new Error(`nix path-info printed ${excerpt(stdout)}, not a list or an object of store paths`);
  }
  const entries: ClosureEntry[] = [];
  for (const [path, info] of infos) {
    if (!path) throw new Error(`nix path-info printed an entry without a path: ${excerpt(JSON.stringify(info))}`);
    if (path.endsWith('.drv')) continue;
    if (info === null || (info as { valid?: unknown }).valid === false) {
      throw new Error(`nix path-info: ${path} is not valid in the store, so its closure is incomplete`);
    }
    const narSize = (info as { narSize?: unknown }).narSize;
    if (typeof narSize !== 'number' || !Number.isSafeInteger(narSize) || narSize < 0) {
      throw new Error(`nix path-info gave ${path} the narSize ${JSON.stringify(narSize)}, not a number of bytes`);
    }
    const pkg = packageOfStorePath(path);
    if (!pkg) throw new Error(`nix path-info printed ${JSON.stringify(path)}, which is not a store path`);
    entries.push({ path, ...pkg, narSize });
  }
  return entries;
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${JSON.stringify(oneLine.slice(0, 200))}…` : JSON.stringify(oneLine);
}

/** A package on one side only: its versions (sorted, "" for none) and the bytes of all its paths. */
export interface PackageVersions {
  name: string;
  versions: string[];
  size: number;
}

/**
 * A package on both sides: the versions only base has (`before`) and only
 * head has (`after`), both empty for a change of size alone, and head's
 * bytes minus base's.
 */
export interface PackageChange {
  name: string;
  before: string[];
  after: string[];
  sizeDelta: number;
}

export interface ClosureDiff {
  added: PackageVersions[];
  removed: PackageVersions[];
  changed: PackageChange[];
}

/**
 * Size changes smaller than 8 KiB are left out unless a version changed too:
 * rebuilding a package at the same version moves its size by a few bytes
 * (store paths of its dependencies inside it, timestamps), which is noise in
 * review. The threshold is diff-closures' (`std::abs(sizeDelta) >= 8 * 1024`
 * in src/nix/diff-closures.cc; its manual says "more than 8 KiB").
 */
export const SIZE_CHANGE_THRESHOLD = 8 * 1024;

interface Package {
  /** version → path → NAR size; a map of paths because a closure is a set. */
  versions: Map<string, Map<string, number>>;
}

function packagesOf(closure: readonly ClosureEntry[]): Map<string, Package> {
  const packages = new Map<string, Package>();
  for (const entry of closure) {
    let pkg = packages.get(entry.name);
    if (!pkg) packages.set(entry.name, (pkg = { versions: new Map() }));
    let paths = pkg.versions.get(entry.version);
    if (!paths) pkg.versions.set(entry.version, (paths = new Map()));
    paths.set(entry.path, entry.narSize);
  }
  return packages;
}

function sizeOf(pkg: Package | undefined): number {
  let size = 0;
  for (const paths of pkg?.versions.values() ?? []) for (const narSize of paths.values()) size += narSize;
  return size;
}

/** Code-unit order, as diff-closures' std::set<std::string> sorts: the same on every machine and locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What diff-closures would print for base → head, as data: for each package
 * name in either closure, a line when its set of versions changed or its
 * size changed by at least SIZE_CHANGE_THRESHOLD. Only the versions that
 * changed are listed, as diff-closures does when a closure holds several
 * versions of one name. Each list is sorted by name.
 */
export function diffClosures(base: readonly ClosureEntry[], head: readonly ClosureEntry[]): ClosureDiff {
  const before = packagesOf(base);
  const after = packagesOf(head);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort(byCodeUnits);
  const diff: ClosureDiff = { added: [], removed: [], changed: [] };
  for (const name of names) {
    const old = before.get(name);
    const current = after.get(name);
    if (!old && current) {
      diff.added.push({ name, versions: [...current.versions.keys()].sort(byCodeUnits), size: sizeOf(current) });
    } else if (old && !current) {
      diff.removed.push({ name, versions: [...old.versions.keys()].sort(byCodeUnits), size: sizeOf(old) });
    } else if (old && current) {
      const gone = [...old.versions.keys()].filter((version) => !current.versions.has(version)).sort(byCodeUnits);
      const come = [...current.versions.keys()].filter((version) => !old.versions.has(version)).sort(byCodeUnits);
      const sizeDelta = sizeOf(current) - sizeOf(old);
      if (gone.length || come.length || Math.abs(sizeDelta) >= SIZE_CHANGE_THRESHOLD) {
        diff.changed.push({ name, before: gone, after: come, sizeDelta });
      }
    }
  }
  return diff;
}
