/**
 * The targets of an image project: one set (build, eval, push, boot-test)
 * per image configuration, and doctor (and lock for a flake) for the
 * project as a whole. Each target is built in its own file.
 */
import type { TargetConfiguration } from '@nx/devkit';
import { BUILD_OPTION_DEFAULTS } from '../../executors/build-options';
import type { ImageKind } from '../../nix/language/image-detect';
import type { ImageConfiguration } from '../discover';
import type { ResolvedPluginOptions } from '../options';
import { doctorTarget } from './doctor';
import type { HelpOf } from './help';
import { imageTargetSet } from './image-set';
import type { TargetInput } from './inputs';
import { lockTarget } from './lock';
import { splitImageTargets } from './split';

/** A configuration's executor options less those equal to the executor's defaults (BUILD_OPTION_DEFAULTS). */
function withoutDefaults(selection: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(selection).filter(([key, value]) => !(key === 'configurationName' && value === BUILD_OPTION_DEFAULTS.configurationName)));
}

export function imageTargets(
  kind: ImageKind,
  options: ResolvedPluginOptions,
  inputs: TargetInput[],
  /** The Nx configurations project.json and targetDefaults give build and eval: the plugin's targets offer them too. */
  targetConfigurations: { build: readonly string[]; eval: readonly string[] },
  /** The project's image configurations: one gives the plain target set, several a set each, none only doctor (and lock). */
  configurations: readonly ImageConfiguration[],
  projectRoot: string,
  help: HelpOf,
): { targets: Record<string, TargetConfiguration>; targetGroups?: Record<string, string[]> } {
  const split =
    configurations.length > 1 ? splitImageTargets(options, inputs, targetConfigurations, configurations, projectRoot, help) : undefined;
  const only = configurations[0];
  const targets: Record<string, TargetConfiguration> =
    split?.targets ?? (only ? imageTargetSet({ options, inputs, help }, targetConfigurations.build, withoutDefaults(only.options)) : {});
  targets[options.doctorTargetName] = doctorTarget(options, help);
  if (kind === 'flake') targets[options.lockTargetName] = lockTarget();
  return { targets, targetGroups: split?.targetGroups };
}
