/** Tools several backends run, and how a missing one is reported. */
import type { Requirement } from './types';

/** Nix itself: `nix build`, and what nixiso asks Nix before and after a build. */
export const NIX: Requirement = {
  anyOf: ['nix'],
  missing: 'nix not found on PATH',
  fix: 'install Nix (https://nixos.org/download) or, on Debian/Ubuntu, `apt-get install nix-bin`',
};

/** The executor's message for a requirement none of whose executables is on PATH. */
export function requirementMessage(requirement: Requirement): string {
  return `${requirement.missing}; ${requirement.fix}`;
}
