/**
 * Asking Nix which `nixosConfigurations` of a flake are images, for the
 * configurations the static reading (image-detect.ts) cannot decide: names
 * computed by `builtins.readDir`, `genAttrs`, helpers whose bodies it cannot
 * see. Pure: the command and the reading of its output; plugin/evaluate-images.ts runs it.
 */
import { type Command, FLAKE_FEATURES, inputRef, NO_WRITE_LOCK_FILE, type NixRequest } from './command';
import { nixString } from '../language/escape';

/**
 * The `--apply` function: given the names to look at (null: all) and the
 * flake's `nixosConfigurations`, `{ <name> = { image; variants; } }`.
 *
 * A configuration is an image when it can build one by itself: the
 * installer/ISO module (`system.build.isoImage`), the SD-card module
 * (`system.build.sdImage`) or a nixos-generators format module (the option
 * `formatAttr`). `system.build.images` (NixOS ≥ 25.05) is in every
 * configuration, so its variants are reported but do not make an image.
 *
 * Lazy on purpose: only attribute names are read, never an option's value,
 * so a configuration costs its module evaluation and no more, and a host
 * with a broken option that classification does not read is still
 * classified. builtins.tryEval catches what the module system throws (an
 * undeclared option, a conflict, `throw` in an import): that configuration
 * is `{ error = true; }` and the others are classified. Errors of Nix itself
 * (a missing file, a syntax or type error) it cannot catch: the evaluation fails.
 */
export const CLASSIFY_CONFIGURATIONS = `names: configurations:
let
  wanted =
    if names == null then configurations
    else builtins.intersectAttrs (builtins.listToAttrs (map (name: { inherit name; value = null; }) names)) configurations;
  classify = configuration:
    let
      config = configuration.config or { };
      build = config.system.build or { };
      summary = {
        image = build ? isoImage || build ? sdImage || config ? formatAttr;
        variants = if build ? images then builtins.attrNames build.images else [ ];
      };
      attempt = builtins.tryEval (builtins.deepSeq summary summary);
    in
    if attempt.success then attempt.value else { error = true; };
in
builtins.mapAttrs (name: classify) wanted`;

export interface FlakeImagesRequest extends Partial<Pick<NixRequest, 'nixPath' | 'nixOptions' | 'overrideInputs'>> {
  /** The flake as Nix takes it: `path:/abs/dir`, `git+file:///repo?dir=images/x`. */
  flakeRef: string;
  /** Only these configurations (names the flake lacks are absent from the result); all of them when undefined. */
  names?: readonly string[];
  /** Where Nix runs, for local override paths that need encoding (see inputRef). */
  cwd?: string;
}

/** One configuration: whether it is an image and its `system.build.images` variants, or that it failed to evaluate. */
export type ConfigurationImages = { image: boolean; variants: string[] } | { error: true };

export type FlakeImages = Readonly<Record<string, ConfigurationImages>>;

/** The `--apply` argument for `names`: sorted and without duplicates, so the command line does not depend on their order. */
function applyArgument(names: readonly string[] | undefined): string {
  const selected = names === undefined ? 'null' : ['[', ...[...new Set(names)].sort().map(nixString), ']'].join(' ');
  return `(${CLASSIFY_CONFIGURATIONS}) ${selected}`;
}

/** `nix eval --json <flakeRef>#nixosConfigurations --apply '<classify>'`: classifies each configuration, builds nothing. */
export function flakeImagesCommand(req: FlakeImagesRequest): Command {
  return {
    command: 'nix',
    args: [
      ...FLAKE_FEATURES,
      'eval', '--json',
      `${req.flakeRef}#nixosConfigurations`,
      '--apply', applyArgument(req.names),
      NO_WRITE_LOCK_FILE,
      ...Object.entries(req.overrideInputs ?? {}).flatMap(([name, value]) => ['--override-input', name, inputRef(value, req.cwd)]),
      ...(req.nixPath ?? []).flatMap((entry) => ['-I', entry]),
      ...Object.entries(req.nixOptions ?? {}).flatMap(([name, value]) => ['--option', name, value]),
    ],
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function configurationImages(value: unknown): ConfigurationImages | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value).sort().join(',');
  if (keys === 'error') return value.error === true ? { error: true } : undefined;
  if (keys !== 'image,variants' || typeof value.image !== 'boolean') return undefined;
  const { variants } = value;
  if (!Array.isArray(variants) || !variants.every((v) => typeof v === 'string')) return undefined;
  return { image: value.image, variants: [...variants] };
}

/** The configurations from flakeImagesCommand's stdout, or what is wrong with it. */
export function parseFlakeImages(stdout: string): { configurations: FlakeImages } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (e) {
    return { error: `nix eval printed no JSON (${(e as Error).message}): ${stdout.slice(0, 200)}` };
  }
  if (!isRecord(parsed)) return { error: `nix eval printed ${JSON.stringify(parsed)?.slice(0, 200)}, not an attribute set of configurations` };
  const entries: [string, ConfigurationImages][] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const images = configurationImages(value);
    if (!images) {
      return { error: `configuration "${name}": expected { "image": bool, "variants": [string] } or { "error": true }, got ${JSON.stringify(value)?.slice(0, 200)}` };
    }
    entries.push([name, images]);
  }
  // fromEntries defines each name as an own property, "__proto__" included.
  return { configurations: Object.fromEntries(entries) };
}
