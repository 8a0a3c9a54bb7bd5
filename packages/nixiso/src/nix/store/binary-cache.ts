/**
 * Nix binary caches: where `push` copies an image (`nix copy --to`), how it
 * signs it (`nix store sign`), and how a cache hit pulls it back
 * (`nix-store --realise` with the caches as extra substituters). Pure: the
 * push executor and the restore hook run what these functions return.
 */
import type { Command } from '../building/command';

/** The `binaryCache` plugin option in nx.json and the options of the push target. */
export interface BinaryCacheConfig {
  /** Store URL `push` copies to: file:///srv/nix-cache, s3://bucket?region=…, ssh-ng://user@host. */
  url?: string;
  /** Secret key `push` signs with (made by `nix-store --generate-binary-cache-key`); unsigned when absent. */
  secretKeyFile?: string;
  /** Public keys (`name:base64`) of the caches pulled from, given to Nix as extra-trusted-public-keys. */
  publicKeys?: string[];
  /** Caches a cache hit pulls missing images from; default: `url`. */
  substituters?: string[];
}

/** Environment variables that override the configuration, for CI secrets and per-machine values. */
export const BINARY_CACHE_ENV = {
  url: 'NIXISO_BINARY_CACHE_URL',
  secretKeyFile: 'NIXISO_SECRET_KEY_FILE',
  publicKeys: 'NIXISO_PUBLIC_KEYS',
  substituters: 'NIXISO_SUBSTITUTERS',
} as const;

type Key = keyof BinaryCacheConfig;

export interface ResolvedBinaryCache {
  url?: string;
  secretKeyFile?: string;
  publicKeys: string[];
  substituters: string[];
  /** Where each value came from, to name it in error messages. */
  sources: Partial<Record<Key, string>>;
}

export interface ConfigLayer {
  /** How a user would find this layer, e.g. `the @nixiso/nx plugin options in nx.json`. */
  source: string;
  config: BinaryCacheConfig | undefined;
}

const words = (value: string) => value.split(/\s+/).filter(Boolean);

/**
 * Later layers win; the environment wins over all of them. Lists are replaced,
 * not merged, so that a project or CI can say exactly which caches it trusts.
 */
export function resolveBinaryCache(layers: readonly ConfigLayer[], env: NodeJS.ProcessEnv = {}): ResolvedBinaryCache {
  const resolved: ResolvedBinaryCache = { publicKeys: [], substituters: [], sources: {} };
  const all: ConfigLayer[] = [
    ...layers,
    {
      source: 'the environment',
      config: {
        url: env[BINARY_CACHE_ENV.url] || undefined,
        secretKeyFile: env[BINARY_CACHE_ENV.secretKeyFile] || undefined,
        publicKeys: env[BINARY_CACHE_ENV.publicKeys] ? words(env[BINARY_CACHE_ENV.publicKeys] as string) : undefined,
        substituters: env[BINARY_CACHE_ENV.substituters] ? words(env[BINARY_CACHE_ENV.substituters] as string) : undefined,
      },
    },
  ];
  for (const { source, config } of all) {
    for (const key of ['url', 'secretKeyFile', 'publicKeys', 'substituters'] as const) {
      const value = config?.[key];
      if (value === undefined || value === '' || (Array.isArray(value) && !value.length)) continue;
      (resolved as unknown as Record<Key, unknown>)[key] = value;
      resolved.sources[key] = source === 'the environment' ? BINARY_CACHE_ENV[key] : `"${key}" in ${source}`;
    }
  }
  if (!resolved.sources.substituters && resolved.url) {
    resolved.substituters = [resolved.url];
    resolved.sources.substituters = resolved.sources.url;
  }
  return resolved;
}

/** Where a value came from, for messages: `NIXISO_BINARY_CACHE_URL` or `"url" in <source>`. */
export function sourceOf(cache: ResolvedBinaryCache, key: Key): string {
  return cache.sources[key] ?? `"${key}"`;
}

export type StoreKind = 'file' | 'ssh' | 's3' | 'http' | 'other';

/** The directory of a `file://` store URL (query parameters such as `?compression=zstd` dropped). */
export function fileStoreDir(url: string): string | undefined {
  if (!url.startsWith('file://')) return undefined;
  return decodeURIComponent(url.slice('file://'.length).split('?')[0]);
}

export function storeKind(url: string): StoreKind {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') return 'file';
  if (scheme === 'ssh' || scheme === 'ssh-ng') return 'ssh';
  if (scheme === 's3') return 's3';
  if (scheme === 'http' || scheme === 'https') return 'http';
  return 'other';
}

/** Problems with the configured values themselves, before anything runs; each names the value and its source. */
export function binaryCacheProblems(cache: ResolvedBinaryCache, purpose: 'push' | 'pull'): string[] {
  const problems: string[] = [];
  const urls = purpose === 'push' ? (cache.url ? [[cache.url, sourceOf(cache, 'url')]] : []) : cache.substituters.map((u) => [u, sourceOf(cache, 'substituters')]);
  for (const [url, source] of urls) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      if (storeKind(url) === 'file' && !fileStoreDir(url)?.startsWith('/')) {
        problems.push(`${source}: "${url}" needs an absolute path: file:///abs/dir (three slashes)`);
      }
      continue;
    }
    problems.push(
      url.startsWith('/')
        ? `${source}: "${url}" is a path, which Nix takes as another Nix store, not a binary cache; write file://${url}`
        : `${source}: "${url}" is not a Nix store URL (expected file:///dir, s3://bucket, ssh-ng://host, https://host)`,
    );
  }
  if (purpose === 'push' && cache.url && storeKind(cache.url) === 'http') {
    problems.push(`${sourceOf(cache, 'url')}: Nix cannot upload to "${cache.url}" (http(s) caches are read-only); push to its s3://, ssh-ng:// or file:// store`);
  }
  for (const key of cache.publicKeys) {
    if (!/^[^:\s]+:[A-Za-z0-9+/]+={0,2}$/.test(key)) {
      problems.push(`${sourceOf(cache, 'publicKeys')}: "${key}" is not a Nix public key (name:base64, the content of the .pub file from nix-store --generate-binary-cache-key)`);
    }
  }
  return problems;
}

const NIX_COMMAND = ['--extra-experimental-features', 'nix-command'];

/** `nix copy --to <url> <storePath>`: the image and its closure, skipping what the cache already has. */
export function nixCopyCommand(url: string, storePath: string): Command {
  return { command: 'nix', args: [...NIX_COMMAND, 'copy', '--to', url, storePath] };
}

/** `nix store sign --key-file <key> --recursive <storePath>`: signatures travel with `nix copy`. */
export function nixSignCommand(secretKeyFile: string, storePath: string): Command {
  return { command: 'nix', args: [...NIX_COMMAND, 'store', 'sign', '--key-file', secretKeyFile, '--recursive', storePath] };
}

/** `--option extra-substituters …` and `--option extra-trusted-public-keys …`, for any Nix command. */
export function substituterArgs(cache: Pick<ResolvedBinaryCache, 'substituters' | 'publicKeys'>): string[] {
  return [
    ...(cache.substituters.length ? ['--option', 'extra-substituters', cache.substituters.join(' ')] : []),
    ...(cache.publicKeys.length ? ['--option', 'extra-trusted-public-keys', cache.publicKeys.join(' ')] : []),
  ];
}

/**
 * `nix-store --realise <path> [--add-root <link>]`: fetches a store path from
 * the substituters (or builds a .drv); `--add-root` makes the out-link a GC
 * root as `nix-build --out-link` does.
 */
export function realiseCommand(path: string, cache: Pick<ResolvedBinaryCache, 'substituters' | 'publicKeys'>, addRoot?: string): Command {
  return {
    command: 'nix-store',
    args: ['--realise', path, ...(addRoot ? ['--add-root', addRoot] : []), ...substituterArgs(cache)],
  };
}

/** What to check when `nix copy` to `url` failed, by kind of store. */
export function pushFailureHint(url: string): string {
  switch (storeKind(url)) {
    case 'file':
      return `check that ${fileStoreDir(url)} exists or can be created, and that this user can write to it`;
    case 'ssh':
      return `check that the host is reachable and runs Nix: \`ssh ${url.replace(/^ssh(-ng)?:\/\//, '').split('?')[0]} nix-store --version\` (ssh options: NIX_SSHOPTS)`;
    case 's3':
      return 'check the bucket name, region/endpoint parameters and the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID)';
    default:
      return 'check that the URL names a writable Nix store';
  }
}
