import { formatFiles, type NxJsonConfiguration, readNxJson, updateNxJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import { IMAGE_EXECUTORS } from '../../nix/target-defaults';
import type { InitGeneratorSchema } from './schema';

export const PLUGIN_PACKAGE = '@nixiso/nx';

function pluginName(entry: string | { plugin: string }): string {
  return typeof entry === 'string' ? entry : entry.plugin;
}

/** Adds @nixiso/nx to nx.json `plugins` once; running it again changes nothing. */
export function addPluginToNxJson(tree: Tree): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  if (plugins.some((p) => pluginName(p) === PLUGIN_PACKAGE || pluginName(p) === '@nixiso')) return false;
  nxJson.plugins = [
    ...plugins,
    { plugin: PLUGIN_PACKAGE, options: { buildTargetName: 'build', evalTargetName: 'eval', lockTargetName: 'lock' } },
  ];
  updateNxJson(tree, nxJson);
  return true;
}

/**
 * `"@nixiso/nx:build": { "cache": true }` (and eval) in targetDefaults: an
 * entry keyed by the executor wins over one keyed by the target name, so a
 * workspace-wide `targetDefaults.build` (create-nx-workspace writes one) no
 * longer replaces the inputs and outputs nixiso infers for images.
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
  addPluginToNxJson(tree);
  addImageTargetDefaults(tree);
  if (!options.skipFormat) await formatFiles(tree);
  return () => undefined;
}

export default initGenerator;
