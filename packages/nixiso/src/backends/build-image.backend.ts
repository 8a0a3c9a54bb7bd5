/**
 * `nixos-rebuild build-image --image-variant <variant>` (NixOS ≥ 25.05): the
 * image variants a configuration declares in `image.modules`, the table's and
 * its own.
 */
import { type Command, commonTail, includeArgs, NO_WRITE_LOCK_FILE, overrideArgs } from '../nix/building/command';
import { refusedImageVariants } from '../nix/building/errors';
import { findFormat, FORMATS, type Format } from '../nix/building/formats';
import { NIX } from './requirements';
import type { Backend, BuildFailure, BuildRequest } from './types';

/** What a variant name may be: a plain Nix attribute name, as nixos-rebuild splices it into an attribute path. */
const VARIANT_NAME = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/**
 * A format of the table, or any other image variant the configuration
 * declares (`image.modules.<name>`): only nixos-rebuild, which evaluates
 * `config.system.build.images`, knows which exist, and it fails listing them.
 */
export function imageVariantFormat(id: string): Format | { error: string } {
  const known = findFormat(id);
  if (known) return known;
  if (VARIANT_NAME.test(id)) return { id, extension: '', variant: id };
  return {
    error:
      `option "format": "${id}" is neither a format (expected one of ${FORMATS.map((f) => f.id).join(', ')}) ` +
      "nor an image variant name (letters, digits, _, ' and -)",
  };
}

export function buildImageCommand(req: BuildRequest): Command {
  if (!req.format.variant) throw new Error(`format "${req.format.id}" has no image variant for nixos-rebuild build-image`);
  const args = ['build-image', '--image-variant', req.format.variant];
  if (req.source.kind === 'flake') {
    args.push('--flake', `${req.source.flakeRef}#${req.source.configurationName}`, NO_WRITE_LOCK_FILE, ...overrideArgs(req));
  } else {
    args.push('-I', `nixos-config=${(req.source as { configurationFile: string }).configurationFile}`);
  }
  // nixos-rebuild has no --system (it rejects unknown options): the Nix setting does the same.
  args.push(...includeArgs(req), ...commonTail(req, 'legacy'));
  return { command: 'nixos-rebuild', args };
}

/** nixos-rebuild refused the variant: name the ones the configuration declares. */
export function explainRefusedVariant({ stdout, stderr, format, projectRoot }: BuildFailure): string | undefined {
  const declared = refusedImageVariants(stdout, stderr);
  if (!declared) return undefined;
  const variant = format.variant ?? format.id;
  return (
    `option "format": the configuration of ${projectRoot} declares no image variant "${variant}" ` +
    `(nixos-rebuild build-image --image-variant ${variant} refused it); it declares: ${declared.join(', ')}. ` +
    `Set format to one of them, or declare image.modules.${variant} in the configuration`
  );
}

export const backend: Backend = {
  id: 'build-image',
  description: 'nixos-rebuild build-image (NixOS ≥ 25.05)',
  order: 3,
  configurationOnly: true,
  releases: { supports: (release) => release.hasImageVariants, needs: 'NixOS ≥ 25.05 (nixos-rebuild build-image)' },
  formatFor: imageVariantFormat,
  formatsBeyondTable: 'any other variant the configuration declares in image.modules',
  requirements: () => [
    NIX,
    {
      anyOf: ['nixos-rebuild'],
      missing: 'backend "build-image" needs nixos-rebuild (NixOS ≥ 25.05) on PATH, and it was not found',
      fix: 'use backend "nix" (the same system.build.images.<variant>) or run the build on NixOS',
    },
  ],
  command: buildImageCommand,
  // nixos-rebuild leaves ./result where it runs and no out-link of ours.
  outLink: 'relink',
  leavesResultLink: true,
  explainFailure: explainRefusedVariant,
};
