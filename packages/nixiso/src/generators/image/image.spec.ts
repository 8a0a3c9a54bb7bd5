import * as devkit from '@nx/devkit';
import { readJson, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { BACKEND_IDS } from '../../backends';
import { IMAGE_DEFAULTS } from './normalize-options';
import { DEFAULT_HOST_PLATFORM, DEFAULT_PROFILE, DEFAULT_RELEASE, HOST_PLATFORMS, PROFILE_MODULES, RELEASES } from '../../nix/building/releases';
import { imageConfigurations } from '../../nix/language/image-detect';
import { imageGenerator } from './image';
import type { ImageGeneratorSchema } from './schema';
import schemaJson from './schema.json';
import generatorsJson from '../../../generators.json';

jest.mock('@nx/devkit', () => ({ ...jest.requireActual('@nx/devkit'), formatFiles: jest.fn(async () => undefined) }));

/** The article's values, with English comments: the exact files of variants 1-4. */
const ARTICLE = {
  configuration: `{
  pkgs,
  modulesPath,
  ...
}:
{
  # The installer profile sets up everything a bootable NixOS image needs.
  # One import per line: nixiso generators add their imports to this list.
  imports = [
    "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
  ];

  # Change the architecture if the image targets another one.
  nixpkgs.hostPlatform = "x86_64-linux";
  # The release whose defaults the options of this configuration follow.
  system.stateVersion = "24.05";

  # Any other option goes below, as in an ordinary configuration.nix.
  environment.systemPackages = with pkgs; [
    git
    neovim
  ];
}
`,
  flake: `{
  inputs = {
    # The NixOS release the image is built from.
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  };

  outputs = { nixpkgs, ... }: {
    # Build with: nix build .#nixosConfigurations.liveImage.config.system.build.isoImage
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      modules = [
        ./configuration.nix
      ];
    };
  };
}
`,
  homeBody: `  home-manager = let
    # The installer profile defines a single user, "nixos"; any other user
    # must also be created in configuration.nix (users.users.<name>).
    username = "nixos";
  in {
    # Use the system's pkgs instead of a separate nixpkgs instance.
    useGlobalPkgs = true;
    # Install home.packages through /etc/profiles instead of ~/.nix-profile.
    useUserPackages = true;
    users.\${username} = { pkgs, osConfig, ... }: {
      # The system configuration is available as the osConfig argument.
      home.stateVersion = osConfig.system.stateVersion;
      home.username = username;
      home.homeDirectory = "/home/\${username}";

      # Everything else is an ordinary home-manager configuration.
      home.packages = with pkgs; [
        jq
        fzf
        curl
      ];
    };
  };
}
`,
  flakeHomeManager: `{
  inputs = {
    # The NixOS release the image is built from.
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

    # home-manager must be the same release as nixpkgs.
    home-manager = {
      url = "github:nix-community/home-manager/release-24.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = {
    nixpkgs,
    home-manager,
    ...
  }: let
  in {
    # Build with: nix build .#nixosConfigurations.liveImage.config.system.build.isoImage
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      # Passes home-manager to every module as an argument (see home.nix).
      specialArgs = { inherit home-manager; };
      modules = [
        # home-manager.nixosModules.home-manager could also be imported here.
        ./configuration.nix
      ];
    };
  };
}
`,
};
const ARTICLE_CONFIGURATION_HM = ARTICLE.configuration
  .replace('needs.\n', 'needs.\n  # home.nix holds the home-manager configuration.\n')
  .replace('minimal.nix"\n', 'minimal.nix"\n    ./home.nix\n');
const ARTICLE_HOME_CHANNEL = `{ pkgs, ... }:
{
  imports = [
    <home-manager/nixos>
  ];
${ARTICLE.homeBody}`;
const ARTICLE_HOME_FLAKE = `{
  pkgs,
  home-manager, # from specialArgs in flake.nix
  ...
}:
{
  imports = [
    home-manager.nixosModules.home-manager
  ];
${ARTICLE.homeBody}`;

const article: Partial<ImageGeneratorSchema> = { release: '24.05', skipFormat: true };

function snapshot(tree: Tree) {
  return tree.listChanges().map((c) => [c.path, c.type, c.content?.toString()]);
}

function read(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`${path} was not generated`);
  return content;
}

function filesIn(tree: Tree, dir: string): string[] {
  return tree.children(dir).sort();
}

describe('image generator', () => {
  let tree: Tree;
  const run = (options: Partial<ImageGeneratorSchema> = {}) =>
    imageGenerator(tree, { directory: 'images/demo', skipFormat: true, ...options });
  const configuration = () => read(tree, 'images/demo/configuration.nix');

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    jest.mocked(devkit.formatFiles).mockClear();
  });

  describe('with the article values, writes the article files exactly', () => {
    it('layout 1: channel', async () => {
      await run(article);
      expect(filesIn(tree, 'images/demo')).toEqual(['configuration.nix', 'project.json']);
      expect(configuration()).toBe(ARTICLE.configuration);
    });

    it('layout 2: flake, with the same configuration.nix', async () => {
      await run({ ...article, flake: true });
      expect(filesIn(tree, 'images/demo')).toEqual(['configuration.nix', 'flake.nix', 'project.json']);
      expect(configuration()).toBe(ARTICLE.configuration);
      expect(read(tree, 'images/demo/flake.nix')).toBe(ARTICLE.flake);
    });

    it('layout 3: channel + home-manager', async () => {
      await run({ ...article, homeManager: true });
      expect(filesIn(tree, 'images/demo')).toEqual(['configuration.nix', 'home.nix', 'project.json']);
      expect(configuration()).toBe(ARTICLE_CONFIGURATION_HM);
      expect(read(tree, 'images/demo/home.nix')).toBe(ARTICLE_HOME_CHANNEL);
    });

    it('layout 4: flake + home-manager', async () => {
      await run({ ...article, flake: true, homeManager: true });
      expect(filesIn(tree, 'images/demo')).toEqual(['configuration.nix', 'flake.nix', 'home.nix', 'project.json']);
      expect(configuration()).toBe(ARTICLE_CONFIGURATION_HM);
      expect(read(tree, 'images/demo/home.nix')).toBe(ARTICLE_HOME_FLAKE);
      expect(read(tree, 'images/demo/flake.nix')).toBe(ARTICLE.flakeHomeManager);
    });

    it('without options the files differ from the article only in the release', async () => {
      await run({ flake: true, homeManager: true });
      const release = DEFAULT_RELEASE.id;
      expect(configuration()).toBe(ARTICLE_CONFIGURATION_HM.replace('"24.05"', `"${release}"`));
      expect(read(tree, 'images/demo/flake.nix')).toBe(ARTICLE.flakeHomeManager.replace(/24\.05/g, release));
    });
  });

  describe('project', () => {
    it('writes project.json without targets and registers the graph plugin', async () => {
      await run();
      expect(readJson(tree, 'images/demo/project.json')).toEqual({
        name: 'demo',
        $schema: '../../node_modules/nx/schemas/project-schema.json',
        sourceRoot: 'images/demo',
        projectType: 'application',
        tags: [],
      });
      expect(readNxJson(tree)?.plugins).toEqual([expect.objectContaining({ plugin: '@nixiso/nx' })]);
    });

    it('uses --name and --tags', async () => {
      await run({ name: 'rescue', tags: 'type:image,scope:lab' });
      expect(readJson(tree, 'images/demo/project.json')).toMatchObject({ name: 'rescue', tags: ['type:image', 'scope:lab'] });
    });

    it('records a non-default backend as an option of the inferred build target', async () => {
      await run({ backend: 'nixos-generators' });
      expect(readJson(tree, 'images/demo/project.json').targets).toEqual({ build: { options: { backend: 'nixos-generators' } } });
    });

    it('uses the build target name configured for the plugin', async () => {
      const nxJson = readNxJson(tree)!;
      updateNxJson(tree, { ...nxJson, plugins: [{ plugin: '@nixiso/nx', options: { buildTargetName: 'iso' } }] });
      await run({ backend: 'build-image' });
      expect(readJson(tree, 'images/demo/project.json').targets).toEqual({ iso: { options: { backend: 'build-image' } } });
      expect(readNxJson(tree)?.plugins).toHaveLength(1);
    });

    it('records the size budgets given, as given, with a non-default backend', async () => {
      await run({ maxImageSize: '1.5GiB', maxClosureSize: 4000000000, backend: 'nixos-generators' });
      expect(readJson(tree, 'images/demo/project.json').targets).toEqual({
        build: { options: { backend: 'nixos-generators', maxImageSize: '1.5GiB', maxClosureSize: 4000000000 } },
      });
    });

    it('records a size budget alone, without the default backend', async () => {
      await run({ maxClosureSize: '800MiB' });
      expect(readJson(tree, 'images/demo/project.json').targets).toEqual({ build: { options: { maxClosureSize: '800MiB' } } });
    });

    it.each([[undefined], ['nix' as const]])('writes no target for backend %s', async (backend) => {
      await run({ backend });
      expect(readJson(tree, 'images/demo/project.json').targets).toBeUndefined();
    });

    it('formats files unless --skipFormat', async () => {
      await run({ skipFormat: false });
      expect(devkit.formatFiles).toHaveBeenCalledTimes(1);
      await run({ directory: 'images/other', skipFormat: true });
      expect(devkit.formatFiles).toHaveBeenCalledTimes(1);
    });
  });

  describe('options', () => {
    it('release: flake inputs and stateVersion follow it, nixpkgs and home-manager alike', async () => {
      await run({ flake: true, homeManager: true, release: '25.11' });
      const flake = read(tree, 'images/demo/flake.nix');
      expect(flake).toContain('nixpkgs.url = "github:nixos/nixpkgs/nixos-25.11";');
      expect(flake).toContain('url = "github:nix-community/home-manager/release-25.11";');
      expect(configuration()).toContain('system.stateVersion = "25.11";');
    });

    it('release unstable: nixos-unstable with home-manager master', async () => {
      await run({ flake: true, homeManager: true, release: 'unstable' });
      const flake = read(tree, 'images/demo/flake.nix');
      expect(flake).toContain('"github:nixos/nixpkgs/nixos-unstable"');
      expect(flake).toContain('"github:nix-community/home-manager/master"');
    });

    it('stateVersion, hostPlatform', async () => {
      await run({ stateVersion: '23.11', hostPlatform: 'aarch64-linux' });
      expect(configuration()).toContain('system.stateVersion = "23.11";');
      expect(configuration()).toContain('nixpkgs.hostPlatform = "aarch64-linux";');
    });

    it('configurationName', async () => {
      await run({ flake: true, configurationName: 'rescue-x86' });
      expect(read(tree, 'images/demo/flake.nix')).toContain('nixosConfigurations.rescue-x86 = nixpkgs.lib.nixosSystem {');
    });

    it('profile: the release`s installer module', async () => {
      await run({ profile: 'gnome' });
      expect(configuration()).toContain('"${modulesPath}/installer/cd-dvd/installation-cd-graphical-gnome.nix"');
    });

    it('packages and homePackages, one attribute path per line', async () => {
      await run({ homeManager: true, packages: 'htop,python3Packages.requests', homePackages: ['ripgrep'] });
      expect(configuration()).toContain('environment.systemPackages = with pkgs; [\n    htop\n    python3Packages.requests\n  ];');
      expect(read(tree, 'images/demo/home.nix')).toContain('home.packages = with pkgs; [\n        ripgrep\n      ];');
    });

    it('empty package lists stay valid lists', async () => {
      await run({ homeManager: true, packages: [], homePackages: '' });
      expect(configuration()).toContain('environment.systemPackages = with pkgs; [\n  ];');
      expect(read(tree, 'images/demo/home.nix')).toContain('home.packages = with pkgs; [\n      ];');
    });

    it('username: another user is created like the installer`s own and gets the home-manager config', async () => {
      await run({ homeManager: true, username: 'alice' });
      expect(configuration()).toContain(
        '  users.users.alice = {\n    isNormalUser = true;\n    extraGroups = [ "wheel" "networkmanager" ];\n    initialHashedPassword = "";\n  };\n',
      );
      expect(read(tree, 'images/demo/home.nix')).toContain('username = "alice";');
    });

    it('username nixos: the installer profile already defines it', async () => {
      await run({ username: 'nixos' });
      expect(configuration()).not.toContain('users.users');
    });

    it('hostName and timeZone', async () => {
      await run({ hostName: 'lab-1', timeZone: 'America/Argentina/Buenos_Aires' });
      expect(configuration()).toContain('  networking.hostName = "lab-1";\n');
      expect(configuration()).toContain('  time.timeZone = "America/Argentina/Buenos_Aires";\n');
    });

    it('a package named like a binding of the generated file is written pkgs.<name>, so that it means the package', async () => {
      await run({ flake: true, homeManager: true, packages: 'modulesPath,git,toString', homePackages: 'home-manager,username,osConfig,jq' });
      expect(configuration()).toContain('environment.systemPackages = with pkgs; [\n    pkgs.modulesPath\n    git\n    pkgs.toString\n  ];');
      expect(read(tree, 'images/demo/home.nix')).toContain(
        'home.packages = with pkgs; [\n        pkgs.home-manager\n        pkgs.username\n        pkgs.osConfig\n        jq\n      ];',
      );
    });

    it('sshAuthorizedKeys: starts OpenSSH and puts the keys on the user', async () => {
      await run({ username: 'alice', sshAuthorizedKeys: ['ssh-ed25519 AAAA alice@lab', 'ssh-rsa BBBB "x"'] });
      const text = configuration();
      expect(text).toContain('services.openssh.enable = true;');
      expect(text).not.toContain('\\n');
      expect(text).toContain('systemd.services.sshd.wantedBy = pkgs.lib.mkOverride 40 [ "multi-user.target" ];');
      expect(text).toContain('users.users.alice.openssh.authorizedKeys.keys = [\n    "ssh-ed25519 AAAA alice@lab"\n    "ssh-rsa BBBB \\"x\\""\n  ];');
    });

    it('no ssh keys: no OpenSSH settings', async () => {
      await run({ sshAuthorizedKeys: [] });
      expect(configuration()).not.toContain('openssh');
    });

    it.each([
      ['24.05', 'isoImage.isoBaseName = "rescue";'],
      ['24.11', 'isoImage.isoBaseName = "rescue";'],
      ['25.05', 'image.baseName = "rescue";'],
      ['unstable', 'image.baseName = "rescue";'],
    ])('isoBaseName on %s: %s', async (release, line) => {
      await run({ release, isoBaseName: 'rescue' });
      expect(configuration()).toContain(`  ${line}\n`);
      expect(configuration().match(/baseName|isoBaseName/g)).toHaveLength(1);
    });

    it('keeps the imports list one import per line for the module generator', async () => {
      await run({ homeManager: true, profile: 'plasma6', release: '25.05' });
      const list = /^ {2}imports = \[\n((?: {4}.*\n)*) {2}\];$/m.exec(configuration());
      expect(list?.[1].split('\n').filter(Boolean)).toEqual([
        '    "${modulesPath}/installer/cd-dvd/installation-cd-graphical-plasma6.nix"',
        '    ./home.nix',
      ]);
    });
  });

  describe('bad input writes nothing', () => {
    it.each<[Partial<ImageGeneratorSchema>, RegExp]>([
      [{ name: 'bad name' }, /--name="bad name"/],
      [{ release: '23.11' }, /--release="23.11"/],
      [{ profile: 'plasma5', release: '25.11' }, /--profile="plasma5"/],
      [{ packages: 'git,"neovim"' }, /--packages="\\"neovim\\""/],
      [{ packages: 'neo vim' }, /--packages="neo vim"/],
      [{ hostPlatform: 'i686-linux' }, /--hostPlatform="i686-linux"/],
      [{ directory: '../x' }, /--directory="..\/x"/],
      [{ directory: '/tmp/x' }, /--directory="\/tmp\/x"/],
      [{ username: 'Bob' }, /--username="Bob"/],
      [{ hostName: 'lab.example.org' }, /--hostName="lab\.example\.org": is not a host name NixOS accepts \(networking\.hostName must be a DNS label/],
      [{ hostName: 'lab "1"' }, /--hostName="lab \\"1\\"": is not a host name NixOS accepts/],
      [{ hostName: 'lab-${x}"' }, /--hostName="lab-\$\{x\}\\"": is not a host name NixOS accepts/],
      [{ timeZone: 'Central European Time' }, /--timeZone="Central European Time": is not a tz database name .*stricter tz shape/],
      [{ sshAuthorizedKeys: ['ssh-ed25519 AAAA a\nssh-ed25519 BBBB b'] }, /--sshAuthorizedKeys="ssh-ed25519 AAAA a\\nssh-ed25519 BBBB b": an SSH key is one line/],
      [{ sshAuthorizedKeys: 'ssh-dss AAAA old' }, /--sshAuthorizedKeys="ssh-dss AAAA old": unknown key type "ssh-dss"/],
      [{ release: '24.11', stateVersion: '25.05' }, /--stateVersion="25\.05": is newer than the image's release, 24\.11 \(--release\)/],
      [{ stateVersion: '24.00' }, /--stateVersion="24\.00": must be a NixOS release number YY\.MM/],
      [{ homePackages: 'jq,python3Packages.' }, /--homePackages="python3Packages\.": is not a Nix attribute path in pkgs/],
    ])('%j', async (options, message) => {
      const before = snapshot(tree);
      await expect(run(options)).rejects.toThrow(message);
      expect(snapshot(tree)).toEqual(before);
    });

    it('a directory that exists and is not empty', async () => {
      tree.write('images/demo/README.md', 'mine');
      const before = snapshot(tree);
      await expect(run()).rejects.toThrow(/--directory="images\/demo": exists and is not empty \(configuration\.nix would change\)/);
      expect(snapshot(tree)).toEqual(before);
    });

    it('a directory that is a file', async () => {
      const before = snapshot(tree);
      await expect(run({ directory: 'package.json' })).rejects.toThrow(/--directory="package.json": is a file/);
      expect(snapshot(tree)).toEqual(before);
    });

    it('a name another project has', async () => {
      await run({ directory: 'images/a', name: 'rescue' });
      const before = snapshot(tree);
      await expect(run({ directory: 'images/b', name: 'rescue' })).rejects.toThrow(/--name="rescue": already the name of the project in images\/a/);
      expect(snapshot(tree)).toEqual(before);
    });
  });

  describe('another configuration for an existing image flake', () => {
    const flakeNix = () => read(tree, 'images/demo/flake.nix');
    /** The image configurations the graph plugin finds in the generated flake. */
    const imageConfigurationsOf = () =>
      imageConfigurations(`${tree.root}/images/demo/flake.nix`, flakeNix(), (path) => {
        const rel = path.slice(tree.root.length + 1);
        return tree.exists(rel) ? (tree.read(rel, 'utf-8') ?? undefined) : undefined;
      });

    it('writes <configuration>.nix and adds nixosConfigurations.<configuration> to flake.nix, modelled on the first', async () => {
      await run({ flake: true, release: '24.05' });
      const projectJson = read(tree, 'images/demo/project.json');
      await run({ configurationName: 'rescue', hostName: 'rescue', packages: 'git,htop' });
      expect(flakeNix()).toBe(
        ARTICLE.flake.replace(
          '    };\n  };\n}',
          '    };\n\n    nixosConfigurations.rescue = nixpkgs.lib.nixosSystem {\n      modules = [\n        ./rescue.nix\n      ];\n    };\n  };\n}',
        ),
      );
      const rescue = read(tree, 'images/demo/rescue.nix');
      expect(rescue).toContain('networking.hostName = "rescue";');
      expect(rescue).toContain('system.stateVersion = "24.05";');
      expect(rescue).toContain('    htop\n');
      expect(configuration()).toBe(ARTICLE.configuration);
      expect(read(tree, 'images/demo/project.json')).toBe(projectJson);
      expect(imageConfigurationsOf()).toEqual(['liveImage', 'rescue']);
    });

    it('with home-manager: the new configuration has its own home module and the flake’s specialArgs', async () => {
      await run({ flake: true, homeManager: true, release: '24.05' });
      await run({ configurationName: 'kiosk', homeManager: true, homePackages: 'jq' });
      expect(read(tree, 'images/demo/kiosk.nix')).toContain('    ./kiosk-home.nix\n');
      expect(read(tree, 'images/demo/kiosk-home.nix')).toContain('jq');
      expect(flakeNix()).toMatch(/nixosConfigurations\.kiosk = nixpkgs\.lib\.nixosSystem \{\n\s+# Passes home-manager[^\n]*\n\s+specialArgs = \{ inherit home-manager; \};[\s\S]*\.\/kiosk\.nix/);
      expect(imageConfigurationsOf()).toEqual(['liveImage', 'kiosk']);
    });

    it('a configuration set written by hand gets the new one as an attribute of the set', async () => {
      tree.write(
        'images/demo/flake.nix',
        '{\n  outputs = { nixpkgs, ... }: {\n    nixosConfigurations = {\n      usb = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ./usb.nix ]; };\n    };\n  };\n}\n',
      );
      tree.write('images/demo/configuration.nix', ARTICLE.configuration);
      await run({ configurationName: 'dvd' });
      expect(flakeNix()).toContain(
        '      usb = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ./usb.nix ]; };\n      dvd = nixpkgs.lib.nixosSystem { modules = [ ./dvd.nix ./usb.nix ]; };\n',
      );
    });

    it('a re-run with the same options changes nothing; other options, another release or a missing home-manager input fail and write nothing', async () => {
      await run({ flake: true, release: '24.05' });
      await run({ configurationName: 'rescue', hostName: 'rescue' });
      const before = snapshot(tree);
      await run({ configurationName: 'rescue', hostName: 'rescue' });
      expect(snapshot(tree)).toEqual(before);
      await expect(run({ configurationName: 'rescue', hostName: 'other' })).rejects.toThrow(
        '--configurationName="rescue": images/demo/rescue.nix exists with other content',
      );
      await expect(run({ configurationName: 'kiosk', release: '25.05' })).rejects.toThrow(
        '--release="25.05": images/demo/flake.nix builds from NixOS 24.05 (its nixpkgs input)',
      );
      await expect(run({ configurationName: 'kiosk', homeManager: true })).rejects.toThrow(
        '--homeManager: images/demo/flake.nix has no home-manager input for configuration "kiosk"',
      );
      expect(snapshot(tree)).toEqual(before);
    });

    it('a flake without a configuration importing ./configuration.nix to model on fails, naming what to add by hand', async () => {
      tree.write('images/demo/flake.nix', '{ outputs = { nixpkgs, ... }: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; }; }\n');
      const before = snapshot(tree);
      await expect(run({ configurationName: 'b' })).rejects.toThrow(
        '--configurationName="b": images/demo/flake.nix has no nixosConfigurations entry that imports ./configuration.nix',
      );
      expect(snapshot(tree)).toEqual(before);
    });
  });

  describe('re-running', () => {
    it('with the same options changes nothing, in every layout', async () => {
      for (const [flake, homeManager] of [[false, false], [true, false], [false, true], [true, true]]) {
        const options = { directory: `images/${flake}-${homeManager}`, flake, homeManager, username: 'alice', tags: 'x', backend: 'nixos-generators' as const };
        await run(options);
        const before = snapshot(tree);
        await run(options);
        expect(snapshot(tree)).toEqual(before);
      }
    });

    it('tolerates files the generator does not write, such as flake.lock', async () => {
      await run({ flake: true });
      tree.write('images/demo/flake.lock', '{}');
      const before = snapshot(tree);
      await run({ flake: true });
      expect(snapshot(tree)).toEqual(before);
    });

    it('with other options fails and writes nothing', async () => {
      await run({ flake: true });
      const before = snapshot(tree);
      await expect(run({ flake: true, packages: 'git' })).rejects.toThrow(/exists and is not empty \(configuration\.nix would change\)/);
      await expect(run({ flake: true, tags: 'new' })).rejects.toThrow(/exists and is not empty \(its project\.json differs\)/);
      await expect(run({ flake: true, homeManager: true })).rejects.toThrow(/\(configuration\.nix, home\.nix, flake\.nix would change\)/);
      expect(snapshot(tree)).toEqual(before);
    });

    it('after the user edited a file fails and writes nothing', async () => {
      await run();
      tree.write('images/demo/configuration.nix', configuration().replace('neovim', 'emacs'));
      const before = snapshot(tree);
      await expect(run()).rejects.toThrow(/exists and is not empty/);
      expect(snapshot(tree)).toEqual(before);
    });
  });
});

describe('schema.json', () => {
  const properties = schemaJson.properties as Record<string, { description?: string; default?: unknown }>;

  it('describes every option', () => {
    expect(Object.keys(properties).sort()).toEqual(
      [
        'directory', 'name', 'flake', 'homeManager', 'release', 'stateVersion', 'hostPlatform', 'configurationName', 'profile',
        'packages', 'homePackages', 'username', 'hostName', 'timeZone', 'sshAuthorizedKeys', 'isoBaseName', 'backend', 'tags', 'skipFormat', 'skipLock',
        'maxImageSize', 'maxClosureSize',
      ].sort(),
    );
    for (const [name, property] of Object.entries(properties)) expect([name, property.description]).toEqual([name, expect.any(String)]);
    expect(schemaJson.properties.directory.$default).toEqual({ $source: 'argv', index: 0 });
    expect(schemaJson.required).toEqual(['directory']);
    expect(schemaJson.properties.flake['x-prompt']).toBeDefined();
    expect(schemaJson.properties.homeManager['x-prompt']).toBeDefined();
  });

  // No `enum`s: Nx would reject a value with "should be a 'string'"; the
  // normalisation's messages are clearer. The descriptions list the choices.
  it('agrees with the tables and the defaults of the normalisation', () => {
    const mentionsAll = (key: string, values: readonly string[]) =>
      expect([key, values.filter((v) => !properties[key].description?.includes(v))]).toEqual([key, []]);
    mentionsAll('release', RELEASES.map((r) => r.id));
    mentionsAll('profile', Object.keys(PROFILE_MODULES));
    mentionsAll('hostPlatform', HOST_PLATFORMS);
    mentionsAll('backend', BACKEND_IDS);
    // No schema default: a configuration added to an image flake takes the flake's release unless --release is given.
    expect(properties.release.default).toBeUndefined();
    expect(properties.release.description).toContain('newest stable release');
    expect(properties.profile.default).toBe(DEFAULT_PROFILE);
    expect(properties.hostPlatform.default).toBe(DEFAULT_HOST_PLATFORM);
    for (const key of ['configurationName', 'packages', 'homePackages', 'username', 'backend'] as const) {
      expect([key, properties[key].default]).toEqual([key, IMAGE_DEFAULTS[key]]);
    }
  });

  it('is the schema generators.json names for `image`', () => {
    expect(generatorsJson.generators.image).toMatchObject({ factory: './src/generators/image/image', schema: './src/generators/image/schema.json' });
  });
});
