/** The diff target: what changes in the image against a base commit, written beside the build's outputs. */
import type { TargetConfiguration } from '@nx/devkit';
import { DIFF_FILE, DIFF_MARKDOWN_FILE } from '../../built-image/outputs';
import { PLUGIN_NAME } from '../options';
import { type ImageTargetContext, imageOf, outputFile, outputOptions, targetName } from './context';
import { HELP_EXAMPLES } from './help';

/**
 * Where the base commit comes from, for the cache key: every branch and tag
 * (the base option and nx.json's defaultBase name one of them), HEAD (the
 * base is where the base ref and HEAD meet) and NX_BASE. Any of them moving
 * is a miss: a diff against a base that moved is another diff.
 */
export const DIFF_BASE_INPUTS = [
  { env: 'NX_BASE' },
  { runtime: "git rev-parse HEAD 2>&1; git for-each-ref --format='%(objectname) %(refname)' refs/heads refs/remotes refs/tags 2>&1; true" },
];

/**
 * Keyed on the image's sources (the build's inputs) and on the base; no
 * dependency on the build: an unchanged derivation is answered without
 * building anything. The build's configuration names, so `diff:offline`
 * compares what `build:offline` builds.
 */
export function diffTarget(context: ImageTargetContext, buildConfigurations: readonly string[]): TargetConfiguration {
  return {
    executor: `${PLUGIN_NAME}:diff`,
    cache: true,
    inputs: [...(context.inputs as Exclude<TargetConfiguration['inputs'], undefined>), ...DIFF_BASE_INPUTS],
    outputs: [outputFile(context, DIFF_FILE), outputFile(context, DIFF_MARKDOWN_FILE)],
    options: { buildTarget: targetName(context, context.options.buildTargetName), ...outputOptions(context) },
    configurations: Object.fromEntries(buildConfigurations.map((c) => [c, {}])),
    metadata: {
      description:
        `Compare the image${imageOf(context)} with the image at the base commit (--base, else NX_BASE, nx.json defaultBase, main): ` +
        'packages added, removed and changed, closure and image size; no change in the derivation stops before anything is built',
      technologies: ['nix'],
      help: context.help(targetName(context, context.options.diffTargetName), HELP_EXAMPLES.diff),
    },
  };
}
