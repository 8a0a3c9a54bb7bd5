/** The doctor target: checks that this machine can build the project's images. */
import type { TargetConfiguration } from '@nx/devkit';
import { PLUGIN_NAME, type ResolvedPluginOptions } from '../options';
import { HELP_EXAMPLES, type HelpOf } from './help';

/** Not cached: it reports on this machine (Nix, space, KVM, emulation), not on the inputs. */
export function doctorTarget(options: ResolvedPluginOptions, help: HelpOf): TargetConfiguration {
  return {
    executor: `${PLUGIN_NAME}:doctor`,
    cache: false,
    // The executor reads the options of `build` unless told otherwise: the build target under its configured name.
    options: options.buildTargetName === 'build' ? {} : { buildTarget: options.buildTargetName },
    metadata: {
      description:
        'Check that this machine can build the image: Nix, flakes, free space, KVM, emulation or builders for its hostPlatform, substituters',
      technologies: ['nix'],
      help: help(options.doctorTargetName, HELP_EXAMPLES.doctor),
    },
  };
}
