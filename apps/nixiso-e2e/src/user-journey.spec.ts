/**
 * A new user's journey, on each Nx major the plugin's peer range names: a
 * fresh Nx workspace in a git repository, the packed plugin tarball added
 * with `nx add`, the four layouts and a shared module generated, the inferred
 * targets shown, builds against the offline stand-ins, a cache hit, and
 * `nx affected` after a module change picking exactly the images that import it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, GIT_IDENTITY, pathWithoutNix, stripAnsi, tempDir, workspaceRoot } from '@nixiso/testing';

/** The Nx this repository develops with. */
const REPO_NX = require(join(workspaceRoot, 'node_modules/nx/package.json')).version as string;

interface NxLine {
  /** Shown in the test names. */
  label: string;
  nx: string;
  devkit: string;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/**
 * The newest release of `pkg` in `range` on the registry: what
 * `create-nx-workspace` gives a new user today. `npm view` lists the
 * versions in no particular order (and as a bare string when only one matches).
 */
function newestOnRegistry(pkg: string, range: string): string {
  const out = execFileSync('npm', ['view', `${pkg}@${range}`, 'version', '--json'], { encoding: 'utf8' });
  const parsed = JSON.parse(out) as string | string[];
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  if (versions.length === 0) throw new Error(`no release of ${pkg}@${range} on the registry`);
  return versions.sort(compareVersions)[versions.length - 1];
}

/**
 * Nx 24's newest nx and @nx/devkit need not be the same patch (Nx publishes
 * @nx/devkit only when it changes): each is the newest of its own package.
 */
function newestNx24(): NxLine {
  const nx = newestOnRegistry('nx', '24');
  const devkit = newestOnRegistry('@nx/devkit', '24');
  return { label: `nx ${nx} with @nx/devkit ${devkit} (newest 24 on the registry)`, nx, devkit };
}

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

/** `nx show project --json` prints the project as the last line of its output. */
function jsonOnLastLine(output: string) {
  const lines = output.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describeWithNix('a new user with the packed plugin', () => {
  let tarball: string;

  beforeAll(() => {
    const dist = join(workspaceRoot, 'dist/packages/nixiso');
    if (!existsSync(join(dist, 'package.json'))) throw new Error(`build the plugin first: ${dist} is missing`);
    const packDir = tempDir('nixiso-pack-');
    execFileSync('npm', ['pack', '--pack-destination', packDir], { cwd: dist, stdio: 'pipe' });
    tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
  });

  // The whole journey on both: on the second line Nix finds every image in
  // its store already, so that line costs the Nx install and Nx's own work,
  // about half a minute on two cores, not a second set of image builds.
  const lines: NxLine[] = [{ label: `nx ${REPO_NX} with @nx/devkit ${REPO_NX} (this repository's)`, nx: REPO_NX, devkit: REPO_NX }, newestNx24()];

  describe.each(lines)('on $label', ({ nx: nxVersion, devkit }) => {
    let ws: string;
    const nx = (...args: string[]) => run('npx', ['nx', ...args], ws);

    beforeAll(() => {
      ws = tempDir('nixiso-e2e-');
      writeFileSync(
        join(ws, 'package.json'),
        JSON.stringify({ name: 'my-images', private: true, devDependencies: { nx: nxVersion, '@nx/devkit': devkit } }, null, 2),
      );
      writeFileSync(join(ws, 'nx.json'), JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2));
      writeFileSync(join(ws, '.gitignore'), 'node_modules\ndist\n.nx\n');
      ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], ws));
      // The user's own copy of the stand-ins, as a local nixpkgs checkout would be.
      cpSync(join(workspaceRoot, 'tools/nix-fixtures'), join(ws, 'nix-fixtures'), {
        recursive: true,
        filter: (src) => !/\/test(\/|$)/.test(src) && !/(project|tsconfig)\.json$|jest\.config\.ts$/.test(src),
      });
      ok(run('git', ['init', '-q', '-b', 'main'], ws));
    });

    it('nx add installs the tarball and registers the plugin through its init generator', () => {
      // npm's `<name>@file:<tarball>`: what `nx add` passes on as `<name>@<version>`.
      ok(nx('add', `@nixiso/nx@file:${tarball}`));
      const installed = JSON.parse(readFileSync(join(ws, 'node_modules/nx/package.json'), 'utf8')).version;
      expect(installed).toBe(nxVersion);
      const nxJson = JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8'));
      expect(nxJson.plugins).toContainEqual(expect.objectContaining({ plugin: '@nixiso/nx' }));
      // The offline configuration a user without network would add.
      const offline = {
        nixPath: ['nixpkgs=nix-fixtures/nixpkgs', 'home-manager=nix-fixtures/home-manager'],
        overrideInputs: { nixpkgs: 'nix-fixtures/nixpkgs', 'home-manager': 'nix-fixtures/home-manager' },
        nixOptions: { substituters: '' },
      };
      nxJson.targetDefaults = { ...nxJson.targetDefaults, '@nixiso/nx:build': { ...nxJson.targetDefaults?.['@nixiso/nx:build'], configurations: { offline } } };
      writeFileSync(join(ws, 'nx.json'), JSON.stringify(nxJson, null, 2));
    });

    it('the installed package holds every generator and executor its manifests list, and its peer range takes this Nx', () => {
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
      expect(existsSync(join(installed, 'src/nix/building/__fixtures__'))).toBe(false);
      expect(existsSync(join(installed, 'src/nix/boot/__fixtures__'))).toBe(false);
      // The semver that @nx/devkit brings into the user's workspace.
      const semver = require(require.resolve('semver', { paths: [join(ws, 'node_modules/@nx/devkit')] })) as { satisfies(version: string, range: string): boolean };
      expect(semver.satisfies(nxVersion, pkg.peerDependencies.nx)).toBe(true);
      expect(semver.satisfies(devkit, pkg.peerDependencies['@nx/devkit'])).toBe(true);
    });

    it("this Nx has every nx module the plugin requires past @nx/devkit's index", () => {
      const installed = join(ws, 'node_modules/@nixiso/nx');
      // Every 'nx/src/…' string in its code: the require()s and nx/runtime.ts's fromNx() arguments.
      const internals = new Set<string>();
      const scan = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) scan(path);
          else if (entry.name.endsWith('.js')) for (const m of readFileSync(path, 'utf8').matchAll(/["'](nx\/src\/[^"']+)["']/g)) internals.add(m[1]);
        }
      };
      scan(join(installed, 'src'));
      expect([...internals]).toEqual(expect.arrayContaining(['nx/src/utils/logger', 'nx/src/utils/workspace-root']));
      const missing = [...internals].filter((id) => {
        try {
          require.resolve(id, { paths: [installed] });
          return false;
        } catch {
          return true;
        }
      });
      expect(missing).toEqual([]);
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

    it('nx show project lists the inferred targets, cached with the inputs the plugin infers', () => {
      const project = jsonOnLastLine(ok(run('npx', ['nx', 'show', 'project', 'flake-hm', '--json'], ws)));
      expect(project.root).toBe('images/flake-hm');
      expect(Object.keys(project.targets)).toEqual(expect.arrayContaining(['build', 'eval', 'push', 'boot-test', 'doctor', 'lock']));
      expect(project.targets.build).toMatchObject({ executor: '@nixiso/nx:build', cache: true });
      expect(project.targets.build.inputs?.length).toBeGreaterThan(0);
    });

    it("the graph plugin still works where Nx no longer has the internal modules it takes from (then from @nx/devkit's index)", () => {
      // Every node process of this command (the CLI and Nx's plugin workers)
      // hides nx/runtime.ts's modules from the plugin, as an Nx without them would.
      const dir = tempDir('nixiso-hide-');
      const hits = join(dir, 'hidden.log');
      const hook = join(dir, 'hide.js');
      writeFileSync(
        hook,
        `const Module = require('module');
const { appendFileSync } = require('fs');
const hidden = ['nx/src/utils/logger', 'nx/src/project-graph/plugins/utils', 'nx/src/config/project-graph', 'nx/src/utils/workspace-root'];
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (hidden.includes(request) && parent && /[\\/]@nixiso[\\/]nx[\\/]/.test(parent.filename)) {
    appendFileSync(${JSON.stringify(hits)}, request + '\\n');
    throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
  }
  return resolve.call(this, request, parent, ...rest);
};
`,
      );
      const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${hook}`, NX_CACHE_PROJECT_GRAPH: 'false' };
      const project = jsonOnLastLine(ok(run('npx', ['nx', 'show', 'project', 'flake-hm', '--json'], ws, env)));
      expect(Object.keys(project.targets)).toEqual(expect.arrayContaining(['build', 'eval', 'push', 'boot-test']));
      // The module dependencies (createDependencies and its DependencyType).
      const graphFile = join(dir, 'graph.json');
      ok(run('npx', ['nx', 'graph', `--file=${graphFile}`], ws, env));
      const graph = JSON.parse(readFileSync(graphFile, 'utf8')).graph;
      expect(graph.dependencies.channel).toContainEqual(expect.objectContaining({ target: 'users' }));
      expect(new Set(readFileSync(hits, 'utf8').split('\n').filter(Boolean))).toEqual(
        new Set(['nx/src/utils/logger', 'nx/src/project-graph/plugins/utils', 'nx/src/config/project-graph', 'nx/src/utils/workspace-root']),
      );
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

    it('nx affected -t diff says what changed in each image the change reaches; a comment-only change is no change, with nothing built', () => {
      // The base as NX_BASE, which nx affected and the diff both read (nx affected keeps its --base to itself).
      const diffOf = (project: string) => JSON.parse(readFileSync(join(ws, `dist/images/${project}/diff.json`), 'utf8'));
      ok(run('git', ['add', '-A'], ws));
      ok(run('git', ['commit', '-qm', 'time zone'], ws));
      const out = ok(run('npx', ['nx', 'affected', '-t', 'diff', '-c', 'offline', '--output-style=static'], ws, { NX_BASE: 'HEAD~1' }));
      // Both sides were realised: the positive control of the comment-only run below.
      expect(out).toMatch(/nix-store --realise/);
      expect([...out.matchAll(/nx run (\S+):diff:offline/g)].map((m) => m[1]).sort()).toEqual(['channel', 'flake-hm']);
      for (const project of ['channel', 'flake-hm']) {
        const diff = diffOf(project);
        expect({ project, status: diff.status, base: diff.base.ref }).toEqual({ project, status: 'changed', base: 'HEAD~1' });
        expect(diff.drvPath.base).not.toEqual(diff.drvPath.head);
        expect(diff.closureSize.head).toBeGreaterThan(0);
        expect(readFileSync(join(ws, `dist/images/${project}/diff.md`), 'utf8')).toMatch(/^\| Size \| .+ \| head \| Change \|\n\| --- \|/m);
      }

      const base = join(ws, 'modules/base/default.nix');
      writeFileSync(base, readFileSync(base, 'utf8').replace(/}\s*$/, '  # only a comment\n}\n'));
      ok(run('git', ['commit', '-qam', 'comment'], ws));
      const again = ok(run('npx', ['nx', 'affected', '-t', 'diff', '-c', 'offline', '--output-style=static'], ws, { NX_BASE: 'HEAD~1' }));
      expect([...again.matchAll(/nx run (\S+):diff:offline/g)].map((m) => m[1]).sort()).toEqual(['channel', 'flake-hm']);
      expect(again).not.toMatch(/nix-store --realise/);
      for (const project of ['channel', 'flake-hm']) {
        expect({ project, status: diffOf(project).status }).toEqual({ project, status: 'unchanged' });
        expect(readFileSync(join(ws, `dist/images/${project}/diff.md`), 'utf8')).toMatch(/No change in the image/);
      }
    });
  });
});
