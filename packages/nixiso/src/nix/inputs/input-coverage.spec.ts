import { posix } from 'node:path';
import { literalPath, patternMatcher, uncoveredReads } from './input-coverage';
import { inputPatterns, literalGlob } from '../../plugin/image-reads';

const none: { files: string[]; listed: string[]; missing: string[]; external: string[] } = { files: [], listed: [], missing: [], external: [] };

/** The inputs nixiso infers for an image at examples/img that reads ../../keys/team.pub and ../../modules. */
const INPUTS = [
  '{projectRoot}/**/*',
  '!{projectRoot}/result',
  '!{projectRoot}/result-*',
  ...inputPatterns({ path: 'keys/team.pub', kind: 'file' }),
  ...inputPatterns({ path: 'modules', kind: 'directory' }),
  ...inputPatterns({ path: 'later', kind: 'missing' }),
  { env: 'NIX_PATH' },
  { runtime: 'node fingerprint.js' },
];

describe('uncoveredReads', () => {
  const check = (reads: Partial<typeof none>, extra: Partial<Parameters<typeof uncoveredReads>[1]> = {}) =>
    uncoveredReads({ ...none, ...reads }, { projectRoot: 'examples/img', inputs: INPUTS, ...extra });

  it("covers what nixiso's own patterns name, and nothing else", () => {
    expect(
      check({
        files: ['examples/img/configuration.nix', 'keys/team.pub', 'modules/users/default.nix', 'keys/other.pub', 'notes/extra.nix'],
        listed: ['modules', 'modules/users', 'keys'],
        missing: ['later', 'later/x.nix', 'examples/img/hardware.nix', 'keys/new.pub'],
      }),
    ).toEqual(['keys/other.pub', 'notes/extra.nix', 'keys', 'keys/new.pub']);
  });

  it('a negation excludes: the out-link nix build leaves is not covered', () => {
    expect(check({ files: ['examples/img/result', 'examples/img/result-2', 'examples/img/resulting.nix'] })).toEqual([
      'examples/img/result',
      'examples/img/result-2',
    ]);
  });

  it('literal globs: a path with glob characters is matched as written', () => {
    const path = 'keys/a[1] (x)!.pub';
    const inputs = inputPatterns({ path, kind: 'file' });
    expect(inputs).toEqual([`{workspaceRoot}/${literalGlob(path)}`]);
    expect(literalPath(literalGlob(path))).toBe(path);
    expect(uncoveredReads({ ...none, files: [path, 'keys/a1 (x)!.pub'] }, { projectRoot: 'p', inputs })).toEqual(['keys/a1 (x)!.pub']);
  });

  it('{workspaceRoot}/<dir>/* covers the directory and its direct children only', () => {
    const inputs = ['{workspaceRoot}/keys/*'];
    expect(uncoveredReads({ ...none, files: ['keys/a.pub', 'keys/sub/b.pub'], listed: ['keys', 'keys/sub'] }, { projectRoot: 'p', inputs })).toEqual([
      'keys/sub/b.pub',
      'keys/sub',
    ]);
  });

  it("files of a nested project are that project's: only a {workspaceRoot} pattern covers them", () => {
    const reads = { files: ['examples/img/configuration.nix', 'examples/img/sub/module.nix'] };
    expect(check(reads, { nestedProjectRoots: ['examples/img/sub'] })).toEqual(['examples/img/sub/module.nix']);
    expect(check(reads, { nestedProjectRoots: ['examples/img/sub'], inputs: [...INPUTS, '{workspaceRoot}/examples/img/sub/**/*'] })).toEqual([]);
  });

  it('a git-ignored path is covered only by a fingerprint; paths outside the workspace too', () => {
    const reads = { files: ['examples/img/secrets.nix'], external: ['/etc/nixos/hw.nix', '/srv/keys/a.pub'] };
    expect(check(reads, { gitIgnored: ['examples/img/secrets.nix'] })).toEqual(['examples/img/secrets.nix', '/etc/nixos/hw.nix', '/srv/keys/a.pub']);
    expect(check(reads, { gitIgnored: ['examples/img/secrets.nix'], fingerprinted: ['examples/img/secrets.nix', '/srv/keys', '/etc/nixos/hw.nix'] })).toEqual([]);
  });

  it('ignored reads are never reported', () => {
    expect(check({ files: ['notes/a', 'cache/x/y'] }, { ignored: ['notes/a', 'cache/**'] })).toEqual([]);
  });

  it('named inputs expand; dependency inputs and unknown names cover nothing', () => {
    const reads = { files: ['examples/img/a.nix', 'shared/x.nix'] };
    const namedInputs = { default: ['{projectRoot}/**/*'], shared: ['{workspaceRoot}/shared/**/*'] };
    expect(uncoveredReads({ ...none, ...reads }, { projectRoot: 'examples/img', inputs: ['default', 'shared'], namedInputs })).toEqual([]);
    expect(uncoveredReads({ ...none, ...reads }, { projectRoot: 'examples/img', inputs: ['^default', 'nope'], namedInputs })).toEqual([
      'examples/img/a.nix',
      'shared/x.nix',
    ]);
    expect(uncoveredReads({ ...none, ...reads }, { projectRoot: 'examples/img', inputs: [{ fileset: '{workspaceRoot}/shared/*.nix' }] })).toEqual(
      (posix as { matchesGlob?: unknown }).matchesGlob ? ['examples/img/a.nix'] : ['examples/img/a.nix', 'shared/x.nix'],
    );
  });

  it('other globs go through Node when it can match them; a glob it cannot covers nothing', () => {
    const m = patternMatcher('src/**/*.{nix,json}');
    if ((posix as { matchesGlob?: unknown }).matchesGlob) {
      expect(m.file('src/a/b.nix')).toBe(true);
      expect(m.file('src/a/b.txt')).toBe(false);
    } else {
      expect(m.file('src/a/b.nix')).toBe(false);
    }
    expect(patternMatcher('{workspaceRoot}/[').file('[')).toBe(false);
  });
});
