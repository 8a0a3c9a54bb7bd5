/**
 * createTestWorkspace loads the plugin the way this repository develops it:
 * TypeScript source through a tsconfig path, transpiled by @swc-node in every
 * process that loads it. A user installs the published package instead:
 * compiled JavaScript in node_modules/@nixiso/nx. These helpers turn a test
 * workspace into that shape (or into one without the plugin at all), so the
 * bench can tell the plugin's own load cost from the cost of loading it as
 * source.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkspace } from '@nixiso/testing';

export type PluginShape = 'published' | 'absent';

/**
 * Replaces the workspace's node_modules symlink by a directory of symlinks to
 * this repository's packages (plus, for 'published', @nixiso/nx compiled with
 * tsc from the workspace's copy of the source), removes packages/nixiso and,
 * for 'absent', the plugin entry of nx.json. Commits the result.
 */
export function reshapePlugin(ws: TestWorkspace, repoRoot: string, shape: PluginShape): void {
  const staging = join(ws.root, 'node_modules.staging');
  mkdirSync(staging);
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    symlinkSync(join(repoRoot, 'node_modules', entry), join(staging, entry));
  }
  if (shape === 'published') {
    const source = join(ws.root, 'packages/nixiso');
    const pkg = join(staging, '@nixiso/nx');
    mkdirSync(pkg, { recursive: true });
    execFileSync(
      join(repoRoot, 'node_modules/.bin/tsc'),
      ['-p', join(source, 'tsconfig.lib.json'), '--rootDir', source, '--outDir', pkg, '--declaration', 'false', '--sourceMap', 'false'],
      { cwd: ws.root, stdio: 'pipe' },
    );
    // package.json, generators.json, executors.json, schemas and templates, as `files` in package.json publishes them.
    cpSync(source, pkg, { recursive: true, filter: (path) => !/\.ts$|\/jest\.config|\/tsconfig[^/]*\.json$|\/project\.json$/.test(path) });
  }
  unlinkSync(join(ws.root, 'node_modules'));
  renameSync(staging, join(ws.root, 'node_modules'));
  rmSync(join(ws.root, 'packages/nixiso'), { recursive: true, force: true });
  if (shape === 'absent') {
    const nxJson = JSON.parse(readFileSync(join(ws.root, 'nx.json'), 'utf8'));
    nxJson.plugins = (nxJson.plugins ?? []).filter((p: unknown) => (typeof p === 'string' ? p : (p as { plugin: string }).plugin) !== '@nixiso/nx');
    writeFileSync(join(ws.root, 'nx.json'), JSON.stringify(nxJson, null, 2));
  }
  ws.git('add', '-A');
  ws.git('commit', '-qm', `plugin ${shape}`);
}
