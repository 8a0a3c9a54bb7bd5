/** The boot-test target: boots the built image in QEMU and reports on it beside the build's outputs. */
import type { TargetConfiguration } from '@nx/devkit';
import { IMAGE_IDENTITY_FILE } from '../../built-image/outputs';
import { BOOT_REPORT_FILE } from '../../nix/boot/boot-report';
import { PLUGIN_NAME } from '../options';
import { type ImageTargetContext, imageOf, outputFile, outputOptions, targetName } from './context';
import { HELP_EXAMPLES } from './help';
import { BOOT_TEST_OPTIONS_INPUT } from './inputs';

/**
 * Keyed on the image itself (image.json: store and derivation path), not on
 * the sources: a rebuild that yields the same image is still a hit; and on
 * the options file the executor reads. The build's configuration names, so
 * `boot-test:offline` boots what `build:offline` built.
 */
export function bootTestTarget(context: ImageTargetContext, buildConfigurations: readonly string[]): TargetConfiguration {
  return {
    executor: `${PLUGIN_NAME}:boot-test`,
    dependsOn: [targetName(context, context.options.buildTargetName)],
    cache: true,
    inputs: [BOOT_TEST_OPTIONS_INPUT, { dependentTasksOutputFiles: `**/${IMAGE_IDENTITY_FILE}`, transitive: false }],
    outputs: [outputFile(context, BOOT_REPORT_FILE)],
    options: { ...outputOptions(context) },
    configurations: Object.fromEntries(buildConfigurations.map((c) => [c, {}])),
    metadata: {
      description:
        `Boot the built image${imageOf(context)} headless in QEMU (KVM, else TCG) and fail on a failed systemd unit or check. ` +
        `Its options (checks, timeoutSeconds, …) may live in ${BOOT_TEST_OPTIONS_INPUT}, an input of boot-test only: ` +
        'Nx hashes project.json into the key of every target, so checks edited there make the build miss its cache',
      technologies: ['nix'],
      help: context.help(targetName(context, context.options.bootTestTargetName), HELP_EXAMPLES.bootTest),
    },
  };
}
