import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { workspaceRoot } from '@nixiso/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools/scripts belongs to no project; the examples are checked against its list
import { EXAMPLE_DIRECTORIES, EXAMPLES, KEPT_FILES, regenerateExamples } from '../../../../../tools/scripts/regenerate-examples';

function filesOnDisk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesOnDisk(path, `${prefix}${entry}/`) : [`${prefix}${entry}`];
  });
}

function filesInTree(tree: Tree, dir: string, prefix = ''): string[] {
  return tree.children(dir).flatMap((entry) => {
    const path = `${dir}/${entry}`;
    return tree.isFile(path) ? [`${prefix}${entry}`] : filesInTree(tree, path, `${prefix}${entry}/`);
  });
}

/** examples/ is generator output: regenerate it and compare, file by file. */
describe('examples/', () => {
  let tree: Tree;
  beforeAll(async () => {
    tree = createTreeWithEmptyWorkspace();
    await regenerateExamples(tree);
  });

  it('has the four layouts of the article', () => {
    expect(EXAMPLES.map((e) => e.directory)).toEqual([
      'examples/iso-channel',
      'examples/iso-flake',
      'examples/iso-channel-home-manager',
      'examples/iso-flake-home-manager',
    ]);
  });

  it('has a fifth example: a non-default user and a shared module project', () => {
    expect(EXAMPLE_DIRECTORIES.slice(4)).toEqual(['examples/iso-shared-module', 'examples/modules/users']);
    expect(tree.read('examples/iso-shared-module/configuration.nix', 'utf-8')).toMatch(/^\s+\.\.\/modules\/users$/m);
    expect(tree.read('examples/iso-shared-module/configuration.nix', 'utf-8')).toMatch(/users\.users\.alice = \{/);
  });

  it.each(EXAMPLE_DIRECTORIES.map((directory) => [directory]))('%s is what `node -r @swc-node/register tools/scripts/regenerate-examples.ts` writes', (directory) => {
    const onDisk = filesOnDisk(join(workspaceRoot, directory)).filter((file) => !KEPT_FILES.includes(file)).sort();
    const generated = filesInTree(tree, directory).sort();
    expect(onDisk).toEqual(generated);
    for (const file of generated) {
      expect([file, readFileSync(join(workspaceRoot, directory, file), 'utf8')]).toEqual([file, tree.read(`${directory}/${file}`, 'utf-8')]);
    }
  });
});
