import { findFormat } from '../../backends/backends';
import {
  type BuildRequest,
  buildCommand,
  commandLine,
  FLAKE_INPUTS_COMMAND,
  gitFlakeRef,
  inputRef,
  lockCheckCommand,
  nixEvalCommand,
  usesJsonLog,
} from './command';
import { findRelease } from './releases';

const iso = findFormat('iso')!;
const base: BuildRequest = {
  backend: 'nix',
  source: { kind: 'channel', configurationFile: '/ws/images/a/configuration.nix' },
  format: iso,
  outLink: '/ws/dist/images/a/result',
  nixPath: [],
  nixOptions: {},
  overrideInputs: {},
  extraArgs: [],
  showTrace: false,
  printBuildLogs: false,
};
const flake: BuildRequest = {
  ...base,
  source: { kind: 'flake', flakeRef: 'git+file:///ws?dir=images/a', configurationName: 'liveImage' },
};

describe('nix backend', () => {
  it('builds a channel image the way it is built by hand (nix-build of <nixpkgs/nixos>, attribute config.system.build.isoImage)', () => {
    expect(commandLine(buildCommand(base))).toBe(
      "nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage -I nixos-config=/ws/images/a/configuration.nix --out-link /ws/dist/images/a/result" +
        ' --log-format internal-json',
    );
  });

  it('builds a flake image the way it is built by hand (nix build .#nixosConfigurations.<name>.config.system.build.isoImage)', () => {
    const cmd = buildCommand(flake);
    expect(cmd.command).toBe('nix');
    expect(cmd.args).toEqual([
      '--extra-experimental-features', 'nix-command flakes',
      'build', 'git+file:///ws?dir=images/a#nixosConfigurations.liveImage.config.system.build.isoImage',
      '--out-link', '/ws/dist/images/a/result', '--json', '--log-format', 'internal-json',
      '--no-write-lock-file',
    ]);
  });

  it('passes -I, --option, --override-input, --system, --show-trace, -L and extra args', () => {
    const cmd = buildCommand({
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
    expect(buildCommand({ ...base, ...dist, system: 'aarch64-linux' }).args.slice(-settings.length - 3)).toEqual([
      '--option', 'system', 'aarch64-linux', ...settings,
    ]);
    expect(buildCommand({ ...flake, ...dist }).args.slice(-settings.length)).toEqual(settings);
    expect(buildCommand({ ...base, ...dist, backend: 'nixos-generators', nixosGenerate: 'ng' }).args.slice(-settings.length)).toEqual(settings);
    expect(buildCommand({ ...base, maxJobs: 'auto' }).args.slice(-2)).toEqual(['max-jobs', 'auto']);
    expect(buildCommand({ ...base, builders: [], extraPlatforms: [] }).args).toEqual(buildCommand(base).args);
  });

  it('uses --option system for the legacy nix-build', () => {
    expect(buildCommand({ ...base, system: 'aarch64-linux' }).args).toEqual(
      expect.arrayContaining(['--option', 'system', 'aarch64-linux']),
    );
  });

  it('quotes configuration names that are not plain identifiers', () => {
    const cmd = buildCommand({ ...flake, source: { ...flake.source, configurationName: 'my.image' } as BuildRequest['source'] });
    expect(cmd.args[3]).toBe('git+file:///ws?dir=images/a#nixosConfigurations."my.image".config.system.build.isoImage');
  });

  it('builds images.<variant> for other formats on NixOS ≥ 25.05 and refuses them before', () => {
    const qcow = findFormat('qcow2')!;
    expect(buildCommand({ ...base, format: qcow, release: findRelease('25.05') }).args).toContain('config.system.build.images.qemu');
    expect(() => buildCommand({ ...base, format: qcow, release: findRelease('24.05') })).toThrow(
      /format "qcow2" needs system.build.images \(NixOS ≥ 25.05\) but the image targets NixOS 24.05/,
    );
  });
});

describe('the JSON log the progress display reads', () => {
  it('is asked of nix build and nix-build only: nixos-generate and nixos-rebuild do not take --log-format', () => {
    expect(usesJsonLog(buildCommand(base))).toBe(true);
    expect(usesJsonLog(buildCommand(flake))).toBe(true);
    expect(usesJsonLog(buildCommand({ ...base, backend: 'nixos-generators', nixosGenerate: '/bin/nixos-generate' }))).toBe(false);
    expect(usesJsonLog(buildCommand({ ...flake, backend: 'build-image', release: findRelease('25.05') }))).toBe(false);
    expect(usesJsonLog(nixEvalCommand(base))).toBe(false);
  });

  it('comes before extraArgs, so that a --log-format there wins', () => {
    const cmd = buildCommand({ ...base, extraArgs: ['--log-format', 'bar'] });
    expect(cmd.args.slice(-2)).toEqual(['--log-format', 'bar']);
    expect(usesJsonLog(cmd)).toBe(false);
  });
});

describe('nixos-generators backend', () => {
  it('runs nixos-generate from PATH with --configuration for channels (the channel layout)', () => {
    expect(commandLine(buildCommand({ ...base, backend: 'nixos-generators', nixosGenerate: '/bin/nixos-generate' }))).toBe(
      '/bin/nixos-generate --format iso --configuration /ws/images/a/configuration.nix -o /ws/dist/images/a/result',
    );
  });

  it('uses --flake <ref>#<name> for flakes and falls back to nix run nixpkgs#nixos-generators', () => {
    expect(commandLine(buildCommand({ ...flake, backend: 'nixos-generators' }))).toBe(
      "nix --extra-experimental-features 'nix-command flakes' run nixpkgs#nixos-generators -- --format iso " +
        "--flake 'git+file:///ws?dir=images/a#liveImage' -o /ws/dist/images/a/result",
    );
  });

  it('maps formats to nixos-generators names', () => {
    expect(buildCommand({ ...base, backend: 'nixos-generators', format: findFormat('qcow2')!, nixosGenerate: 'ng' }).args.slice(0, 2)).toEqual([
      '--format',
      'qcow',
    ]);
  });
});

describe('build-image backend', () => {
  it('runs nixos-rebuild build-image with the image variant', () => {
    expect(commandLine(buildCommand({ ...flake, backend: 'build-image', release: findRelease('25.05') }))).toBe(
      "nixos-rebuild build-image --image-variant iso --flake 'git+file:///ws?dir=images/a#liveImage' --no-write-lock-file",
    );
  });

  it('asks for another system with --option system, as nixos-rebuild takes no --system', () => {
    const args = buildCommand({ ...flake, backend: 'build-image', release: findRelease('25.05'), system: 'aarch64-linux' }).args;
    expect(args).not.toContain('--system');
    expect(args.join(' ')).toContain('--option system aarch64-linux');
  });

  it('refuses releases before 25.05 with a clear message', () => {
    expect(() => buildCommand({ ...flake, backend: 'build-image', release: findRelease('24.11') })).toThrow(
      /backend "build-image" needs NixOS ≥ 25.05 .* targets NixOS 24.11/,
    );
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
  it('builds, evaluates and builds images without writing flake.lock', () => {
    expect(buildCommand(flake).args).toContain('--no-write-lock-file');
    expect(nixEvalCommand(flake).args).toContain('--no-write-lock-file');
    expect(buildCommand({ ...flake, backend: 'build-image', release: findRelease('25.05') }).args).toContain('--no-write-lock-file');
    // nixos-generate takes no lock flags; its builtins.getFlake never writes flake.lock.
    expect(buildCommand({ ...flake, backend: 'nixos-generators', nixosGenerate: 'ng' }).args).not.toContain('--no-write-lock-file');
    expect(buildCommand(base).args).not.toContain('--no-write-lock-file');
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

describe('nixos-generators and flake input overrides', () => {
  it('refuses overrideInputs for flakes: nixos-generate has no --override-input', () => {
    expect(() =>
      buildCommand({ ...flake, backend: 'nixos-generators', nixosGenerate: 'ng', overrideInputs: { nixpkgs: '/np' } }),
    ).toThrow(/option "overrideInputs" \(nixpkgs\) cannot be passed to nixos-generate/);
  });

  it('ignores overrideInputs for channel images, which have no flake inputs', () => {
    expect(buildCommand({ ...base, backend: 'nixos-generators', nixosGenerate: 'ng', overrideInputs: { nixpkgs: '/np' } }).args).not.toContain(
      '--override-input',
    );
  });
});

describe('images that are not a configuration of the usual shape', () => {
  const expression: BuildRequest = { ...base, source: { kind: 'expression', file: '/ws/usb/make-iso.nix' } };
  const generated: BuildRequest = {
    ...flake,
    source: { kind: 'flake', flakeRef: 'git+file:///ws', configurationName: 'liveImage', attribute: 'packages.x86_64-linux.iso' },
  };

  it('a file that evaluates the system itself is built and evaluated as it is, or one attribute of its value', () => {
    expect(commandLine(buildCommand(expression))).toBe('nix-build /ws/usb/make-iso.nix --out-link /ws/dist/images/a/result --log-format internal-json');
    const attributed: BuildRequest = { ...base, source: { kind: 'expression', file: '/ws/usb/iso.nix', attribute: 'config.system.build.isoImage' } };
    expect(commandLine(nixEvalCommand(attributed))).toBe('nix-instantiate /ws/usb/iso.nix -A config.system.build.isoImage');
  });

  it('a flake output that is the image (nixos-generators) is built and evaluated by its attribute', () => {
    expect(commandLine(buildCommand(generated))).toMatch(/^nix --extra-experimental-features 'nix-command flakes' build git\+file:\/\/\/ws#packages\.x86_64-linux\.iso --out-link /);
    expect(commandLine(nixEvalCommand(generated))).toMatch(/ eval --raw git\+file:\/\/\/ws#packages\.x86_64-linux\.iso\.drvPath /);
  });

  it('nixos-generators and build-image build configurations only, and say to use backend nix', () => {
    for (const backend of ['nixos-generators', 'build-image'] as const) {
      expect(() => buildCommand({ ...expression, backend, release: findRelease('25.05') })).toThrow(
        `backend "${backend}" builds a NixOS configuration, but this image is /ws/usb/make-iso.nix, which Nix builds as it is; use backend "nix"`,
      );
      expect(() => buildCommand({ ...generated, backend, release: findRelease('25.05') })).toThrow(/this image is packages\.x86_64-linux\.iso/);
    }
  });
});
