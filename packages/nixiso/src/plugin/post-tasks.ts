/**
 * The task hook that makes cache hits yield an image. Nx calls it after every
 * run in the workspace, whatever the targets; with the daemon it starts a
 * plugin worker for it each time. So the usual case (no build hit, or a hit
 * whose image is in the store and linked) costs a stat per hit and loads
 * nothing beyond this file and the manifest parser: restore.ts, which may
 * start Nix, is required only for a hit whose image is missing.
 */
import type { PostTasksExecution } from '@nx/devkit';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BinaryCacheConfig } from '../nix/binary-cache';
import { parseManifest } from '../nix/manifest';
import type { CacheHit } from './restore';

const CACHE_HIT = new Set(['local-cache', 'local-cache-kept-existing', 'remote-cache']);

/** Whether `outLink` is a symlink to `storePath`. */
export function linksTo(outLink: string, storePath: string): boolean {
  try {
    return readlinkSync(outLink) === storePath;
  } catch {
    return false; // missing, or not a symlink
  }
}

/** Whether the manifest's image is in the store and its out-link points at it; false also when the manifest cannot be read. */
function imageInPlace(manifestPath: string, workspaceRoot: string): boolean {
  try {
    const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
    return existsSync(manifest.storePath) && linksTo(resolve(workspaceRoot, manifest.outLink), manifest.storePath);
  } catch {
    return false; // restore.ts reads it again and says what is wrong
  }
}

export const postTasksExecution: PostTasksExecution<{ binaryCache?: BinaryCacheConfig }> = async (options, context) => {
  const hits: CacheHit[] = [];
  for (const result of Object.values(context.taskResults)) {
    if (!CACHE_HIT.has(result.status) || !result.task.projectRoot) continue;
    const manifestPath = join(context.workspaceRoot, 'dist', result.task.projectRoot, 'manifest.json');
    if (existsSync(manifestPath) && !imageInPlace(manifestPath, context.workspaceRoot)) hits.push({ manifestPath, taskId: result.task.id });
  }
  if (!hits.length) return;
  const { restoreCacheHits } = await import('./restore');
  await restoreCacheHits(hits, options?.binaryCache, context.workspaceRoot);
};
