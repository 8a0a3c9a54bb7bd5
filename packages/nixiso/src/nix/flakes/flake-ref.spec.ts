import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, GIT_IDENTITY, tempDir } from '@nixiso/testing';
import { gitFlakeRef, inputRef } from '../building/command';
import { encodeFlakePath, encodeFlakeQueryValue, flakePathRef, isPlainFlakePath } from './flake-ref';

/** Every character the brief worries about: a space, a non-ASCII letter, `#`, `?`, `%`. */
const AWKWARD = 'a b ü#?%';

describe('flake path references', () => {
  it('keeps a plain absolute path as it is', () => {
    expect(flakePathRef('path', '/ws/images/a', '/ws/images/a')).toBe('path:/ws/images/a');
    expect(flakePathRef('git+file', '/ws')).toBe('git+file:///ws');
    expect(isPlainFlakePath("/a-b_c.d~e!$&'()*+,;=:@/f")).toBe(true);
  });

  it('percent-encodes what a URL path cannot hold literally, UTF-8, and % itself', () => {
    expect(encodeFlakePath(`/tmp/${AWKWARD}`)).toBe('/tmp/a%20b%20%C3%BC%23%3F%25');
    expect(encodeFlakePath('/tmp/"q"')).toBe('/tmp/%22q%22');
    expect(isPlainFlakePath('/tmp/50%')).toBe(false);
    expect(encodeFlakeQueryValue('images/x y&z=1')).toBe('images/x%20y%26z%3D1');
  });

  it('writes a path that needs encoding relative to where Nix runs when that is plain', () => {
    expect(flakePathRef('path', `/tmp/${AWKWARD}/img`, `/tmp/${AWKWARD}/img`)).toBe('path:.');
    expect(flakePathRef('path', `/tmp/${AWKWARD}/tools/np`, `/tmp/${AWKWARD}/images/x`)).toBe('path:../../tools/np');
    expect(flakePathRef('git+file', `/tmp/${AWKWARD}`, `/tmp/${AWKWARD}/images/x`)).toBe('git+file:../..');
  });

  it('percent-encodes when the relative path is not plain either, or there is no cwd', () => {
    expect(flakePathRef('path', `/tmp/${AWKWARD}`, '/tmp')).toBe('path:/tmp/a%20b%20%C3%BC%23%3F%25');
    expect(flakePathRef('git+file', `/tmp/${AWKWARD}`)).toBe('git+file:///tmp/a%20b%20%C3%BC%23%3F%25');
  });
});

/** Nix ≥ 2.10 percent-decodes the path of a flake URL (NixOS/nix#6614); 2.8 and 2.9 do not. */
function decodesPaths(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

describeWithNix('flake path references with real Nix', (nix) => {
  const flake = '{ inputs.dep.url = "path:/nonexistent"; outputs = { self, dep }: { name = dep.name; }; }\n';
  const dep = '{ outputs = { self }: { name = "dep"; }; }\n';
  let parent: string;

  /** `nix eval --raw <ref>#name` in `cwd`: what Nix printed and whether it succeeded. */
  function evalName(ref: string, cwd: string, extra: string[] = []) {
    const r = spawnSync(nix.nix, [...nix.flakeArgs, ...nix.offlineArgs, 'eval', '--raw', `${ref}#name`, '--no-write-lock-file', ...extra], {
      cwd,
      env: nix.env,
      encoding: 'utf8',
    });
    return { ok: r.status === 0, out: r.stdout, err: r.stderr };
  }

  beforeAll(() => {
    parent = join(tempDir('nixiso-ref-'), AWKWARD);
    mkdirSync(join(parent, 'img'), { recursive: true });
    mkdirSync(join(parent, 'dep'));
    writeFileSync(join(parent, 'img/flake.nix'), flake);
    writeFileSync(join(parent, 'dep/flake.nix'), dep);
  });

  it('rejects the raw path: the reason this module exists', () => {
    const r = evalName(`path:${join(parent, 'img')}`, parent);
    expect(r.ok).toBe(false);
    expect(r.err).toMatch(/is not a valid URL/);
  });

  it('builds from a path: ref relative to its cwd, with an override relative to it too', () => {
    const img = join(parent, 'img');
    const r = evalName(flakePathRef('path', img, img), img, ['--override-input', 'dep', inputRef(join(parent, 'dep'), img)]);
    expect(r.err).not.toMatch(/error/);
    expect(r.out).toBe('dep');
  });

  it(`decodes a percent-encoded path only from Nix 2.10 on (this is Nix ${nix.version})`, () => {
    const img = join(parent, 'img');
    const ref = flakePathRef('path', img);
    expect(ref).toMatch(/%20/);
    const r = evalName(ref, '/', ['--override-input', 'dep', inputRef(join(parent, 'dep'), img)]);
    if (decodesPaths(nix.version)) {
      expect(r.out).toBe('dep');
    } else {
      // Nix 2.8 looks for a directory literally named a%20b%20%C3%BC%23%3F%25.
      expect(r.ok).toBe(false);
      expect(r.err).toMatch(/a%20b%20%C3%BC%23%3F%25/);
    }
  });

  it('builds from a git work tree whose path and project directory need encoding (dir= is decoded)', () => {
    const repo = join(parent, 'repo');
    const project = join(repo, `images/${AWKWARD}`);
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'flake.nix'), flake);
    const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, env: { ...process.env, ...GIT_IDENTITY } });
    git('init', '-q');
    git('add', '-A');
    const ref = gitFlakeRef(repo, project, project);
    expect(ref).toBe('git+file:../..?dir=images/a%20b%20%C3%BC%23%3F%25');
    const r = evalName(ref, project, ['--override-input', 'dep', inputRef(join(parent, 'dep'), project)]);
    expect(r.err).not.toMatch(/error/);
    expect(r.out).toBe('dep');
  });
});
