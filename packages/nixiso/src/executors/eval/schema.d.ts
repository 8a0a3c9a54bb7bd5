import type { BuildExecutorSchema } from '../image-build/schema';

/** Build options an evaluation has no use for: it builds nothing, so it links, copies, distributes and measures nothing. */
export type BuildOnlyOption = 'backend' | 'outLink' | 'outputPath' | 'builders' | 'maxJobs' | 'extraPlatforms' | 'printBuildLogs' | 'copyTo' | 'nixosGenerate' | 'maxImageSize' | 'maxClosureSize';

/** The build's options less those: eval's schema.json is written from the build's (tools/scripts/eval-schema.ts). */
export type EvalExecutorSchema = Omit<BuildExecutorSchema, BuildOnlyOption>;
