import { readNxJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from 'nx/src/generators/testing-utils/create-tree-with-empty-workspace';
import { initGenerator } from './init';

describe('init generator', () => {
  it('registers the plugin and guards the image targets against target-name defaults', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, {});
    const nxJson = readNxJson(tree)!;
    expect(nxJson.plugins).toContainEqual(expect.objectContaining({ plugin: '@nixiso/nx' }));
    expect(nxJson.targetDefaults?.['@nixiso/nx:build']).toEqual({ cache: true });
    expect(nxJson.targetDefaults?.['@nixiso/nx:eval']).toEqual({ cache: true });
    expect(nxJson.namedInputs?.nix).toBeUndefined();
  });

  it('keeps targetDefaults the user has for the executors and for other targets', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const build = { dependsOn: ['^build'], inputs: ['production', '^production'], cache: true };
    const own = { configurations: { offline: { nixOptions: { substituters: '' } } } };
    tree.write('nx.json', JSON.stringify({ targetDefaults: { build, '@nixiso/nx:build': own } }));
    await initGenerator(tree, {});
    const { targetDefaults } = readNxJson(tree)!;
    expect(targetDefaults).toEqual({ build, '@nixiso/nx:build': own, '@nixiso/nx:eval': { cache: true } });
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
