import { findFormat } from './formats';
import {
  commandLine,
  FLAKE_INPUTS_COMMAND,
  gitFlakeRef,
  inputRef,
  lockCheckCommand,
  nixBuildCommand,
  nixEvalCommand,
  type NixRequest,
  usesJsonLog,
} from './command';
import { findRelease } from './releases';
import { nixRequest } from './__fixtures__/request';

const base: NixRequest = nixRequest();
const flake: NixRequest = {
  ...base,
  source: { kind: 'flake', flakeRef: 'git+file:///ws?dir=images/a', configurationName: 'liveImage' },
};

describe('the plain Nix build (backend nix)', () => {
  it('builds a channel image the way it is built by hand (nix-build of <nixpkgs/nixos>, attribute config.system.build.isoImage)', () => {
    expect(commandLine(nixBuildCommand(base))).toBe(
      "nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage -I nixos-config=/ws/images/a/configuration.nix --out-link /ws/dist/images/a/result" +
        ' --log-format internal-json',
    );
  });

  it('builds a flake image the way it is built by hand (nix build .#nixosConfigurations.<name>.config.system.build.isoImage)', () => {
    const cmd = nixBuildCommand(flake);
    expect(cmd.command).toBe('nix');
    expect(cmd.args).toEqual([
      '--extra-experimental-features', 'nix-command flakes',
      'build', 'git+file:///ws?dir=images/a#nixosConfigurations.liveImage.config.system.build.isoImage',
      '--out-link', '/ws/dist/images/a/result', '--json', '--log-format', 'internal-json',
      '--no-write-lock-file',
    ]);
  });

  it('passes -I, --option, --override-input, --system, --show-trace, -L and extra args', () => {
    const cmd = nixBuildCommand({
      ...flake,
      nixPath: ['nixpkgs=/np'],
      nixOptions: { substituters: '', 'max-jobs': '4' },
      overrideInputs: { nixpkgs: '/np', 'home-manager': 'github:nix-community/home-manager/master' },
      system: 'aarch64-linux',
      showTrace: true,
      printBuildLogs: true,
      extraArgs: ['--keep-going'],
    });
    expect(cmd.args.slice(9)).toEqual([
      '--print-build-logs',
      '--no-write-lock-file',
      '--override-input', 'nixpkgs', 'path:/np',
      '--override-input', 'home-manager', 'github:nix-community/home-manager/master',
      '-I', 'nixpkgs=/np',
      '--system', 'aarch64-linux',
      '--option', 'substituters', '',
      '--option', 'max-jobs', '4',
      '--show-trace',
      '--keep-going',
    ]);
  });

  it('passes remote builders, max-jobs and extra-platforms as settings, before nixOptions so those win', () => {
    const dist = {
      builders: ['ssh-ng://nix@arm aarch64-linux /k 8', '@/etc/nix/machines'],
      maxJobs: 0,
      extraPlatforms: ['aarch64-linux', 'armv7l-linux'],
      nixOptions: { 'max-jobs': '2' },
    } as const;
    const settings = [
      '--option', 'builders', 'ssh-ng://nix@arm aarch64-linux /k 8; @/etc/nix/machines',
      '--option', 'max-jobs', '0',
      '--option', 'extra-platforms', 'aarch64-linux armv7l-linux',
      '--option', 'max-jobs', '2',
    ];
    expect(nixBuildCommand({ ...base, ...dist, system: 'aarch64-linux' }).args.slice(-settings.length - 3)).toEqual([
      '--option', 'system', 'aarch64-linux', ...settings,
    ]);
    expect(nixBuildCommand({ ...flake, ...dist }).args.slice(-settings.length)).toEqual(settings);
    expect(nixBuildCommand({ ...base, maxJobs: 'auto' }).args.slice(-2)).toEqual(['max-jobs', 'auto']);
    expect(nixBuildCommand({ ...base, builders: [], extraPlatforms: [] }).args).toEqual(nixBuildCommand(base).args);
  });

  it('uses --option system for the legacy nix-build', () => {
    expect(nixBuildCommand({ ...base, system: 'aarch64-linux' }).args).toEqual(
      expect.arrayContaining(['--option', 'system', 'aarch64-linux']),
    );
  });

  it('quotes configuration names that are not plain identifiers', () => {
    const cmd = nixBuildCommand({ ...flake, source: { ...flake.source, configurationName: 'my.image' } as NixRequest['source'] });
    expect(cmd.args[3]).toBe('git+file:///ws?dir=images/a#nixosConfigurations."my.image".config.system.build.isoImage');
  });

  it('builds images.<variant> for other formats on NixOS ≥ 25.05 and refuses them before', () => {
    const qcow = findFormat('qcow2')!;
    expect(nixBuildCommand({ ...base, format: qcow, release: findRelease('25.05') }).args).toContain('config.system.build.images.qemu');
    expect(() => nixBuildCommand({ ...base, format: qcow, release: findRelease('24.05') })).toThrow(
      /format "qcow2" needs system.build.images \(NixOS ≥ 25.05\) but the image targets NixOS 24.05/,
    );
  });
});

describe('the JSON log the progress display reads', () => {
  it('is asked of nix build and nix-build (nixos-generate and nixos-rebuild do not take --log-format: see their backends)', () => {
    expect(usesJsonLog(nixBuildCommand(base))).toBe(true);
    expect(usesJsonLog(nixBuildCommand(flake))).toBe(true);
    expect(usesJsonLog(nixEvalCommand(base))).toBe(false);
  });

  it('comes before extraArgs, so that a --log-format there wins', () => {
    const cmd = nixBuildCommand({ ...base, extraArgs: ['--log-format', 'bar'] });
    expect(cmd.args.slice(-2)).toEqual(['--log-format', 'bar']);
    expect(usesJsonLog(cmd)).toBe(false);
  });
});

describe('eval', () => {
  it('evaluates the derivation path only', () => {
    expect(nixEvalCommand(flake).args.slice(2, 6)).toEqual([
      'eval', '--raw', 'git+file:///ws?dir=images/a#nixosConfigurations.liveImage.config.system.build.isoImage.drvPath',
      '--no-write-lock-file',
    ]);
    expect(commandLine(nixEvalCommand(base))).toBe(
      "nix-instantiate '<nixpkgs/nixos>' -A config.system.build.isoImage -I nixos-config=/ws/images/a/configuration.nix",
    );
  });
});

describe('flake references', () => {
  it('points at the project directory inside the git work tree', () => {
    expect(gitFlakeRef('/repo', '/repo/images/rescue')).toBe('git+file:///repo?dir=images/rescue');
    expect(gitFlakeRef('/repo', '/repo')).toBe('git+file:///repo');
  });

  it('turns local paths into path: refs and keeps refs with a scheme', () => {
    expect(inputRef('/abs/nixpkgs')).toBe('path:/abs/nixpkgs');
    expect(inputRef('github:nixos/nixpkgs/nixos-24.05')).toBe('github:nixos/nixpkgs/nixos-24.05');
    expect(inputRef('git+file:///x')).toBe('git+file:///x');
  });

  it('writes a path a URL cannot hold relative to where Nix runs, and encodes the dir query', () => {
    expect(gitFlakeRef('/tmp/a b', '/tmp/a b/images/r ü', '/tmp/a b/images/r ü')).toBe('git+file:../..?dir=images/r%20%C3%BC');
    expect(gitFlakeRef('/tmp/a b', '/tmp/a b')).toBe('git+file:///tmp/a%20b');
    expect(inputRef('/tmp/a b/tools/nixpkgs', '/tmp/a b/images/x')).toBe('path:../../tools/nixpkgs');
    expect(inputRef('/tmp/a b/tools/nixpkgs')).toBe('path:/tmp/a%20b/tools/nixpkgs');
  });
});

describe('flake.lock', () => {
  it('builds and evaluates without writing flake.lock', () => {
    expect(nixBuildCommand(flake).args).toContain('--no-write-lock-file');
    expect(nixEvalCommand(flake).args).toContain('--no-write-lock-file');
    expect(nixBuildCommand(base).args).not.toContain('--no-write-lock-file');
  });

  it('checks the lock with nix flake metadata --no-update-lock-file and no overrides', () => {
    expect(commandLine(lockCheckCommand({ ...flake, nixOptions: { substituters: '' } }))).toBe(
      "nix --extra-experimental-features 'nix-command flakes' flake metadata --json --no-update-lock-file 'git+file:///ws?dir=images/a' --option substituters ''",
    );
    expect(() => lockCheckCommand(base)).toThrow(/only a flake/);
  });

  it('reads the declared inputs from flake.nix in the flake directory, without fetching', () => {
    expect(FLAKE_INPUTS_COMMAND.command).toBe('nix-instantiate');
    expect(FLAKE_INPUTS_COMMAND.args.join(' ')).toMatch(/import \.\/flake\.nix/);
  });
});

describe('images that are not a configuration of the usual shape', () => {
  const expression: NixRequest = { ...base, source: { kind: 'expression', file: '/ws/usb/make-iso.nix' } };
  const generated: NixRequest = {
    ...flake,
    source: { kind: 'flake', flakeRef: 'git+file:///ws', configurationName: 'liveImage', attribute: 'packages.x86_64-linux.iso' },
  };

  it('a file that evaluates the system itself is built and evaluated as it is, or one attribute of its value', () => {
    expect(commandLine(nixBuildCommand(expression))).toBe('nix-build /ws/usb/make-iso.nix --out-link /ws/dist/images/a/result --log-format internal-json');
    const attributed: NixRequest = { ...base, source: { kind: 'expression', file: '/ws/usb/iso.nix', attribute: 'config.system.build.isoImage' } };
    expect(commandLine(nixEvalCommand(attributed))).toBe('nix-instantiate /ws/usb/iso.nix -A config.system.build.isoImage');
  });

  it('a flake output that is the image (nixos-generators) is built and evaluated by its attribute', () => {
    expect(commandLine(nixBuildCommand(generated))).toMatch(/^nix --extra-experimental-features 'nix-command flakes' build git\+file:\/\/\/ws#packages\.x86_64-linux\.iso --out-link /);
    expect(commandLine(nixEvalCommand(generated))).toMatch(/ eval --raw git\+file:\/\/\/ws#packages\.x86_64-linux\.iso\.drvPath /);
  });

});
