import { createHash } from 'node:crypto';
import { addRootCommand, indirectRootPath, nixBase32, nixStateDirOf } from './gc-root';

describe('GC root names', () => {
  it("encodes hashes in Nix's base32", () => {
    // `nix hash to-base32 --type sha256 e3b0c442…` (the SHA-256 of nothing) on Nix 2.8.
    expect(nixBase32(createHash('sha256').update('').digest())).toBe('0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73');
  });

  it('names the indirect root as nix-store --add-root does', () => {
    // `nix-store --add-root /tmp/addroot-exp/link1 --realise …` on Nix 2.8 created gcroots/auto/ai7pdpyljqfdybdin32fj7lgijwjwpgy.
    expect(indirectRootPath('/tmp/addroot-exp/link1')).toBe('/nix/var/nix/gcroots/auto/ai7pdpyljqfdybdin32fj7lgijwjwpgy');
    expect(indirectRootPath('/tmp/addroot-exp//link1/', '/var/nix')).toBe('/var/nix/gcroots/auto/ai7pdpyljqfdybdin32fj7lgijwjwpgy');
    expect(nixStateDirOf({})).toBe('/nix/var/nix');
    expect(nixStateDirOf({ NIX_STATE_DIR: '/var/nix' })).toBe('/var/nix');
  });

  it('registers a root with nix-store', () => {
    expect(addRootCommand('/w/dist/x/result', '/nix/store/abc-x')).toEqual({
      command: 'nix-store',
      args: ['--add-root', '/w/dist/x/result', '--realise', '/nix/store/abc-x'],
    });
  });
});
