/**
 * The task hook that makes cache hits of the build target yield an image.
 * Nx calls it after every run in the workspace, whatever the targets; with
 * the daemon it starts a plugin worker for it each time. So the usual case
 * (no build hit, or a hit whose image is in the store, linked, and the link
 * a registered GC root) costs a stat and two readlinks per hit and loads
 * nothing beyond this file, the manifest parser and out-link.ts: restore.ts,
 * which may start Nix, is required only for a hit that needs work.
 *
 * A hit whose build named reads its inputs did not cover is warned about
 * (uncoveredHitWarning): one more small file read per hit.
 *
 * Only build hits: an eval or lint hit restores no image. Tasks of the same
 * run that use the image (push) cannot wait for this hook, which runs after
 * all of them; they call ensureImage themselves.
 */
import type { PostTasksExecution } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MANIFEST_FILE, READ_RECORD_FILE } from '../built-image/outputs';
import { manifestScope, validManifest } from '../built-image/manifest';
import type { NixisoPluginOptions } from './options';
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
  const output = task.outputs.find((o) => o === MANIFEST_FILE || o.endsWith(`/${MANIFEST_FILE}`));
  return output === undefined ? undefined : resolve(workspaceRoot, output);
}

/**
 * The warning for a hit whose build named reads its inputs did not cover
 * (read-record.ts `uncovered`): that cache entry is keyed without them, so
 * it is the image Nix would build now only if they did not change since.
 * Undefined for any other hit, or when there is no record beside it.
 */
export function uncoveredHitWarning(taskId: string, recordPath: string): string | undefined {
  let uncovered: unknown;
  try {
    uncovered = (JSON.parse(readFileSync(recordPath, 'utf8')) as { uncovered?: unknown }).uncovered;
  } catch {
    return undefined;
  }
  if (!Array.isArray(uncovered) || !uncovered.length) return undefined;
  return (
    `nixiso: warning: ${taskId} came from a cache entry whose build read ${uncovered.join(', ')}, which its inputs did not cover; ` +
    `if that changed since, the image is stale: run \`nx run ${taskId} --skip-nx-cache\` (the inputs cover it now)`
  );
}

export const postTasksExecution: PostTasksExecution<NixisoPluginOptions> = async (options, context) => {
  const buildTarget = options?.buildTargetName ?? 'build';
  const hits: CacheHit[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { task } = result;
    if (!CACHE_HIT.has(result.status) || !task.projectRoot || !isBuildTarget(task.target.target, buildTarget)) continue;
    const manifestPath = manifestOf(task, context.workspaceRoot);
    const warning = manifestPath && uncoveredHitWarning(task.id, join(dirname(manifestPath), READ_RECORD_FILE));
    if (warning) process.stderr.write(`${warning}\n`);
    if (manifestPath && existsSync(manifestPath) && !imageInPlace(manifestPath, context.workspaceRoot, task.projectRoot)) {
      hits.push({ manifestPath, projectRoot: task.projectRoot, taskId: task.id });
    }
  }
  if (!hits.length) return;
  const { restoreCacheHits } = await import('../built-image/restore');
  await restoreCacheHits(hits, options?.binaryCache, context.workspaceRoot);
};
