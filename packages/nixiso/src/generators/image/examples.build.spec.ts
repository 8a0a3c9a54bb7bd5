import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describeWithNix, tempDir, workspaceRoot, type NixTools } from '@nixiso/testing';
import { homeManagerForRelease, nixpkgsForRelease, readIsoDescription, type NixisoDescription } from '@nixiso/nix-fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools/scripts belongs to no project; the examples are checked against its list
import { EXAMPLES } from '../../../../../tools/scripts/regenerate-examples';
import { imageGenerator } from './image';
import type { ImageGeneratorSchema } from './schema';

/**
 * Builds the image in `dir` with the raw commands a user types (nix-build
 * '<nixpkgs/nixos>' …, nix build .#nixosConfigurations…) against the
 * offline stand-ins (nixpkgs and home-manager of `release`, paired as the
 * generator pairs the branches) and reads /nixiso.json back from the ISO.
 */
function build(nix: NixTools, dir: string, flake: boolean, release = '24.05', configurationName = 'liveImage') {
  const nixpkgs = nixpkgsForRelease(release);
  const homeManager = homeManagerForRelease(release);
  const out = join(dir, '..', 'result');
  if (flake) {
    const attr = `path:${dir}#nixosConfigurations.${configurationName}.config.system.build.isoImage`;
    const inputs = ['--override-input', 'nixpkgs', `path:${nixpkgs}`, '--override-input', 'home-manager', `path:${homeManager}`];
    execFileSync(nix.nix, ['build', attr, ...nix.flakeArgs, ...inputs, ...nix.offlineArgs, '-o', out], { env: nix.env, stdio: 'pipe' });
  } else {
    const channels = ['-I', `nixpkgs=${nixpkgs}`, '-I', `home-manager=${homeManager}`];
    const args = ['<nixpkgs/nixos>', '-A', 'config.system.build.isoImage', '-I', `nixos-config=${dir}/configuration.nix`, ...channels];
    execFileSync(nix.nixBuild, [...args, ...nix.offlineArgs, '-o', out], { env: nix.env, stdio: 'pipe' });
  }
  const [isoFile] = readdirSync(join(out, 'iso')).filter((file) => file.endsWith('.iso'));
  return { isoFile, description: readIsoDescription(join(out, 'iso', isoFile)) };
}

/** A copy outside the repository, so a build leaves no result link or lock file in examples/. */
function copyOf(source: string): string {
  const dir = join(tempDir('nixiso-build-'), 'image');
  cpSync(source, dir, { recursive: true });
  return dir;
}

async function generated(options: ImageGeneratorSchema): Promise<string> {
  const tree = createTreeWithEmptyWorkspace();
  await imageGenerator(tree, { ...options, directory: 'image', skipFormat: true });
  const dir = join(tempDir('nixiso-build-'), 'image');
  mkdirSync(dir);
  for (const file of tree.children('image')) writeFileSync(join(dir, file), tree.read(`image/${file}`) as Buffer);
  return dir;
}

describeWithNix('images build offline against tools/nix-fixtures', (nix) => {
  it.each(EXAMPLES.map((e) => [e.directory, e] as const))('%s: the ISO holds the article`s packages', (directory, example) => {
    const { description } = build(nix, copyOf(join(workspaceRoot, directory)), !!example.flake);
    expect(description).toMatchObject({ release: '24.05', stateVersion: '24.05', hostPlatform: 'x86_64-linux' });
    expect(description.systemPackages).toEqual(expect.arrayContaining(['git', 'neovim']));
    if (example.homeManager) {
      expect(description.homeManager).toMatchObject({
        useGlobalPkgs: true,
        useUserPackages: true,
        users: { nixos: { username: 'nixos', packages: ['jq', 'fzf', 'curl'], homeDirectory: '/home/nixos', stateVersion: '24.05' } },
      });
    } else {
      expect(Object.keys(description.homeManager?.users ?? {})).toEqual([]);
    }
  });

  it.each([false, true])('every option reaches the built image (flake: %s)', async (flake) => {
    const dir = await generated({
      directory: 'image', flake, homeManager: true, release: '24.05', configurationName: 'rescue',
      packages: 'htop,python3Packages.requests', homePackages: 'ripgrep', username: 'alice', hostName: 'lab-1',
      timeZone: 'Europe/Berlin', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nz alice@lab'], isoBaseName: 'rescue',
    });
    const { isoFile, description } = build(nix, dir, flake, '24.05', 'rescue');
    expect(isoFile).toMatch(/^rescue-24\.05.*-x86_64-linux\.iso$/);
    expect(description).toMatchObject<Partial<NixisoDescription>>({ hostName: 'lab-1', timeZone: 'Europe/Berlin' });
    expect(description.openssh).toMatchObject({ enable: true, startsAtBoot: true });
    expect(description.systemPackages).toEqual(expect.arrayContaining(['htop', 'requests']));
    expect(description.users.alice).toMatchObject({
      isNormalUser: true,
      extraGroups: ['wheel', 'networkmanager'],
      authorizedKeys: ['ssh-ed25519 AAAAC3Nz alice@lab'],
      passwordOptions: ['initialHashedPassword'],
    });
    expect(description.homeManager?.users.alice).toMatchObject({ packages: ['ripgrep'], homeDirectory: '/home/alice' });
  });

  it.each([false, true])('a package named like a binding of the generated files is the package in the ISO (flake: %s)', async (flake) => {
    const dir = await generated({ directory: 'image', flake, homeManager: true, release: '24.05', packages: 'home-manager,git', homePackages: 'home-manager,jq' });
    const { description } = build(nix, dir, flake);
    expect(description.systemPackages).toEqual(expect.arrayContaining(['home-manager', 'git']));
    expect(description.homeManager?.users.nixos).toMatchObject({ packages: ['home-manager', 'jq'] });
  });

  it.each([
    ['24.11', false],
    ['25.05', false],
    ['25.05', true],
  ])('release %s (flake: %s): the ISO file is named from isoBaseName with that release`s option', async (release, flake) => {
    const dir = await generated({ directory: 'image', flake, release, isoBaseName: 'rescue', profile: 'plasma6', homeManager: true });
    const { isoFile, description } = build(nix, dir, flake, release);
    // 25.05 names the file from image.baseName alone; before, the profile appends label and system.
    expect(isoFile).toMatch(release >= '25.05' ? /^rescue\.iso$/ : new RegExp(`^rescue-${release.replace('.', '\\.')}.*-x86_64-linux\\.iso$`));
    expect(description).toMatchObject({ release, stateVersion: release });
    if (release >= '25.05') expect(description.iso).toMatchObject({ baseName: 'rescue' });
  });
});
