/**
 * The flake-parts and flake-utils-plus stand-ins and the sd-aarch64 format,
 * with real Nix: temp flakes whose inputs stay `github:…` in flake.nix and
 * are overridden to the stand-ins on the command line, as in the other specs.
 */
import { rmSync } from 'node:fs';
import { describeWithNix, fixtures, tempTree, type NixTools } from '../src/nix-env';
import { expectOk, run, type Run } from './nix-run';

const NIXPKGS_INPUT = 'nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";';

const DESK = `{
  system.stateVersion = "24.05";
  boot.loader.grub.device = "nodev";
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
}
`;

const ISO_MODULE = `{ modulesPath, ... }:
{
  imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ];
  system.stateVersion = "24.05";
}
`;

// ---- flake-parts ------------------------------------------------------------------

const flakePartsFlake = ({ imports = './hosts.nix', extra = '' } = {}) => `{
  inputs = {
    ${NIXPKGS_INPUT}
    flake-parts.url = "github:hercules-ci/flake-parts";
  };

  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      imports = [ ${imports} ];
      flake.nixosConfigurations.desk = inputs.nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./desk.nix ];
      };
      perSystem = { pkgs, self', system, ... }: {
        packages.hello = pkgs.hello;
        packages.default = self'.packages.hello;
      };
${extra}    };
}
`;

// A flake-parts module: a function of { inputs, withSystem, ... }.
const FLAKE_PARTS_HOSTS = `{ inputs, withSystem, ... }:
{
  flake.nixosConfigurations.iso = withSystem "x86_64-linux" ({ system, ... }:
    inputs.nixpkgs.lib.nixosSystem {
      inherit system;
      modules = [ ./iso.nix ];
    });
}
`;

// ---- flake-utils-plus -------------------------------------------------------------

const fupFlake = () => `{
  inputs = {
    ${NIXPKGS_INPUT}
    flake-utils-plus.url = "github:gytis-ivaskevicius/flake-utils-plus";
  };

  outputs = inputs@{ self, nixpkgs, flake-utils-plus, ... }:
    flake-utils-plus.lib.mkFlake {
      inherit self inputs;
      supportedSystems = [ "x86_64-linux" ];
      channels.nixpkgs.input = nixpkgs;

      hostDefaults = {
        system = "x86_64-linux";
        channelName = "nixpkgs";
        modules = [ ./common.nix ];
        extraArgs.greeting = "hello from extraArgs";
      };
      hosts.iso.modules = [ ./iso.nix ];
      hosts.desk.modules = [ ./desk.nix ];

      outputsBuilder = channels: { packages.hello = channels.nixpkgs.hello; };

      # Passed through to the outputs.
      overlays.default = final: prev: { };
      abc = 132;
    };
}
`;

const FUP_COMMON = `{ pkgs, greeting, inputs, ... }:
{
  environment.systemPackages = [ pkgs.jq ];
  users.users.shared.isNormalUser = true;
  environment.etc.greeting.text = greeting;
}
`;

// ---- nixos-generators sd-aarch64 --------------------------------------------------

const SD_FLAKE = `{
  inputs = {
    ${NIXPKGS_INPUT}
    nixos-generators = {
      url = "github:nix-community/nixos-generators";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, nixos-generators }: {
    packages.x86_64-linux.sd = nixos-generators.nixosGenerate {
      format = "sd-aarch64";
      system = "aarch64-linux";
      modules = [ { system.stateVersion = "24.05"; } ];
    };
    nixosConfigurations.pi = nixpkgs.lib.nixosSystem {
      modules = [
        nixos-generators.nixosModules.sd-aarch64
        { nixpkgs.hostPlatform = "aarch64-linux"; system.stateVersion = "24.05"; }
      ];
    };
  };
}
`;

// ---- tests ------------------------------------------------------------------------

describeWithNix('flake-parts and flake-utils-plus stand-ins, sd-aarch64', (nix: NixTools) => {
  const created: string[] = [];
  const tree = (files: Record<string, string>): string => {
    const dir = tempTree(files, 'nixiso-flake-libs-');
    created.push(dir);
    return dir;
  };

  afterAll(() => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
  });

  const overrides = [
    '--override-input', 'nixpkgs', `path:${fixtures.nixpkgs}`,
    '--override-input', 'flake-parts', `path:${fixtures.flakeParts}`,
    '--override-input', 'flake-utils-plus', `path:${fixtures.flakeUtilsPlus}`,
    '--override-input', 'nixos-generators', `path:${fixtures.nixosGenerators}`,
  ];

  /** `nix eval <dir>#<attr> --json [--apply f]` with every stand-in input overridden (unused overrides only warn). */
  function evalRaw(dir: string, attr: string, apply?: string): Run {
    return run(
      nix,
      nix.nix,
      ['eval', `${dir}#${attr}`, '--json', ...(apply ? ['--apply', apply] : []), ...overrides, ...nix.flakeArgs, ...nix.offlineArgs],
      dir,
    );
  }

  function evalJson(dir: string, attr: string, apply?: string): unknown {
    const r = evalRaw(dir, attr, apply);
    expectOk(r);
    return JSON.parse(r.stdout);
  }

  const ISO_DRV = /^\/nix\/store\/[a-z0-9]{32}-nixos-24\.05\.\d{8}\.dirty-x86_64-linux\.iso\.drv$/;

  describe('flake-parts mkFlake', () => {
    const files = { 'flake.nix': flakePartsFlake(), 'hosts.nix': FLAKE_PARTS_HOSTS, 'iso.nix': ISO_MODULE, 'desk.nix': DESK };

    it('merges nixosConfigurations from the flake and an imported module; the installer ISO evaluates', () => {
      const dir = tree(files);
      expect(evalJson(dir, 'nixosConfigurations', 'builtins.attrNames')).toEqual(['desk', 'iso']);
      expect(evalJson(dir, 'nixosConfigurations.iso.config.system.build.isoImage.drvPath')).toMatch(ISO_DRV);
      expect(evalJson(dir, 'nixosConfigurations.desk.config.system.build.toplevel.drvPath')).toMatch(/-nixos-system-nixos-24\.05\.\d{8}\.dirty\.drv$/);
    });

    it('transposes perSystem packages to packages.<system> (pkgs from the nixpkgs input, self\' per system)', () => {
      const dir = tree(files);
      expect(evalJson(dir, 'packages', 'p: builtins.mapAttrs (_: builtins.attrNames) p')).toEqual({ 'x86_64-linux': ['default', 'hello'] });
      expect(evalJson(dir, 'packages.x86_64-linux.default.pname')).toBe('hello');
      // flake-parts' other per-system outputs exist for every system, empty here.
      expect(evalJson(dir, 'devShells')).toEqual({ 'x86_64-linux': {} });
    });

    it('rejects an unknown top-level option as the module system does', () => {
      const dir = tree({ ...files, 'flake.nix': flakePartsFlake({ extra: '      foo = 1;\n' }) });
      const r = evalRaw(dir, 'nixosConfigurations', 'builtins.attrNames');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/The option `foo' does not exist\. Definition values:\n\s+- In `\/nix\/store\/[^']+-source\/flake\.nix': 1/);
    });

    it('rejects an unknown perSystem option and the same configuration defined twice', () => {
      const perSystem = tree({ ...files, 'flake.nix': flakePartsFlake({ imports: './hosts.nix { perSystem.packagez.x = 1; }' }) });
      const r1 = evalRaw(perSystem, 'packages.x86_64-linux.hello.pname');
      expect(r1.status).not.toBe(0);
      expect(r1.stderr).toContain("The option `perSystem.x86_64-linux.packagez' does not exist. Definition values:");

      const twice = tree({ ...files, 'flake.nix': flakePartsFlake({ extra: '      flake.nixosConfigurations.iso = 1;\n' }) });
      const r2 = evalRaw(twice, 'nixosConfigurations.iso.config.system.stateVersion');
      expect(r2.status).not.toBe(0);
      expect(r2.stderr).toContain("The option `flake.nixosConfigurations.iso' is defined multiple times while it's expected to be unique.");
      expect(r2.stderr).toMatch(/- In `\/nix\/store\/[^']+-source\/hosts\.nix'/);
    });
  });

  describe('flake-utils-plus mkFlake', () => {
    const files = { 'flake.nix': fupFlake(), 'common.nix': FUP_COMMON, 'iso.nix': ISO_MODULE, 'desk.nix': DESK };

    it('turns hosts into nixosConfigurations with hostDefaults applied to each', () => {
      const dir = tree(files);
      expect(evalJson(dir, 'nixosConfigurations', 'builtins.attrNames')).toEqual(['desk', 'iso']);
      const summary = evalJson(
        dir,
        'nixosConfigurations',
        'cs: builtins.mapAttrs (_: c: { hostName = c.config.networking.hostName; shared = c.config.users.users ? shared; ' +
          'jq = builtins.any (p: (p.pname or "") == "jq") c.config.environment.systemPackages; greeting = c.config.environment.etc.greeting.text; }) cs',
      );
      for (const host of ['desk', 'iso']) {
        expect(summary).toHaveProperty(host, { hostName: host, shared: true, jq: true, greeting: 'hello from extraArgs' });
      }
      expect(evalJson(dir, 'nixosConfigurations.iso.config.system.build.isoImage.drvPath')).toMatch(ISO_DRV);
    });

    it('transposes outputsBuilder per system and passes other attributes through', () => {
      const dir = tree(files);
      expect(evalJson(dir, 'packages', 'p: builtins.mapAttrs (_: builtins.attrNames) p')).toEqual({ 'x86_64-linux': ['hello'] });
      expect(evalJson(dir, 'abc')).toBe(132);
      expect(evalJson(dir, 'overlays', 'builtins.attrNames')).toEqual(['default']);
      expect(evalJson(dir, 'pkgs.x86_64-linux.nixpkgs.hello.pname')).toBe('hello');
    });
  });

  describe('nixos-generators sd-aarch64 format', () => {
    it('nixosGenerate evaluates to an aarch64 derivation; the module works with nixpkgs.hostPlatform', () => {
      const dir = tree({ 'flake.nix': SD_FLAKE });
      const drv = evalJson(dir, 'packages.x86_64-linux.sd', 'd: { inherit (d) drvPath system imageName; }') as Record<string, string>;
      expect(drv.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixos-sd-image\.drv$/);
      expect(drv.system).toBe('aarch64-linux');
      expect(drv.imageName).toMatch(/^nixos-sd-image-24\.05\.\d{8}\.dirty-aarch64-linux\.img$/);

      const pi = evalJson(
        dir,
        'nixosConfigurations.pi.config',
        'c: { inherit (c) formatAttr fileExtension; compress = c.sdImage.compressImage; extlinux = c.boot.loader.generic-extlinux-compatible.enable; drv = c.system.build.${c.formatAttr}.drvPath; }',
      );
      expect(pi).toMatchObject({ formatAttr: 'sdImage', fileExtension: '.img', compress: false, extlinux: true, drv: expect.stringMatching(/-nixos-sd-image\.drv$/) });
    });
  });
});
