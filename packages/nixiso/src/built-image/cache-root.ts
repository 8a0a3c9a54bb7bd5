/**
 * Nix GC roots that tie a built image to the Nx cache entry of its build.
 *
 * Nx caches the build's out-link as a symlink into /nix/store. Nix keeps
 * the image alive through that out-link in dist/ (an indirect root), but
 * when dist/ goes (a clean, a fresh checkout) and the garbage collector
 * runs, a later local cache hit would restore a dangling link. So the build
 * also roots its image under the Nx cache directory,
 * `<cache>/nixiso-gcroots/<task hash>`, for as long as that entry may be
 * restored: a local hit then always finds its image in the store, with no
 * task hook at all. Roots whose cache entry Nx no longer has are dropped
 * (after a grace period: Nx writes the entry only after the task ends), and
 * Nix collects their images at its next GC.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { addRootCommand } from '../nix/store/gc-root';
import { capture, findExecutable } from '../nix/process/run';

export const CACHE_ROOTS_DIR = 'nixiso-gcroots';
/** How long a root may wait for its cache entry: longer than any build's caching step. */
const GRACE_MS = 24 * 60 * 60 * 1000;
/** What Nx's task hashes look like: a root's name is one. */
const TASK_HASH = /^[A-Za-z0-9_-]{8,128}$/;

/** The Nx cache directory of this workspace (NX_CACHE_DIRECTORY, nx.json cacheDirectory, else Nx's default), as Nx computes it. */
export function nxCacheDirectory(workspaceRoot: string): string {
  try {
    return (require('nx/src/utils/cache-directory') as { cacheDir: string }).cacheDir;
  } catch {
    return process.env.NX_CACHE_DIRECTORY ? join(workspaceRoot, process.env.NX_CACHE_DIRECTORY) : join(workspaceRoot, '.nx/cache');
  }
}

/** Names of roots in `rootsDir` whose cache entry `cacheDir/<name>` is gone, older than the grace period. */
export function staleCacheRoots(rootsDir: string, cacheDir: string, now = Date.now()): string[] {
  if (!existsSync(rootsDir)) return [];
  return readdirSync(rootsDir).filter((name) => {
    if (existsSync(join(cacheDir, name))) return false;
    try {
      return now - lstatSync(join(rootsDir, name)).mtimeMs > GRACE_MS;
    } catch {
      return false;
    }
  });
}

/**
 * Roots `storePath` for the cache entry of the running build task
 * (NX_TASK_HASH, set by Nx for every task) and drops stale roots; a warning
 * when it cannot, undefined otherwise or outside Nx.
 */
export async function rootForCacheEntry(storePath: string, workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const hash = env.NX_TASK_HASH;
  if (!hash || !TASK_HASH.test(hash)) return undefined;
  const cacheDir = nxCacheDirectory(workspaceRoot);
  const rootsDir = join(cacheDir, CACHE_ROOTS_DIR);
  for (const name of staleCacheRoots(rootsDir, cacheDir)) rmSync(join(rootsDir, name), { force: true });
  if (!findExecutable('nix-store')) return 'nix-store is not on PATH';
  mkdirSync(rootsDir, { recursive: true });
  const link = join(rootsDir, hash);
  const r = await capture(addRootCommand(link, storePath), workspaceRoot);
  if (r.exitCode === 0) return undefined;
  return (
    `the image could not be tied to its Nx cache entry (${r.stderr.trim() || `nix-store exited with code ${r.exitCode}`}): ` +
    `a later cache hit after dist/ is removed and Nix collects garbage may find ${storePath} gone`
  );
}
