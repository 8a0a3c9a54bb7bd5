/** The push target: copies the built image to the plugin's binary cache. */
import type { TargetConfiguration } from '@nx/devkit';
import { PLUGIN_NAME } from '../options';
import { type ImageTargetContext, imageOf, outputOptions, targetName } from './context';
import { HELP_EXAMPLES } from './help';

export function pushTarget(context: ImageTargetContext): TargetConfiguration {
  return {
    executor: `${PLUGIN_NAME}:push`,
    dependsOn: [targetName(context, context.options.buildTargetName)],
    cache: false,
    options: { ...context.options.binaryCache, ...outputOptions(context) },
    metadata: {
      description: `Copy the built image${imageOf(context)} to the Nix binary cache (nix copy --to), signed when a key is set`,
      technologies: ['nix'],
      help: context.help(targetName(context, context.options.pushTargetName), HELP_EXAMPLES.push),
    },
  };
}
