export interface DiffExecutorSchema {
  base?: string;
  buildTarget?: string;
  outputPath?: string;
}
