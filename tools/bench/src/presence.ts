/**
 * Workspaces for §8, what merely registering a plugin costs an unrelated
 * `nx` command: fresh npm workspaces (no tsconfig paths, no copy of this
 * repository's node_modules), each with a `noop` project whose cached
 * run-commands target runs `true`, and
 *   none      no plugin in nx.json;
 *   jest      @nx/jest/plugin registered, inferring one jest project;
 *   nixiso    @nixiso/nx installed from its packed tarball (npm pack of the
 *             compiled package, as published) and registered, one image;
 *   hook      the same install with the plugin option restoreCacheHits: true,
 *             so that it registers its cache-hit task hook as it does where a
 *             remote cache is configured.
 * Packages come from the npm registry with `npm install`, as a user installs them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type PresenceVariant = 'none' | 'jest' | 'nixiso' | 'hook';

export const PRESENCE_LABEL: Record<PresenceVariant, string> = {
  none: '(a) no plugin',
  jest: '(b) @nx/jest/plugin, one jest project',
  nixiso: '(c) @nixiso/nx packed, one image',
  hook: '(d) @nixiso/nx packed, task hook on (restoreCacheHits, as with a remote cache)',
};

/** Package versions of one Nx line: what the workspaces install. */
export interface NxLine {
  nx: string;
  devkit: string;
  jest: string;
  /** Set when no @nx/jest of this Nx major exists on the registry and an older one stands in. */
  jestNote?: string;
}

export interface Packed {
  tarball: string;
  /** Commit of this repository the tarball was built from. */
  rev: string;
  dir: string;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 });
}

const semverParts = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
function newer(a: string, b: string): number {
  const [x, y] = [semverParts(a), semverParts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** Newest published version of `pkg` matching `range` on the configured registry, undefined when none. */
export function newestVersion(pkg: string, range: string, cwd: string): string | undefined {
  const r = spawnSync('npm', ['view', `${pkg}@${range}`, 'version', '--json'], { cwd, encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim()) return undefined;
  const parsed = JSON.parse(r.stdout) as string | string[];
  const all = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => !v.includes('-'));
  return all.sort(newer).pop();
}

/** The versions for Nx `nx`: @nx/devkit and @nx/jest of the same version when published, else the newest of the same major. */
export function nxLine(nx: string, cwd: string): NxLine {
  const major = nx.split('.')[0];
  const same = (pkg: string) => newestVersion(pkg, nx, cwd) ?? newestVersion(pkg, major, cwd);
  const devkit = same('@nx/devkit');
  if (!devkit) throw new Error(`no @nx/devkit ${major}.x on the registry`);
  const jest = same('@nx/jest');
  if (jest) return { nx, devkit, jest };
  const fallback = newestVersion('@nx/jest', `<${major}`, cwd);
  if (!fallback) throw new Error(`no @nx/jest at or below ${major}.x on the registry`);
  return { nx, devkit, jest: fallback, jestNote: `no @nx/jest ${major}.x on this registry: @nx/jest ${fallback} with nx ${nx}` };
}

/**
 * `npm pack` of @nixiso/nx compiled from commit `rev` of this repository
 * (git archive, so that uncommitted edits of others do not leak in): tsc as
 * the build target compiles it, plus the non-TypeScript files that
 * package.json `files` publishes.
 */
export function packPlugin(repoRoot: string, rev: string): Packed {
  const dir = mkdtempSync(join(tmpdir(), 'nixiso-pack-'));
  execFileSync('sh', ['-c', `git -C "${repoRoot}" archive ${rev} packages/nixiso tsconfig.base.json | tar -x -C "${dir}"`]);
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const source = join(dir, 'packages/nixiso');
  const pkg = join(dir, 'package');
  mkdirSync(pkg);
  execFileSync(
    join(repoRoot, 'node_modules/.bin/tsc'),
    ['-p', join(source, 'tsconfig.lib.json'), '--rootDir', source, '--outDir', pkg, '--declaration', 'false', '--sourceMap', 'false'],
    { cwd: dir, stdio: 'pipe' },
  );
  cpSync(source, pkg, { recursive: true, filter: (path) => !/\.ts$|\/jest\.config|\/tsconfig[^/]*\.json$|\/project\.json$/.test(path) });
  const name = npm(['pack', '--pack-destination', dir, '--silent'], pkg).trim().split('\n').pop() as string;
  return { tarball: join(dir, name), rev, dir };
}

function write(root: string, path: string, content: string | object): void {
  const file = join(root, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
}

function git(root: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd: root,
    stdio: 'pipe',
    env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@nixiso.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@nixiso.invalid' },
  });
}

function nxJson(variant: PresenceVariant): object {
  const plugins: (string | object)[] = [];
  if (variant === 'jest') plugins.push({ plugin: '@nx/jest/plugin', options: { targetName: 'test' } });
  if (variant === 'nixiso') plugins.push({ plugin: '@nixiso/nx' });
  if (variant === 'hook') plugins.push({ plugin: '@nixiso/nx', options: { restoreCacheHits: true } });
  return { $schema: './node_modules/nx/schemas/nx-schema.json', ...(plugins.length ? { plugins } : {}) };
}

/**
 * The workspaces of one Nx line, installed with npm (hook is a copy of the
 * nixiso install with its own nx.json), each
 * committed to a fresh git repository: variant → workspace root.
 */
export function presenceWorkspaces(
  line: NxLine,
  packed: Packed,
  repoRoot: string,
  variants: PresenceVariant[],
  log: (m: string) => void,
): Map<PresenceVariant, string> {
  const roots = new Map<PresenceVariant, string>();
  const tag = `nx${line.nx.split('.')[0]}`;
  const make = (variant: PresenceVariant, deps: Record<string, string>) => {
    const root = mkdtempSync(join(tmpdir(), `nixiso-presence-${tag}-${variant}-`));
    write(root, 'package.json', { name: `presence-${variant}`, version: '0.0.0', private: true, devDependencies: deps });
    write(root, '.gitignore', 'node_modules\n.nx\ndist\n');
    write(root, 'nx.json', nxJson(variant));
    write(root, 'noop/project.json', {
      name: 'noop',
      $schema: '../node_modules/nx/schemas/project-schema.json',
      targets: { noop: { executor: 'nx:run-commands', cache: true, inputs: ['{projectRoot}/**/*'], outputs: [], options: { command: 'true' } } },
    });
    write(root, 'noop/input.txt', 'input of the trivial target\n');
    if (variant === 'jest') {
      write(root, 'jestproj/project.json', { name: 'jestproj', $schema: '../node_modules/nx/schemas/project-schema.json' });
      write(root, 'jestproj/jest.config.js', "module.exports = { displayName: 'jestproj', testEnvironment: 'node' };\n");
      write(root, 'jestproj/src/sum.spec.js', "test('sum', () => { expect(1 + 1).toBe(2); });\n");
    }
    if (variant === 'nixiso') {
      for (const f of readdirSync(join(repoRoot, 'examples/iso-channel'))) {
        cpSync(join(repoRoot, 'examples/iso-channel', f), join(root, 'images/iso-channel', f));
      }
      const project = JSON.parse(readFileSync(join(root, 'images/iso-channel/project.json'), 'utf8'));
      write(root, 'images/iso-channel/project.json', { ...project, $schema: '../../node_modules/nx/schemas/project-schema.json', sourceRoot: 'images/iso-channel' });
    }
    log(`§8 nx ${line.nx}: npm install in ${root}`);
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], root);
    roots.set(variant, root);
    return root;
  };
  if (variants.includes('none')) make('none', { nx: line.nx });
  if (variants.includes('jest')) make('jest', { nx: line.nx, '@nx/jest': line.jest, jest: '30.5.2' });
  const needsNixiso = variants.some((v) => v === 'nixiso' || v === 'hook');
  if (needsNixiso) {
    const base = make('nixiso', { nx: line.nx, '@nx/devkit': line.devkit, '@nixiso/nx': `file:${packed.tarball}` });
    for (const variant of ['hook'] as const) {
      if (!variants.includes(variant)) continue;
      const root = mkdtempSync(join(tmpdir(), `nixiso-presence-${tag}-${variant}-`));
      rmSync(root, { recursive: true });
      cpSync(base, root, { recursive: true, verbatimSymlinks: true });
      write(root, 'package.json', { ...JSON.parse(readFileSync(join(base, 'package.json'), 'utf8')), name: `presence-${variant}` });
      write(root, 'nx.json', nxJson(variant));
      roots.set(variant, root);
    }
    if (!variants.includes('nixiso')) roots.delete('nixiso');
  }
  for (const root of roots.values()) {
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'workspace');
  }
  return roots;
}
