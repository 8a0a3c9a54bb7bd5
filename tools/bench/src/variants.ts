/**
 * Variants of the plugin measured against it, as text patches applied to a
 * workspace's copy of the plugin source (never to this repository): what a
 * design choice costs, or what a proposed fix would save, measured before
 * anyone changes packages/nixiso. A patch whose text is no longer in the
 * source is reported as not applied.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SourcePatch {
  id: string;
  /** What it changes and why, for the report. */
  description: string;
  file: string;
  find: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

export const PATCHES: SourcePatch[] = [
  {
    id: 'no-post-tasks-hook',
    description:
      'src/index.ts no longer exports postTasksExecution, the task hook that brings back the image of a cache hit whose store ' +
      'path is gone With the daemon, Nx 23 starts a plugin worker for any task hook after every `nx run`, whatever ' +
      'the targets, and shuts it down again; without the daemon the hook runs in the worker that computed the graph.',
    file: 'src/index.ts',
    find: /^export \{ postTasksExecution \} from '\.\/plugin\/post-tasks';\s*$/m,
    replace: '',
  },
];

export interface PatchOutcome {
  patch: SourcePatch;
  applied: boolean;
}

/** Applies the patches to `<pluginRoot>/<file>`; returns which applied. */
export function applyPatches(pluginRoot: string, patches: SourcePatch[] = PATCHES): PatchOutcome[] {
  return patches.map((patch) => {
    const path = join(pluginRoot, patch.file);
    const source = readFileSync(path, 'utf8');
    if (!patch.find.test(source)) return { patch, applied: false };
    writeFileSync(path, source.replace(patch.find, patch.replace as (match: string, ...groups: string[]) => string));
    return { patch, applied: true };
  });
}
