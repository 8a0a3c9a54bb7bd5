import { localSourcesOf } from './configured-targets';

describe('localSourcesOf', () => {
  it('local paths of nixPath entries and override inputs, relative to the workspace root; URLs and lookups skipped', () => {
    const targets = [
      { options: { nixPath: ['nixpkgs=./nixpkgs', 'home-manager=https://example.org/hm.tar.gz', '<x>'] } },
      { configurations: { a: { overrideInputs: { nixpkgs: 'path:/opt/nixpkgs', hm: 'git+file:./hm', gh: 'github:o/r' } } } },
      undefined,
      { options: { nixPath: ['nixpkgs=/nix/store/abc-nixpkgs'] } },
    ];
    expect(localSourcesOf(targets, '/ws')).toEqual({ inWorkspace: ['hm', 'nixpkgs'], external: ['/opt/nixpkgs'] });
  });
});
