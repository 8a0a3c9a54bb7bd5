import { LAYOUTS, layoutFor } from './layouts';

describe('layouts table', () => {
  it('has the four layouts of the article, each combination once', () => {
    expect(LAYOUTS.map((l) => [l.id, l.files])).toEqual([
      ['channel', ['configuration.nix']],
      ['flake', ['configuration.nix', 'flake.nix']],
      ['channel-home-manager', ['configuration.nix', 'home.nix']],
      ['flake-home-manager', ['configuration.nix', 'home.nix', 'flake.nix']],
    ]);
    for (const flake of [false, true]) {
      for (const homeManager of [false, true]) {
        expect(layoutFor(flake, homeManager)).toMatchObject({ flake, homeManager });
      }
    }
  });
});
