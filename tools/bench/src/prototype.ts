/**
 * The fixes benchmarks.md proposes for the plugin, as text patches applied to
 * a workspace's copy of the plugin source (never to this repository), so that
 * the bench can measure them before anyone changes packages/nixiso. A patch
 * whose text is no longer in the source is reported as not applied.
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

/**
 * Resolves <nixpkgs> / <home-manager> from NIX_PATH in the shell (a
 * `readlink -f` per entry) and starts nix-instantiate only when NIX_PATH does
 * not name nixpkgs (channels from nix.conf or ~/.nix-defexpr).
 */
export const CHEAP_CHANNEL_FINGERPRINT = [
  'case ":${NIX_PATH:-}:" in',
  '  *:nixpkgs=*) IFS=:; for e in $NIX_PATH; do case "$e" in nixpkgs=/*|home-manager=/*) readlink -f "${e#*=}";; nixpkgs=*|home-manager=*) echo "$e";; esac; done;;',
  '  *) for c in nixpkgs home-manager; do p=$(nix-instantiate --find-file "$c" 2>/dev/null) && readlink -f "$p"; done;;',
  'esac; true',
].join('\n');

export const PATCHES: SourcePatch[] = [
  {
    id: 'no-post-tasks-hook',
    description:
      'src/index.ts no longer exports postTasksExecution (the cache-hit image restore moves to an opt-in plugin entry): with the daemon, ' +
      'Nx spawns a fresh @nixiso/nx plugin worker for that hook after every `nx run`, whatever the target, and shuts it down again.',
    file: 'src/index.ts',
    find: /^export \{ postTasksExecution \} from '\.\/plugin\/restore';\s*$/m,
    replace: '',
  },
  {
    id: 'cheap-channel-fingerprint',
    description:
      'src/plugin/nodes.ts CHANNEL_FINGERPRINT (the runtime input of channel images) reads NIX_PATH in the shell instead of starting ' +
      'nix-instantiate twice on every hash; same output when NIX_PATH names the channels.',
    file: 'src/plugin/nodes.ts',
    find: /export const CHANNEL_FINGERPRINT =[\s\S]*?;\n/,
    replace: `export const CHANNEL_FINGERPRINT = ${JSON.stringify(CHEAP_CHANNEL_FINGERPRINT)};\n`,
  },
  {
    id: 'no-devkit-in-nodes',
    description:
      "src/plugin/nodes.ts imports createNodesFromFiles from 'nx/src/project-graph/plugins/utils' instead of '@nx/devkit', whose " +
      'index loads all of nx/src/devkit-exports (generators, tree, formatting) into the plugin worker.',
    file: 'src/plugin/nodes.ts',
    find: /import \{ createNodesFromFiles \} from '@nx\/devkit';/,
    replace: "import { createNodesFromFiles } from 'nx/src/project-graph/plugins/utils';",
  },
  {
    id: 'no-devkit-in-dependencies',
    description: "src/plugin/dependencies.ts takes DependencyType from 'nx/src/config/project-graph' and only types from '@nx/devkit'.",
    file: 'src/plugin/dependencies.ts',
    find: /import \{\s*DependencyType,\s*([\s\S]*?)\} from '@nx\/devkit';/,
    replace: (_match, rest) =>
      `import { DependencyType } from 'nx/src/config/project-graph';\nimport type {\n  ${rest.replace(/\btype\s+/g, '')}} from '@nx/devkit';`,
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
