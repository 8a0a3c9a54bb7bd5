import type { BackendId } from '../../nix/backends';
import type { LockFileOption } from '../../nix/flake-lock';

export interface BuildExecutorSchema {
  backend?: BackendId;
  format?: string;
  configurationName?: string;
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
}
