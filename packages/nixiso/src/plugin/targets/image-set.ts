/** The targets that build and use one image: build, eval, push, boot-test and diff. */
import type { TargetConfiguration } from '@nx/devkit';
import { bootTestTarget } from './boot-test';
import { buildTarget } from './build';
import { type ImageTargetContext, targetName } from './context';
import { diffTarget } from './diff';
import { evalTarget } from './eval';
import { pushTarget } from './push';

export function imageTargetSet(
  context: ImageTargetContext,
  /** The Nx configurations of the build (project.json, targetDefaults): boot-test offers them too. */
  buildConfigurations: readonly string[],
  /** Options build and eval run with unless the project says otherwise (the flake's image configuration, its output directory). */
  imageOptions: Record<string, string>,
): Record<string, TargetConfiguration> {
  const { options } = context;
  return {
    [targetName(context, options.buildTargetName)]: buildTarget(context, imageOptions),
    [targetName(context, options.evalTargetName)]: evalTarget(context, imageOptions),
    [targetName(context, options.pushTargetName)]: pushTarget(context),
    [targetName(context, options.bootTestTargetName)]: bootTestTarget(context, buildConfigurations),
    [targetName(context, options.diffTargetName)]: diffTarget(context, buildConfigurations),
  };
}
