import {
  createProjectGraphAsync,
  formatFiles,
  type GeneratorCallback,
  type NxJsonConfiguration,
  readNxJson,
  type Tree,
  updateNxJson,
} from '@nx/devkit';
import { addPlugin } from '@nx/devkit/internal';
import { IMAGE_EXECUTORS } from '../../nx/target-defaults';
import { createNodesV2, DEFAULT_TARGET_NAMES, type TargetNameOption } from '../../plugin/nodes';
import type { InitGeneratorSchema } from './schema';

export const PLUGIN_PACKAGE = '@nixiso/nx';

/**
 * The names init tries for each inferred target, in order, when another
 * plugin or a project.json already gives an image project a target of that
 * name: `build`, else `nix-build`, else `nixiso-build`. No colon (as in
 * `jest:test`): the ci generator puts the names into workflow files, and
 * accepts letters, digits, `_`, `.` and `-` only.
 */
export const TARGET_NAME_CANDIDATES: Record<TargetNameOption, string[]> = Object.fromEntries(
  Object.entries(DEFAULT_TARGET_NAMES).map(([option, name]) => [option, [name, `nix-${name}`, `nixiso-${name}`]]),
) as Record<TargetNameOption, string[]>;

function pluginName(entry: string | { plugin: string }): string {
  return typeof entry === 'string' ? entry : entry.plugin;
}

/** Whether nx.json already registers the plugin (in any form, with any options). */
export function hasPluginRegistration(nxJson: NxJsonConfiguration | null): boolean {
  return (nxJson?.plugins ?? []).some((p) => pluginName(p) === PLUGIN_PACKAGE || pluginName(p) === '@nixiso');
}

/**
 * Adds @nixiso/nx to nx.json `plugins` once, with the default target names;
 * running it again changes nothing. For generators that need the plugin's
 * targets at once (image); init resolves names against the project graph
 * first (addPluginWithFreeTargetNames).
 */
export function addPluginToNxJson(tree: Tree): boolean {
  const nxJson = readNxJson(tree) ?? {};
  if (hasPluginRegistration(nxJson)) return false;
  nxJson.plugins = [
    ...(nxJson.plugins ?? []),
    { plugin: PLUGIN_PACKAGE, options: { buildTargetName: 'build', evalTargetName: 'eval', lockTargetName: 'lock' } },
  ];
  updateNxJson(tree, nxJson);
  return true;
}

/**
 * Registers the plugin with the first combination of target names that no
 * project it infers targets for already has (@nx/devkit's addPlugin: it runs
 * the plugin alone on the workspace's files for each candidate and compares
 * with the project graph). Nothing when the plugin is already registered.
 */
export async function addPluginWithFreeTargetNames(tree: Tree, updatePackageScripts = false): Promise<void> {
  if (hasPluginRegistration(readNxJson(tree))) return;
  await addPlugin(tree, await createProjectGraphAsync(), PLUGIN_PACKAGE, createNodesV2, TARGET_NAME_CANDIDATES, updatePackageScripts);
}

/**
 * `"@nixiso/nx:build": { "cache": true }` (and eval) in targetDefaults: an
 * entry keyed by the executor wins over one keyed by the target name, so a
 * workspace-wide `targetDefaults.build` (create-nx-workspace writes one) no
 * longer replaces the inputs and outputs nixiso infers for images. Also
 * what a workspace without the plugin gets: targets written with the
 * executors in project.json are cached.
 */
export function addImageTargetDefaults(tree: Tree): void {
  const nxJson = readNxJson(tree) ?? {};
  const targetDefaults = { ...nxJson.targetDefaults } as Record<string, unknown>;
  let changed = false;
  for (const executor of IMAGE_EXECUTORS) {
    if (targetDefaults[executor] !== undefined) continue;
    targetDefaults[executor] = { cache: true };
    changed = true;
  }
  if (!changed) return;
  nxJson.targetDefaults = targetDefaults as NxJsonConfiguration['targetDefaults'];
  updateNxJson(tree, nxJson);
}

export async function initGenerator(tree: Tree, options: InitGeneratorSchema): Promise<GeneratorCallback> {
  const nxJson = readNxJson(tree);
  // As Nx's own init generators decide: NX_ADD_PLUGINS=false or nx.json `useInferencePlugins: false` leave the plugin out.
  const addPluginDefault = process.env.NX_ADD_PLUGINS !== 'false' && nxJson?.useInferencePlugins !== false;
  if (options.addPlugin ?? addPluginDefault) await addPluginWithFreeTargetNames(tree, options.updatePackageScripts);
  addImageTargetDefaults(tree);
  if (!options.skipFormat) await formatFiles(tree);
  return () => undefined;
}

export default initGenerator;
