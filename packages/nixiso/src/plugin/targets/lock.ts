/** The lock target of a flake image: creates or updates its flake.lock. */
import type { TargetConfiguration } from '@nx/devkit';

export function lockTarget(): TargetConfiguration {
  return {
    // `path:.`: a bare `.` is a git+file ref that Nix 2.8 cannot read under a path with a space, or before the project is tracked.
    command: 'nix --extra-experimental-features "nix-command flakes" flake lock path:.',
    options: { cwd: '{projectRoot}' },
    cache: false,
    metadata: { description: 'Create or update flake.lock (pins nixpkgs and home-manager)', technologies: ['nix'] },
  };
}
