import { posix } from 'node:path';
import { imageConfigurations, imageKindOf, nixMeaning } from './image-detect';

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
