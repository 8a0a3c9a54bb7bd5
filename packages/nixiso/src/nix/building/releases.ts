/**
 * The NixOS releases nixiso knows: the one table that the generator (flake
 * inputs, default stateVersion, installer profiles, ISO naming) and the
 * executors (image attributes, build-image availability) consult.
 */

export type ReleaseId = '24.05' | '24.11' | '25.05' | '25.11' | '26.05' | 'unstable';

/** Installer profiles: file names under nixos/modules/installer/cd-dvd/. */
export const PROFILE_MODULES = {
  minimal: 'installation-cd-minimal.nix',
  gnome: 'installation-cd-graphical-gnome.nix',
  plasma5: 'installation-cd-graphical-plasma5.nix',
  plasma6: 'installation-cd-graphical-plasma6.nix',
} as const;
export type ProfileId = keyof typeof PROFILE_MODULES;
/** The article's profile: a console-only installer. */
export const DEFAULT_PROFILE: ProfileId = 'minimal';

/** Systems an image can target (`nixpkgs.hostPlatform`); the first is the default. */
export const HOST_PLATFORMS = ['x86_64-linux', 'aarch64-linux'] as const;
export type HostPlatform = (typeof HOST_PLATFORMS)[number];
export const DEFAULT_HOST_PLATFORM: HostPlatform = HOST_PLATFORMS[0];

export interface Release {
  id: ReleaseId;
  /** Branch of github:nixos/nixpkgs. */
  nixpkgsBranch: string;
  /** Branch of github:nix-community/home-manager, always matching nixpkgs. */
  homeManagerBranch: string;
  /** Default `system.stateVersion`: a released version, never "unstable". */
  stateVersion: string;
  /**
   * How the ISO file is named. Up to 24.11 the installer profile sets
   * `isoImage.isoName` from `isoImage.isoBaseName`; from 25.05 the file name
   * comes from `image.baseName` (the isoImage options became aliases).
   */
  isoNaming: 'isoImage.isoBaseName' | 'image.baseName';
  /** 25.05 added `system.build.images.<variant>` and `nixos-rebuild build-image`. */
  hasImageVariants: boolean;
  profiles: readonly ProfileId[];
}

const GRAPHICAL_24: readonly ProfileId[] = ['minimal', 'gnome', 'plasma5', 'plasma6'];
const GRAPHICAL_25: readonly ProfileId[] = ['minimal', 'gnome', 'plasma6'];

function stable(id: Exclude<ReleaseId, 'unstable'>, modern: boolean): Release {
  return {
    id,
    nixpkgsBranch: `nixos-${id}`,
    homeManagerBranch: `release-${id}`,
    stateVersion: id,
    isoNaming: modern ? 'image.baseName' : 'isoImage.isoBaseName',
    hasImageVariants: modern,
    profiles: modern ? GRAPHICAL_25 : GRAPHICAL_24,
  };
}

export const RELEASES: readonly Release[] = [
  stable('24.05', false),
  stable('24.11', false),
  stable('25.05', true),
  stable('25.11', true),
  stable('26.05', true),
  {
    id: 'unstable',
    nixpkgsBranch: 'nixos-unstable',
    homeManagerBranch: 'master',
    stateVersion: '26.05',
    isoNaming: 'image.baseName',
    hasImageVariants: true,
    profiles: GRAPHICAL_25,
  },
];

/** The newest stable release: the generator's default. */
export const DEFAULT_RELEASE: Release = [...RELEASES].reverse().find((r) => r.id !== 'unstable') as Release;

export function findRelease(id: string): Release | undefined {
  return RELEASES.find((r) => r.id === id);
}

export function nixpkgsUrl(release: Release): string {
  return `github:nixos/nixpkgs/${release.nixpkgsBranch}`;
}

export function homeManagerUrl(release: Release): string {
  return `github:nix-community/home-manager/${release.homeManagerBranch}`;
}

/**
 * The release a nixpkgs flake URL points at (`github:nixos/nixpkgs/nixos-24.05`
 * → 24.05), so executors can tell what an existing flake.nix targets.
 */
export function releaseFromNixpkgsUrl(url: string): Release | undefined {
  const match = /nixos-(\d\d\.\d\d|unstable)\b/.exec(url);
  return match ? findRelease(match[1]) : undefined;
}

/** The release a flake's nixpkgs input names (`nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";`), if it names one. */
export function flakeNixpkgsRelease(flakeSource: string): Release | undefined {
  const match = /nixpkgs[^\n]*url\s*=\s*"([^"]+)"/.exec(flakeSource);
  return match ? releaseFromNixpkgsUrl(match[1]) : undefined;
}
