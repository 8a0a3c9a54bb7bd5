import { formatFiles, readNxJson, updateNxJson, type GeneratorCallback, type Tree } from '@nx/devkit';
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

/** The `nix` named input the inferred targets use: an image's Nix sources and lock file. */
export function addNixNamedInput(tree: Tree): void {
  const nxJson = readNxJson(tree) ?? {};
  if (nxJson.namedInputs?.nix) return;
  nxJson.namedInputs = { ...nxJson.namedInputs, nix: ['{projectRoot}/**/*.nix', '{projectRoot}/flake.lock'] };
  updateNxJson(tree, nxJson);
}

export async function initGenerator(tree: Tree, options: InitGeneratorSchema): Promise<GeneratorCallback> {
  addPluginToNxJson(tree);
  addNixNamedInput(tree);
  if (!options.skipFormat) await formatFiles(tree);
  return () => undefined;
}

export default initGenerator;
