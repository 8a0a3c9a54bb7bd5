/**
 * Discovery's answer kept across graph computations: Nx without the daemon
 * builds the graph in a new process for every command, and reading every
 * `.nix` file of a workspace by meaning each time costs more than the rest
 * of the plugin. The answer is kept with everything it was read from:
 * each file's digest (a file that was absent too), each directory listing
 * (`readDir ./hosts` names entries that are no Nix file), under a key of
 * the files Nx passed and the caller's options. Using it re-reads and
 * digests those files, which is what costs little; lexing them and
 * following their references is what it saves. An answer that Nix could not
 * complete is not kept.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { SourceTree } from '../nix/language/image-detect';
import { discoveryCacheDirectory } from './evaluate-images';

/** Bumped when the cached shape or what the key covers changes. */
const FORMAT = 2;

/** What a cached answer was read from: listings, and files with their digests (null: absent). */
interface Seen {
  listed: Record<string, string[] | null>;
  read: Record<string, string | null>;
}

const digest = (text: string | undefined) => (text === undefined ? null : createHash('sha256').update(text).digest('hex'));

/** A tree that records what it read and listed, for checking a kept answer later. */
export function recordingTree(tree: SourceTree): { tree: SourceTree; seen: Seen } {
  const seen: Seen = { listed: {}, read: {} };
  return {
    seen,
    tree: {
      read(path) {
        const text = tree.read(path);
        seen.read[path] = digest(text);
        return text;
      },
      list(dir) {
        const names = tree.list(dir);
        seen.listed[dir] = names ? [...names].sort() : null;
        return names;
      },
    },
  };
}

function stillTrue(seen: Seen, tree: SourceTree): boolean {
  for (const [dir, names] of Object.entries(seen.listed)) {
    const now = tree.list(dir);
    if (JSON.stringify(now ? [...now].sort() : null) !== JSON.stringify(names)) return false;
  }
  return Object.entries(seen.read).every(([path, hash]) => digest(tree.read(path)) === hash);
}

/** The kept answer for this key if what it was read from is unchanged; else `compute`'s, kept when it says it may be. */
export async function cachedDiscovery<T>(
  workspaceRoot: string,
  key: unknown,
  tree: SourceTree,
  compute: (tree: SourceTree) => Promise<{ value: T; keep: boolean }>,
  directory: string = discoveryCacheDirectory(),
): Promise<T> {
  const id = createHash('sha256').update(JSON.stringify([FORMAT, key])).digest('hex');
  const file = join(directory, `workspace-${createHash('sha256').update(workspaceRoot).digest('hex').slice(0, 16)}.json`);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { id?: string; seen?: Seen; value?: T };
    if (cached.id === id && cached.seen && stillTrue(cached.seen, tree)) return cached.value as T;
  } catch {
    // No answer kept yet, or an unreadable one: compute.
  }
  const recording = recordingTree(tree);
  const { value, keep } = await compute(recording.tree);
  if (keep) {
    try {
      mkdirSync(posix.dirname(file), { recursive: true });
      const temporary = `${file}.${randomUUID()}.tmp`;
      writeFileSync(temporary, JSON.stringify({ id, seen: recording.seen, value }));
      renameSync(temporary, file);
    } catch {
      // A read-only data directory: the answer is still right, only not kept.
    }
  }
  return value;
}
