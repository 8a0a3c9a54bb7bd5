/**
 * The NixOS system inside an image, read from the image's derivation graph
 * rather than by evaluating the configuration again: the graph is what was
 * built, whichever backend or image variant built it, and querying the local
 * store costs a fraction of a NixOS evaluation. Pure: what is run is what
 * these functions return, and their answers are parsed here.
 */
import { type Command, FLAKE_FEATURES } from '../building/command';

/** `nix-store --query --requisites <drv>`: every derivation and source the build of `drv` used. */
export function requisitesCommand(drvPath: string): Command {
  return { command: 'nix-store', args: ['--query', '--requisites', drvPath] };
}

/** `nix-store --query --outputs <drv>`: the store paths the derivation builds, known without building it. */
export function outputsCommand(drvPath: string): Command {
  return { command: 'nix-store', args: ['--query', '--outputs', drvPath] };
}

/** `nix path-info --closure-size --json <path>`: the path's closure size in bytes, from the local store's database. */
export function closureSizeCommand(storePath: string): Command {
  return { command: 'nix', args: [...FLAKE_FEATURES, 'path-info', '--closure-size', '--json', storePath] };
}

/**
 * NixOS names its toplevel `nixos-system-<system.name>-<label>`
 * (nixos/modules/system/activation/top-level.nix).
 */
const SYSTEM_DRV = /\/[0-9a-df-np-sv-z]{32}-nixos-system-[^/]+\.drv$/;

export function isSystemDerivation(path: string): boolean {
  return SYSTEM_DRV.test(path);
}

/** Store paths one per line, as nix-store --query prints them. */
export function storePathLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('/'));
}

/**
 * The system derivations no other one of them was built from: a system's
 * specialisations are built into it, so they are not outermost; an image
 * that also carries an unrelated system (an installer shipping the system it
 * installs) has two, and then which one is "the" system is not for nixiso to
 * guess. `requisitesOf` gives each candidate's own requisites.
 */
export function outermostSystems(candidates: readonly string[], requisitesOf: (drv: string) => readonly string[]): string[] {
  return candidates.filter((drv) => !candidates.some((other) => other !== drv && requisitesOf(other).includes(drv)));
}

/**
 * The closure size in `nix path-info --json` output: Nix 2.8 prints a list
 * of `{ path, closureSize, … }`, Nix ≥ 2.19 an object keyed by path.
 */
export function parseClosureSize(stdout: string, storePath: string): number | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const entries = Array.isArray(value)
    ? (value as { path?: string; closureSize?: unknown }[])
    : value && typeof value === 'object'
      ? Object.entries(value as Record<string, { closureSize?: unknown } | null>).map(([path, info]) => ({ path, ...info }))
      : [];
  const entry = entries.find((e) => e?.path === storePath);
  const size = entry?.closureSize;
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}
