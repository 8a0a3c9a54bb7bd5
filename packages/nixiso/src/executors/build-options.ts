/**
 * The defaults of the image build options, in one place: the build and eval
 * executors, doctor, the inferred targets and the image generator take them
 * from here, and build-options.spec.ts holds the executors' schema.json
 * defaults to them.
 */
import type { BackendId } from '../backends';
import type { BuildExecutorSchema } from './image-build/schema';

export const BUILD_OPTION_DEFAULTS: {
  readonly backend: BackendId;
  readonly format: string;
  readonly configurationName: string;
} = {
  backend: 'nix',
  format: 'iso',
  configurationName: 'liveImage',
};

export type BuildOptionsWithDefaults<T extends BuildExecutorSchema> = T & Required<Pick<BuildExecutorSchema, keyof typeof BUILD_OPTION_DEFAULTS>>;

/** The options with every default above filled in where the option is not set. */
export function withBuildDefaults<T extends BuildExecutorSchema>(options: T): BuildOptionsWithDefaults<T> {
  return {
    ...options,
    backend: options.backend ?? BUILD_OPTION_DEFAULTS.backend,
    format: options.format ?? BUILD_OPTION_DEFAULTS.format,
    configurationName: options.configurationName ?? BUILD_OPTION_DEFAULTS.configurationName,
  };
}
