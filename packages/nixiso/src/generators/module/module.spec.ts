import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describeWithNix, tempDir } from '@nixiso/testing';
import { scanImports } from '../../nix/language/scan-imports';
import { moduleGenerator } from './module';

/** configuration.nix as the image generator writes it. */
const CONFIGURATION = `{ pkgs, modulesPath, ... }:
{
  imports = [
    "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
    ./home.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  environment.systemPackages = with pkgs; [ git neovim ];
}
`;

const FLAKE = `{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };
  };
}
`;

/** A workspace with a channel image (inferred, no project.json), a flake image and a flake image without configuration.nix. */
function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('images/rescue/configuration.nix', CONFIGURATION);
  tree.write('images/rescue/home.nix', '{ ... }: { }\n');
  tree.write('images/live/configuration.nix', CONFIGURATION.replace('    ./home.nix\n', ''));
  tree.write('images/live/flake.nix', FLAKE);
  // An image whose only module is inline: no configuration.nix to add an import to.
  tree.write(
    'images/inline/flake.nix',
    FLAKE.replace('[ ./configuration.nix ]', '[ ({ modulesPath, ... }: { imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ]; }) ]'),
  );
  tree.write('images/other/project.json', JSON.stringify({ name: 'kiosk', root: 'images/other' }));
  tree.write('images/other/configuration.nix', '{ modulesPath, ... }: {\n  imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-graphical-gnome.nix" ];\n}\n');
  return tree;
}

const changedFiles = (tree: Tree): string[] => tree.listChanges().map((change) => change.path).sort();

describe('module generator', () => {
  it('creates a library project with default.nix and the nixos-module tag', async () => {
    const tree = workspace();
    await moduleGenerator(tree, { directory: 'modules/users', tags: 'scope:shared, team:infra', skipFormat: true });

    const project = readProjectConfiguration(tree, 'users');
    expect(project).toMatchObject({ name: 'users', root: 'modules/users', projectType: 'library', tags: ['nixos-module', 'scope:shared', 'team:infra'] });
    expect(project.targets ?? {}).toEqual({});
    const module = tree.read('modules/users/default.nix', 'utf-8')!;
    expect(module).toContain('{ config, lib, pkgs, ... }:');
    expect(module).toContain('#   imports = [ ../../modules/users ];');
    expect(module).toContain('options.modules.users.enable = lib.mkEnableOption "users";');
    expect(tree.read('images/rescue/configuration.nix', 'utf-8')).toBe(CONFIGURATION);
  });

  it('takes --name over the directory name, and a ./-prefixed or trailing-slash directory', async () => {
    const tree = workspace();
    await moduleGenerator(tree, { directory: './shared/ssh-keys/', name: 'keys', skipFormat: true });
    expect(readProjectConfiguration(tree, 'keys').root).toBe('shared/ssh-keys');
    expect(tree.exists('shared/ssh-keys/default.nix')).toBe(true);
  });

  it('wires the module into a channel image as a relative import at the end of the imports list', async () => {
    const tree = workspace();
    await moduleGenerator(tree, { directory: 'modules/users', image: ['rescue'], skipFormat: true });
    expect(tree.read('images/rescue/configuration.nix', 'utf-8')).toBe(
      CONFIGURATION.replace('    ./home.nix\n', '    ./home.nix\n    ../../modules/users\n'),
    );
  });

  it('wires a flake image with a comment on why the relative path works, leaving flake.nix alone', async () => {
    const tree = workspace();
    await moduleGenerator(tree, { directory: 'modules/users', image: ['live', 'kiosk'], skipFormat: true });
    const live = tree.read('images/live/configuration.nix', 'utf-8')!;
    expect(live).toContain(
      [
        '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"',
        '    # module users: this flake is built as git+file:<repo>?dir=images/live, which sees the whole',
        '    # repository, so a relative path works here too (the module must be tracked: git add it).',
        '    ../../modules/users',
        '  ];',
      ].join('\n'),
    );
    expect(tree.read('images/live/flake.nix', 'utf-8')).toBe(FLAKE);
    expect(tree.read('images/other/configuration.nix', 'utf-8')).toContain(
      '"${modulesPath}/installer/cd-dvd/installation-cd-graphical-gnome.nix"\n    ../../modules/users\n  ];',
    );
    for (const image of ['images/live', 'images/other']) {
      expect(scanImports(tree.read(`${image}/configuration.nix`, 'utf-8')!, `${image}/configuration.nix`)).toContain('modules/users');
    }
  });

  it('accepts a comma-separated --image and leaves an image that already imports the module unchanged', async () => {
    const tree = workspace();
    const already = CONFIGURATION.replace('./home.nix', './home.nix\n    "${../../modules/users}/default.nix"');
    tree.write('images/rescue/configuration.nix', already);
    await moduleGenerator(tree, { directory: 'modules/users', image: 'rescue,live', skipFormat: true });
    expect(tree.read('images/rescue/configuration.nix', 'utf-8')).toBe(already);
    expect(tree.read('images/live/configuration.nix', 'utf-8')).toContain('    ../../modules/users\n  ];');
  });

  describe('errors name the option and value, and write nothing', () => {
    const cases: [string, Parameters<typeof moduleGenerator>[1], RegExp][] = [
      ['unknown image', { directory: 'modules/users', image: ['rescue', 'nope'] }, /^--image "nope": no image project of that name \(image projects: inline, kiosk, live, rescue\)/],
      ['image without configuration.nix', { directory: 'modules/users', image: ['inline'] }, /^--image "inline": images\/inline has no configuration\.nix.*add \.\.\/\.\.\/modules\/users/],
      ['bad name', { directory: 'modules/users', name: 'my users' }, /^--name "my users": "my users" is not a valid project name/],
      ['name taken by an image', { directory: 'modules/rescue' }, /^--name "rescue": a project with that name already exists \(images\/rescue\)/],
      ['directory not a Nix path', { directory: 'modules/my users' }, /^--directory "modules\/my users": "my users" cannot be part of a Nix path literal/],
      ['directory with ..', { directory: '../outside' }, /^--directory "\.\.\/outside": "\.\." cannot be part/],
      ['absolute directory', { directory: '/modules/x' }, /^--directory "\/modules\/x": must be relative/],
      ['directory not empty', { directory: 'images/rescue', name: 'x' }, /^--directory "images\/rescue": exists and is not empty/],
    ];
    it.each(cases)('%s', async (_, options, message) => {
      const tree = workspace();
      const before = changedFiles(tree);
      await expect(moduleGenerator(tree, { ...options, skipFormat: true })).rejects.toThrow(message);
      expect(changedFiles(tree)).toEqual(before);
      expect(tree.read('images/rescue/configuration.nix', 'utf-8')).toBe(CONFIGURATION);
    });
  });
});

describeWithNix('module generator output is valid Nix', (nix) => {
  it('parses, and the module evaluates to a module attribute set', async () => {
    const tree = workspace();
    await moduleGenerator(tree, { directory: 'modules/users', image: ['rescue', 'live'], skipFormat: true });
    const root = tempDir('nixiso-module-');
    const files = ['modules/users/default.nix', 'images/rescue/configuration.nix', 'images/live/configuration.nix'];
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), tree.read(file)!);
    }
    execFileSync(nix.nixInstantiate, [...nix.offlineArgs, '--parse', ...files.map((file) => join(root, file))], { env: nix.env, stdio: 'pipe' });
    const evaluated = execFileSync(
      nix.nixInstantiate,
      [...nix.offlineArgs, '--eval', '--strict', '-E', `builtins.attrNames (import ${join(root, 'modules/users')} { config = { }; lib = { }; pkgs = { }; })`],
      { env: nix.env, encoding: 'utf8' },
    );
    expect(evaluated.trim()).toBe('[ ]');
  });
});
