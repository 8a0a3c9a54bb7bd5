import { commandLine, usesJsonLog } from '../nix/building/command';
import { findRelease } from '../nix/building/releases';
import { type BuildRequest, buildCommand } from './index';
import { backend, explainRefusedVariant } from './build-image.backend';
import { buildRequest } from './__fixtures__/request';

const flake: BuildRequest = buildRequest({ backend: 'build-image', source: { kind: 'flake', flakeRef: 'git+file:///ws?dir=images/a', configurationName: 'liveImage' }, release: findRelease('25.05') });

describe('build-image backend', () => {
  it('runs nixos-rebuild build-image with the image variant', () => {
    expect(commandLine(buildCommand(flake))).toBe(
      "nixos-rebuild build-image --image-variant iso --flake 'git+file:///ws?dir=images/a#liveImage' --no-write-lock-file",
    );
  });

  it('builds a channel image through -I nixos-config', () => {
    const channel: BuildRequest = { ...flake, source: { kind: 'channel', configurationFile: '/ws/images/a/configuration.nix' } };
    expect(commandLine(buildCommand(channel))).toBe('nixos-rebuild build-image --image-variant iso -I nixos-config=/ws/images/a/configuration.nix');
  });

  it('asks for another system with --option system, as nixos-rebuild takes no --system', () => {
    const args = buildCommand({ ...flake, system: 'aarch64-linux' }).args;
    expect(args).not.toContain('--system');
    expect(args.join(' ')).toContain('--option system aarch64-linux');
  });

  it('refuses releases before 25.05 with a clear message', () => {
    expect(() => buildCommand({ ...flake, release: findRelease('24.11') })).toThrow(/backend "build-image" needs NixOS ≥ 25.05 .* targets NixOS 24.11/);
  });

  it('does not write flake.lock, and takes no --log-format', () => {
    expect(buildCommand(flake).args).toContain('--no-write-lock-file');
    expect(usesJsonLog(buildCommand(flake))).toBe(false);
  });

  it('needs nixos-rebuild, saying to use backend nix without it; relinks its out-link and removes the ./result it leaves', () => {
    const [nix, rebuild] = backend.requirements({ kind: 'flake' });
    expect(nix.anyOf).toEqual(['nix']);
    expect(rebuild.anyOf).toEqual(['nixos-rebuild']);
    expect(`${rebuild.missing}; ${rebuild.fix}`).toBe(
      'backend "build-image" needs nixos-rebuild (NixOS ≥ 25.05) on PATH, and it was not found; ' +
        'use backend "nix" (the same system.build.images.<variant>) or run the build on NixOS',
    );
    expect(backend).toMatchObject({ outLink: 'relink', leavesResultLink: true });
  });

  it('explains a refused variant by the variants the configuration declares', () => {
    const stderr = 'Please specify one of the following supported image variants via --image-variant:\n\n';
    const failure = { stdout: 'iso\nqemu\n', stderr, format: { id: 'notes', extension: '', variant: 'notes' }, projectRoot: 'images/a' };
    expect(explainRefusedVariant(failure)).toBe(
      'option "format": the configuration of images/a declares no image variant "notes" ' +
        '(nixos-rebuild build-image --image-variant notes refused it); it declares: iso, qemu. ' +
        'Set format to one of them, or declare image.modules.notes in the configuration',
    );
    expect(explainRefusedVariant({ ...failure, stdout: '', stderr: 'error: builder failed\n' })).toBeUndefined();
    expect(backend.explainFailure).toBe(explainRefusedVariant);
  });
});
