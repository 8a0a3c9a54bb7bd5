/**
 * The nixos-rebuild stand-in's build-image action with real Nix, channel
 * configurations (the build executor's spec drives it with flakes through Nx).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTICLE } from '../src/article';
import { describeWithNix, fixtures, tempDir } from '../src/nix-env';
import { fixturesDir, nixpkgsForRelease, readIsoDescription } from '../src';

const NIXOS_REBUILD = join(fixturesDir, 'nixos-rebuild/bin/nixos-rebuild');

describeWithNix('nixos-rebuild stand-in', (nix) => {
  const configure = () => {
    const dir = tempDir('nixiso-rebuild-');
    writeFileSync(join(dir, 'configuration.nix'), ARTICLE.configuration);
    return dir;
  };
  const rebuild = (dir: string, nixpkgs: string, args: string[]) =>
    spawnSync(NIXOS_REBUILD, ['build-image', ...args, '-I', `nixos-config=${join(dir, 'configuration.nix')}`, '-I', `nixpkgs=${nixpkgs}`, ...nix.offlineArgs], {
      cwd: dir,
      env: nix.env,
      encoding: 'utf8',
    });

  it('builds a variant of a 25.05 channel configuration, leaves ./result and prints the image file', () => {
    const dir = configure();
    for (const variant of ['iso', 'qcow2']) {
      const r = rebuild(dir, nixpkgsForRelease('25.05'), ['--image-variant', variant, '--show-trace']);
      expect(r.stderr).toMatch(/Done\. {2}The disk image can be found in $/);
      expect(r.status).toBe(0);
      const printed = r.stdout.trim();
      expect(printed.startsWith(`${readlinkSync(join(dir, 'result'))}/`)).toBe(true);
      expect(statSync(printed).isFile()).toBe(true);
      if (variant === 'iso') expect(readIsoDescription(printed).release).toBe('25.05');
      else expect(printed).toMatch(/^\/nix\/store\/[^/]+\/[^/]+\.qcow2$/);
    }
  });

  it('lists the declared variants, one a line on stdout, for one the configuration lacks', () => {
    const r = rebuild(configure(), nixpkgsForRelease('25.05'), ['--image-variant', 'tarball']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Please specify one of the following supported image variants via --image-variant:/m);
    expect(r.stdout.trim().split('\n')).toEqual(['iso', 'iso-installer', 'qcow2', 'raw', 'vmware']);
  });

  it('fails on releases without system.build.images and on options the real tool does not take', () => {
    const dir = configure();
    const old = rebuild(dir, fixtures.nixpkgs, ['--image-variant', 'iso']);
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/attribute 'images' missing/);
    expect(existsSync(join(dir, 'result'))).toBe(false);
    const unknown = rebuild(dir, fixtures.nixpkgs, ['--image-variant', 'iso', '--out-link', 'x']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown option `--out-link'/);
  });
});
