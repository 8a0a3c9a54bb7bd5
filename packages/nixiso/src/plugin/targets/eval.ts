/** The eval target: evaluates the image derivation without building it, on the build's inputs. */
import type { TargetConfiguration } from '@nx/devkit';
import { PLUGIN_NAME } from '../options';
import { type ImageTargetContext, imageOf, targetName } from './context';
import { HELP_EXAMPLES } from './help';

export function evalTarget(
  context: ImageTargetContext,
  /** The build's options; one configuration of several selects it alone (no output directory to evaluate into). */
  imageOptions: Record<string, string>,
): TargetConfiguration {
  return {
    executor: `${PLUGIN_NAME}:eval`,
    cache: true,
    inputs: context.inputs as TargetConfiguration['inputs'],
    options: context.split ? { ...context.split.selection } : { ...imageOptions },
    metadata: {
      description: `Evaluate the image derivation${imageOf(context)} without building it`,
      technologies: ['nix'],
      help: context.help(targetName(context, context.options.evalTargetName), HELP_EXAMPLES.eval),
    },
  };
}
