import {
  DEFAULT_HOST_PLATFORM,
  DEFAULT_PROFILE,
  DEFAULT_RELEASE,
  findRelease,
  homeManagerUrl,
  HOST_PLATFORMS,
  nixpkgsUrl,
  PROFILE_MODULES,
  RELEASES,
  releaseFromNixpkgsUrl,
} from './releases';

describe('releases table', () => {
  it('knows at least the releases the issue names, and unstable', () => {
    expect(RELEASES.map((r) => r.id)).toEqual(expect.arrayContaining(['24.05', '24.11', '25.05', '25.11', 'unstable']));
  });

  it('defaults to the newest stable release', () => {
    const stable = RELEASES.filter((r) => r.id !== 'unstable').map((r) => r.id);
    expect(DEFAULT_RELEASE.id).toBe(stable[stable.length - 1]);
  });

  it('builds the article urls, nixpkgs and home-manager on the same release', () => {
    const r = findRelease('24.05')!;
    expect(nixpkgsUrl(r)).toBe('github:nixos/nixpkgs/nixos-24.05');
    expect(homeManagerUrl(r)).toBe('github:nix-community/home-manager/release-24.05');
    expect(nixpkgsUrl(findRelease('unstable')!)).toBe('github:nixos/nixpkgs/nixos-unstable');
    expect(homeManagerUrl(findRelease('unstable')!)).toBe('github:nix-community/home-manager/master');
  });

  it('names the ISO with isoImage.isoBaseName up to 24.11, image.baseName from 25.05', () => {
    expect(RELEASES.map((r) => [r.id, r.isoNaming])).toEqual([
      ['24.05', 'isoImage.isoBaseName'],
      ['24.11', 'isoImage.isoBaseName'],
      ['25.05', 'image.baseName'],
      ['25.11', 'image.baseName'],
      ['26.05', 'image.baseName'],
      ['unstable', 'image.baseName'],
    ]);
  });

  it('has a stateVersion that is a release number and only known profiles', () => {
    for (const r of RELEASES) {
      expect(r.stateVersion).toMatch(/^\d\d\.\d\d$/);
      expect(r.profiles).toContain(DEFAULT_PROFILE);
      for (const p of r.profiles) expect(PROFILE_MODULES[p]).toMatch(/^installation-cd-.*\.nix$/);
    }
    expect(findRelease('25.05')!.profiles).not.toContain('plasma5');
  });

  it('reads the release back from a nixpkgs url', () => {
    for (const r of RELEASES) expect(releaseFromNixpkgsUrl(nixpkgsUrl(r))).toBe(r);
    expect(releaseFromNixpkgsUrl('github:nixos/nixpkgs/nixos-23.11')).toBeUndefined();
  });

  it('targets x86_64-linux by default', () => {
    expect(DEFAULT_HOST_PLATFORM).toBe('x86_64-linux');
    expect(HOST_PLATFORMS).toEqual(['x86_64-linux', 'aarch64-linux']);
  });
});
