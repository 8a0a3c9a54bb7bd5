import { imageInputs } from './inputs';

describe('imageInputs', () => {
  const runtimeOf = (inputs: unknown[]) => (inputs.find((i) => typeof i === 'object' && i && 'runtime' in i) as { runtime: string } | undefined)?.runtime;

  it('a runtime input only for what it fingerprints; a channel always has one', () => {
    const reads = { reads: [], external: [], home: [], lookups: [], env: [], ignored: [], computed: [], opaque: [] };
    const localSources = { inWorkspace: [], external: [] };
    expect(runtimeOf(imageInputs({ kind: 'flake', reads, localSources }, []))).toBeUndefined();
    expect(runtimeOf(imageInputs({ kind: 'flake', reads: { ...reads, ignored: ['a/x.nix'] }, localSources }, []))).toMatch(/' ignored:a\/x\.nix$/);
    expect(runtimeOf(imageInputs({ kind: 'flake', reads: { ...reads, lookups: ['mymods'] }, localSources }, []))).toMatch(/' find:mymods$/);
    expect(runtimeOf(imageInputs({ kind: 'channel', reads, localSources }, []))).toMatch(/' find:nixpkgs find:home-manager$/);
  });
});
