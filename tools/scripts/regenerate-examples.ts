/**
 * Regenerates examples/ with the image and module generators and the article's values:
 *
 *     node -r @swc-node/register tools/scripts/regenerate-examples.ts
 *
 * packages/nixiso/src/generators/image/examples.spec.ts runs the same code on a
 * temporary tree and fails when the checked-in examples differ.
 */
import { posix } from 'node:path';
import { joinPathFragments, type Tree } from '@nx/devkit';
import { flushChanges, FsTree, printChanges } from 'nx/src/generators/tree';
import { imageGenerator } from '../../packages/nixiso/src/generators/image/image';
import type { ImageGeneratorSchema } from '../../packages/nixiso/src/generators/image/schema';
import { moduleGenerator } from '../../packages/nixiso/src/generators/module/module';
import type { ModuleGeneratorSchema } from '../../packages/nixiso/src/generators/module/schema';

/** The values of the source article (NixOS 24.05, git + neovim, jq + fzf + curl). */
const ARTICLE: Omit<ImageGeneratorSchema, 'directory'> = {
  release: '24.05',
  packages: ['git', 'neovim'],
  homePackages: ['jq', 'fzf', 'curl'],
  configurationName: 'liveImage',
  username: 'nixos',
  skipFormat: true,
};

export const EXAMPLES: readonly ImageGeneratorSchema[] = [
  { ...ARTICLE, directory: 'examples/iso-channel', flake: false, homeManager: false },
  { ...ARTICLE, directory: 'examples/iso-flake', flake: true, homeManager: false },
  { ...ARTICLE, directory: 'examples/iso-channel-home-manager', flake: false, homeManager: true },
  { ...ARTICLE, directory: 'examples/iso-flake-home-manager', flake: true, homeManager: true },
];

/**
 * A fifth example beyond the article: an image for a non-default user that
 * imports a shared module project, wired by the module generator.
 */
export const SHARED_MODULE_IMAGE: ImageGeneratorSchema = {
  ...ARTICLE,
  directory: 'examples/iso-shared-module',
  flake: true,
  homeManager: true,
  username: 'alice',
};
export const SHARED_MODULE: ModuleGeneratorSchema = {
  directory: 'examples/modules/users',
  image: ['iso-shared-module'],
  skipFormat: true,
};

/** Every directory regeneration writes. */
export const EXAMPLE_DIRECTORIES = [...EXAMPLES, SHARED_MODULE_IMAGE, SHARED_MODULE].map((e) => e.directory);

/** Files in an example that the generator does not write but regeneration keeps. */
export const KEPT_FILES = ['flake.lock'];

function filesUnder(tree: Tree, dir: string): string[] {
  if (!tree.exists(dir)) return [];
  return tree.children(dir).flatMap((child) => {
    const path = joinPathFragments(dir, child);
    return tree.isFile(path) ? [path] : filesUnder(tree, path);
  });
}

/** Replaces every example directory in `tree` with fresh generator output. */
export async function regenerateExamples(tree: Tree): Promise<void> {
  for (const path of filesUnder(tree, SHARED_MODULE.directory)) tree.delete(path);
  for (const example of [...EXAMPLES, SHARED_MODULE_IMAGE]) {
    const kept = KEPT_FILES.map((file) => joinPathFragments(example.directory, file))
      .filter((path) => tree.exists(path))
      .map((path) => [path, tree.read(path) as Buffer] as const);
    for (const path of filesUnder(tree, example.directory)) tree.delete(path);
    // Absolute, so the result does not depend on the cwd the script runs in.
    await imageGenerator(tree, { ...example, directory: posix.join(tree.root, example.directory) });
    for (const [path, content] of kept) tree.write(path, content);
  }
  await moduleGenerator(tree, SHARED_MODULE);
}

async function main(): Promise<void> {
  const workspaceRoot = joinPathFragments(__dirname, '../..');
  const tree = new FsTree(workspaceRoot, false);
  await regenerateExamples(tree);
  const changes = tree.listChanges();
  printChanges(changes);
  flushChanges(workspaceRoot, changes);
  if (changes.length === 0) console.log('examples/ is up to date');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
