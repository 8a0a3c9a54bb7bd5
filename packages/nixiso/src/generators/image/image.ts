import { addProjectConfiguration, formatFiles, type Tree } from '@nx/devkit';
import type { ImageGeneratorSchema } from './schema';

export async function imageGenerator(tree: Tree, options: ImageGeneratorSchema): Promise<void> {
  const name = options.name ?? options.directory.split('/').pop()!;
  addProjectConfiguration(tree, name, { root: options.directory, projectType: 'application', targets: {} });
  tree.write(`${options.directory}/configuration.nix`, '{ ... }: { }\n');
  await formatFiles(tree);
}
export default imageGenerator;
