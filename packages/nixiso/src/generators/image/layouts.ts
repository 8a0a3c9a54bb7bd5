/**
 * The four layouts of the source article: the one table that the generator
 * (which files to write) and the graph plugin / executors (what a directory
 * holds) consult.
 */

export type LayoutId = 'channel' | 'flake' | 'channel-home-manager' | 'flake-home-manager';

export interface Layout {
  id: LayoutId;
  flake: boolean;
  homeManager: boolean;
  /** Files the generator writes, relative to the project root. */
  files: readonly string[];
}

export const LAYOUTS: readonly Layout[] = [
  { id: 'channel', flake: false, homeManager: false, files: ['configuration.nix'] },
  { id: 'flake', flake: true, homeManager: false, files: ['configuration.nix', 'flake.nix'] },
  { id: 'channel-home-manager', flake: false, homeManager: true, files: ['configuration.nix', 'home.nix'] },
  { id: 'flake-home-manager', flake: true, homeManager: true, files: ['configuration.nix', 'home.nix', 'flake.nix'] },
];

export function layoutFor(flake: boolean, homeManager: boolean): Layout {
  return LAYOUTS.find((l) => l.flake === flake && l.homeManager === homeManager) as Layout;
}
