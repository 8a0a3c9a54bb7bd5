/**
 * The base side of a diff: which commit it is, and its sources checked out
 * where the user's tree is never touched (a detached `git worktree` in a
 * temporary directory, removed afterwards).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../../nix/building/command';
import { capture } from '../../nix/process/run';
import { NixisoError } from '../executor-result';

/** Where the base ref comes from, in the order `nx affected` takes it: the option, NX_BASE, nx.json's defaultBase, main. */
export function baseRefOf(option: string | undefined, env: NodeJS.ProcessEnv, nxJson: { defaultBase?: string; affected?: { defaultBase?: string } } | undefined): string {
  return option || env.NX_BASE || nxJson?.defaultBase || nxJson?.affected?.defaultBase || 'main';
}

/**
 * The `--base` of the `nx affected` command that started this task, read
 * from its command line (Linux /proc; undefined elsewhere, or when the
 * parent is not `nx affected` or was given no --base). Nx reads its own
 * --base and does not pass it on to tasks, nor into their cache key: a diff
 * that cannot see it must say so rather than compare with another base.
 */
export function affectedBaseOfParent(cmdlineFile = `/proc/${process.ppid}/cmdline`): string | undefined {
  let argv: string[];
  try {
    argv = readFileSync(cmdlineFile, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  if (!argv.some((arg) => arg === 'affected' || arg.startsWith('affected:'))) return undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--base') return argv[i + 1];
    if (argv[i].startsWith('--base=')) return argv[i].slice('--base='.length);
  }
  return undefined;
}

const git = (...args: string[]): Command => ({ command: 'git', args });

const firstLine = (text: string) => text.trim().split('\n')[0] || 'no message';

/**
 * The commit the head is compared with: where `ref` and HEAD meet
 * (`git merge-base`), as `nx affected` compares; `ref` itself when the two
 * share no history.
 */
export async function resolveBaseCommit(ref: string, gitRoot: string): Promise<{ commit: string; head: string }> {
  const head = await capture(git('rev-parse', '--verify', 'HEAD'), gitRoot);
  if (head.exitCode !== 0) throw new NixisoError(`git rev-parse HEAD failed in ${gitRoot}: ${firstLine(head.stderr)} (diff compares commits: commit first)`);
  const verified = await capture(git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`), gitRoot);
  if (verified.exitCode !== 0) {
    throw new NixisoError(
      `option "base": "${ref}" is not a commit of ${gitRoot} (set --base, NX_BASE or nx.json defaultBase to a branch, tag or commit that is fetched; a shallow clone needs fetch-depth: 0)`,
    );
  }
  const mergeBase = await capture(git('merge-base', verified.stdout.trim(), 'HEAD'), gitRoot);
  return { commit: mergeBase.exitCode === 0 ? mergeBase.stdout.trim() : verified.stdout.trim(), head: head.stdout.trim() };
}

export interface BaseTree {
  /** The checkout of the base commit: the git root's counterpart. */
  dir: string;
  /** A directory for anything else the diff keeps while it runs (GC roots). */
  scratch: string;
  remove(): Promise<void>;
}

/** Checks the base commit out in a temporary detached worktree of the user's repository. */
export async function checkOutBase(commit: string, gitRoot: string): Promise<BaseTree> {
  const scratch = mkdtempSync(join(tmpdir(), 'nixiso-diff-'));
  const dir = join(scratch, 'base');
  const added = await capture(git('worktree', 'add', '--detach', '--quiet', dir, commit), gitRoot);
  if (added.exitCode !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new NixisoError(`git worktree add ${dir} ${commit} failed: ${firstLine(added.stderr)}`);
  }
  return {
    dir,
    scratch,
    async remove() {
      await capture(git('worktree', 'remove', '--force', dir), gitRoot);
      rmSync(scratch, { recursive: true, force: true });
      await capture(git('worktree', 'prune'), gitRoot);
    },
  };
}
