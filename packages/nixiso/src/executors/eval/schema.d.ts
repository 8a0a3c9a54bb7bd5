import type { BuildExecutorSchema } from '../image-build/schema';

export type EvalExecutorSchema = Omit<BuildExecutorSchema, 'backend' | 'outLink' | 'printBuildLogs' | 'copyTo' | 'nixosGenerate' | 'outputPath'>;
