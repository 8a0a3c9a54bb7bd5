import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CreateNodesContextV2, CreateNodesResult, CreateNodesV2, TargetConfiguration } from '@nx/devkit';
import { createNodesFromFiles } from '../nx-runtime';
import type { BinaryCacheConfig } from '../nix/binary-cache';

export interface NixisoPluginOptions {
  buildTargetName?: string;
  evalTargetName?: string;
  lockTargetName?: string;
  pushTargetName?: string;
  doctorTargetName?: string;
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
}

const PLUGIN_NAME = '@nixiso/nx';
/** Marks a configuration.nix that builds an image, not an ordinary host. */
const IMAGE_MODULE = /installer\/cd-dvd\/|installation-cd-|\/virtualisation\/|modules\/installer\/|isoImage|image\.baseName/;
const FLAKE_IMAGE = /nixosConfigurations/;

export type ImageKind = 'flake' | 'channel';

/** What a directory holding `file` is, from the file's content; undefined when it is no image. */
export function imageKindOf(file: string, content: string): ImageKind | undefined {
  if (basename(file) === 'flake.nix') return FLAKE_IMAGE.test(content) ? 'flake' : undefined;
  if (basename(file) === 'configuration.nix') return IMAGE_MODULE.test(content) ? 'channel' : undefined;
  return undefined;
}

function projectName(root: string, workspaceRoot: string): string {
  for (const manifest of ['project.json', 'package.json']) {
    const path = join(workspaceRoot, root, manifest);
    if (existsSync(path)) {
      const name = JSON.parse(readFileSync(path, 'utf8')).name;
      if (typeof name === 'string' && name) return name;
    }
  }
  return basename(root) || 'image';
}

/**
 * Resolves `<nixpkgs>` and `<home-manager>` the way nix-build will, to their
 * real paths (channels are store paths, so a channel update changes them).
 * One nix-instantiate for both: Nx runs this on every hash of a channel
 * image, cache hits included. It stops at the first name it cannot find.
 */
export const CHANNEL_FINGERPRINT =
  'nix-instantiate --find-file nixpkgs home-manager 2>/dev/null | while IFS= read -r p; do readlink -f "$p"; done; true';

type TargetInput = string | Record<string, unknown>;

function imageTargets(
  kind: ImageKind,
  options: Required<NixisoPluginOptions>,
  hasNixNamedInput: boolean,
): Record<string, TargetConfiguration> {
  // The project's Nix sources and lock file, and those of the module projects it imports.
  const own = hasNixNamedInput ? ['nix', '^nix'] : ['{projectRoot}/**/*.nix', '{projectRoot}/flake.lock', '^default'];
  const channel: TargetInput[] = kind === 'channel' ? [{ env: 'NIX_PATH' }, { runtime: CHANNEL_FINGERPRINT }] : [];
  const inputs = [...own, ...channel, ...options.extraInputs] as TargetConfiguration['inputs'];
  const technologies = ['nix'];
  const targets: Record<string, TargetConfiguration> = {
    [options.buildTargetName]: {
      executor: `${PLUGIN_NAME}:build`,
      cache: true,
      inputs,
      outputs: ['{workspaceRoot}/dist/{projectRoot}'],
      options: {},
      metadata: {
        description: 'Build the NixOS image; dist/<projectRoot>/result links to it in the Nix store',
        technologies,
      },
    },
    [options.evalTargetName]: {
      executor: `${PLUGIN_NAME}:eval`,
      cache: true,
      inputs,
      options: {},
      metadata: { description: 'Evaluate the image derivation without building it', technologies },
    },
  };
  targets[options.pushTargetName] = {
    executor: `${PLUGIN_NAME}:push`,
    dependsOn: [options.buildTargetName],
    cache: false,
    options: { ...options.binaryCache },
    metadata: { description: 'Copy the built image to the Nix binary cache (nix copy --to), signed when a key is set', technologies },
  };
  // Not cached: it reports on this machine (Nix, space, KVM, emulation), not on the inputs.
  targets[options.doctorTargetName] = {
    executor: `${PLUGIN_NAME}:doctor`,
    cache: false,
    options: {},
    metadata: {
      description:
        'Check that this machine can build the image: Nix, flakes, free space, KVM, emulation or builders for its hostPlatform, substituters',
      technologies,
    },
  };
  if (kind === 'flake') {
    targets[options.lockTargetName] = {
      command: 'nix --extra-experimental-features "nix-command flakes" flake lock',
      options: { cwd: '{projectRoot}' },
      cache: false,
      metadata: { description: 'Create or update flake.lock (pins nixpkgs and home-manager)', technologies },
    };
  }
  return targets;
}

function normalizeOptions(options: NixisoPluginOptions | undefined): Required<NixisoPluginOptions> {
  return {
    pushTargetName: options?.pushTargetName ?? 'push',
    doctorTargetName: options?.doctorTargetName ?? 'doctor',
    binaryCache: options?.binaryCache ?? {},
    buildTargetName: options?.buildTargetName ?? 'build',
    evalTargetName: options?.evalTargetName ?? 'eval',
    lockTargetName: options?.lockTargetName ?? 'lock',
    extraInputs: options?.extraInputs ?? [],
  };
}

async function createNodesInternal(
  file: string,
  options: NixisoPluginOptions | undefined,
  context: CreateNodesContextV2,
): Promise<CreateNodesResult> {
  const root = dirname(file);
  const content = readFileSync(join(context.workspaceRoot, file), 'utf8');
  const kind = imageKindOf(file, content);
  if (!kind) return {};
  // A flake image also has a configuration.nix: the flake.nix wins.
  if (kind === 'channel' && existsSync(join(context.workspaceRoot, root, 'flake.nix'))) return {};
  const normalized = normalizeOptions(options);
  return {
    projects: {
      [root]: {
        name: projectName(root, context.workspaceRoot),
        root,
        projectType: 'application' as const,
        targets: imageTargets(kind, normalized, !!context.nxJsonConfiguration.namedInputs?.nix),
        metadata: { nixiso: { kind } },
      },
    },
  };
}

export const createNodesV2: CreateNodesV2<NixisoPluginOptions> = [
  '**/{flake.nix,configuration.nix}',
  (files, options, context) => createNodesFromFiles<NixisoPluginOptions | undefined>(createNodesInternal, files, options, context),
];
export const createNodes = createNodesV2;
