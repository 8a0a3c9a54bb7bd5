/** The build target: builds the image and records where it is (manifest, identity, reads) under dist/. */
import type { TargetConfiguration } from '@nx/devkit';
import { DEFAULT_OUT_LINK, IMAGE_IDENTITY_FILE, MANIFEST_FILE, READ_RECORD_FILE } from '../../built-image/outputs';
import { PLUGIN_NAME } from '../options';
import { type ImageTargetContext, imageOf, outputFile, targetName } from './context';
import { HELP_EXAMPLES } from './help';

export function buildTarget(
  context: ImageTargetContext,
  /** Options it runs with unless the project says otherwise (the flake's image configuration, its output directory). */
  imageOptions: Record<string, string>,
): TargetConfiguration {
  const output = (file: string) => outputFile(context, file);
  return {
    executor: `${PLUGIN_NAME}:build`,
    cache: true,
    inputs: context.inputs as TargetConfiguration['inputs'],
    // Named files, not the directory as a whole: other targets (boot-test) write their reports beside them.
    // reads.json: what Nix read, so that a cache hit restores the record the graph plugin unites with the static model.
    outputs: [output(MANIFEST_FILE), output(IMAGE_IDENTITY_FILE), output(READ_RECORD_FILE), output(DEFAULT_OUT_LINK), '{options.outLink}'],
    options: { ...imageOptions },
    metadata: {
      description: `Build the NixOS image${imageOf(context)}; ${context.split ? context.split.outputPath : 'dist/<projectRoot>'}/result links to it in the Nix store`,
      technologies: ['nix'],
      help: context.help(targetName(context, context.options.buildTargetName), HELP_EXAMPLES.build),
    },
  };
}
