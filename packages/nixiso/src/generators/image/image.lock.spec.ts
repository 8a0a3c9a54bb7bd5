/**
 * The image generator's callback (what `nx g` runs after writing the files):
 * `nix flake lock` in a new flake project, with real Nix, on disk. Tree-only
 * tests never call the callback, so they never reach for the network.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flushChanges, FsTree } from 'nx/src/generators/tree';
import { describeWithNix, fixtures, offlineNixConfig, tempDir } from '@nixiso/testing';
import { logger } from '../../nx/runtime';
import { imageGenerator } from './image';
import type { ImageGeneratorSchema } from './schema';

describeWithNix('image generator: flake.lock of a new flake project', () => {
  let messages: string[];
  const savedNixConfig = process.env.NIX_CONFIG;

  beforeEach(() => {
    messages = [];
    jest.spyOn(logger, 'warn').mockImplementation((m: unknown) => void messages.push(String(m)));
    jest.spyOn(logger, 'info').mockImplementation((m: unknown) => void messages.push(String(m)));
    process.env.NIX_CONFIG = offlineNixConfig();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    if (savedNixConfig === undefined) delete process.env.NIX_CONFIG;
    else process.env.NIX_CONFIG = savedNixConfig;
  });

  /** Runs the generator on a workspace on disk; returns its root and the callback. */
  async function generate(options: Partial<ImageGeneratorSchema>, edit?: (flakeNix: string) => string) {
    const root = tempDir('nixiso-gen-lock-');
    writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: [{ plugin: '@nixiso/nx', options: { lockTargetName: 'pin' } }] }));
    const tree = new FsTree(root, false);
    const callback = await imageGenerator(tree, { directory: 'images/demo', release: '24.05', skipFormat: true, ...options });
    if (edit) tree.write('images/demo/flake.nix', edit(tree.read('images/demo/flake.nix', 'utf-8') as string));
    flushChanges(root, tree.listChanges());
    return { root, callback, lock: join(root, 'images/demo/flake.lock') };
  }

  it('offline: fails fast, creates no flake.lock and says to run the lock target', async () => {
    const { callback, lock } = await generate({ flake: true, homeManager: true });
    const started = Date.now();
    await callback();
    const took = Date.now() - started;
    expect(existsSync(lock)).toBe(false);
    expect(messages.join('\n')).toMatch(
      /images\/demo\/flake\.lock was not created \(nix flake lock failed: unable to download .*\)\. Run `nx run demo:pin`.*commit flake\.lock/,
    );
    // One download attempt: no retries with back-off (about 5 s with Nix's default of 5 attempts).
    expect(took).toBeLessThan(3000);
  });

  it('creates flake.lock when Nix can reach the inputs', async () => {
    const { callback, lock } = await generate({ flake: true, homeManager: false }, (flake) =>
      flake.replace('github:nixos/nixpkgs/nixos-24.05', `path:${fixtures.nixpkgs}`),
    );
    await callback();
    expect(existsSync(lock)).toBe(true);
    expect(messages.join('\n')).toMatch(/created images\/demo\/flake\.lock/);
  });

  it('does nothing with --skipLock and for channel layouts', async () => {
    const skipped = await generate({ flake: true, homeManager: false, skipLock: true });
    await skipped.callback();
    expect(existsSync(skipped.lock)).toBe(false);
    const channel = await generate({ flake: false, homeManager: false });
    await channel.callback();
    expect(messages).toEqual([]);
  });
});
