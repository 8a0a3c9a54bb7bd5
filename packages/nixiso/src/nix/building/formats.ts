/**
 * The image formats NixOS builds, one table: what each is called by
 * `system.build`, by nixos-generators and by `nixos-rebuild build-image`, and
 * the extension of its file. Facts about NixOS and its tools, read by the
 * command builders, the backends (backends/) and the graph plugin.
 */
import type { Release } from './releases';

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
