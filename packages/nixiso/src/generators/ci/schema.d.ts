export interface CiGeneratorSchema {
  provider?: 'github' | 'gitlab';
  name?: string;
  mainBranch?: string;
  uploadImages?: boolean;
  imagesDir?: string;
  nodeVersion?: 22 | 24 | '22' | '24';
  nixStoreCache?: boolean;
  timeoutMinutes?: number;
  retentionDays?: number;
  stage?: string;
  bootTest?: boolean;
  skipFormat?: boolean;
}
