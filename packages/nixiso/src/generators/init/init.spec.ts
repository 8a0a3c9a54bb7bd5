import { readNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from 'nx/src/generators/testing-utils/create-tree-with-empty-workspace';
import { initGenerator } from './init';

describe('init generator', () => {
  it('registers the plugin and the nix named input in nx.json', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, {});
    const nxJson = readNxJson(tree)!;
    expect(nxJson.plugins).toContainEqual(expect.objectContaining({ plugin: '@nixiso/nx' }));
    expect(nxJson.namedInputs?.nix).toEqual(['{projectRoot}/**/*.nix', '{projectRoot}/flake.lock']);
  });

  it('is idempotent', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, {});
    const once = tree.read('nx.json', 'utf8');
    await initGenerator(tree, {});
    expect(tree.read('nx.json', 'utf8')).toBe(once);
    expect(readNxJson(tree)!.plugins!.filter((p) => typeof p !== 'string' && p.plugin === '@nixiso/nx')).toHaveLength(1);
  });

  it('keeps a registration the user already has, also as a plain string', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('nx.json', JSON.stringify({ plugins: ['@nixiso/nx'] }));
    await initGenerator(tree, {});
    expect(readNxJson(tree)!.plugins).toEqual(['@nixiso/nx']);
  });
});
