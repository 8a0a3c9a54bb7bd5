/**
 * The record of what a build's Nix evaluation read (nix/inputs/read-trace.ts): kept
 * with the build's outputs (`<distDir>/reads.json`, so that an Nx cache
 * restore brings it back) and in the workspace's data directory, where the
 * graph plugin finds the records of a project without knowing its output
 * paths (`.nx/workspace-data/nixiso/reads/`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { workspaceDataDirectoryOf } from '../nx/runtime';
import { imageDistPath, READ_RECORD_FILE } from './outputs';

export interface ReadRecord {
  version: 1;
  tracer: 'strace';
  /** The command traced, as one shell line (without strace). */
  command: string;
  /** False when the trace may have missed reads: `incomplete` says why. */
  complete: boolean;
  incomplete?: string;
  /** Files read, workspace-relative (posix), sorted. */
  files: string[];
  /** Directories whose entries were read, workspace-relative ('.' for the root). */
  listed: string[];
  /** Paths looked for that did not exist, workspace-relative. */
  missing: string[];
  /** Absolute paths outside the workspace, the Nix store and the system's directories. */
  external: string[];
  /**
   * What each workspace path read was when the build ended: a file's content
   * sha256, a listed directory's (`<dir>/`) sorted entry names' sha256. The
   * record proves what an evaluation reads only while these still hold
   * (recordHolds).
   */
  digests?: Record<string, string>;
  /** Recorded paths that the target's inputs did not cover when the build ran. */
  uncovered?: string[];
  /** Reads that went through a symlink: where they led, the link (workspace-relative when inside) and what it says. */
  links?: { path: string; link: string; target: string }[];
  /** The project, target and Nx configuration the build ran as. */
  project?: string;
  target?: string;
  configuration?: string;
  recordedAt: string;
}

/** Where the workspace keeps the records of every project. */
export function workspaceRecordDir(workspaceRoot: string): string {
  return join(workspaceDataDirectoryOf(workspaceRoot), 'nixiso', 'reads');
}

/** A name that is one file, and that no other project root shares as a prefix: `%`-encoded, `@` before the configuration. */
function encodedName(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*~.]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function projectKey(projectRoot: string): string {
  return encodedName(projectRoot.replace(/\\/g, '/').replace(/^\.\/|\/+$/g, '') || '.');
}

/**
 * The workspace-data record of a project's build: one file per project root
 * and configuration (the build target and its Nx configuration, e.g.
 * `build:offline`), its name stable across runs.
 */
export function workspaceRecordPath(workspaceRoot: string, projectRoot: string, configurationName?: string): string {
  const name = configurationName ? `${projectKey(projectRoot)}@${encodedName(configurationName)}` : projectKey(projectRoot);
  return join(workspaceRecordDir(workspaceRoot), `${name}.json`);
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

export function readRecordJson(record: ReadRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Writes the record beside the build's outputs (`distFile`, the output directory's reads.json) and into the workspace's data, each file replaced whole. */
export function writeReadRecord(
  record: ReadRecord,
  where: { distFile: string; workspaceRoot: string; projectRoot: string; configurationName?: string },
): { distFile: string; workspaceFile: string } {
  const text = readRecordJson(record);
  const { distFile } = where;
  const workspaceFile = workspaceRecordPath(where.workspaceRoot, where.projectRoot, where.configurationName);
  writeAtomically(distFile, text);
  writeAtomically(workspaceFile, text);
  return { distFile, workspaceFile };
}

/** Digests by (path, size, mtime): the daemon computes the graph often, the files rarely change. */
const digestCache = new Map<string, { size: number; mtimeMs: number; digest: string }>();

function fileDigest(file: string): string | undefined {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return undefined;
    const known = digestCache.get(file);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.digest;
    const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    digestCache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, digest });
    return digest;
  } catch {
    return undefined;
  }
}

function listingDigest(dir: string): string | undefined {
  try {
    return createHash('sha256').update(readdirSync(dir).sort().join('\n')).digest('hex');
  } catch {
    return undefined;
  }
}

/** The digests a record keeps of the workspace paths it read (files by content, listed directories by their entries). */
export function readDigests(workspaceRoot: string, reads: Pick<ReadRecord, 'files' | 'listed'>): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const path of reads.files) {
    const digest = fileDigest(join(workspaceRoot, path));
    if (digest) digests[path] = digest;
  }
  for (const dir of reads.listed) {
    const digest = listingDigest(join(workspaceRoot, dir));
    if (digest) digests[`${dir === '.' ? '' : dir}/`] = digest;
  }
  return digests;
}

/**
 * Why the record no longer shows what Nix would read now, or undefined while
 * it does: every file it read has the same content, every directory it listed
 * the same entries, every path it found absent is still absent. Nix's
 * evaluation depends only on what it reads, so while those hold it would read
 * exactly the same again.
 */
export function recordHolds(workspaceRoot: string, record: ReadRecord): string | undefined {
  if (!record.digests) return 'it keeps no digests of what Nix read';
  for (const path of record.files) {
    const digest = fileDigest(join(workspaceRoot, path));
    if (digest !== record.digests[path]) return `${path} changed since`;
  }
  for (const dir of record.listed) {
    if (listingDigest(join(workspaceRoot, dir)) !== record.digests[`${dir === '.' ? '' : dir}/`]) return `the entries of ${dir}/ changed since`;
  }
  const appeared = record.missing.find((path) => existsSync(join(workspaceRoot, path)));
  return appeared ? `${appeared} exists now` : undefined;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** A parsed record, or undefined when the JSON is not one (another version, a field missing). */
export function parseReadRecord(text: string): ReadRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const r = value as Partial<ReadRecord>;
  if (r.version !== 1 || r.tracer !== 'strace' || typeof r.complete !== 'boolean' || typeof r.command !== 'string') return undefined;
  if (!strings(r.files) || !strings(r.listed) || !strings(r.missing) || !strings(r.external)) return undefined;
  if (typeof r.recordedAt !== 'string') return undefined;
  if (r.uncovered !== undefined && !strings(r.uncovered)) return undefined;
  return r as ReadRecord;
}

function readRecordFile(file: string): ReadRecord | undefined {
  try {
    return parseReadRecord(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `reads.json` files under `dir`, not following symlinks (dist/ holds out-links into the Nix store). */
function recordFilesUnder(dir: string, depth = 6): string[] {
  if (depth < 0) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === READ_RECORD_FILE) found.push(path);
    else if (entry.isDirectory()) found.push(...recordFilesUnder(path, depth - 1));
  }
  return found.sort();
}

/**
 * The records of a project's builds, every configuration: those in the
 * workspace's data, or when there are none (a fresh clone that restored its
 * builds from the Nx cache), those under `dist/<projectRoot>`. Malformed files
 * are skipped; never throws.
 */
export function readRecordsFor(workspaceRoot: string, projectRoot: string): ReadRecord[] {
  try {
    const dir = workspaceRecordDir(workspaceRoot);
    const key = projectKey(projectRoot);
    const own = existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => name === `${key}.json` || (name.startsWith(`${key}@`) && name.endsWith('.json')))
          .sort()
          .map((name) => readRecordFile(join(dir, name)))
          .filter((r): r is ReadRecord => !!r)
      : [];
    if (own.length) return own;
    return recordFilesUnder(imageDistPath(workspaceRoot, projectRoot))
      .map(readRecordFile)
      .filter((r): r is ReadRecord => !!r);
  } catch {
    return [];
  }
}
