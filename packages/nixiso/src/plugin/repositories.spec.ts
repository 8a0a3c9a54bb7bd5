/**
 * Repositories as users have them (tools/testing/repos: images beside hosts,
 * built by helpers, mapAttrs, readDir, flake-parts and flake-utils-plus
 * modules, nixos-generators, channel-style files, an encrypted `.nix` file,
 * a sub-flake), through the real Nx CLI and real Nix: for each, exactly
 * the image configurations with their names and no host, an offline build
 * of every image, a cache hit on the second run, and `nx affected` for a
 * module only the image reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { readDiskImageDescription, readIsoDescription } from '@nixiso/nix-fixtures';
import { createTestWorkspace, describeWithNix, type TestWorkspace, workspaceRoot } from '@nixiso/testing';

const REPOS = join(workspaceRoot, 'tools/testing/repos');

interface Expected {
  images: { projectRoot: string; kind: 'flake' | 'channel'; configuration: string; attribute: string; hostName: string }[];
  hosts: string[];
  imageOnlyFile: string;
  sharedFile: string;
}

interface Manifest {
  imageFile: string;
}

/** The offline stand-ins as every image target's default options: graph-time evaluation and builds both use them. */
const OFFLINE_OPTIONS = {
  overrideInputs: {
    nixpkgs: 'tools/nix-fixtures/nixpkgs',
    'home-manager': 'tools/nix-fixtures/home-manager',
    'flake-parts': 'tools/nix-fixtures/flake-parts',
    'flake-utils-plus': 'tools/nix-fixtures/flake-utils-plus',
    'nixos-generators': 'tools/nix-fixtures/nixos-generators',
  },
  nixPath: ['nixpkgs=tools/nix-fixtures/nixpkgs'],
  nixOptions: { substituters: '' },
  // The stand-in's SD image is a text file: its builder runs here once Nix accepts the system.
  extraPlatforms: ['aarch64-linux'],
};

/** A command that must succeed; on failure the assertion shows what it printed. */
function succeeded(r: { status: number; output: string }): string {
  expect({ status: r.status, output: r.status === 0 ? '' : r.output }).toEqual({ status: 0, output: '' });
  return r.output;
}

const shapes = readdirSync(REPOS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describeWithNix('repositories as users have them', () => {
  it('the fixture repositories are all here', () => {
    expect(shapes).toEqual(
      ['flake-parts', 'flake-utils-plus', 'git-crypt', 'helper', 'iso-nix', 'make-iso', 'map-attrs', 'modules-path', 'nixos-generators', 'read-dir', 'sub-flake'],
    );
  });

  describe.each(shapes)('%s', (shape) => {
    const expected: Expected = JSON.parse(readFileSync(join(REPOS, shape, 'expected.json'), 'utf8'));
    let ws: TestWorkspace;
    /** Image projects by root, as `nx graph` has them. */
    let projects: Record<string, { name: string; data: { root: string; targets: Record<string, { options?: Record<string, string> }>; metadata?: { nixiso?: Record<string, unknown> } } }>;
    const roots = [...new Set(expected.images.map((i) => i.projectRoot))].sort();
    const several = (root: string) => expected.images.filter((i) => i.projectRoot === root).length > 1;

    beforeAll(() => {
      ws = createTestWorkspace({
        directories: { '.': join(REPOS, shape) },
        nxJson(json) {
          const defaults = json.targetDefaults as Record<string, { options?: unknown }>;
          for (const executor of ['@nixiso/nx:build', '@nixiso/nx:eval']) defaults[executor] = { ...defaults[executor], options: OFFLINE_OPTIONS };
        },
      });
      succeeded(ws.nx(['graph', '--file=dist/graph.json']));
      const nodes = JSON.parse(ws.read('dist/graph.json')).graph.nodes as typeof projects;
      projects = Object.fromEntries(Object.values(nodes).filter((n) => n.data.metadata?.nixiso).map((n) => [n.data.root, n]));
    });

    it('finds exactly its images, with their names, and no host', () => {
      expect(Object.keys(projects).sort()).toEqual(roots);
      for (const root of roots) {
        const nixiso = projects[root].data.metadata?.nixiso ?? {};
        const images = expected.images.filter((i) => i.projectRoot === root);
        expect(nixiso.undecided).toBeUndefined();
        expect(nixiso.kind).toBe(images[0].kind);
        if (images[0].kind === 'flake') {
          expect([...(nixiso.configurations as string[])].sort()).toEqual(images.map((i) => i.configuration).sort());
          if (root === '.') expect([...((nixiso.hosts as string[]) ?? [])].sort()).toEqual([...expected.hosts].sort());
          // readDir names and a computed path under which an installer module sits: only Nix could tell, and it was asked.
          if (shape === 'read-dir') expect([...(nixiso.evaluated as string[])].sort()).toEqual(['desk', 'iso']);
        } else {
          // A channel image is built from the file Nix is given: as a module, or as an expression whose value is the image.
          const { options = {} } = projects[root].data.targets.build;
          const file = options.expressionFile ?? options.configurationFile ?? 'configuration.nix';
          expect(posix.join(root, file)).toBe(images[0].attribute);
        }
      }
    });

    it('builds every image offline, and the second run takes each from the cache', () => {
      for (const root of roots) {
        const project = projects[root].name;
        succeeded(ws.nx(['run', `${project}:build`]));
        for (const image of expected.images.filter((i) => i.projectRoot === root)) {
          const dist = posix.join('dist', root, several(root) ? image.configuration : '');
          const manifest: Manifest = JSON.parse(ws.read(posix.join(dist, 'manifest.json')));
          const description = manifest.imageFile.endsWith('.iso') ? readIsoDescription(manifest.imageFile) : readDiskImageDescription(manifest.imageFile);
          expect(description.hostName).toBe(image.hostName);
        }
        const again = succeeded(ws.nx(['run', `${project}:build`]));
        // Every build task of the run (the configuration's own, or each build--<configuration>) is a hit.
        const task = several(root) ? /> nx run \S+:build--\S+/ : /> nx run \S+:build(\s|$)/;
        const tasks = again.split('\n').filter((l) => task.test(l));
        expect(tasks.length).toBe(expected.images.filter((i) => i.projectRoot === root).length);
        for (const line of tasks) expect(line).toMatch(/\[(local cache|existing outputs match the cache, left as is)\]/);
      }
    });

    if (shape === 'helper') {
      it('a configuration the flake does not define fails before the build, naming those it does', () => {
        const r = ws.nx(['run', `${projects['.'].name}:eval--live`, '--configurationName=liveImage']);
        expect(r.status).not.toBe(0);
        expect(r.output).toContain('flake.nix defines no nixosConfigurations.liveImage; it defines desk, live, rescue.');
        expect(r.output).not.toMatch(/> nix .* eval --raw/);
      });
    }

    it('a module only the image reads makes the image, and nothing else, affected', () => {
      const affected = succeeded(ws.nx(['show', 'projects', '--affected', `--files=${expected.imageOnlyFile}`, '--json']));
      const names = JSON.parse(affected.slice(affected.indexOf('['), affected.lastIndexOf(']') + 1)) as string[];
      expect(names.sort()).toEqual(roots.map((r) => projects[r].name).sort());
    });
  });
});

