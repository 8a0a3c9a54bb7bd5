/**
 * nixos-generators: `nixos-generate --format <f> (--configuration <file> | --flake <ref>#<name>) -o <link>`,
 * or through `nix run nixpkgs#nixos-generators --` when it is not on PATH.
 * Deprecated upstream since NixOS 25.05, where nixpkgs builds the same images.
 */
import { type Command, commonTail, FLAKE_FEATURES, includeArgs } from '../nix/building/command';
import type { Release } from '../nix/building/releases';
import { NIX } from './requirements';
import type { Backend, BuildRequest } from './types';

export function nixosGenerateCommand(req: BuildRequest): Command {
  if (!req.format.generatorsFormat) {
    throw new Error(`format "${req.format.id}" is not a nixos-generators format`);
  }
  // nixos-generate has no --override-input (and no lock-file flags: it evaluates
  // through builtins.getFlake, which never writes flake.lock and fails when it
  // would change); flake inputs are pinned in flake.lock instead. Channel images have no flake inputs, so the option means nothing there.
  if (req.source.kind === 'flake' && Object.keys(req.overrideInputs).length) {
    throw new Error(
      `option "overrideInputs" (${Object.keys(req.overrideInputs).join(', ')}) cannot be passed to nixos-generate, ` +
        'which has no --override-input; pin the inputs in flake.lock instead ' +
        '(`nix flake lock --override-input <name> <ref>`) or use backend "nix"',
    );
  }
  const args = [
    '--format', req.format.generatorsFormat,
    ...(req.source.kind === 'flake'
      ? ['--flake', `${req.source.flakeRef}#${req.source.configurationName}`]
      : ['--configuration', (req.source as { configurationFile: string }).configurationFile]),
    '-o', req.outLink,
    ...includeArgs(req),
    ...commonTail(req),
  ];
  if (req.executable) return { command: req.executable, args };
  return { command: 'nix', args: [...FLAKE_FEATURES, 'run', 'nixpkgs#nixos-generators', '--', ...args] };
}

/**
 * nixos-generators' own deprecation note (its format module's warning) for
 * an image whose release has `nixos-rebuild build-image`, or undefined.
 */
export function generatorsDeprecationNote(release: Release | undefined): string | undefined {
  if (!release?.hasImageVariants) return undefined;
  return (
    `nixos-generators is deprecated, since it has been upstreamed into nixpkgs as of NixOS 25.05 ` +
    `(this image targets NixOS ${release.id}). See https://nixos.org/manual/nixos/stable/#sec-image-nixos-rebuild-build-image; ` +
    'set backend: "build-image" to build the same image with nixos-rebuild build-image --image-variant <variant>'
  );
}

export const backend: Backend = {
  id: 'nixos-generators',
  description: 'nixos-generate',
  order: 2,
  configurationOnly: true,
  executableOption: { option: 'nixosGenerate', program: 'nixos-generate' },
  // Without nixos-generate, Nix runs it from nixpkgs.
  requirements: ({ executable }) => [{ ...NIX, anyOf: [executable ?? 'nixos-generate', 'nix'] }],
  command: nixosGenerateCommand,
  // nixos-generate does not always leave the out-link asked for, nor one Nix knows as a GC root.
  outLink: 'relink',
  deprecationNote: generatorsDeprecationNote,
};
