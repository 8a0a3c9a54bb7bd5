import type { BackendId } from '../../backends';

export interface DoctorExecutorSchema {
  buildTarget?: string;
  buildConfiguration?: string;
  backend?: BackendId;
  format?: string;
  system?: string;
  builders?: string[];
  extraPlatforms?: string[];
  nixOptions?: Record<string, string>;
  substituterTimeoutMs?: number;
  failOnWarn?: boolean;
}
