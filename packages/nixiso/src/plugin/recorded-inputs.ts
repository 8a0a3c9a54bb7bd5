/**
 * The static model (image-reads.ts) united with what Nix was seen to read
 * (the read records a traced build leaves, built-image/read-record.ts). A
 * file Nix read is an input even where no rule over the sources sees it; and
 * where a record proves the static model too wide (a whole `../..` read for
 * one key), the record narrows it.
 *
 * Narrowing rests on one argument: Nix's evaluation is a function of what it
 * reads. If every file it opened or stat-ed, every directory it listed and
 * every path it found missing is unchanged, it evaluates to the same
 * derivation, whatever else changed. So a directory of the static model may
 * be replaced by the recorded reads under it only when the record saw the
 * whole evaluation:
 * - the trace is complete (every process, nothing unparsed);
 * - the image is evaluated from the work tree (a channel layout): a flake is
 *   evaluated from a store copy of its source, and a derivation may take
 *   that whole copy (`"${self}"`) without reading any file of it;
 * - what Nix read is as it was then (recordHolds): every file the same
 *   content, every listing the same entries, every absent path absent; a
 *   record made before an edit of what it read says nothing about now;
 * - every variable the sources read with `builtins.getEnv` is named in them:
 *   a named one is an env input, so a new value is a new hash and a new
 *   record; one whose name is computed could change what Nix reads unseen.
 */
import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { type ReadRecord, recordHolds } from '../built-image/read-record';
import type { ImageRead, ImageReads } from './image-reads';

export interface RecordedInputs {
  /** Workspace reads outside the project: the static ones (narrowed where proven) and the recorded ones. */
  reads: ImageRead[];
  /** Absolute paths outside the workspace: static and recorded. */
  external: string[];
  /** Workspace-relative paths only a record names (no static rule sees them): inputs now, listed for `nx show project`. */
  recordedOnly: string[];
  /** One line per static directory a record narrowed: what it was, what it became. */
  narrowed: string[];
  /** Why the static directories outside the project were kept whole although there are records. */
  notNarrowed?: string;
}

const inside = (path: string, dir: string): boolean => dir === '.' || path === dir || path.startsWith(`${dir}/`);

/** The real path of a workspace path, workspace-relative, when it differs and stays inside the workspace. */
function realRelative(workspaceRoot: string, path: string, realpath: (p: string) => string): string | undefined {
  try {
    const real = posix.relative(workspaceRoot, realpath(posix.join(workspaceRoot, path))) || '.';
    return real !== path && !real.startsWith('..') && !posix.isAbsolute(real) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The record's reads as ImageReads, with each path reached through a symlink counted at its target too. */
function recordedReads(workspaceRoot: string, records: readonly ReadRecord[], realpath: (p: string) => string): ImageRead[] {
  const byPath = new Map<string, ImageRead>();
  const add = (path: string, kind: ImageRead['kind']) => {
    for (const p of [path, realRelative(workspaceRoot, path, realpath)]) {
      if (!p) continue;
      const known = byPath.get(p);
      // A directory listed wins over the same path stat-ed as a file or missing.
      if (!known || (kind === 'directory' && known.kind !== 'directory')) byPath.set(p, { path: p, kind, from: 'the recorded read set' });
    }
  };
  for (const record of records) {
    record.files.forEach((p) => add(p, 'file'));
    record.listed.forEach((p) => add(p, 'directory'));
    record.missing.forEach((p) => add(p, 'missing'));
  }
  return [...byPath.values()];
}

/** Whether the records prove the whole evaluation, so that they may narrow the static model. */
export function recordsComplete(
  records: readonly ReadRecord[],
  kind: 'flake' | 'channel',
  staticReads: ImageReads,
  holds: (record: ReadRecord) => string | undefined = () => undefined,
): string | undefined {
  if (!records.length) return 'no build has recorded what Nix read yet';
  const incomplete = records.find((r) => !r.complete);
  if (incomplete) return `the record is incomplete (${incomplete.incomplete ?? 'unknown reason'})`;
  if (kind === 'flake') return 'a flake is evaluated from a store copy of its source';
  // Every record: each stands for a command the target was built with, and the narrowed inputs serve them all.
  for (const record of records) {
    const changed = holds(record);
    if (changed) return `the record no longer shows what Nix reads: ${changed}`;
  }
  if (staticReads.computed.some((line) => line.includes('whose name is computed'))) {
    return 'the sources read an environment variable whose name is computed';
  }
  return undefined;
}

/**
 * The static reads united with the recorded ones, narrowed where the records
 * prove the whole evaluation (see the file comment). `projectRoot` files are
 * inputs already (`{projectRoot}/**\/*`) and are left out.
 */
export function withRecordedReads(
  staticReads: ImageReads,
  records: readonly ReadRecord[],
  options: {
    workspaceRoot: string;
    projectRoot: string;
    kind: 'flake' | 'channel';
    /** Workspace directories that are inputs whole for another reason (a local nixpkgs the build is pointed at). */
    coveredDirectories?: readonly string[];
    realpath?: (p: string) => string;
  },
): RecordedInputs {
  const { workspaceRoot, projectRoot, kind, coveredDirectories = [] } = options;
  const realpath = options.realpath ?? ((p: string) => realpathSync(p));
  const recorded = recordedReads(workspaceRoot, records, realpath).filter(
    (r) => !inside(r.path, projectRoot) && !coveredDirectories.some((dir) => inside(r.path, dir)),
  );
  const external = [...new Set([...staticReads.external, ...records.flatMap((r) => r.external)])].sort();
  const wide = staticReads.reads.some((r) => r.kind === 'directory' && !inside(r.path, projectRoot));
  const proof = wide && records.length ? recordsComplete(records, kind, staticReads, (record) => recordHolds(workspaceRoot, record)) : 'nothing to narrow';
  const complete = proof === undefined;
  const narrowed: string[] = [];
  const kept: ImageRead[] = [];
  for (const read of staticReads.reads) {
    // A directory inside the project is a project nested in it, whose files the project's own inputs do not cover.
    if (!complete || read.kind !== 'directory' || inside(read.path, projectRoot)) {
      kept.push(read);
      continue;
    }
    const under = recorded.filter((r) => inside(r.path, read.path));
    narrowed.push(
      `${read.path === '.' ? 'the workspace root' : `${read.path}/`} (from ${read.from ?? 'the sources'}): Nix read ${
        under.length ? under.map((r) => (r.kind === 'directory' ? `${r.path}/` : r.path)).join(', ') : 'nothing in it'
      }`,
    );
  }
  const covered = (path: string) => kept.some((r) => (r.kind === 'directory' ? inside(path, r.path) : r.path === path));
  const recordedOnly = recorded.filter((r) => !covered(r.path) && !staticReads.reads.some((s) => s.path === r.path));
  const reads = [...kept, ...recorded.filter((r) => !covered(r.path))];
  return {
    reads: outermostReads(reads),
    external,
    recordedOnly: recordedOnly.map((r) => r.path).sort(),
    narrowed,
    ...(wide && records.length && proof ? { notNarrowed: proof } : {}),
  };
}

/** Sorted, each path once, none inside a directory already read whole. */
function outermostReads(reads: readonly ImageRead[]): ImageRead[] {
  const sorted = [...new Map(reads.map((r) => [r.path, r])).values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const kept: ImageRead[] = [];
  for (const read of sorted) {
    if (kept.some((k) => k.kind === 'directory' && k.path !== read.path && inside(read.path, k.path))) continue;
    kept.push(read);
  }
  return kept;
}
