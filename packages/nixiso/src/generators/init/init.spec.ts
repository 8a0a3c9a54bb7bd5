import { dirname } from 'node:path';
import { type CreateNodes, type NxJsonConfiguration, type ProjectGraph, readNxJson, type Tree } from '@nx/devkit';
import { FsTree } from 'nx/src/generators/tree';
import { tempTree } from '@nixiso/testing';
import { initGenerator } from './init';

// The project graph init compares the plugin's targets with: what the test's other plugin infers.
let projectGraph: ProjectGraph = { nodes: {}, dependencies: {} };
jest.mock('@nx/devkit', () => ({
  ...jest.requireActual('@nx/devkit'),
  createProjectGraphAsync: jest.fn(async () => projectGraph),
}));

const INSTALLER = '{ modulesPath, ... }: { imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ]; }';
const FLAKE = '{ outputs = { nixpkgs, ... }: { nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; }; }; }';

/** Another plugin that infers the given targets on every directory with a flake.nix, as a Makefile-based one might. */
function otherPlugin(targets: string[]): CreateNodes {
  return [
    '**/flake.nix',
    (files) =>
      files.map((file) => [
        file,
        { projects: { [dirname(file)]: { targets: Object.fromEntries(targets.map((t) => [t, { command: `make ${t}` }])) } } },
      ]),
  ];
}

/** A workspace on disk (the plugin reads the image files from there) and the project graph with the other plugin's targets. */
async function workspace(files: Record<string, string>, other: CreateNodes = otherPlugin([])): Promise<Tree> {
  const root = tempTree({ 'nx.json': '{}', 'package.json': '{ "name": "ws" }', ...files });
  const [pattern, createNodes] = other;
  const matching = Object.keys(files).filter((f) => f.endsWith(pattern.replace('**/', '')));
  const results = await createNodes(matching, undefined, { workspaceRoot: root, nxJsonConfiguration: {} });
  const nodes: ProjectGraph['nodes'] = {};
  for (const [, result] of results) {
    for (const [projectRoot, project] of Object.entries(result.projects ?? {})) {
      const name = projectRoot.split('/').pop() ?? projectRoot;
      nodes[name] = { name, type: 'app', data: { root: projectRoot, targets: project.targets ?? {} } };
    }
  }
  projectGraph = { nodes, dependencies: {} };
  return new FsTree(root, false);
}

const nxJsonOf = (tree: Tree): NxJsonConfiguration => readNxJson(tree) ?? {};

function nixisoEntries(tree: Tree) {
  return (readNxJson(tree)?.plugins ?? []).filter((p) => (typeof p === 'string' ? p : p.plugin) === '@nixiso/nx');
}

const DEFAULT_NAMES = {
  buildTargetName: 'build',
  evalTargetName: 'eval',
  lockTargetName: 'lock',
  pushTargetName: 'push',
  doctorTargetName: 'doctor',
  bootTestTargetName: 'boot-test',
  diffTargetName: 'diff',
};

describe('init generator', () => {
  const env = process.env.NX_ADD_PLUGINS;
  beforeEach(() => {
    delete process.env.NX_ADD_PLUGINS;
    projectGraph = { nodes: {}, dependencies: {} };
  });
  afterAll(() => {
    if (env === undefined) delete process.env.NX_ADD_PLUGINS;
    else process.env.NX_ADD_PLUGINS = env;
  });

  it('registers the plugin with every target name and guards the image targets against target-name defaults', async () => {
    const tree = await workspace({});
    await initGenerator(tree, {});
    const nxJson = nxJsonOf(tree);
    expect(nixisoEntries(tree)).toEqual([{ plugin: '@nixiso/nx', options: DEFAULT_NAMES }]);
    expect(nxJson.targetDefaults?.['@nixiso/nx:build']).toEqual({ cache: true });
    expect(nxJson.targetDefaults?.['@nixiso/nx:eval']).toEqual({ cache: true });
    expect(nxJson.namedInputs?.nix).toBeUndefined();
  });

  it('keeps targetDefaults the user has for the executors and for other targets', async () => {
    const tree = await workspace({});
    const build = { dependsOn: ['^build'], inputs: ['production', '^production'], cache: true };
    const own = { configurations: { offline: { nixOptions: { substituters: '' } } } };
    tree.write('nx.json', JSON.stringify({ targetDefaults: { build, '@nixiso/nx:build': own } }));
    await initGenerator(tree, {});
    const { targetDefaults } = nxJsonOf(tree);
    expect(targetDefaults).toEqual({ build, '@nixiso/nx:build': own, '@nixiso/nx:eval': { cache: true } });
  });

  it('is idempotent, also where it had to rename targets', async () => {
    const tree = await workspace(
      { 'images/live/flake.nix': FLAKE, 'images/live/configuration.nix': INSTALLER },
      otherPlugin(['build']),
    );
    await initGenerator(tree, {});
    const once = tree.read('nx.json', 'utf8');
    // The second run sees the plugin's own targets in the graph: it must not register it again under other names.
    projectGraph.nodes.live.data.targets = { ...projectGraph.nodes.live.data.targets, 'nix-build': {}, eval: {}, lock: {} };
    await initGenerator(tree, {});
    expect(tree.read('nx.json', 'utf8')).toBe(once);
    expect(nixisoEntries(tree)).toHaveLength(1);
  });

  it('keeps a registration the user already has, also as a plain string', async () => {
    const tree = await workspace({});
    tree.write('nx.json', JSON.stringify({ plugins: ['@nixiso/nx'] }));
    await initGenerator(tree, {});
    expect(nxJsonOf(tree).plugins).toEqual(['@nixiso/nx']);
  });

  it('NX_ADD_PLUGINS=false: no plugin entry, the executor targetDefaults still', async () => {
    process.env.NX_ADD_PLUGINS = 'false';
    const tree = await workspace({});
    await initGenerator(tree, {});
    const nxJson = nxJsonOf(tree);
    expect(nxJson.plugins ?? []).toEqual([]);
    expect(nxJson.targetDefaults).toEqual({ '@nixiso/nx:build': { cache: true }, '@nixiso/nx:eval': { cache: true } });
  });

  it('nx.json useInferencePlugins: false: no plugin entry, the executor targetDefaults still; addPlugin: true overrides it', async () => {
    const tree = await workspace({});
    tree.write('nx.json', JSON.stringify({ useInferencePlugins: false }));
    await initGenerator(tree, {});
    expect(nxJsonOf(tree).plugins ?? []).toEqual([]);
    expect(nxJsonOf(tree).targetDefaults?.['@nixiso/nx:build']).toEqual({ cache: true });
    await initGenerator(tree, { addPlugin: true });
    expect(nixisoEntries(tree)).toHaveLength(1);
  });

  it('another plugin infers build on the image project: the build target becomes nix-build, the others keep their names', async () => {
    const tree = await workspace(
      { 'images/live/flake.nix': FLAKE, 'images/live/configuration.nix': INSTALLER },
      otherPlugin(['build']),
    );
    await initGenerator(tree, {});
    expect(nixisoEntries(tree)).toEqual([{ plugin: '@nixiso/nx', options: { ...DEFAULT_NAMES, buildTargetName: 'nix-build' } }]);
  });

  it('build and nix-build taken, lock taken: nixiso-build and nix-lock', async () => {
    const tree = await workspace(
      { 'images/live/flake.nix': FLAKE, 'images/live/configuration.nix': INSTALLER },
      otherPlugin(['build', 'nix-build', 'lock']),
    );
    await initGenerator(tree, {});
    expect(nixisoEntries(tree)).toEqual([
      { plugin: '@nixiso/nx', options: { ...DEFAULT_NAMES, buildTargetName: 'nixiso-build', lockTargetName: 'nix-lock' } },
    ]);
  });

  it('a build target on a project that is no image renames nothing', async () => {
    const tree = await workspace(
      {
        'images/live/flake.nix': FLAKE,
        'images/live/configuration.nix': INSTALLER,
        'tools/lib/flake.nix': '{ outputs = { ... }: { packages = { }; }; }',
      },
      otherPlugin(['build']),
    );
    delete projectGraph.nodes.live;
    await initGenerator(tree, {});
    expect(nixisoEntries(tree)).toEqual([{ plugin: '@nixiso/nx', options: DEFAULT_NAMES }]);
  });
});
