import { type BuildManifest, InvalidManifestError, manifestProblems, storePathProblem, validManifest } from './manifest';

const HASH = '0mdqa9w1p6cmli6976v4wi0sw9r4p5pr';
const scope = { storeDir: '/nix/store', workspaceRoot: '/work/ws', projectRoot: 'images/rescue' };
const good: BuildManifest = {
  project: 'rescue',
  backend: 'nix',
  format: 'iso',
  command: 'nix-build …',
  storePath: `/nix/store/${HASH}-nixos-24.05-x86_64-linux.iso`,
  drvPath: `/nix/store/${HASH.replace(/^0/, '1')}-nixos-24.05-x86_64-linux.iso.drv`,
  outLink: 'dist/images/rescue/result',
  imagePath: 'dist/images/rescue/result/iso/nixos.iso',
  imageFile: `/nix/store/${HASH}-nixos-24.05-x86_64-linux.iso/iso/nixos.iso`,
  sizeBytes: 1,
  sha256: 'a'.repeat(64),
  nixVersion: '2.8.0',
  durationMs: 1,
  builtAt: '2024-01-01T00:00:00.000Z',
};
const problemsOf = (change: Partial<Record<keyof BuildManifest, unknown>>) => manifestProblems({ ...good, ...change } as BuildManifest, scope);

describe('manifest validation', () => {
  it('accepts what a build writes, with or without a derivation', () => {
    expect(manifestProblems(good, scope)).toEqual([]);
    expect(problemsOf({ drvPath: undefined })).toEqual([]);
    expect(problemsOf({ outLink: 'dist/images/rescue/sub/result', imagePath: 'dist/images/rescue/sub/result' })).toEqual([]);
    expect(problemsOf({ outLink: '/work/ws/dist/images/rescue/result' })).toEqual([]);
  });

  it.each([
    ['../..', /resolves to \/, outside dist\/images\/rescue/],
    ['/etc', /resolves to \/etc, outside dist\/images\/rescue/],
    ['dist/images/rescue/../../../..', /resolves to \/work, outside/],
    ['dist/images/rescue-other/result', /outside dist\/images\/rescue/],
    ['dist/images', /resolves to \/work\/ws\/dist\/images, outside/],
    ['dist/images/rescue', /is dist\/images\/rescue itself/],
    ['dist/images/rescue/.', /is dist\/images\/rescue itself/],
    ['', /is not a path/],
  ])('refuses outLink %j', (outLink, why) => {
    const problems = problemsOf({ outLink });
    expect(problems).toContainEqual({ field: 'outLink', value: outLink, why: expect.stringMatching(why) });
  });

  it.each([
    ['/etc', /is not in the Nix store \/nix\/store/],
    ['/nix/store/../../etc', /not a store path directly in \/nix\/store/],
    ['/nix/store/..', /is not a store path name/],
    ['/nix/store', /is not in the Nix store/],
    [`/nix/store/${HASH}-x/iso`, /not a store path directly in/],
    [`/nix/store/${HASH}-x/`, /not a store path directly in/],
    [`/nix/store/${HASH.slice(1)}-x`, /is not a store path name/],
    [`/nix/store/${HASH.replace(/.$/, 'e')}-x`, /is not a store path name/],
    [`/nix/store/${HASH}-`, /is not a store path name/],
    [`/nix/store/${HASH}-a b`, /is not a store path name/],
    [`/nix/storex/${HASH}-x`, /is not in the Nix store/],
    [42, /is not a string/],
  ])('refuses storePath %j', (storePath, why) => {
    expect(problemsOf({ storePath })).toEqual([{ field: 'storePath', value: storePath, why: expect.stringMatching(why) }]);
  });

  it('refuses a drvPath outside the store or that is no derivation', () => {
    expect(problemsOf({ drvPath: '/tmp/x.drv' })).toEqual([{ field: 'drvPath', value: '/tmp/x.drv', why: 'is not in the Nix store /nix/store' }]);
    expect(problemsOf({ drvPath: `/nix/store/${HASH}-x` })).toEqual([{ field: 'drvPath', value: `/nix/store/${HASH}-x`, why: 'is not a .drv file' }]);
    expect(problemsOf({ drvPath: `/nix/store/${HASH}-x.drv/../../../tmp/y.drv` })[0]).toMatchObject({ field: 'drvPath' });
  });

  it('takes a toplevel directly in the store, and refuses one elsewhere', () => {
    expect(problemsOf({ toplevel: `/nix/store/${HASH}-nixos-system-rescue-24.05` })).toEqual([]);
    expect(problemsOf({ toplevel: '/etc' })).toEqual([{ field: 'toplevel', value: '/etc', why: 'is not in the Nix store /nix/store' }]);
  });

  it('refuses an imagePath outside dist/<projectRoot> or beside the out-link', () => {
    expect(problemsOf({ imagePath: '../../etc/shadow' })).toEqual([
      { field: 'imagePath', value: '../../etc/shadow', why: 'resolves to /etc/shadow, outside dist/images/rescue, the directory Nx caches and restores' },
    ]);
    expect(problemsOf({ imagePath: 'dist/images/rescue/result/../../../../etc/shadow' })[0]).toMatchObject({ field: 'imagePath' });
    expect(problemsOf({ imagePath: 'dist/images/rescue/manifest.json' })).toEqual([
      { field: 'imagePath', value: 'dist/images/rescue/manifest.json', why: 'is neither the out-link dist/images/rescue/result nor a path under it' },
    ]);
    expect(problemsOf({ imagePath: 'dist/images/rescue/result2/x.iso' })[0]).toMatchObject({ field: 'imagePath' });
  });

  it('takes the store directory as a parameter (NIX_STORE_DIR)', () => {
    const elsewhere = { ...scope, storeDir: '/opt/nix/store/' };
    expect(storePathProblem(`/opt/nix/store/${HASH}-x`, elsewhere.storeDir)).toBeUndefined();
    expect(storePathProblem(good.storePath, elsewhere.storeDir)).toBe('is not in the Nix store /opt/nix/store');
  });

  it('validManifest names every bad field, its value and why, and returns nothing to act on', () => {
    const hostile = JSON.stringify({ ...good, outLink: '../..', storePath: '/etc' });
    let error: unknown;
    try {
      validManifest(hostile, 'dist/images/rescue/manifest.json', scope);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidManifestError);
    expect((error as Error).message).toBe(
      'dist/images/rescue/manifest.json was ignored (nothing deleted, linked or realised): it is not a manifest a nixiso build writes:\n' +
        '  storePath "/etc" is not in the Nix store /nix/store\n' +
        '  outLink "../.." resolves to /, outside dist/images/rescue, the directory Nx caches and restores',
    );
    expect(validManifest(JSON.stringify(good), 'm.json', scope)).toEqual(good);
  });
});
