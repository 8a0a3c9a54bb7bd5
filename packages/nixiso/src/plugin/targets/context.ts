/**
 * What every target of one image's set (build, eval, push, boot-test) is
 * built from: the plugin options, the set's inputs and help, and, for one
 * configuration of a flake with several, the configuration it builds and
 * the output directory of its own.
 */
import { imageDistDir } from '../../built-image/outputs';
import type { ResolvedPluginOptions } from '../options';
import type { HelpOf } from './help';
import type { TargetInput } from './inputs';

/** One configuration of several: its target name suffix, output directory and executor options. */
export interface ConfigurationSplit {
  /** `--<configuration slug>`, appended to each target name of the set. */
  suffix: string;
  outputPath: string;
  configurationName: string;
  /** The executor options that select the configuration (`configurationName`, `attribute`, …). */
  selection: Record<string, string>;
}

export interface ImageTargetContext {
  options: ResolvedPluginOptions;
  inputs: TargetInput[];
  help: HelpOf;
  split?: ConfigurationSplit;
}

/** The name of a target of the set: `<target>--<configuration>` for one configuration of several. */
export function targetName(context: ImageTargetContext, target: string): string {
  return `${target}${context.split?.suffix ?? ''}`;
}

/** What target descriptions add after "the image": ` <configuration>` for one configuration of several. */
export function imageOf(context: ImageTargetContext): string {
  return context.split ? ` ${context.split.configurationName}` : '';
}

/** Where the build records the image: the default, or the configuration's own directory (the option, so an override moves the outputs too). */
export function outputFile(context: ImageTargetContext, file: string): string {
  return context.split ? `{options.outputPath}/${file}` : `{workspaceRoot}/${imageDistDir('{projectRoot}')}/${file}`;
}

/** The options that tell a target using the image where the build put it: only a configuration's own directory needs saying. */
export function outputOptions(context: ImageTargetContext): Record<string, string> {
  return context.split ? { outputPath: context.split.outputPath } : {};
}
