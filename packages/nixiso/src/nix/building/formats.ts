/**
 * Backends and image formats: one table each, consulted by the command
 * builder, the executor schema defaults and the graph plugin.
 */
import type { Release } from '../nix/building/releases';

export const BACKENDS = ['nix', 'nixos-generators', 'build-image'] as const;
export type BackendId = (typeof BACKENDS)[number];

export interface Format {
  id: string;
  /**
   * File extension of the image file the format produces; empty for an
   * image variant outside this table, whose file is the output's largest.
   */
  extension: string;
  /**
   * Attribute under `config.system.build` for the plain Nix backend:
   * `isoImage` works on every release; the others exist only as
   * `images.<variant>` (NixOS ≥ 25.05).
   */
  legacyAttr?: string;
  /** `nixos-generate --format` name, when nixos-generators has the format. */
  generatorsFormat?: string;
  /** `system.build.images.<variant>` / `nixos-rebuild build-image --image-variant`. */
  variant?: string;
}

export const FORMATS: readonly Format[] = [
  { id: 'iso', extension: '.iso', legacyAttr: 'isoImage', generatorsFormat: 'iso', variant: 'iso' },
  { id: 'iso-installer', extension: '.iso', generatorsFormat: 'install-iso', variant: 'iso-installer' },
  { id: 'raw', extension: '.img', generatorsFormat: 'raw', variant: 'raw' },
  { id: 'raw-efi', extension: '.img', generatorsFormat: 'raw-efi', variant: 'raw-efi' },
  { id: 'qcow2', extension: '.qcow2', generatorsFormat: 'qcow', variant: 'qemu' },
  { id: 'qcow2-efi', extension: '.qcow2', generatorsFormat: 'qcow-efi', variant: 'qemu-efi' },
  { id: 'vmware', extension: '.vmdk', generatorsFormat: 'vmware', variant: 'vmware' },
  { id: 'virtualbox', extension: '.ova', generatorsFormat: 'virtualbox', variant: 'virtualbox' },
  { id: 'hyperv', extension: '.vhdx', generatorsFormat: 'hyperv', variant: 'hyperv' },
  { id: 'amazon', extension: '.vhd', generatorsFormat: 'amazon', variant: 'amazon' },
  { id: 'sd-card', extension: '.img', generatorsFormat: 'sd-aarch64', variant: 'sd-card' },
];

export function findFormat(id: string): Format | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** The format a nixos-generators format name builds (`install-iso` → iso-installer), or undefined for one outside the table. */
export function formatOfGenerator(name: string): Format | undefined {
  return FORMATS.find((f) => f.generatorsFormat === name);
}

/** What a variant name may be: a plain Nix attribute name, as nixos-rebuild splices it into an attribute path. */
const VARIANT_NAME = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/**
 * The format option `id` names for a backend, or an error message. FORMATS
 * holds every backend's names; `build-image` also takes any other image
 * variant the configuration declares (`image.modules.<name>`): only
 * nixos-rebuild, which evaluates `config.system.build.images`, knows which
 * exist, and it fails listing them.
 */
export function formatFor(id: string, backend: BackendId): Format | { error: string } {
  const known = findFormat(id);
  if (known) return known;
  if (backend === 'build-image' && VARIANT_NAME.test(id)) return { id, extension: '', variant: id };
  const expected = `expected one of ${FORMATS.map((f) => f.id).join(', ')}`;
  return {
    error:
      backend === 'build-image'
        ? `option "format": "${id}" is neither a format (${expected}) nor an image variant name (letters, digits, _, ' and -)`
        : `option "format": unknown format "${id}" (${expected}; ` +
          'backend "build-image" also builds any other variant the configuration declares in image.modules)',
  };
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

/**
 * The `config.system.build.<attr>` path the plain Nix backend builds for a
 * format, or an error message when the release cannot build it that way.
 */
export function systemBuildAttr(format: Format, release: Release | undefined): string | { error: string } {
  if (release && !release.hasImageVariants) {
    return format.legacyAttr ?? {
      error:
        `format "${format.id}" needs system.build.images (NixOS ≥ 25.05) but the image targets NixOS ${release.id}; ` +
        `use backend "nixos-generators" or format "iso"`,
    };
  }
  if (format.legacyAttr) return format.legacyAttr;
  return format.variant ? `images.${format.variant}` : { error: `format "${format.id}" has no NixOS image variant` };
}
