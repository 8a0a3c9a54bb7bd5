import type { BuildManifest } from './manifest';
import { pullConfig, pullFailureHints, reconcileRebuiltImage, substitutedFrom } from './restore';

const manifest = { project: 'rescue', sha256: 'a'.repeat(64), sizeBytes: 10 } as BuildManifest;

describe('reconcileRebuiltImage', () => {
  it('keeps the manifest when the rebuilt image is the same file', () => {
    expect(reconcileRebuiltImage(manifest, { sha256: 'a'.repeat(64), sizeBytes: 10 })).toEqual({ manifest });
  });

  it('describes the rebuilt image and says why when it differs', () => {
    const r = reconcileRebuiltImage(manifest, { sha256: 'b'.repeat(64), sizeBytes: 12 });
    expect(r.manifest).toEqual({ ...manifest, sha256: 'b'.repeat(64), sizeBytes: 12 });
    expect(r.warning).toMatch(/rebuilt image of rescue differs from the cached one \(sha256 a+ → b+; the build is not bit-reproducible\)/);
  });
});

describe('pull', () => {
  it('takes the binaryCache plugin option, overridden by the environment', () => {
    expect(pullConfig({ url: 'file:///c', publicKeys: ['k-1:AAAA'] }, {})).toMatchObject({
      substituters: ['file:///c'],
      publicKeys: ['k-1:AAAA'],
    });
    expect(pullConfig({ url: 'file:///c' }, { NIXISO_SUBSTITUTERS: 'https://a https://b' }).substituters).toEqual(['https://a', 'https://b']);
    expect(pullConfig(undefined, {}).substituters).toEqual([]);
  });

  it("reads which cache Nix copied from and why it would not", () => {
    expect(substitutedFrom("copying path '/nix/store/abc-x' from 'file:///tmp/cache'...")).toBe('file:///tmp/cache');
    expect(substitutedFrom('')).toBeUndefined();
    const unsigned = "warning: the substitute for '/nix/store/abc-x' from 'file:///c' is not signed by any of the keys in 'trusted-public-keys'";
    expect(pullFailureHints(unsigned, { substituters: ['file:///c'], publicKeys: [], sources: {} })[0]).toMatch(/set binaryCache.publicKeys/);
    expect(pullFailureHints(unsigned, { substituters: ['file:///c'], publicKeys: ['k-1:AAAA'], sources: {} })[0]).toMatch(/match none of the public keys/);
    expect(pullFailureHints("warning: ignoring untrusted substituter 'file:///c'", pullConfig(undefined, {}))[0]).toMatch(/trusted-substituters/);
  });
});
