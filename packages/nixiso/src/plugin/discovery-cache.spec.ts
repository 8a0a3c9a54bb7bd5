import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tempTree } from '@nixiso/testing';
import { diskTree } from './discover';
import { cachedDiscovery } from './discovery-cache';

describe('cachedDiscovery', () => {
  it('answers from the cache while the key, every listing and every file it read are the same; else computes again', async () => {
    const outside = tempTree({ 'shared.nix': '{ }' });
    const workspace = tempTree({ 'hosts/desk/default.nix': '{ }' });
    const directory = tempDir('nixiso-discovery-cache-');
    let computed = 0;
    const compute = async (tree: ReturnType<typeof diskTree>) => {
      computed++;
      tree.list(join(workspace, 'hosts'));
      tree.read(join(outside, 'shared.nix'));
      tree.read(join(workspace, 'hosts/desk/default.nix'));
      tree.read(join(workspace, 'hosts/desk/project.json'));
      return { value: { run: computed }, keep: true };
    };
    const ask = (key: unknown = 'k') => cachedDiscovery(workspace, key, diskTree(), compute, directory);

    expect(await ask()).toEqual({ run: 1 });
    expect(await ask()).toEqual({ run: 1 });
    // A folder readDir would list gains an entry that is no Nix file: the content hash cannot see it.
    mkdirSync(join(workspace, 'hosts/iso'));
    expect(await ask()).toEqual({ run: 2 });
    expect(await ask()).toEqual({ run: 2 });
    writeFileSync(join(outside, 'shared.nix'), '{ x = 1; }');
    expect(await ask()).toEqual({ run: 3 });
    // A file it read inside the workspace changes; then one it found absent appears.
    writeFileSync(join(workspace, 'hosts/desk/default.nix'), '{ y = 2; }');
    expect(await ask()).toEqual({ run: 4 });
    expect(await ask('another key')).toEqual({ run: 5 });
    expect(await ask('another key')).toEqual({ run: 5 });
    writeFileSync(join(workspace, 'hosts/desk/project.json'), '{}');
    expect(await ask('another key')).toEqual({ run: 6 });
    rmSync(join(workspace, 'hosts/iso'), { recursive: true });
    expect(await ask('another key')).toEqual({ run: 7 });
  });

  it('does not keep an answer that says it may not be kept (Nix was unavailable)', async () => {
    const workspace = tempTree({ 'a.nix': '{ }' });
    const directory = tempDir('nixiso-discovery-cache-');
    let computed = 0;
    const compute = async () => ({ value: ++computed, keep: false });
    expect(await cachedDiscovery(workspace, 'k', diskTree(), compute, directory)).toBe(1);
    expect(await cachedDiscovery(workspace, 'k', diskTree(), compute, directory)).toBe(2);
  });
});
