/**
 * The task hook that makes cache hits of the build target yield an image.
 * Nx calls it after every run in the workspace, whatever the targets; with
 * the daemon it starts a plugin worker for it each time. So the usual case
 * (no build hit, or a hit whose image is in the store, linked, and the link
 * a registered GC root) costs a stat and two readlinks per hit and loads
 * nothing beyond this file, the manifest parser and out-link.ts: restore.ts,
 * which may start Nix, is required only for a hit that needs work.
 *
 * Only build hits: an eval or lint hit restores no image. Tasks of the same
 * run that use the image (push) cannot wait for this hook, which runs after
 * all of them; they call ensureImage themselves.
 */
import type { PostTasksExecution } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { manifestScope, validManifest } from '../nix/manifest';
import type { NixisoPluginOptions } from './nodes';
import { isIndirectRoot, linksTo } from '../built-image/out-link';
import type { CacheHit } from '../built-image/restore';

const CACHE_HIT = new Set(['local-cache', 'local-cache-kept-existing', 'remote-cache']);

/**
 * Whether the manifest is valid, its image in the store, its out-link
 * pointing at it and registered as a GC root; false also when the manifest
 * cannot be read or fails validation (restore.ts reads it again and says
 * what is wrong, touching nothing).
 */
function imageInPlace(manifestPath: string, workspaceRoot: string, projectRoot: string): boolean {
  try {
    const manifest = validManifest(readFileSync(manifestPath, 'utf8'), manifestPath, manifestScope(workspaceRoot, projectRoot));
    const outLink = resolve(workspaceRoot, manifest.outLink);
    return existsSync(manifest.storePath) && linksTo(outLink, manifest.storePath) && isIndirectRoot(outLink);
  } catch {
    return false;
  }
}

/** The build target, or the build of one image configuration of a flake with several (`build--<configuration>`). */
function isBuildTarget(target: string, buildTarget: string): boolean {
  return target === buildTarget || target.startsWith(`${buildTarget}--`);
}

/** The manifest among the task's outputs (the build's outputPath decides where), absolute. */
function manifestOf(task: { outputs: string[] }, workspaceRoot: string): string | undefined {
  const output = task.outputs.find((o) => o === 'manifest.json' || o.endsWith('/manifest.json'));
  return output === undefined ? undefined : resolve(workspaceRoot, output);
}

export const postTasksExecution: PostTasksExecution<NixisoPluginOptions> = async (options, context) => {
  const buildTarget = options?.buildTargetName ?? 'build';
  const hits: CacheHit[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { task } = result;
    if (!CACHE_HIT.has(result.status) || !task.projectRoot || !isBuildTarget(task.target.target, buildTarget)) continue;
    const manifestPath = manifestOf(task, context.workspaceRoot);
    if (manifestPath && existsSync(manifestPath) && !imageInPlace(manifestPath, context.workspaceRoot, task.projectRoot)) {
      hits.push({ manifestPath, projectRoot: task.projectRoot, taskId: task.id });
    }
  }
  if (!hits.length) return;
  const { restoreCacheHits } = await import('../built-image/restore');
  await restoreCacheHits(hits, options?.binaryCache, context.workspaceRoot);
};
