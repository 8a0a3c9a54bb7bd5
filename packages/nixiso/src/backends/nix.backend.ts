/**
 * Plain Nix: `nix build <flake>#nixosConfigurations.<name>.config.system.build.<attr>`
 * for flakes, `nix-build '<nixpkgs/nixos>' -A config.system.build.<attr>` for
 * channel images, `nix-build <file>` for an expression. The default backend,
 * and the only one that builds a flake attribute or an expression as it is.
 */
import { nixBuildCommand } from '../nix/building/command';
import { NIX } from './requirements';
import type { Backend, Requirement } from './types';

const NIX_BUILD: Requirement = {
  anyOf: ['nix-build'],
  missing: 'nix-build is not on PATH (channel images are built with it)',
  fix: NIX.fix,
};

export const backend: Backend = {
  id: 'nix',
  description: "plain Nix (nix build for flakes, nix-build '<nixpkgs/nixos>' for channels)",
  order: 1,
  requirements: ({ kind }) => (kind === 'flake' ? [NIX] : [NIX, NIX_BUILD]),
  command: nixBuildCommand,
  outLink: 'rooted',
};
