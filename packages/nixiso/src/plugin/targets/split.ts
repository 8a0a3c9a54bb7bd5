/**
 * Per image configuration of a flake with several, a target set named
 * `<target>--<configuration>` with its own output directory
 * dist/<projectRoot>/<configuration>, grouped by configuration (Nx's
 * metadata.targetGroups, as Nx's own split targets are); `build`, `eval`,
 * `push`, `boot-test` and `diff` run the whole set (nx:noop depending on each), so
 * `nx affected -t build` builds every image of the flake.
 */
import { posix } from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import { imageDistDir } from '../../built-image/outputs';
import { configurationSlug } from '../../nix/language/image-detect';
import type { ImageConfiguration } from '../discover';
import type { ResolvedPluginOptions } from '../options';
import { HELP_EXAMPLES, type HelpOf } from './help';
import { imageTargetSet } from './image-set';
import type { TargetInput } from './inputs';

export function splitImageTargets(
  options: ResolvedPluginOptions,
  inputs: TargetInput[],
  targetConfigurations: { build: readonly string[]; eval: readonly string[] },
  configurations: readonly ImageConfiguration[],
  projectRoot: string,
  help: HelpOf,
): { targets: Record<string, TargetConfiguration>; targetGroups: Record<string, string[]> } {
  const targets: Record<string, TargetConfiguration> = {};
  const targetGroups: Record<string, string[]> = {};
  const names = [options.buildTargetName, options.evalTargetName, options.pushTargetName, options.bootTestTargetName, options.diffTargetName];
  const examples: Record<string, Record<string, unknown>> = {
    [options.buildTargetName]: HELP_EXAMPLES.build,
    [options.evalTargetName]: HELP_EXAMPLES.eval,
    [options.pushTargetName]: HELP_EXAMPLES.push,
    [options.bootTestTargetName]: HELP_EXAMPLES.bootTest,
    [options.diffTargetName]: HELP_EXAMPLES.diff,
  };
  for (const configuration of configurations) {
    const slug = configurationSlug(configuration.name);
    // Written out, not `dist/{projectRoot}/…`: a project at the workspace root would get `dist/./<slug>`.
    const outputPath = posix.join(imageDistDir(projectRoot), slug);
    const split = { suffix: `--${slug}`, outputPath, configurationName: configuration.name, selection: configuration.options };
    const set = imageTargetSet({ options, inputs, help, split }, targetConfigurations.build, { ...configuration.options, outputPath });
    Object.assign(targets, set);
    targetGroups[`${configuration.name} image`] = Object.keys(set);
  }
  for (const target of names) {
    // The Nx configurations of what it runs (`build:offline` runs each `build--<configuration>:offline`).
    const named = target === options.evalTargetName ? targetConfigurations.eval : targetConfigurations.build;
    targets[target] = {
      executor: 'nx:noop',
      dependsOn: configurations.map((c) => ({ target: `${target}--${configurationSlug(c.name)}`, params: 'forward' as const })),
      configurations: Object.fromEntries(named.map((c) => [c, {}])),
      metadata: {
        description: `Run ${target} for every image configuration of the project (${configurations.map((c) => c.name).join(', ')})`,
        technologies: ['nix'],
        // The options it forwards are those of each configuration's target: its executor's help.
        help: help(`${target}--${configurationSlug(configurations[0].name)}`, examples[target]),
      },
    };
  }
  return { targets, targetGroups };
}
