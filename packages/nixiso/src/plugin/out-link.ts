/**
 * Out-links every nixiso code path leaves behind: a symlink into the store
 * that Nix knows as an indirect GC root, as `nix-build --out-link` leaves
 * it. The task hook imports this file after every Nx run, so the checks are
 * a readlink each, and run.ts (execa) is loaded only when a link must be
 * (re)registered.
 */
import { lstatSync, mkdirSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { addRootCommand, indirectRootPath, nixStateDirOf } from '../nix/gc-root';

/** Whether `outLink` is a symlink to `storePath`. */
export function linksTo(outLink: string, storePath: string): boolean {
  try {
    return readlinkSync(outLink) === storePath;
  } catch {
    return false; // missing, or not a symlink
  }
}

/** Whether Nix has `outLink` (absolute) as an indirect GC root: `gcroots/auto/<name>` is a symlink to it. */
export function isIndirectRoot(outLink: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return linksTo(indirectRootPath(outLink, nixStateDirOf(env)), resolve(outLink));
}

/**
 * A validated out-link is inside dist/<projectRoot>, but a cache entry can
 * also hold symlinks there (`dist/<root>/sub` → `/`): every directory from
 * dist/<projectRoot> down to the link's parent must be a real directory,
 * or deleting and creating the link would act outside dist/.
 */
export function symlinkedParent(outLink: string, distDir: string): string | undefined {
  const rel = relative(distDir, dirname(outLink));
  let dir = distDir;
  for (const part of ['', ...(rel ? rel.split(sep) : [])]) {
    dir = part ? resolve(dir, part) : dir;
    try {
      if (lstatSync(dir).isSymbolicLink()) return dir;
    } catch {
      return undefined; // missing from here on: mkdir creates real directories
    }
  }
  return undefined;
}

export type OutLinkAction = 'present' | 'rooted' | 'relinked';

/**
 * Makes `outLink` a symlink to `storePath` (present in the store) registered
 * as an indirect GC root: 'present' when it was already, 'rooted' when only
 * the registration was missing (a link Nx restored from its cache),
 * 'relinked' when the link was missing or pointed elsewhere.
 */
export async function rootOutLink(outLink: string, storePath: string, distDir: string, cwd: string): Promise<OutLinkAction> {
  const linked = linksTo(outLink, storePath);
  if (linked && isIndirectRoot(outLink)) return 'present';
  const symlinked = symlinkedParent(outLink, distDir);
  if (symlinked) throw new Error(`refusing to replace ${outLink}: ${symlinked} is a symlink, so the out-link would not be inside ${distDir}`);
  if (!linked) {
    // nix-store replaces a symlink in place, but not a directory or file.
    rmSync(outLink, { force: true, recursive: true });
    mkdirSync(dirname(outLink), { recursive: true });
  }
  const { capture } = await import('../nix/run');
  const r = await capture(addRootCommand(resolve(outLink), storePath), cwd);
  if (r.exitCode !== 0) {
    throw new Error(`nix-store could not make ${outLink} a GC root of ${storePath}: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
  }
  return linked ? 'rooted' : 'relinked';
}
