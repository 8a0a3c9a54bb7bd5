/**
 * Cache hits that still yield an image. Nx restores `dist/<project>` from its
 * cache (local or remote), including the out-link as a symlink into
 * /nix/store; if the store path is gone (garbage-collected, or the hit came
 * from another machine's cache) the link dangles and Nx still reports
 * success. After the tasks run, the task hook (post-tasks.ts) finds such
 * hits and this module brings the image back: from the configured binary caches and
 * substituters (`nix-store --realise <store path>`), else by realising the
 * recorded derivation; if neither works it fails loudly. Every out-link it
 * leaves is an indirect Nix GC root, and it acts only on a manifest that
 * validManifest accepted: a cache entry can come from another machine.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  binaryCacheProblems,
  type BinaryCacheConfig,
  realiseCommand,
  type ResolvedBinaryCache,
  resolveBinaryCache,
} from '../nix/store/binary-cache';
import { type BuildManifest, InvalidManifestError, manifestJson, type ManifestScope, manifestScope, type ValidManifest, validManifest } from './manifest';
import { capture, findExecutable } from '../nix/process/run';
import { assertInsideDist, rootOutLink, sha256File } from './out-link';
import { imageDistPath } from './outputs';

/** 'rooted': the image and its link were in place, but Nix did not have the link as a GC root. */
export type RestoreAction = 'present' | 'rooted' | 'relinked' | 'substituted' | 'rebuilt';

export interface RestoreOutcome {
  project: string;
  action: RestoreAction;
  /** The substituter the image came from, when Nix said. */
  from?: string;
  /** Set when a rebuilt image differs from the one the cached manifest describes. */
  warning?: string;
  storePath: string;
}

/** Pull configuration: the caches a hit may fetch from; none means Nix's own substituters only. */
export type PullConfig = Pick<ResolvedBinaryCache, 'substituters' | 'publicKeys' | 'sources'>;
const NO_PULL: PullConfig = { substituters: [], publicKeys: [], sources: {} };

/** The `binaryCache` plugin option, overridden by NIXISO_* environment variables. */
export function pullConfig(binaryCache: BinaryCacheConfig | undefined, env: NodeJS.ProcessEnv = process.env): PullConfig {
  return resolveBinaryCache([{ source: 'the @nixiso/nx plugin options in nx.json', config: binaryCache }], env);
}

async function realise(path: string, cache: PullConfig, outLink: string, distDir: string, cwd: string): Promise<{ ok: boolean; stderr: string }> {
  assertInsideDist(outLink, distDir);
  // The dangling link goes first: --add-root recreates it as a GC root, as nix-build --out-link would.
  rmSync(outLink, { force: true, recursive: true });
  mkdirSync(dirname(outLink), { recursive: true });
  const r = await capture(realiseCommand(path, cache, outLink), cwd);
  return { ok: r.exitCode === 0, stderr: r.stderr };
}

/** The cache Nix copied `storePath` from, as it reported it: `copying path '…' from 'file:///…'`. */
export function substitutedFrom(stderr: string): string | undefined {
  return /copying path '[^']*' from '([^']+)'/.exec(stderr)?.[1];
}

/** Why Nix would not take a path from the caches, when its messages say. */
export function pullFailureHints(stderr: string, cache: PullConfig): string[] {
  const hints: string[] = [];
  if (/ignoring untrusted substituter/.test(stderr)) {
    hints.push(
      'the Nix daemon ignored the binary cache because this user is not trusted: add the cache to `trusted-substituters` ' +
        '(and its key to `trusted-public-keys`) in /etc/nix/nix.conf, or this user to `trusted-users`',
    );
  }
  if (/is not signed by any of the keys/.test(stderr)) {
    hints.push(
      cache.publicKeys.length
        ? `the cache's signatures match none of the public keys (${cache.sources.publicKeys ?? 'publicKeys'}); check that they belong to the key push signs with`
        : 'the image in the cache is not signed by a trusted key: set binaryCache.publicKeys (or NIXISO_PUBLIC_KEYS) to the public key of the key push signs with',
    );
  }
  return hints;
}

/**
 * A rebuild from the derivation may not reproduce the image bit for bit: say
 * so and describe the image that is really there.
 */
export function reconcileRebuiltImage(
  manifest: BuildManifest,
  actual: { sha256: string; sizeBytes: number },
): { manifest: BuildManifest; warning?: string } {
  if (actual.sha256 === manifest.sha256) return { manifest };
  return {
    manifest: { ...manifest, sha256: actual.sha256, sizeBytes: actual.sizeBytes },
    warning:
      `the rebuilt image of ${manifest.project} differs from the cached one (sha256 ${manifest.sha256} → ${actual.sha256}; ` +
      'the build is not bit-reproducible); manifest.json now describes the rebuilt image. ' +
      'Push images to a binary cache so that other machines get the very same file.',
  };
}

/**
 * Makes the manifest's image exist in the store and its out-link resolve to
 * it as a registered GC root; throws when it cannot. `scope` is the one the
 * manifest was validated against.
 */
export async function ensureImage(
  manifest: ValidManifest,
  scope: ManifestScope,
  cache: PullConfig = NO_PULL,
  /** The build task, for the command that rebuilds it (`rescue:build:ci`). */
  taskId = `${manifest.project}:build`,
): Promise<Pick<RestoreOutcome, 'action' | 'from' | 'warning'>> {
  const { workspaceRoot } = scope;
  const distDir = imageDistPath(workspaceRoot, scope.projectRoot);
  const outLink = resolve(workspaceRoot, manifest.outLink);
  if (existsSync(manifest.storePath)) return rootOutLink(outLink, manifest.storePath, distDir, workspaceRoot);
  if (!findExecutable('nix-store')) {
    throw new Error(`the cached image ${manifest.storePath} is not in the Nix store and nix-store is not on PATH`);
  }
  const problems = binaryCacheProblems({ ...cache, url: undefined }, 'pull');
  if (problems.length) throw new Error(`cannot fetch ${manifest.storePath}: ${problems.join('; ')}`);
  const substituted = await realise(manifest.storePath, cache, outLink, distDir, workspaceRoot);
  if (substituted.ok && existsSync(manifest.storePath)) {
    const { warning } = await rootOutLink(outLink, manifest.storePath, distDir, workspaceRoot);
    return { action: 'substituted', from: substitutedFrom(substituted.stderr), warning };
  }
  let rebuildError = '';
  if (manifest.drvPath && existsSync(manifest.drvPath)) {
    const rebuilt = await realise(manifest.drvPath, cache, outLink, distDir, workspaceRoot);
    if (rebuilt.ok && existsSync(manifest.storePath)) {
      const { warning } = await rootOutLink(outLink, manifest.storePath, distDir, workspaceRoot);
      return { action: 'rebuilt', warning };
    }
    rebuildError = rebuilt.stderr.trim();
  }
  const caches = cache.substituters.length
    ? `none of the binary caches (${cache.substituters.join(', ')}, from ${cache.sources.substituters ?? cache.sources.url}) nor Nix's substituters has it`
    : 'no substituter has it and no binary cache is configured (binaryCache in the @nixiso/nx plugin options, or NIXISO_BINARY_CACHE_URL)';
  throw new Error(
    [
      `the cached build of ${manifest.project} points at ${manifest.storePath}, which is not in the Nix store; ${caches}` +
        (manifest.drvPath ? `, and its derivation ${manifest.drvPath} ${rebuildError ? 'failed to build' : 'is gone too'}` : '') +
        '.',
      ...pullFailureHints(substituted.stderr, cache).map((h) => `hint: ${h}`),
      `Build it again without the cache: nx run ${taskId} --skip-nx-cache`,
      substituted.stderr.trim(),
      rebuildError,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

/** Brings back the image a restored manifest describes, re-checking a rebuilt image against it; a manifest that fails validation is not followed. */
export async function restoreImage(
  manifestPath: string,
  scope: ManifestScope,
  cache: PullConfig = NO_PULL,
  taskId?: string,
): Promise<RestoreOutcome> {
  const manifest = validManifest(readFileSync(manifestPath, 'utf8'), manifestPath, scope);
  const { action, from, warning } = await ensureImage(manifest, scope, cache, taskId);
  const outcome = { project: manifest.project, action, from, storePath: manifest.storePath, warning };
  if (action !== 'rebuilt') return outcome;
  const image = resolve(scope.workspaceRoot, manifest.imagePath);
  const checked = reconcileRebuiltImage(manifest, { sha256: await sha256File(image), sizeBytes: statSync(image).size });
  if (checked.warning) writeFileSync(manifestPath, manifestJson(checked.manifest));
  return { ...outcome, warning: [warning, checked.warning].filter(Boolean).join('\n') || undefined };
}

/** A build-target cache hit whose restored manifest describes an image that is not in place. */
export interface CacheHit {
  manifestPath: string;
  projectRoot: string;
  /** The build task, for the command that rebuilds it. */
  taskId: string;
}

/** What the hook prints for an outcome, nothing for 'present'. */
export function outcomeMessage(outcome: RestoreOutcome): string | undefined {
  switch (outcome.action) {
    case 'present':
      return undefined;
    case 'rooted':
      return `nixiso: ${outcome.project}: out-link registered as a Nix GC root (${outcome.storePath})`;
    default:
      return `nixiso: ${outcome.project}: image ${outcome.action}${outcome.from ? ` from ${outcome.from}` : ''} (${outcome.storePath})`;
  }
}

/** Brings back the images of these cache hits, saying what it did; throws naming every hit it could not. */
export async function restoreCacheHits(hits: CacheHit[], binaryCache: BinaryCacheConfig | undefined, workspaceRoot: string): Promise<void> {
  const failures: string[] = [];
  const cache = pullConfig(binaryCache);
  for (const { manifestPath, projectRoot, taskId } of hits) {
    try {
      const outcome = await restoreImage(manifestPath, manifestScope(workspaceRoot, projectRoot), cache, taskId);
      const message = outcomeMessage(outcome);
      if (message) console.log(message);
      if (outcome.warning) console.warn(`nixiso: warning: ${outcome.warning}`);
    } catch (e) {
      failures.push(
        e instanceof InvalidManifestError ? `${e.message}\nBuild it again without the cache: nx run ${taskId} --skip-nx-cache` : (e as Error).message,
      );
    }
  }
  if (failures.length) throw new Error(`nixiso: a cache hit did not yield its image:\n${failures.join('\n')}`);
}
