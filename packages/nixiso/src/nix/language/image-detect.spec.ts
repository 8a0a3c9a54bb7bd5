import { posix } from 'node:path';
import { type FlakeReading, imageConfigurations, imageKindOf, nixMeaning, readFlake, type SourceTree } from './image-detect';

/** An in-memory workspace: absolute path → source. */
function files(tree: Record<string, string>) {
  const read = (path: string) => tree[path];
  const kind = (file: string, optIn?: boolean) => imageKindOf(file, tree[file], read, optIn);
  return { read, kind };
}

const INSTALLER = '"${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"';

describe('imageKindOf: a corpus of realistic files', () => {
  it('a host flake with a laptop and a server is no image; a comment or a string mentioning the installer does not change that', () => {
    const { kind } = files({
      '/ws/hosts/flake.nix': [
        '{',
        '  # nixosConfigurations.iso would import installer/cd-dvd/installation-cd-minimal.nix',
        '  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";',
        '  outputs = { nixpkgs, ... }: {',
        '    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem { modules = [ ./laptop.nix ]; };',
        '    nixosConfigurations.server = nixpkgs.lib.nixosSystem { modules = [ ./server ]; };',
        '  };',
        '}',
      ].join('\n'),
      '/ws/hosts/laptop.nix': '{ ... }: { networking.hostName = "laptop"; users.motd = "see installer/cd-dvd/ for the ISO"; }',
      '/ws/hosts/server/default.nix': '{ modulesPath, ... }: { imports = [ "${modulesPath}/virtualisation/qemu-vm.nix" ]; }',
    });
    expect(kind('/ws/hosts/flake.nix')).toBeUndefined();
  });

  it('a flake whose text mentions nixosConfigurations only in a comment or a string is no image', () => {
    const { kind } = files({
      '/ws/lib/flake.nix': `{\n  # exports no nixosConfigurations\n  description = "helpers for nixosConfigurations";\n  outputs = { ... }: { lib.x = ${INSTALLER}; };\n}`,
    });
    expect(kind('/ws/lib/flake.nix')).toBeUndefined();
  });

  it('a flake is an image when a configuration it builds imports an installer profile, through let bindings and other files', () => {
    const { kind } = files({
      '/ws/images/lab/flake.nix': [
        '{',
        '  outputs = { nixpkgs, ... }: let',
        '    mkIso = modules: nixpkgs.lib.nixosSystem { inherit modules; };',
        '  in {',
        '    nixosConfigurations.lab = mkIso [ ./hosts/lab.nix ];',
        '  };',
        '}',
      ].join('\n'),
      '/ws/images/lab/hosts/lab.nix': '{ ... }: { imports = [ ../common ]; }',
      '/ws/images/lab/common/default.nix': `{ modulesPath, ... }: {\n  imports = [\n    ${INSTALLER}\n  ];\n}`,
    });
    expect(kind('/ws/images/lab/flake.nix')).toBe('flake');
  });

  it('image options, nixos-generators formats and <nixpkgs/nixos/modules/…> lookups count as code', () => {
    const { kind } = files({
      '/ws/a/configuration.nix': '{ ... }: { isoImage.isoBaseName = "rescue"; }',
      '/ws/b/configuration.nix': '{ ... }: { imports = [ <nixpkgs/nixos/modules/installer/cd-dvd/iso-image.nix> ]; }',
      '/ws/c/flake.nix': '{ outputs = { nixos-generators, nixpkgs, ... }: { nixosConfigurations.x = nixpkgs.lib.nixosSystem { modules = [ nixos-generators.nixosModules.iso ]; }; }; }',
      '/ws/d/configuration.nix': '{ ... }: { image.modules.custom = { }; }',
      '/ws/e/configuration.nix': '{ lib, ... }: { boot.loader.grub.enable = lib.mkDefault true; }',
      '/ws/f/configuration.nix': '{ modulesPath, ... }: { imports = [ "${modulesPath}/virtualisation/amazon-image.nix" ]; }',
    });
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((p) => kind(posix.join('/ws', p, p === 'c' ? 'flake.nix' : 'configuration.nix')))).toEqual([
      'channel',
      'channel',
      'flake',
      'channel',
      undefined,
      undefined,
    ]);
  });

  it('project.json metadata.nixiso.image opts a configuration in or out', () => {
    const { kind } = files({
      '/ws/hosts/vm/configuration.nix': '{ ... }: { networking.hostName = "vm"; }',
      '/ws/images/old/configuration.nix': `{ modulesPath, ... }: { imports = [ ${INSTALLER} ]; }`,
    });
    expect(kind('/ws/hosts/vm/configuration.nix', true)).toBe('channel');
    expect(kind('/ws/images/old/configuration.nix', false)).toBeUndefined();
    expect(kind('/ws/images/old/configuration.nix')).toBe('channel');
  });

  it('an import cycle between local files ends', () => {
    const { kind } = files({
      '/ws/x/configuration.nix': '{ imports = [ ./a.nix ]; }',
      '/ws/x/a.nix': '{ imports = [ ./configuration.nix ./b.nix ]; }',
      '/ws/x/b.nix': '{ imports = [ ./a.nix ]; }',
    });
    expect(kind('/ws/x/configuration.nix')).toBeUndefined();
  });
});

describe('nixMeaning', () => {
  it('blanks comments and string bodies, keeps module paths named in strings', () => {
    const m = nixMeaning('# nixosConfigurations\n{ a = "nixosConfigurations"; b = "${modulesPath}/x.nix"; c = ./y.nix; }', '/ws/f.nix');
    expect(m.code).not.toMatch(/nixosConfigurations/);
    expect(m.code).toContain('c = ./y.nix;');
    expect(m.modulePaths).toEqual(['${modulesPath}/x.nix']);
    expect(m.references).toEqual(['/ws/y.nix']);
  });
});

describe('imageConfigurations', () => {
  it('a flake with two host configurations and two ISO configurations: the two ISOs, in every spelling of nixosConfigurations', () => {
    const tree: Record<string, string> = {
      '/ws/infra/flake.nix': [
        '{',
        '  outputs = { nixpkgs, ... }: {',
        '    # nixosConfigurations.old = an ISO we no longer build',
        '    nixosConfigurations = {',
        '      laptop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/laptop.nix ]; };',
        '      rescue = nixpkgs.lib.nixosSystem {',
        '        modules = [ ./images/rescue.nix { networking.hostName = "rescue"; } ];',
        '      };',
        '    };',
        '    nixosConfigurations.server = nixpkgs.lib.nixosSystem { modules = [ ./hosts/server.nix ]; };',
        `    nixosConfigurations."lab-installer" = nixpkgs.lib.nixosSystem { modules = [ ({ modulesPath, ... }: { imports = [ ${INSTALLER} ]; }) ]; };`,
        '  };',
        '}',
      ].join('\n'),
      '/ws/infra/hosts/laptop.nix': '{ ... }: { networking.hostName = "laptop"; }',
      '/ws/infra/hosts/server.nix': '{ modulesPath, ... }: { imports = [ "${modulesPath}/virtualisation/qemu-vm.nix" ]; }',
      '/ws/infra/images/rescue.nix': `{ modulesPath, ... }: { imports = [ ${INSTALLER} ]; }`,
    };
    const read = (path: string) => tree[path];
    expect(imageConfigurations('/ws/infra/flake.nix', tree['/ws/infra/flake.nix'], read)).toEqual(['rescue', 'lab-installer']);
    expect(imageKindOf('/ws/infra/flake.nix', tree['/ws/infra/flake.nix'], read)).toBe('flake');
  });
});

/** An in-memory tree with directory listings, for readFlake. */
function sourceTree(tree: Record<string, string>): SourceTree {
  return {
    read: (path) => tree[path],
    list(dir) {
      const prefix = `${dir}/`;
      const names = new Set<string>();
      for (const path of Object.keys(tree)) {
        if (!path.startsWith(prefix)) continue;
        const rest = path.slice(prefix.length);
        names.add(rest.includes('/') ? `${rest.split('/')[0]}/` : rest);
      }
      return names.size ? [...names].sort() : undefined;
    },
  };
}

const verdicts = (reading: FlakeReading) => Object.fromEntries(reading.configurations.map((c) => [c.name, c.verdict]));

describe('readFlake: configurations however the flake builds them', () => {
  const HOST = '{ ... }: { networking.hostName = "desk"; }';
  const MODULES_PATH_PLUS = '{ modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; }';

  it('modulesPath + "/installer/…", inputs.nixpkgs + "/nixos/modules/…" and <nixpkgs/nixos/modules/…> are installer imports', () => {
    const t = sourceTree({
      '/ws/flake.nix': [
        '{ outputs = inputs@{ nixpkgs, ... }: {',
        '  nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };',
        '  nixosConfigurations.installer = nixpkgs.lib.nixosSystem { modules = [ ./hosts/installer ]; };',
        '  nixosConfigurations.live = nixpkgs.lib.nixosSystem { modules = [ (inputs.nixpkgs + "/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix") ]; };',
        '  nixosConfigurations.old = nixpkgs.lib.nixosSystem { modules = [ <nixpkgs/nixos/modules/installer/cd-dvd/iso-image.nix> ]; };',
        '}; }',
      ].join('\n'),
      '/ws/desk.nix': '{ ... }: { users.motd = "the installer/cd-dvd/installation-cd-minimal.nix profile is for ISOs"; }',
      '/ws/hosts/installer/default.nix': MODULES_PATH_PLUS,
    });
    const reading = readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t);
    expect(verdicts(reading)).toEqual({ desk: 'host', installer: 'image', live: 'image', old: 'image' });
    expect(reading.configurations[1].because).toBe('hosts/installer/default.nix:1: { modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; }');
    expect(reading.files).toEqual(['/ws/flake.nix', '/ws/desk.nix', '/ws/hosts/installer/default.nix']);
  });

  it('a flake-parts module in another file, and flake-utils-plus hosts with hostDefaults', () => {
    const t = sourceTree({
      '/ws/flake.nix': '{ outputs = inputs@{ flake-parts, ... }: flake-parts.lib.mkFlake { inherit inputs; } { systems = [ "x86_64-linux" ]; imports = [ ./nix/hosts.nix ]; }; }',
      '/ws/nix/hosts.nix': [
        '{ inputs, ... }: {',
        '  flake.nixosConfigurations.desk = inputs.nixpkgs.lib.nixosSystem { modules = [ ../hosts/desk.nix ]; };',
        '  flake.nixosConfigurations.iso = inputs.nixpkgs.lib.nixosSystem { modules = [ ../hosts/iso.nix ]; };',
        '}',
      ].join('\n'),
      '/ws/hosts/desk.nix': HOST,
      '/ws/hosts/iso.nix': MODULES_PATH_PLUS,
      '/ws/fup/flake.nix': [
        '{ outputs = inputs@{ self, flake-utils-plus, ... }: flake-utils-plus.lib.mkFlake {',
        '  inherit self inputs;',
        '  hostDefaults.modules = [ ../hosts/desk.nix ];',
        '  hosts.desk.modules = [ ];',
        '  hosts = { iso.modules = [ ../hosts/iso.nix ]; };',
        '}; }',
      ].join('\n'),
    });
    expect(verdicts(readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t))).toEqual({ desk: 'host', iso: 'image' });
    expect(verdicts(readFlake('/ws/fup/flake.nix', t.read('/ws/fup/flake.nix') as string, t))).toEqual({ desk: 'host', iso: 'image' });
  });

  it('helpers the flake defines are read through; one it does not define leaves the configuration undecided', () => {
    const t = sourceTree({
      '/ws/flake.nix': [
        '{ outputs = inputs@{ nixpkgs, my-lib, ... }:',
        '  let',
        '    lib = import ./lib { inherit inputs; };',
        '    mkIso = { hostName }: nixpkgs.lib.nixosSystem { modules = [ "${nixpkgs}/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix" { networking.hostName = hostName; } ]; };',
        '  in {',
        '    nixosConfigurations = {',
        '      desk = lib.mkHost { name = "desk"; };',
        '      live = lib.mkHost { name = "live"; extraModules = [ (inputs.nixpkgs + "/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix") ]; };',
        '      rescue = mkIso { hostName = "rescue"; };',
        '      server = my-lib.lib.mkServer { };',
        '    };',
        '  };',
        '}',
      ].join('\n'),
      '/ws/lib/default.nix': '{ inputs }: { mkHost = { name, extraModules ? [ ] }: inputs.nixpkgs.lib.nixosSystem { modules = [ ../hosts/${name}.nix ] ++ extraModules; }; }',
      '/ws/hosts/desk.nix': HOST,
      '/ws/hosts/live.nix': HOST,
    });
    const reading = readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t);
    expect(verdicts(reading)).toEqual({ desk: 'host', live: 'image', rescue: 'image', server: 'undecided' });
    expect(reading.configurations[3].because).toBe(
      'flake.nix:10: server = my-lib.lib.mkServer { }; (built by `my-lib.lib.mkServer`, which the flake\'s files do not define)',
    );
  });

  it('mapAttrs over a literal set, genAttrs over literal names, readDir of a folder, and //', () => {
    const t = sourceTree({
      '/ws/flake.nix': [
        '{ outputs = { nixpkgs, ... }: {',
        '  nixosConfigurations = nixpkgs.lib.mapAttrs (name: cfg: nixpkgs.lib.nixosSystem { modules = cfg.modules; }) {',
        '    desk = { modules = [ ./hosts/desk.nix ]; };',
        '    usb = { modules = [ ./hosts/usb.nix ]; };',
        '  } // nixpkgs.lib.genAttrs [ "a" "b" ] (name: nixpkgs.lib.nixosSystem { modules = [ ./hosts/desk.nix ]; })',
        '    // builtins.mapAttrs (name: _: nixpkgs.lib.nixosSystem { modules = [ ./by-dir/${name}/configuration.nix ]; }) (builtins.readDir ./by-dir)',
        '    // import ./more.nix { };',
        '}; }',
      ].join('\n'),
      '/ws/hosts/desk.nix': HOST,
      '/ws/hosts/usb.nix': MODULES_PATH_PLUS,
      '/ws/by-dir/server/configuration.nix': HOST,
      '/ws/by-dir/iso/configuration.nix': MODULES_PATH_PLUS,
      '/ws/more.nix': '{ }: { }',
    });
    const reading = readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t);
    expect(verdicts(reading)).toEqual({ desk: 'host', usb: 'image', a: 'host', b: 'host', iso: 'undecided', server: 'undecided' });
    expect(reading.configurations.find((c) => c.name === 'iso')?.because).toMatch(/^flake.nix:6: \.\/by-dir\/ \(a computed path/);
    expect(reading.computedNames).toEqual(['flake.nix:7: // import ./more.nix { };']);
    expect(reading.directories).toEqual(['/ws/by-dir']);
  });

  it('nixos-generators outputs are images of their format; a host beside them is not', () => {
    const t = sourceTree({
      '/ws/flake.nix': [
        '{ outputs = { nixpkgs, nixos-generators, ... }: {',
        '  packages.x86_64-linux.iso = nixos-generators.nixosGenerate { system = "x86_64-linux"; format = "install-iso"; modules = [ ./iso.nix ]; };',
        '  packages.aarch64-linux = {',
        '    sd = nixos-generators.nixosGenerate { system = "aarch64-linux"; format = "sd-aarch64"; modules = [ ]; };',
        '    default = nixpkgs.legacyPackages.aarch64-linux.hello;',
        '  };',
        '  nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };',
        '}; }',
      ].join('\n'),
      '/ws/iso.nix': '{ ... }: { }',
      '/ws/desk.nix': HOST,
    });
    const reading = readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t);
    expect(reading.configurations.map(({ name, output, verdict }) => ({ name, output, verdict }))).toEqual([
      { name: 'desk', output: { kind: 'nixosConfiguration' }, verdict: 'host' },
      { name: 'iso', output: { kind: 'package', system: 'x86_64-linux', generatorsFormat: 'install-iso' }, verdict: 'image' },
      { name: 'sd', output: { kind: 'package', system: 'aarch64-linux', generatorsFormat: 'sd-aarch64' }, verdict: 'image' },
    ]);
  });

  it("a system's image selected as a package (flake-parts perSystem) is an image of the flake's one system", () => {
    const module = [
      '{ self, inputs, ... }: {',
      '  flake.nixosModules.installer = { modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; };',
      '  perSystem = { system, ... }: {',
      '    packages.installer-iso = (inputs.nixpkgs.lib.nixosSystem { modules = [ self.nixosModules.installer { nixpkgs.hostPlatform = system; } ]; }).config.system.build.isoImage;',
      '  };',
      '}',
    ].join('\n');
    const flake = (systems: string) => `{ outputs = inputs@{ flake-parts, ... }: flake-parts.lib.mkFlake { inherit inputs; } { systems = [ ${systems} ]; imports = [ ./installer.nix ]; }; }`;
    const one = sourceTree({ '/ws/flake.nix': flake('"x86_64-linux"'), '/ws/installer.nix': module });
    expect(readFlake('/ws/flake.nix', one.read('/ws/flake.nix') as string, one).configurations).toEqual([
      { name: 'installer-iso', output: { kind: 'package', system: 'x86_64-linux', generatorsFormat: 'iso' }, verdict: 'image', because: expect.stringMatching(/^installer\.nix:4: /) },
    ]);
    const two = sourceTree({ '/ws/flake.nix': flake('"x86_64-linux" "aarch64-linux"'), '/ws/installer.nix': module });
    expect(readFlake('/ws/flake.nix', two.read('/ws/flake.nix') as string, two).configurations[0].output).toEqual({ kind: 'package', system: undefined, generatorsFormat: 'iso' });
  });

  it('configurations nested in another output are not taken for the flake\'s nixosConfigurations', () => {
    const t = sourceTree({
      '/ws/flake.nix': [
        '{ outputs = { nixpkgs, ... }: {',
        '  packages = builtins.mapAttrs (system: pkgs: {',
        '    nixosConfigurations.live = nixpkgs.lib.nixosSystem { modules = [ ({ modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; }) ]; };',
        '  }) nixpkgs.legacyPackages;',
        '}; }',
      ].join('\n'),
    });
    const reading = readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t);
    expect(reading.configurations).toEqual([]);
    expect(reading.computedNames).toEqual([expect.stringMatching(/^flake\.nix:3: nixosConfigurations\.live = .*\(nixosConfigurations inside another output: build it by its attribute\)$/)]);
  });

  it('nixos-generators outputs in a set joined with //, and names only Nix can tell, as users write them', () => {
    const t = sourceTree({
      '/ws/flake.nix': [
        '{ outputs = { nixpkgs, nixos-generators, ... }: {',
        '  packages.x86_64-linux = {',
        '    nixos-iso = nixos-generators.nixosGenerate { system = "x86_64-linux"; format = "install-iso"; modules = [ ]; };',
        '  } // builtins.listToAttrs (map (m: { name = m; value = m; }) [ ]);',
        '  legacyPackages = { };',
        '} // { packages.aarch64-linux = nixpkgs.lib.genAttrs images (name: nixos-generators.nixosGenerate { format = "sd-aarch64"; modules = [ ]; }); }; }',
      ].join('\n'),
    });
    const reading = readFlake('/ws/flake.nix', t.read('/ws/flake.nix') as string, t);
    expect(reading.configurations.map(({ name, output }) => ({ name, output }))).toEqual([
      { name: 'nixos-iso', output: { kind: 'package', system: 'x86_64-linux', generatorsFormat: 'install-iso' } },
    ]);
    expect(reading.computedNames).toEqual([
      expect.stringMatching(/^flake\.nix:6: .*\(flake outputs whose names only Nix can tell\)$/),
    ]);
  });
});
