/**
 * A new user's journey: a fresh Nx workspace in a git repository, the packed
 * plugin tarball installed from disk, init, the four layouts and a shared
 * module generated, builds against the offline stand-ins, a cache hit, and
 * `nx affected` after a module change picking exactly the images that import it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, GIT_IDENTITY, pathWithoutNix, stripAnsi, tempDir, workspaceRoot } from '@nixiso/testing';

const NX_VERSION = require(join(workspaceRoot, 'node_modules/nx/package.json')).version as string;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_IDENTITY, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...env },
  });
  return { status: r.status ?? 1, output: stripAnsi(`${r.stdout}\n${r.stderr}`) };
}

function ok(r: { status: number; output: string }): string {
  if (r.status !== 0) throw new Error(r.output);
  return r.output;
}

describeWithNix('a new user with the packed plugin', () => {
  let ws: string;
  const nx = (...args: string[]) => run('npx', ['nx', ...args], ws);

  beforeAll(() => {
    const dist = join(workspaceRoot, 'dist/packages/nixiso');
    if (!existsSync(join(dist, 'package.json'))) throw new Error(`build the plugin first: ${dist} is missing`);
    const packDir = tempDir('nixiso-pack-');
    execFileSync('npm', ['pack', '--pack-destination', packDir], { cwd: dist, stdio: 'pipe' });
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);

    ws = tempDir('nixiso-e2e-');
    writeFileSync(
      join(ws, 'package.json'),
      JSON.stringify({ name: 'my-images', private: true, devDependencies: { nx: NX_VERSION, '@nx/devkit': NX_VERSION } }, null, 2),
    );
    writeFileSync(join(ws, 'nx.json'), JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2));
    writeFileSync(join(ws, '.gitignore'), 'node_modules\ndist\n.nx\n');
    ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], ws));
    // The user's own copy of the stand-ins, as a local nixpkgs checkout would be.
    cpSync(join(workspaceRoot, 'tools/nix-fixtures'), join(ws, 'nix-fixtures'), {
      recursive: true,
      filter: (src) => !/\/test(\/|$)/.test(src) && !/(project|tsconfig)\.json$|jest\.config\.ts$/.test(src),
    });
    ok(run('git', ['init', '-q', '-b', 'main'], ws));
  });

  it('the installed package holds every generator and executor its manifests list', () => {
    const installed = join(ws, 'node_modules/@nixiso/nx');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    const generators = JSON.parse(readFileSync(join(installed, pkg.generators), 'utf8')).generators;
    const executors = JSON.parse(readFileSync(join(installed, pkg.executors), 'utf8')).executors;
    expect(Object.keys(generators)).toEqual(expect.arrayContaining(['init', 'image', 'module', 'ci']));
    expect(Object.keys(executors)).toEqual(expect.arrayContaining(['build', 'eval', 'push', 'doctor']));
    for (const entry of Object.values<{ factory?: string; implementation?: string; schema: string }>({ ...generators, ...executors })) {
      expect(existsSync(join(installed, `${entry.factory ?? entry.implementation}.js`))).toBe(true);
      expect(existsSync(join(installed, entry.schema))).toBe(true);
    }
    expect(existsSync(join(installed, 'src/generators/image/files/configuration.nix.template'))).toBe(true);
    expect(existsSync(join(installed, 'src/nix/__fixtures__'))).toBe(false);
  });

  it('nx g @nixiso/nx:init registers the plugin (what nx add runs)', () => {
    ok(nx('g', '@nixiso/nx:init', '--no-interactive'));
    const nxJson = JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8'));
    expect(nxJson.plugins).toContainEqual(expect.objectContaining({ plugin: '@nixiso/nx' }));
    // The offline configuration a user without network would add.
    const offline = {
      nixPath: ['nixpkgs=nix-fixtures/nixpkgs', 'home-manager=nix-fixtures/home-manager'],
      overrideInputs: { nixpkgs: 'nix-fixtures/nixpkgs', 'home-manager': 'nix-fixtures/home-manager' },
      nixOptions: { substituters: '' },
    };
    nxJson.targetDefaults = { '@nixiso/nx:build': { configurations: { offline } } };
    writeFileSync(join(ws, 'nx.json'), JSON.stringify(nxJson, null, 2));
  });

  it('generates the four layouts and a shared module wired into two of them', () => {
    ok(nx('g', '@nixiso/nx:image', 'images/channel', '--no-flake', '--no-homeManager', '--release=24.05', '--no-interactive'));
    ok(nx('g', '@nixiso/nx:image', 'images/flake', '--flake', '--no-homeManager', '--release=24.05', '--no-interactive'));
    ok(nx('g', '@nixiso/nx:image', 'images/channel-hm', '--no-flake', '--homeManager', '--release=24.05', '--no-interactive'));
    ok(nx('g', '@nixiso/nx:image', 'images/flake-hm', '--flake', '--homeManager', '--release=24.05', '--no-interactive'));
    ok(nx('g', '@nixiso/nx:module', 'modules/users', '--image=channel', '--image=flake-hm', '--no-interactive'));
    ok(run('git', ['add', '-A'], ws));
    ok(run('git', ['commit', '-qm', 'images'], ws));
    const projects = ok(nx('show', 'projects')).split('\n');
    expect(projects).toEqual(expect.arrayContaining(['channel', 'flake', 'channel-hm', 'flake-hm', 'users']));
  });

  it('builds every layout offline, and the second build is a cache hit', () => {
    for (const project of ['channel', 'flake', 'channel-hm', 'flake-hm']) {
      const out = ok(nx('run', `${project}:build:offline`));
      expect(out).toMatch(/> (nix|nix-build) /);
      const manifest = JSON.parse(readFileSync(join(ws, `dist/images/${project}/manifest.json`), 'utf8'));
      expect(existsSync(join(ws, manifest.imagePath))).toBe(true);
    }
    // Nx replays the cached output (command line included); without Nix on PATH
    // the executor would fail, so success proves nothing was evaluated or built.
    const again = ok(run('npx', ['nx', 'run', 'flake-hm:build:offline'], ws, { PATH: pathWithoutNix() }));
    expect(again).toMatch(/local cache|existing outputs match the cache/i);
  });

  it('a module change affects exactly the images that import it', () => {
    const file = join(ws, 'modules/users/default.nix');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/}\s*$/, '  # changed\n}\n'));
    const affected = ok(nx('show', 'projects', '--affected', '--base=HEAD', '-t', 'build')).split('\n').filter(Boolean).sort();
    expect(affected).toEqual(['channel', 'flake-hm']);
  });

  it('nx affected -t build builds only the images a module reaches, also through another module (imported by hand)', () => {
    ok(nx('g', '@nixiso/nx:module', 'modules/base', '--no-interactive'));
    const users = join(ws, 'modules/users/default.nix');
    writeFileSync(users, readFileSync(users, 'utf8').replace(/}\s*$/, '  imports = [ ../base ];\n}\n'));
    ok(run('git', ['add', '-A'], ws));
    ok(run('git', ['commit', '-qm', 'base module'], ws));
    const base = join(ws, 'modules/base/default.nix');
    writeFileSync(base, readFileSync(base, 'utf8').replace(/}\s*$/, '  time.timeZone = "UTC";\n}\n'));
    const out = ok(nx('affected', '-t', 'build', '-c', 'offline', '--base=HEAD'));
    const built = [...out.matchAll(/nx run (\S+):build:offline/g)].map((m) => m[1]).sort();
    expect(built).toEqual(['channel', 'flake-hm']);
  });
});
