import { nixBuildCommand } from '../nix/building/command';
import { type BuildRequest, buildCommand } from './index';
import { backend } from './nix.backend';
import { buildRequest } from './__fixtures__/request';

const base: BuildRequest = buildRequest();

describe('nix backend', () => {
  it('builds with nixBuildCommand (its specs are nix/building/command.spec.ts), leaving a rooted out-link', () => {
    const flake: BuildRequest = { ...base, source: { kind: 'flake', flakeRef: 'path:/ws/images/a', configurationName: 'liveImage' } };
    for (const req of [base, flake]) expect(buildCommand(req)).toEqual(nixBuildCommand(req));
    expect(backend).toMatchObject({ outLink: 'rooted' });
    expect(backend.leavesResultLink).toBeFalsy();
  });

  it('needs nix-build for channel images and expressions, nix alone for flakes', () => {
    const tools = (kind: 'flake' | 'channel' | 'expression') => backend.requirements({ kind }).map((r) => r.anyOf.join('|'));
    expect(tools('flake')).toEqual(['nix']);
    expect(tools('channel')).toEqual(['nix', 'nix-build']);
    expect(tools('expression')).toEqual(['nix', 'nix-build']);
    expect(backend.requirements({ kind: 'channel' })[1].missing).toMatch(/nix-build is not on PATH/);
  });
});
