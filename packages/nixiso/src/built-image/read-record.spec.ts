import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFiles } from '@nixiso/testing';
import {
  parseReadRecord,
  type ReadRecord,
  readRecordsFor,
  workspaceRecordDir,
  workspaceRecordPath,
  writeReadRecord,
} from './read-record';

const record = (files: string[], extra: Partial<ReadRecord> = {}): ReadRecord => ({
  version: 1,
  tracer: 'strace',
  command: 'nix-build <nixpkgs/nixos> -A config.system.build.isoImage',
  complete: true,
  files,
  listed: [],
  missing: [],
  external: [],
  recordedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('read records', () => {
  it('live beside the outputs and in the workspace data, one stable file per project and configuration', () => {
    const ws = tempDir();
    const a = workspaceRecordPath(ws, 'examples/img', 'build:offline');
    expect(a).toBe(workspaceRecordPath(ws, 'examples/img/', 'build:offline'));
    expect(a.startsWith(join(ws, '.nx/workspace-data/nixiso/reads/'))).toBe(true);
    // Distinct names: another configuration, a project whose root starts the same, the plain one.
    const names = new Set([a, workspaceRecordPath(ws, 'examples/img'), workspaceRecordPath(ws, 'examples/img-2', 'build:offline'), workspaceRecordPath(ws, 'examples/img', 'build')]);
    expect(names.size).toBe(4);
    for (const name of names) expect(name.slice(workspaceRecordDir(ws).length + 1)).not.toContain('/');
  });

  it('are written atomically to both places and read back for every configuration of the project', () => {
    const ws = tempDir();
    const where = { distFile: join(ws, 'dist/examples/img/reads.json'), workspaceRoot: ws, projectRoot: 'examples/img' };
    const written = writeReadRecord(record(['examples/img/configuration.nix']), { ...where, configurationName: 'build:offline' });
    writeReadRecord(record(['examples/img/other.nix']), { ...where, distFile: join(ws, 'dist/examples/img/second/reads.json'), configurationName: 'build-second' });
    writeReadRecord(record(['examples/img-2/x.nix']), { distFile: join(ws, 'dist/examples/img-2/reads.json'), workspaceRoot: ws, projectRoot: 'examples/img-2', configurationName: 'build' });
    expect(JSON.parse(readFileSync(written.distFile, 'utf8'))).toEqual(JSON.parse(readFileSync(written.workspaceFile, 'utf8')));
    expect(readdirSync(workspaceRecordDir(ws)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readRecordsFor(ws, 'examples/img').map((r) => r.files[0]).sort()).toEqual(['examples/img/configuration.nix', 'examples/img/other.nix']);
    expect(readRecordsFor(ws, 'examples/img-2').map((r) => r.files)).toEqual([['examples/img-2/x.nix']]);
  });

  it('fall back to dist/<projectRoot>/**/reads.json (a cache restore in a fresh clone), skipping malformed ones, never throwing', () => {
    const ws = tempDir();
    writeFiles(ws, {
      'dist/examples/img/reads.json': JSON.stringify(record(['a'])),
      'dist/examples/img/second/reads.json': JSON.stringify(record(['b'])),
      'dist/examples/img/third/reads.json': '{ not json',
      'dist/examples/img/fourth/reads.json': JSON.stringify({ ...record(['c']), version: 2 }),
    });
    expect(readRecordsFor(ws, 'examples/img').map((r) => r.files[0])).toEqual(['a', 'b']);
    expect(readRecordsFor(ws, 'examples/none')).toEqual([]);
    expect(readRecordsFor(join(ws, 'missing'), 'examples/img')).toEqual([]);
    expect(existsSync(workspaceRecordDir(ws))).toBe(false);
  });

  it('parse only what has every field', () => {
    expect(parseReadRecord(JSON.stringify(record(['a'], { uncovered: ['a'] })))?.uncovered).toEqual(['a']);
    expect(parseReadRecord(JSON.stringify({ ...record([]), files: 'a' }))).toBeUndefined();
    expect(parseReadRecord('null')).toBeUndefined();
  });
});
