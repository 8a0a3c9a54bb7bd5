/**
 * Whether this workspace needs the cache-hit task hook (post-tasks.ts).
 *
 * Nx runs a plugin's postTasksExecution after every command of the
 * workspace, whatever its tasks; with the daemon it starts a plugin worker
 * for it each time, a fixed cost on every `nx` command. A local cache hit
 * needs no hook: its image is rooted for as long as its cache entry lives
 * (built-image/cache-root.ts). A remote hit can come from another machine whose
 * image this store has never seen, so the hook is registered whenever a
 * remote cache may serve hits: Nx Cloud, a self-hosted remote cache
 * (NX_SELF_HOSTED_REMOTE_CACHE_SERVER), an Nx cache plugin's nx.json
 * settings, or a custom tasks runner. The plugin option
 * `restoreCacheHits` (true / false) decides instead when set.
 *
 * Read once when Nx loads the plugin: nx.json changes reload it, and so do
 * new environment variables when the daemon is off (the default under CI).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** nx.json keys of Nx's self-hosted cache plugins (@nx/s3-cache, @nx/gcs-cache, @nx/azure-cache, @nx/shared-fs-cache). */
const CACHE_PLUGIN_KEYS = ['s3', 'gcs', 'azure', 'sharedFs'];
const CLOUD_KEYS = ['nxCloudId', 'nxCloudAccessToken', 'nxCloudUrl', 'nxCloudEncryptionKey'];
const DEFAULT_RUNNER = 'nx/tasks-runners/default';

type NxJsonLike = {
  plugins?: unknown[];
  tasksRunnerOptions?: Record<string, { runner?: unknown; options?: Record<string, unknown> }>;
} & Record<string, unknown>;

/** The remote cache this workspace may take hits from, or undefined when it has none. */
export function remoteCacheOf(nxJson: NxJsonLike, env: NodeJS.ProcessEnv): string | undefined {
  if (env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER) return 'NX_SELF_HOSTED_REMOTE_CACHE_SERVER';
  const cacheKey = CACHE_PLUGIN_KEYS.find((key) => nxJson[key] !== undefined);
  if (cacheKey) return `nx.json "${cacheKey}"`;
  for (const [name, runner] of Object.entries(nxJson.tasksRunnerOptions ?? {})) {
    if (typeof runner?.runner === 'string' && runner.runner !== DEFAULT_RUNNER) return `tasksRunnerOptions.${name}.runner`;
  }
  if (env.NX_NO_CLOUD === 'true' || nxJson.neverConnectToCloud === true) return undefined;
  if (env.NX_CLOUD_ACCESS_TOKEN) return 'NX_CLOUD_ACCESS_TOKEN';
  const cloudKey = CLOUD_KEYS.find((key) => nxJson[key] !== undefined);
  if (cloudKey) return `nx.json "${cloudKey}"`;
  for (const [name, runner] of Object.entries(nxJson.tasksRunnerOptions ?? {})) {
    if (runner?.options?.accessToken !== undefined || runner?.options?.url !== undefined) return `tasksRunnerOptions.${name}.options`;
  }
  return undefined;
}

/** The `restoreCacheHits` option of the first @nixiso/nx entry in nx.json's plugins that sets it. */
function restoreOption(nxJson: NxJsonLike): boolean | undefined {
  for (const entry of nxJson.plugins ?? []) {
    if (entry && typeof entry === 'object' && (entry as { plugin?: unknown }).plugin === '@nixiso/nx') {
      const value = (entry as { options?: { restoreCacheHits?: unknown } }).options?.restoreCacheHits;
      if (typeof value === 'boolean') return value;
    }
  }
  return undefined;
}

/** Whether the task hook is registered; true when nx.json cannot be read (the hook is the safe side). */
export function restoresCacheHits(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): boolean {
  let nxJson: NxJsonLike;
  try {
    nxJson = JSON.parse(readFileSync(join(workspaceRoot, 'nx.json'), 'utf8'));
  } catch {
    return true;
  }
  return restoreOption(nxJson) ?? remoteCacheOf(nxJson, env) !== undefined;
}
