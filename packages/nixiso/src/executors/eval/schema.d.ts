import type { BuildExecutorSchema } from '../build/schema';

export type EvalExecutorSchema = Omit<BuildExecutorSchema, 'backend' | 'outLink' | 'printBuildLogs' | 'copyTo' | 'nixosGenerate' | 'outputPath'>;
