import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@nixiso/testing';
import { type ReadRecord, readDigests, recordHolds } from '../built-image/read-record';
import type { ImageReads } from './image-reads';
import { recordsComplete, withRecordedReads } from './recorded-inputs';

function record(patch: Partial<ReadRecord>): ReadRecord {
  return {
    version: 1,
    tracer: 'strace',
    command: 'nix-build …',
    complete: true,
    files: [],
    listed: [],
    missing: [],
    external: [],
    recordedAt: '2026-12-04T00:00:00.000Z',
    ...patch,
  };
}

function staticReads(patch: Partial<ImageReads>): ImageReads {
  return { reads: [], external: [], computed: [], opaque: [], home: [], lookups: [], env: [], ignored: [], ...patch };
}

const options = { workspaceRoot: '/ws', projectRoot: 'images/live', kind: 'channel' as const, realpath: (p: string) => p };

describe('withRecordedReads', () => {
  it('a file only the record names becomes an input and is listed as such; files of the project are inputs already', () => {
    const merged = withRecordedReads(
      staticReads({ reads: [{ path: 'nix/common.nix', kind: 'file', from: 'images/live/configuration.nix' }] }),
      [record({ files: ['images/live/configuration.nix', 'nix/common.nix', 'keys/alice.pub'], complete: false, incomplete: 'x' })],
      options,
    );
    expect(merged.reads.map((r) => r.path)).toEqual(['keys/alice.pub', 'nix/common.nix']);
    expect(merged.recordedOnly).toEqual(['keys/alice.pub']);
    expect(merged.narrowed).toEqual([]);
  });

  /** A workspace with these files, and a complete record of reading `read` in it, digests included. */
  function recordedWorkspace(files: Record<string, string>, read: Partial<ReadRecord>): { ws: string; record: ReadRecord } {
    const ws = realpathSync(tempDir());
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(ws, path, '..'), { recursive: true });
      writeFileSync(join(ws, path), content);
    }
    const base = record(read);
    return { ws, record: { ...base, digests: readDigests(ws, base) } };
  }

  it('a complete record of a channel image narrows a static directory outside the project to what Nix read in it', () => {
    const { ws, record: made } = recordedWorkspace(
      { 'images/live/configuration.nix': 'x', 'keys/frank.pub': 'k', 'docs/NOTES.md': 'n' },
      { files: ['images/live/configuration.nix', 'keys/frank.pub'], missing: ['keys/none.pub'] },
    );
    const wide = staticReads({ reads: [{ path: '.', kind: 'directory', from: 'images/live/configuration.nix' }] });
    const merged = withRecordedReads(wide, [made], { ...options, workspaceRoot: ws });
    expect(merged.reads).toEqual([
      { path: 'keys/frank.pub', kind: 'file', from: 'the recorded read set' },
      { path: 'keys/none.pub', kind: 'missing', from: 'the recorded read set' },
    ]);
    expect(merged.narrowed).toEqual(['the workspace root (from images/live/configuration.nix): Nix read keys/frank.pub, keys/none.pub']);
    expect(merged.notNarrowed).toBeUndefined();
    // A project nested in the image is never narrowed: the image's own inputs do not cover its files.
    const nested = staticReads({ reads: [{ path: 'images/live/modules/extra', kind: 'directory', from: 'images/live/modules/extra/project.json' }] });
    expect(withRecordedReads(nested, [made], { ...options, workspaceRoot: ws }).reads.map((r) => r.path)).toEqual(['images/live/modules/extra', 'keys/frank.pub', 'keys/none.pub']);
  });

  it('a record made before an edit of what Nix read, or before an absent path appeared, proves nothing about now', () => {
    const { ws, record: made } = recordedWorkspace(
      { 'images/live/configuration.nix': 'x', 'keys/frank.pub': 'k' },
      { files: ['images/live/configuration.nix', 'keys/frank.pub'], missing: ['keys/none.pub'], listed: ['keys'] },
    );
    const wide = staticReads({ reads: [{ path: '.', kind: 'directory', from: 'images/live/configuration.nix' }] });
    const at = { ...options, workspaceRoot: ws };
    expect(withRecordedReads(wide, [made], at).notNarrowed).toBeUndefined();
    writeFileSync(join(ws, 'images/live/configuration.nix'), 'y');
    expect(withRecordedReads(wide, [made], at)).toMatchObject({
      reads: [{ path: '.', kind: 'directory' }],
      notNarrowed: 'the record no longer shows what Nix reads: images/live/configuration.nix changed since',
    });
    writeFileSync(join(ws, 'images/live/configuration.nix'), 'x');
    writeFileSync(join(ws, 'keys/none.pub'), 'now');
    expect(withRecordedReads(wide, [made], at).notNarrowed).toBe('the record no longer shows what Nix reads: the entries of keys/ changed since');
    expect(recordHolds(ws, { ...made, listed: [] })).toBe('keys/none.pub exists now');
    expect(recordHolds(ws, { ...made, digests: undefined })).toBe('it keeps no digests of what Nix read');
  });

  it('never narrows without proof: an incomplete record, a flake, a variable whose name is computed', () => {
    const { ws, record: made } = recordedWorkspace({ 'shared/a.nix': '{}' }, { files: ['shared/a.nix'] });
    const at = { ...options, workspaceRoot: ws };
    const wide = staticReads({ reads: [{ path: 'shared', kind: 'directory', from: 'a.nix' }] });
    const read = [made];
    expect(withRecordedReads(wide, [{ ...made, complete: false, incomplete: 'lost events' }], at)).toMatchObject({
      reads: [{ path: 'shared' }],
      notNarrowed: 'the record is incomplete (lost events)',
    });
    expect(withRecordedReads(wide, read, { ...at, kind: 'flake' }).notNarrowed).toBe('a flake is evaluated from a store copy of its source');
    const computedName = { ...wide, computed: ['a.nix:3: builtins.getEnv n reads an environment variable whose name is computed: which one cannot be known'] };
    expect(withRecordedReads(computedName, read, at).reads[0].path).toBe('shared');
    // A variable read by name is an env input: a new value is a new hash, and a new record.
    expect(withRecordedReads({ ...wide, env: ['X'] }, read, at).reads.map((r) => r.path)).toEqual(['shared/a.nix']);
    expect(withRecordedReads(wide, [], at).reads[0].path).toBe('shared');
    expect(recordsComplete([], 'channel', wide)).toBe('no build has recorded what Nix read yet');
  });

  it('a directory Nix listed is read whole; external paths of every record are kept', () => {
    const merged = withRecordedReads(staticReads({ external: ['/opt/a'] }), [record({ listed: ['hosts'], files: ['hosts/a.nix'], external: ['/home/u/.ssh/id.pub'] })], options);
    expect(merged.reads).toEqual([{ path: 'hosts', kind: 'directory', from: 'the recorded read set' }]);
    expect(merged.external).toEqual(['/home/u/.ssh/id.pub', '/opt/a']);
  });

  it('a read through a symlink counts at the link and at its target', () => {
    const ws = realpathSync(tempDir());
    mkdirSync(join(ws, 'keys'));
    writeFileSync(join(ws, 'keys/alice.pub'), 'k');
    mkdirSync(join(ws, 'images/live'), { recursive: true });
    mkdirSync(join(ws, 'nix'));
    symlinkSync('../keys', join(ws, 'nix/keys'));
    const merged = withRecordedReads(staticReads({}), [record({ files: ['nix/keys/alice.pub'] })], { ...options, workspaceRoot: ws, realpath: undefined });
    expect(merged.reads.map((r) => r.path)).toEqual(['keys/alice.pub', 'nix/keys/alice.pub']);
  });
});
