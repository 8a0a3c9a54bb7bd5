export interface CiGeneratorSchema {
  provider?: 'github' | 'gitlab';
  name?: string;
  mainBranch?: string;
  uploadImages?: boolean;
  skipFormat?: boolean;
}
