import { findFormat, formatFor, generatorsDeprecationNote } from './backends';
import { findRelease } from '../nix/building/releases';

describe('formatFor', () => {
  it('finds table formats for every backend', () => {
    for (const backend of ['nix', 'nixos-generators', 'build-image'] as const) {
      expect(formatFor('qcow2', backend)).toBe(findFormat('qcow2'));
    }
  });

  it('takes any variant name for build-image, its file unknown until the build', () => {
    expect(formatFor('notes', 'build-image')).toEqual({ id: 'notes', extension: '', variant: 'notes' });
    expect(formatFor("my-disk_2'", 'build-image')).toMatchObject({ variant: "my-disk_2'" });
  });

  it('refuses names that are no Nix attribute name, and unknown formats for the other backends', () => {
    expect(formatFor('a.b', 'build-image')).toEqual({ error: expect.stringMatching(/"a\.b" is neither a format \(expected one of iso, .*\) nor an image variant name/) });
    expect(formatFor('notes', 'nix')).toEqual({
      error: expect.stringMatching(/^option "format": unknown format "notes" \(expected one of iso, iso-installer, .*; backend "build-image" also builds/),
    });
    expect(formatFor('notes', 'nixos-generators')).toHaveProperty('error');
  });
});

describe('generatorsDeprecationNote', () => {
  it('is nixos-generators’ wording for releases with build-image, pointing at backend "build-image"', () => {
    const note = generatorsDeprecationNote(findRelease('25.05'));
    expect(note).toMatch(/^nixos-generators is deprecated, since it has been upstreamed into nixpkgs as of NixOS 25\.05 \(this image targets NixOS 25\.05\)/);
    expect(note).toMatch(/#sec-image-nixos-rebuild-build-image/);
    expect(note).toMatch(/backend: "build-image"/);
    expect(generatorsDeprecationNote(findRelease('unstable'))).toMatch(/targets NixOS unstable/);
  });

  it('says nothing before 25.05 or when the release is unknown', () => {
    expect(generatorsDeprecationNote(findRelease('24.11'))).toBeUndefined();
    expect(generatorsDeprecationNote(findRelease('24.05'))).toBeUndefined();
    expect(generatorsDeprecationNote(undefined)).toBeUndefined();
  });
});
