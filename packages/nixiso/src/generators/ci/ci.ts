import { formatFiles, generateFiles, type Tree } from '@nx/devkit';
import { join } from 'node:path';
import type { CiGeneratorSchema } from './schema';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;

/** One template folder per provider under files/. */
export async function ciGenerator(tree: Tree, schema: CiGeneratorSchema): Promise<void> {
  const options = {
    provider: schema.provider ?? 'github',
    name: schema.name ?? 'images',
    mainBranch: schema.mainBranch ?? 'main',
    uploadImages: schema.uploadImages ?? false,
  };
  if (options.provider !== 'github' && options.provider !== 'gitlab') {
    throw new Error(`option "provider": unknown CI provider "${options.provider}" (expected github or gitlab)`);
  }
  if (!NAME.test(options.name)) throw new Error(`option "name": "${options.name}" is not a valid workflow name`);
  if (!BRANCH.test(options.mainBranch)) throw new Error(`option "mainBranch": "${options.mainBranch}" is not a valid branch name`);
  generateFiles(tree, join(__dirname, 'files', options.provider), '.', { ...options, tmpl: '' });
  if (!schema.skipFormat) await formatFiles(tree);
}

export default ciGenerator;
