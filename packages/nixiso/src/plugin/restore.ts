/**
 * Cache hits that still yield an image. Nx restores `dist/<project>` from its
 * cache, including the out-link as a symlink into /nix/store; if the store
 * path is gone (garbage-collected, or the hit came from another machine's
 * cache) the link dangles and Nx still reports success. After the tasks run,
 * this hook checks every restored build manifest and brings the image back:
 * from the configured substituters (`nix-store --realise <store path>`), else
 * by realising the recorded derivation; if neither works it fails loudly.
 */
import type { PostTasksExecution } from '@nx/devkit';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type BuildManifest, parseManifest } from '../nix/manifest';
import { capture, findExecutable } from '../nix/run';

const CACHE_HIT = new Set(['local-cache', 'local-cache-kept-existing', 'remote-cache']);

export interface RestoreOutcome {
  project: string;
  action: 'present' | 'relinked' | 'substituted' | 'rebuilt';
}

function pointLink(outLink: string, storePath: string): boolean {
  try {
    if (lstatSync(outLink).isSymbolicLink() && readlinkSync(outLink) === storePath) return false;
  } catch {
    // missing
  }
  rmSync(outLink, { force: true, recursive: true });
  mkdirSync(dirname(outLink), { recursive: true });
  symlinkSync(storePath, outLink);
  return true;
}

async function realise(path: string, cwd: string): Promise<{ ok: boolean; stderr: string }> {
  const r = await capture({ command: 'nix-store', args: ['--realise', path] }, cwd);
  return { ok: r.exitCode === 0, stderr: r.stderr };
}

/** Makes the manifest's image exist in the store and its out-link resolve; throws when it cannot. */
export async function ensureImage(manifest: BuildManifest, workspaceRoot: string): Promise<RestoreOutcome['action']> {
  const outLink = resolve(workspaceRoot, manifest.outLink);
  if (existsSync(manifest.storePath)) return pointLink(outLink, manifest.storePath) ? 'relinked' : 'present';
  if (!findExecutable('nix-store')) {
    throw new Error(`the cached image ${manifest.storePath} is not in the Nix store and nix-store is not on PATH`);
  }
  const substituted = await realise(manifest.storePath, workspaceRoot);
  if (substituted.ok && existsSync(manifest.storePath)) {
    pointLink(outLink, manifest.storePath);
    return 'substituted';
  }
  if (manifest.drvPath && existsSync(manifest.drvPath)) {
    const rebuilt = await realise(manifest.drvPath, workspaceRoot);
    if (rebuilt.ok && existsSync(manifest.storePath)) {
      pointLink(outLink, manifest.storePath);
      return 'rebuilt';
    }
  }
  throw new Error(
    `the cached build of ${manifest.project} points at ${manifest.storePath}, which is no longer in the Nix store, ` +
      `and no configured substituter has it${manifest.drvPath ? ` (nor could ${manifest.drvPath} be realised)` : ''}.\n` +
      `Run the build again without the cache: nx run ${manifest.project}:build --skip-nx-cache\n` +
      substituted.stderr.trim(),
  );
}

export const postTasksExecution: PostTasksExecution = async (_options, context) => {
  const failures: string[] = [];
  for (const result of Object.values(context.taskResults)) {
    if (!CACHE_HIT.has(result.status)) continue;
    const root = result.task.projectRoot;
    if (!root) continue;
    const manifestPath = join(context.workspaceRoot, 'dist', root, 'manifest.json');
    if (!existsSync(manifestPath)) continue;
    try {
      const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
      const action = await ensureImage(manifest, context.workspaceRoot);
      if (action !== 'present') console.log(`nixiso: ${manifest.project}: image ${action} (${manifest.storePath})`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  if (failures.length) throw new Error(`nixiso: a cache hit did not yield its image:\n${failures.join('\n')}`);
};
