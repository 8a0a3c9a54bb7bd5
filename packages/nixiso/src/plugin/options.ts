/**
 * The graph plugin's options (the `options` of its entry in nx.json's
 * plugins) and the defaults everything inferred from them starts from.
 */
import type { BinaryCacheConfig } from '../nix/store/binary-cache';

export interface NixisoPluginOptions {
  buildTargetName?: string;
  evalTargetName?: string;
  lockTargetName?: string;
  pushTargetName?: string;
  doctorTargetName?: string;
  bootTestTargetName?: string;
  diffTargetName?: string;
  /**
   * The Nix binary cache images are pushed to (the inferred push target) and
   * pulled from when a cache hit restores a manifest whose image is not in
   * the local store. NIXISO_BINARY_CACHE_URL, NIXISO_SECRET_KEY_FILE,
   * NIXISO_PUBLIC_KEYS and NIXISO_SUBSTITUTERS override it.
   */
  binaryCache?: BinaryCacheConfig;
  /**
   * Extra Nx inputs for build and eval, e.g. a local nixpkgs checkout that
   * `nixPath` or `overrideInputs` points at: `["{workspaceRoot}/nixpkgs/**\/*"]`.
   */
  extraInputs?: (string | Record<string, unknown>)[];
  /**
   * Whether the task hook runs after every command to make build cache hits
   * yield their image (registering or relinking the out-link, pulling the
   * image from the binary cache, rebuilding it). Default: only when a remote
   * cache is configured (Nx Cloud, NX_SELF_HOSTED_REMOTE_CACHE_SERVER, an Nx
   * cache plugin): local hits keep their image without it.
   */
  restoreCacheHits?: boolean;
  /**
   * Whether graph construction asks Nix about flake configurations its
   * reading of the sources cannot classify (`nix eval`, cached in Nx's
   * workspace data directory until a file the flake reads changes).
   * Default true; false keeps to the sources and reports what they leave open.
   */
  evaluateConfigurations?: boolean;
}

/** The plugin options with every default applied: what the target builders take. */
export type ResolvedPluginOptions = Required<NixisoPluginOptions>;

/** The package whose executors the inferred targets run (`@nixiso/nx:build`). */
export const PLUGIN_NAME = '@nixiso/nx';

/** The plugin options that name an inferred target. */
export type TargetNameOption = Exclude<keyof NixisoPluginOptions, 'binaryCache' | 'extraInputs' | 'restoreCacheHits' | 'evaluateConfigurations'>;

/** The target names the plugin infers by default, by plugin option. */
export const DEFAULT_TARGET_NAMES: Readonly<Record<TargetNameOption, string>> = {
  buildTargetName: 'build',
  evalTargetName: 'eval',
  lockTargetName: 'lock',
  pushTargetName: 'push',
  doctorTargetName: 'doctor',
  bootTestTargetName: 'boot-test',
  diffTargetName: 'diff',
};

export function normalizeOptions(options: NixisoPluginOptions | undefined): ResolvedPluginOptions {
  return {
    ...DEFAULT_TARGET_NAMES,
    ...Object.fromEntries(Object.entries(options ?? {}).filter(([key, value]) => key in DEFAULT_TARGET_NAMES && value !== undefined)),
    binaryCache: options?.binaryCache ?? {},
    extraInputs: options?.extraInputs ?? [],
    restoreCacheHits: options?.restoreCacheHits ?? false,
    evaluateConfigurations: options?.evaluateConfigurations ?? true,
  };
}
