/**
 * The offline stand-ins for nixpkgs, home-manager and nixos-generators, built
 * with real Nix: the article's four layouts (written out by hand, verbatim)
 * with the channel and the flake command, the negative controls a strict
 * NixOS must reject with the right message, the companion repository's
 * broken-activation example, nixos-generate, and the 25.05 naming shape.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ARTICLE, ARTICLE_LAYOUTS } from '../src/article';
import { describeWithNix, fixtures, tempDir, type NixTools } from '../src/nix-env';
import { build, channelBuild, expectOk, flakeBuild, isoOf, run } from './nix-run';
import {
  ensureFixtureRegistry,
  fixtureRelease,
  listIso,
  nixpkgsForRelease,
  readDiskImageDescription,
  readIsoDescription,
  readIsoFile,
} from '../src';

const {
  configuration: CONFIGURATION,
  configurationHomeManager: CONFIGURATION_HM,
  flake: FLAKE,
  flakeHomeManager: FLAKE_HM,
  homeChannel: HOME_CHANNEL,
} = ARTICLE;

// The companion repository's fifth example: activation that fails at run time.
const HOME_BROKEN = `{ pkgs, home-manager, ... }:
{
  imports = [
    home-manager.nixosModules.home-manager
  ];
  home-manager = let
    username = "nixos";
  in {
    useGlobalPkgs = true;
    useUserPackages = true;
    users.\${username} = { pkgs, lib, osConfig, ... }: {
      home.stateVersion = osConfig.system.stateVersion;
      home.username = username;
      home.homeDirectory = "/home/\${username}";

      home.packages = with pkgs; [
        jq
        fzf
        curl
        # ...
      ];

      home.activation.broken-script = lib.hm.dag.entryAfter ["writeBoundary"] ''
        run echo $UNEXIST_VARIABLE
      '';
      # ...
    };
  };
}
`;

type Files = Record<string, string>;

const LAYOUTS = ARTICLE_LAYOUTS;

// ---- helpers ------------------------------------------------------------------

/** Temporary directories to remove afterwards: their result links are GC roots. */
const created: string[] = [];

function write(files: Files, dir = created[created.push(tempDir('nixiso-fixture-')) - 1]): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Pins a flake's inputs to the stand-ins in flake.lock, as tests do before `nixos-generate --flake`. */
function lockToFixtures(nix: NixTools, dir: string, nixpkgs = fixtures.nixpkgs): void {
  expectOk(
    run(
      nix,
      nix.nix,
      [
        'flake', 'lock',
        '--override-input', 'nixpkgs', `path:${nixpkgs}`,
        '--override-input', 'home-manager', `path:${fixtures.homeManager}`,
        ...nix.flakeArgs,
        ...nix.offlineArgs,
      ],
      dir,
    ),
  );
}

const withSetting = (config: string, setting: string) =>
  config.replace('  system.stateVersion = "24.05"; \n', `  system.stateVersion = "24.05"; \n  ${setting}\n`);

// ---- tests ----------------------------------------------------------------------

describeWithNix('offline Nix stand-ins', (nix) => {
  const timings: Record<string, number> = {};
  const generateBin = fixtures.nixosGenerateBin;
  const PATH = `${generateBin}:${process.env.PATH}`;

  beforeAll(() => {
    ensureFixtureRegistry(fixtures.registry);
  });

  afterAll(() => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    console.log(`layout build times (ms): ${JSON.stringify(timings)}`);
  });

  it('the committed stand-in models NixOS 24.05, the article release', () => {
    expect(fixtureRelease()).toBe('24.05');
    expect(lstatSync(join(generateBin, 'nixos-generate')).isSymbolicLink()).toBe(true);
  });

  describe.each(LAYOUTS)('article layout $name', ({ name, flake, homeManager, files }) => {
    it('builds a real ISO whose description shows the packages', () => {
      const dir = write(files);
      const r = build(nix, flake, dir);
      expectOk(r);
      // Reported, not asserted: speed belongs to benchmarks, not to tests.
      timings[name] = r.ms;
      // The flake build must not write a lock file (the inputs are overridden).
      expect(existsSync(join(dir, 'flake.lock'))).toBe(false);

      const iso = isoOf(dir);
      expect(iso).toMatch(flake ? /\/nixos-24\.05\.\d{8}\.dirty-x86_64-linux\.iso$/ : /\/nixos-24\.05pre-git-x86_64-linux\.iso$/);
      expect(listIso(iso)).toEqual(
        expect.arrayContaining(['/nixiso.json', '/version.txt', '/nix-store-paths.txt', ...(homeManager ? ['/home-manager/nixos/activate'] : [])]),
      );
      const d = readIsoDescription(iso);
      expect(d).toMatchObject({ hostPlatform: 'x86_64-linux', stateVersion: '24.05', release: '24.05', hostName: 'nixos' });
      expect(d.systemPackages).toEqual(expect.arrayContaining(['git', 'neovim']));
      expect(d.users.nixos).toMatchObject({ isNormalUser: true, home: '/home/nixos', passwordOptions: ['initialHashedPassword'] });
      expect(d.users.nixos.extraGroups).toContain('wheel');
      expect(d.iso).toMatchObject({ volumeID: 'nixos-minimal-24.05-x86_64', makeEfiBootable: true, makeUsbBootable: true, edition: 'minimal' });
      expect(d.openssh).toMatchObject({ enable: true, startsAtBoot: false });
      // Every system package's store path is in the image's closure list.
      const closure = readIsoFile(iso, '/nix-store-paths.txt');
      for (const path of d.systemPackagePaths) expect(closure).toContain(path);

      if (homeManager) {
        expect(d.homeManager).toMatchObject({ useGlobalPkgs: true, useUserPackages: true });
        const hm = d.homeManager!.users.nixos;
        expect(hm).toMatchObject({ username: 'nixos', homeDirectory: '/home/nixos', stateVersion: '24.05' });
        expect(hm.packages).toEqual(['jq', 'fzf', 'curl']);
        // useUserPackages: the home profile is the user's package list.
        expect(d.users.nixos.packages).toEqual(['jq', 'fzf', 'curl']);
        expect(d.systemdServices).toContain('home-manager-nixos');
      } else {
        expect(d.homeManager).toBeNull();
      }
    });
  });

  describe('negative controls fail for the stated reason', () => {
    it('undeclared option environment.systemPackage', () => {
      const dir = write({ 'configuration.nix': CONFIGURATION.replace('environment.systemPackages', 'environment.systemPackage') });
      const r = channelBuild(nix, dir);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        `The option \`environment.systemPackage' does not exist. Definition values:\n       - In \`${dir}/configuration.nix'`,
      );
    });

    it('wrong type system.stateVersion = 24 (also in a flake)', () => {
      const dir = write({ 'configuration.nix': CONFIGURATION.replace('"24.05"', '24'), 'flake.nix': FLAKE });
      for (const r of [channelBuild(nix, dir), flakeBuild(nix, dir)]) {
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("A definition for option `system.stateVersion' is not of type `string'. Definition values:");
        expect(r.stderr).toMatch(/- In `\/.*configuration\.nix': 24/);
      }
    });

    it('misspelled home-manager option home.pakages', () => {
      const dir = write({ 'configuration.nix': CONFIGURATION_HM, 'home.nix': HOME_CHANNEL.replace('home.packages', 'home.pakages') });
      const r = channelBuild(nix, dir);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        `The option \`home-manager.users.nixos.home.pakages' does not exist. Definition values:\n       - In \`${dir}/home.nix'`,
      );
    });

    it('isoImage.isoName conflicts with the 24.x installer profile unless mkForce; isoBaseName names the file', () => {
      const conflict = write({ 'configuration.nix': withSetting(CONFIGURATION, 'isoImage.isoName = "rescue.iso";') });
      const r = channelBuild(nix, conflict);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("The option `isoImage.isoName' has conflicting definition values:");
      expect(r.stderr).toContain('installation-cd-base.nix\': "nixos-24.05pre-git-x86_64-linux.iso"');
      expect(r.stderr).toContain('Use `lib.mkForce value` or `lib.mkDefault value`');

      const forced = write({
        'configuration.nix': withSetting(CONFIGURATION, 'isoImage.isoName = pkgs.lib.mkForce "rescue.iso";'),
      });
      expectOk(channelBuild(nix, forced));
      expect(isoOf(forced)).toMatch(/\/rescue\.iso$/);

      const based = write({ 'configuration.nix': withSetting(CONFIGURATION, 'isoImage.isoBaseName = "rescue";') });
      expectOk(channelBuild(nix, based));
      expect(isoOf(based)).toMatch(/\/rescue-24\.05pre-git-x86_64-linux\.iso$/);
    });

    it('a home-manager user that configuration.nix never creates fails NixOS’s user assertion', () => {
      const dir = write({ 'configuration.nix': CONFIGURATION_HM, 'home.nix': HOME_CHANNEL.replace('username = "nixos";', 'username = "alice";') });
      const r = channelBuild(nix, dir);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('Exactly one of users.users.alice.isSystemUser and users.users.alice.isNormalUser must be set.');
    });

    it('an unknown package name fails like in nixpkgs, an unfree one without allowUnfree', () => {
      const unknown = write({ 'configuration.nix': CONFIGURATION.replace('    neovim\n', '    neovimm\n') });
      const r1 = channelBuild(nix, unknown);
      expect(r1.status).not.toBe(0);
      expect(r1.stderr).toContain("undefined variable 'neovimm'");

      const unfree = write({ 'configuration.nix': CONFIGURATION.replace('    neovim\n', '    google-chrome\n') });
      const r2 = channelBuild(nix, unfree);
      expect(r2.status).not.toBe(0);
      expect(r2.stderr).toContain('has an unfree license (‘unfree’), refusing to evaluate');
      write({ 'configuration.nix': withSetting(CONFIGURATION.replace('    neovim\n', '    google-chrome\n'), 'nixpkgs.config.allowUnfree = true;') }, unfree);
      expectOk(channelBuild(nix, unfree));
    });
  });

  it('the broken-activation example builds; its script is recorded and only fails when run', () => {
    const dir = write({ 'configuration.nix': CONFIGURATION_HM, 'home.nix': HOME_BROKEN, 'flake.nix': FLAKE_HM });
    expectOk(flakeBuild(nix, dir));
    const iso = isoOf(dir);
    const activation = readIsoDescription(iso).homeManager!.users.nixos.activation;
    const names = activation.map((a) => a.name);
    expect(activation).toContainEqual({ name: 'broken-script', text: 'run echo $UNEXIST_VARIABLE\n' });
    expect(names.indexOf('broken-script')).toBeGreaterThan(names.indexOf('writeBoundary'));

    const script = readIsoFile(iso, '/home-manager/nixos/activate');
    expect(script).toContain('set -eu');
    expect(script).toContain('run echo $UNEXIST_VARIABLE');
    // What a VM smoke boot would see: the activation itself fails.
    const activate = write({ activate: script });
    const r = spawnSync('bash', [join(activate, 'activate')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('UNEXIST_VARIABLE: unbound variable');
  });

  describe('nixos-generate stand-in', () => {
    it('--list lists the formats', () => {
      const r = run(nix, 'nixos-generate', ['--list'], fixtures.nixosGenerators, { PATH });
      expectOk(r);
      expect(r.stdout.trim().split('\n')).toEqual(
        expect.arrayContaining(['iso', 'install-iso', 'raw', 'raw-efi', 'qcow', 'qcow-efi', 'vmware']),
      );
    });

    it('builds the channel layout as an ISO and prints the image path', () => {
      const dir = write(LAYOUTS[2].files);
      const r = run(nix, 'nixos-generate', ['--format', 'iso', '--configuration', 'configuration.nix', '-o', 'result', ...nix.offlineArgs], dir, { PATH });
      expectOk(r);
      const printed = r.stdout.trim();
      expect(printed).toMatch(/^\/nix\/store\/[^/]+\/iso\/nixos-24\.05pre-git-x86_64-linux\.iso$/);
      expect(readIsoDescription(printed)).toMatchObject({ formatAttr: 'isoImage', fileExtension: '.iso' });
      expect(readIsoDescription(join(dir, 'result', 'iso', printed.split('/').pop()!)).homeManager!.users.nixos.packages).toEqual([
        'jq',
        'fzf',
        'curl',
      ]);
    });

    it('builds the flake layout (inputs locked to the stand-ins) and other formats', () => {
      const dir = write(LAYOUTS[3].files);
      lockToFixtures(nix, dir);
      const iso = run(nix, 'nixos-generate', ['--format', 'iso', '--flake', '.#liveImage', '-o', 'result', ...nix.offlineArgs], dir, { PATH });
      expectOk(iso);
      expect(iso.stdout.trim()).toMatch(/^\/nix\/store\/[^/]+\/iso\/nixos-24\.05\.\d{8}\.dirty-x86_64-linux\.iso$/);
      expect(lstatSync(join(dir, 'result')).isSymbolicLink()).toBe(true);

      const qcow = run(nix, 'nixos-generate', ['-f', 'qcow', '--flake', `${dir}#liveImage`, '--disk-size', '4096'], dir, { PATH });
      expectOk(qcow);
      expect(qcow.stdout.trim()).toMatch(/^\/nix\/store\/[^/]+\/nixos\.qcow2$/);
      expect(readDiskImageDescription(qcow.stdout.trim())).toMatchObject({
        formatAttr: 'qcow',
        fileExtension: '.qcow2',
        image: { format: 'qcow2', diskSize: '4096' },
      });
    });

    it('rejects what the real tool rejects', () => {
      const bad = run(nix, 'nixos-generate', ['--format', 'nope', '-c', 'configuration.nix'], fixtures.nixosGenerators, { PATH });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toContain('aborted: format file not found:');
      const unknown = run(nix, 'nixos-generate', ['--override-input', 'nixpkgs', 'x'], fixtures.nixosGenerators, { PATH });
      expect(unknown.stderr).toContain('aborted: unknown option --override-input');
    });

    it('is what `nix run nixpkgs#nixos-generators` runs, through the offline registry', () => {
      const r = run(nix, nix.nix, ['run', 'nixpkgs#nixos-generators', ...nix.flakeArgs, ...nix.offlineArgs, '--', '--list'], fixtures.nixosGenerators);
      expectOk(r);
      expect(r.stdout).toContain('iso\n');
    });
  });

  describe('the 25.05 shape (a copy of the stand-in whose .version is 25.05)', () => {
    it('names the ISO from image.baseName, keeps isoImage.* as aliases and has system.build.images', () => {
      const nixpkgs = nixpkgsForRelease('25.05');
      expect(nixpkgsForRelease('25.05')).toBe(nixpkgs);

      const plain = write({ 'configuration.nix': CONFIGURATION });
      expectOk(channelBuild(nix, plain, { nixpkgs }));
      expect(isoOf(plain)).toMatch(/\/nixos-minimal-25\.05pre-git-x86_64-linux\.iso$/);
      expect(readIsoDescription(isoOf(plain)).iso).toMatchObject({ squashfsCompression: 'zstd -Xcompression-level 19', filePath: expect.stringMatching(/^iso\//) });

      const based = write({ 'configuration.nix': withSetting(CONFIGURATION, 'image.baseName = "rescue";'), 'flake.nix': FLAKE });
      expectOk(flakeBuild(nix, based, { nixpkgs }));
      expect(isoOf(based)).toMatch(/\/rescue\.iso$/);

      const alias = write({ 'configuration.nix': withSetting(CONFIGURATION, 'isoImage.isoName = "old-style.iso";') });
      const r = channelBuild(nix, alias, { nixpkgs });
      expectOk(r);
      expect(r.stderr).toContain("The option `isoImage.isoName' defined in");
      expect(r.stderr).toContain("has been renamed to `image.fileName'.");
      expect(isoOf(alias)).toMatch(/\/old-style\.iso$/);

      const images = channelBuild(nix, based, { nixpkgs, attr: 'config.system.build.images.qcow2', out: join(based, 'qcow2') });
      expectOk(images);
      expect(readdirSync(join(based, 'qcow2'))).toContain('rescue.qcow2');
    });

    it('24.x configurations that use image.baseName fail there, as on real 24.05', () => {
      const dir = write({ 'configuration.nix': withSetting(CONFIGURATION, 'image.baseName = "rescue";') });
      const r = channelBuild(nix, dir);
      expect(r.status).not.toBe(0);
      // As in NixOS, the first undeclared name on the path is reported.
      expect(r.stderr).toContain("The option `image' does not exist. Definition values:");
    });
  });

  it('aarch64-linux images build when Nix may build for that platform (extra-platforms)', () => {
    const dir = write({ 'configuration.nix': CONFIGURATION.replace('"x86_64-linux"', '"aarch64-linux"') });
    const r = run(
      nix,
      nix.nixBuild,
      ['<nixpkgs/nixos>', '-A', 'config.system.build.isoImage', '-I', `nixos-config=${dir}/configuration.nix`, ...nix.channelArgs, ...nix.offlineArgs, '--option', 'extra-platforms', 'aarch64-linux', '-o', join(dir, 'result')],
      dir,
    );
    expectOk(r);
    expect(isoOf(dir)).toMatch(/-aarch64-linux\.iso$/);
    expect(readIsoDescription(isoOf(dir)).iso!.volumeID).toBe('nixos-minimal-24.05-aarch64');
  });
});
