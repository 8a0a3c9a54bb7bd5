import type { BackendId } from '../../nix/backends';

export interface BuildExecutorSchema {
  backend?: BackendId;
  format?: string;
  configurationName?: string;
  outLink?: string;
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
  release?: string;
  nixosGenerate?: string;
}
