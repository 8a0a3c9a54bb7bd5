import { lutimesSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@nixiso/testing';
import { staleCacheRoots } from './cache-root';

describe('staleCacheRoots', () => {
  it('drops only roots whose cache entry is gone and that are older than a day', () => {
    const cacheDir = tempDir('nixiso-cache-roots-');
    const rootsDir = join(cacheDir, 'nixiso-gcroots');
    mkdirSync(rootsDir);
    mkdirSync(join(cacheDir, 'kept0000'));
    const day = 86_400_000;
    const now = Date.now();
    for (const [name, ageMs] of [['kept0000', 3 * day], ['gone0000', 3 * day], ['fresh000', 60_000]] as const) {
      symlinkSync('/nix/store/00000000000000000000000000000000-x', join(rootsDir, name));
      const t = new Date(now - ageMs);
      // lutimes: the link's own time, not its (missing) target's.
      lutimesSync(join(rootsDir, name), t, t);
    }
    expect(staleCacheRoots(rootsDir, cacheDir, now)).toEqual(['gone0000']);
    expect(staleCacheRoots(join(cacheDir, 'none'), cacheDir, now)).toEqual([]);
  });
});
