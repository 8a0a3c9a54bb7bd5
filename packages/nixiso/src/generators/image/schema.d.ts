import type { BackendId } from '../../backends';

/** Options of `nx g @nixiso:image`, as schema.json describes them. */
export interface ImageGeneratorSchema {
  /** Directory of the image project, relative to the workspace root (or the cwd inside it). */
  directory: string;
  /** Project name; defaults to the last segment of `directory`. */
  name?: string;
  flake?: boolean;
  homeManager?: boolean;
  /**
   * A release of the releases table (`24.05` … `unstable`). A number when it
   * comes from the Nx command line, which parses `--release 24.05` as 24.05.
   */
  release?: string | number;
  stateVersion?: string | number;
  hostPlatform?: string;
  configurationName?: string;
  /** Installer profile: `minimal`, `gnome`, `plasma5`, `plasma6` (per release). */
  profile?: string;
  /** Attribute paths in pkgs; an array or a comma-separated string. */
  packages?: string[] | string;
  homePackages?: string[] | string;
  username?: string;
  hostName?: string;
  timeZone?: string;
  /** OpenSSH public keys, one per entry. */
  sshAuthorizedKeys?: string[] | string;
  isoBaseName?: string;
  backend?: BackendId;
  /** Size budgets of the build target (bytes, or `1.5GiB`); written into its options when given. */
  maxImageSize?: number | string;
  maxClosureSize?: number | string;
  tags?: string[] | string;
  skipFormat?: boolean;
  /** Do not run `nix flake lock` in a new flake project. */
  skipLock?: boolean;
}
