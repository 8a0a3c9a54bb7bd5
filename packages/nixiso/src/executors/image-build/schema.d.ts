import type { BackendId } from '../../backends';
import type { LockFileOption } from '../../nix/flakes/flake-lock';

export interface BuildExecutorSchema {
  backend?: BackendId;
  format?: string;
  configurationName?: string;
  /** A flake output that is the image (`packages.x86_64-linux.iso`), or the attribute of `expressionFile`'s value. */
  attribute?: string;
  /** The channel-style NixOS module to build, relative to the project root (default configuration.nix). */
  configurationFile?: string;
  /** A Nix file, relative to the project root, that evaluates the system itself (`nix-build <file>`). */
  expressionFile?: string;
  outLink?: string;
  /** dist/<projectRoot> or a directory inside it: where manifest.json, image.json and the default out-link go. */
  outputPath?: string;
  system?: string;
  builders?: string[];
  maxJobs?: number | 'auto';
  extraPlatforms?: string[];
  nixPath?: string[];
  nixOptions?: Record<string, string>;
  overrideInputs?: Record<string, string>;
  extraArgs?: string[];
  showTrace?: boolean;
  printBuildLogs?: boolean;
  copyTo?: string;
  /** A string; a number when given on the command line (`--release=25.05`). */
  release?: string | number;
  /** A missing or outdated flake.lock: `require` fails, `warn` builds with floating inputs, `auto` is `require` when CI=true. */
  lockFile?: LockFileOption;
  nixosGenerate?: string;
  /** Size budget of the image file: bytes, or a size with a unit (`1.5GiB`, `800MiB`); see size-budget.ts. */
  maxImageSize?: number | string;
  /** Size budget of the toplevel's closure, as maxImageSize. */
  maxClosureSize?: number | string;
}
