/**
 * Out-links every nixiso code path leaves behind: a symlink into the store
 * that Nix knows as an indirect GC root, as `nix-build --out-link` leaves
 * it. The task hook imports this file after every Nx run, so the checks are
 * a readlink each, and run.ts (execa) is loaded only when a link must be
 * (re)registered.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { addRootCommand, indirectRootPath, nixStateDirOf } from '../nix/store/gc-root';

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

/** Throws when replacing `outLink` would act outside `distDir` (symlinkedParent). */
export function assertInsideDist(outLink: string, distDir: string): void {
  const symlinked = symlinkedParent(outLink, distDir);
  if (symlinked) throw new Error(`refusing to replace ${outLink}: ${symlinked} is a symlink, so the out-link would not be inside ${distDir}`);
}

export type OutLinkAction = 'present' | 'rooted' | 'relinked';

/**
 * Makes `outLink` a symlink to `storePath` (present in the store) registered
 * as an indirect GC root: 'present' when it was already, 'rooted' when only
 * the registration was missing (a link Nx restored from its cache),
 * 'relinked' when the link was missing or pointed elsewhere. When nix-store
 * cannot register it (not on PATH, or it fails), the link is still made and
 * a warning says the image is unprotected: the image is there, so the task
 * result stands.
 */
export async function rootOutLink(
  outLink: string,
  storePath: string,
  distDir: string,
  cwd: string,
): Promise<{ action: OutLinkAction; warning?: string }> {
  const linked = linksTo(outLink, storePath);
  if (linked && isIndirectRoot(outLink)) return { action: 'present' };
  assertInsideDist(outLink, distDir);
  if (!linked) {
    // nix-store replaces a symlink in place, but not a directory or file.
    rmSync(outLink, { force: true, recursive: true });
    mkdirSync(dirname(outLink), { recursive: true });
  }
  const { capture, findExecutable } = await import('../nix/process/run');
  const r = findExecutable('nix-store') ? await capture(addRootCommand(resolve(outLink), storePath), cwd) : undefined;
  if (r?.exitCode === 0 && linksTo(outLink, storePath)) return { action: linked ? 'rooted' : 'relinked' };
  if (!linksTo(outLink, storePath)) {
    rmSync(outLink, { force: true });
    symlinkSync(storePath, outLink);
  }
  const why = r ? r.stderr.trim() || `nix-store exited with code ${r.exitCode}` : 'nix-store is not on PATH';
  return {
    action: linked ? 'present' : 'relinked',
    warning:
      `${outLink} could not be registered as a Nix GC root (${why}), so garbage collection may delete ${storePath}; ` +
      `register it with \`nix-store --add-root ${resolve(outLink)} --realise ${storePath}\``,
  };
}

/** The sha256 of the image file an out-link leads to (the manifest's `sha256`), streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => done(hash.digest('hex')))
      .on('error', fail);
  });
}
