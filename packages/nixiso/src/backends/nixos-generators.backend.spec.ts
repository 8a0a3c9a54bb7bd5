import { commandLine, usesJsonLog } from '../nix/building/command';
import { findFormat, type Format } from '../nix/building/formats';
import { findRelease } from '../nix/building/releases';
import { type BuildRequest, buildCommand } from './index';
import { backend, generatorsDeprecationNote } from './nixos-generators.backend';
import { buildRequest } from './__fixtures__/request';

const base: BuildRequest = buildRequest({ backend: 'nixos-generators' });
const flake: BuildRequest = { ...base, source: { kind: 'flake', flakeRef: 'git+file:///ws?dir=images/a', configurationName: 'liveImage' } };

describe('nixos-generators backend', () => {
  it('runs nixos-generate from PATH with --configuration for channels (the channel layout)', () => {
    expect(commandLine(buildCommand({ ...base, executable: '/bin/nixos-generate' }))).toBe(
      '/bin/nixos-generate --format iso --configuration /ws/images/a/configuration.nix -o /ws/dist/images/a/result',
    );
  });

  it('uses --flake <ref>#<name> for flakes and falls back to nix run nixpkgs#nixos-generators', () => {
    expect(commandLine(buildCommand(flake))).toBe(
      "nix --extra-experimental-features 'nix-command flakes' run nixpkgs#nixos-generators -- --format iso " +
        "--flake 'git+file:///ws?dir=images/a#liveImage' -o /ws/dist/images/a/result",
    );
  });

  it('maps formats to nixos-generators names', () => {
    expect(buildCommand({ ...base, format: findFormat('qcow2') as Format, executable: 'ng' }).args.slice(0, 2)).toEqual(['--format', 'qcow']);
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
    expect(buildCommand({ ...base, ...dist, executable: 'ng' }).args.slice(-settings.length)).toEqual(settings);
  });

  it('does not take --log-format, so no progress line is read from it', () => {
    expect(usesJsonLog(buildCommand({ ...base, executable: '/bin/nixos-generate' }))).toBe(false);
  });

  it('takes no lock flags: its builtins.getFlake never writes flake.lock', () => {
    expect(buildCommand({ ...flake, executable: 'ng' }).args).not.toContain('--no-write-lock-file');
  });

  describe('flake input overrides', () => {
    it('refuses overrideInputs for flakes: nixos-generate has no --override-input', () => {
      expect(() => buildCommand({ ...flake, executable: 'ng', overrideInputs: { nixpkgs: '/np' } })).toThrow(
        /option "overrideInputs" \(nixpkgs\) cannot be passed to nixos-generate/,
      );
    });

    it('ignores overrideInputs for channel images, which have no flake inputs', () => {
      expect(buildCommand({ ...base, executable: 'ng', overrideInputs: { nixpkgs: '/np' } }).args).not.toContain('--override-input');
    });
  });

  it('runs nixos-generate, or Nix to fetch it; relinks the out-link it leaves', () => {
    expect(backend.requirements({ kind: 'flake' }).map((r) => r.anyOf)).toEqual([['nixos-generate', 'nix']]);
    expect(backend.requirements({ kind: 'channel', executable: '/w/tools/ng' }).map((r) => r.anyOf)).toEqual([['/w/tools/ng', 'nix']]);
    expect(backend.executableOption).toEqual({ option: 'nixosGenerate', program: 'nixos-generate' });
    expect(backend.outLink).toBe('relink');
  });
});

describe('generatorsDeprecationNote', () => {
  it('is nixos-generators’ wording for releases with build-image, pointing at backend "build-image"', () => {
    const note = generatorsDeprecationNote(findRelease('25.05'));
    expect(note).toMatch(/^nixos-generators is deprecated, since it has been upstreamed into nixpkgs as of NixOS 25\.05 \(this image targets NixOS 25\.05\)/);
    expect(note).toMatch(/#sec-image-nixos-rebuild-build-image/);
    expect(note).toMatch(/backend: "build-image"/);
    expect(generatorsDeprecationNote(findRelease('unstable'))).toMatch(/targets NixOS unstable/);
    expect(backend.deprecationNote).toBe(generatorsDeprecationNote);
  });

  it('says nothing before 25.05 or when the release is unknown', () => {
    expect(generatorsDeprecationNote(findRelease('24.11'))).toBeUndefined();
    expect(generatorsDeprecationNote(findRelease('24.05'))).toBeUndefined();
    expect(generatorsDeprecationNote(undefined)).toBeUndefined();
  });
});
