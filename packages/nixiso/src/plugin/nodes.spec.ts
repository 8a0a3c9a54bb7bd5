import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateNodesContext, NxJsonConfiguration, ProjectConfiguration } from '@nx/devkit';
import { tempTree } from '@nixiso/testing';
import { validateOptsAgainstSchema } from 'nx/src/utils/params';
import { createNodesV2, type NixisoPluginOptions } from './nodes';
import { HELP_EXAMPLES } from './targets/help';
import { DIFF_BASE_INPUTS } from './targets/diff';

const INSTALLER = '{ modulesPath, ... }: { imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ]; }';

const workspace = (files: Record<string, string>): string => tempTree(files, 'nixiso-nodes-');

async function projects(
  root: string,
  files: string[],
  options: NixisoPluginOptions = {},
  nxJson: NxJsonConfiguration = {},
): Promise<Record<string, ProjectConfiguration>> {
  const context: CreateNodesContext = { workspaceRoot: root, nxJsonConfiguration: nxJson };
  const results = await createNodesV2[1](files, options, context);
  return Object.assign({}, ...results.map(([, result]) => result.projects ?? {}));
}

describe('createNodesV2', () => {
  it('a channel image reads every file of its project and what its Nix files reach, the channel, and the system', async () => {
    const root = workspace({
      'images/rescue/configuration.nix': INSTALLER.replace('];', '../../nix/common.nix ]; k = builtins.readFile ./alice.pub;'),
      'images/rescue/alice.pub': 'ssh-ed25519 A',
      'nix/common.nix': '{ x = builtins.readFile ../keys/team.pub; }',
      'keys/team.pub': 'ssh-ed25519 B',
    });
    const { 'images/rescue': rescue } = await projects(root, ['images/rescue/configuration.nix']);
    expect(rescue.name).toBe('rescue');
    const inputs = rescue.targets?.build.inputs as (string | Record<string, string>)[];
    expect(inputs.slice(0, 6)).toEqual([
      '{projectRoot}/**/*',
      '!{projectRoot}/result',
      '!{projectRoot}/result-*',
      // boot-test's options: no Nix file of the image can see them.
      '!{projectRoot}/boot-test.json',
      '{workspaceRoot}/keys/team.pub',
      '{workspaceRoot}/nix/common.nix',
    ]);
    expect(inputs[6]).toEqual({ env: 'NIX_PATH' });
    expect((inputs[7] as { runtime: string }).runtime).toMatch(/^node -e '.*' find:nixpkgs find:home-manager$/);
    expect(rescue.targets?.eval.inputs).toEqual(inputs);
    expect(rescue.metadata?.nixiso).toEqual({
      kind: 'channel',
      reads: [
        { path: 'keys/team.pub', from: 'nix/common.nix' },
        { path: 'nix/common.nix', from: 'images/rescue/configuration.nix' },
      ],
      bootTestOptions: { file: '{projectRoot}/boot-test.json', buildInput: false },
    });
  });

  it('a flake image: no channel, the local sources its configurations point at, and paths outside the workspace fingerprinted', async () => {
    const root = workspace({
      'images/live/flake.nix': '{ outputs = { nixpkgs, ... }: { nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; }; }; }',
      'images/live/configuration.nix': `${INSTALLER.slice(0, -1)} h = /srv/keys/host.pub; }`,
      'images/live/project.json': JSON.stringify({
        name: 'live',
        targets: { build: { configurations: { mine: { overrideInputs: { nixpkgs: 'vendor/nixpkgs', hm: 'github:nix-community/home-manager' } } } } },
      }),
    });
    const nxJson: NxJsonConfiguration = {
      targetDefaults: { '@nixiso/nx:build': { configurations: { offline: { nixPath: ['nixpkgs=tools/stand-in', '<nixpkgs>'] } } } } as never,
    };
    const { 'images/live': live } = await projects(root, ['images/live/flake.nix', 'images/live/configuration.nix'], {}, nxJson);
    const inputs = live.targets?.build.inputs as (string | Record<string, string>)[];
    expect(inputs).toContain('{workspaceRoot}/vendor/nixpkgs/**/*');
    expect(inputs).toContain('{workspaceRoot}/tools/stand-in/**/*');
    expect(inputs).not.toContainEqual({ env: 'NIX_PATH' });
    const runtime = inputs.find((i): i is { runtime: string } => typeof i === 'object' && 'runtime' in i);
    expect(runtime?.runtime).toMatch(/' path:\/srv\/keys\/host\.pub$/);
    expect(live.metadata?.nixiso).toMatchObject({ kind: 'flake', readsOutsideWorkspace: ['/srv/keys/host.pub'] });
    expect(live.targets?.lock).toBeDefined();
    // boot-test: keyed on the image the build made, with the build's configuration names.
    expect(live.targets?.['boot-test']).toMatchObject({
      executor: '@nixiso/nx:boot-test',
      dependsOn: ['build'],
      cache: true,
      inputs: ['{projectRoot}/boot-test.json', { dependentTasksOutputFiles: '**/image.json', transitive: false }],
      outputs: ['{workspaceRoot}/dist/{projectRoot}/boot-test.json'],
      configurations: { mine: {}, offline: {} },
    });
    expect(live.targets?.build.outputs).not.toContain('{workspaceRoot}/dist/{projectRoot}');
  });

  it('the inputs do not depend on named inputs or other nx.json settings init may have written', async () => {
    const root = workspace({ 'images/a/configuration.nix': INSTALLER });
    const plain = await projects(root, ['images/a/configuration.nix']);
    const initialised = await projects(root, ['images/a/configuration.nix'], {}, {
      namedInputs: { nix: ['{projectRoot}/**/*.nix'], default: ['{projectRoot}/**/*'] },
      targetDefaults: { '@nixiso/nx:build': { cache: true }, '@nixiso/nx:eval': { cache: true } },
    });
    expect(initialised).toEqual(plain);
  });

  it('extraInputs come last; an ordinary host configuration is no image', async () => {
    const root = workspace({
      'images/a/configuration.nix': INSTALLER,
      'hosts/laptop/configuration.nix': '{ ... }: { networking.hostName = "laptop"; }',
    });
    const found = await projects(root, ['images/a/configuration.nix', 'hosts/laptop/configuration.nix'], {
      extraInputs: ['{workspaceRoot}/secrets.lock'],
    });
    expect(Object.keys(found)).toEqual(['images/a']);
    expect((found['images/a'].targets?.build.inputs ?? []).slice(-1)).toEqual(['{workspaceRoot}/secrets.lock']);
  });
});

describe('createNodesV2: reads Nx would hash wrongly or not at all', () => {
  const runtimeOf = (inputs: unknown[]) => (inputs.find((i) => typeof i === 'object' && i && 'runtime' in i) as { runtime: string } | undefined)?.runtime;
  let home: string | undefined;
  beforeEach(() => {
    home = process.env.HOME;
  });
  afterEach(() => {
    process.env.HOME = home;
  });

  it('a channel image: symlinks, a nested project, ~, <mymods>, getEnv and git-ignored files, in its inputs and metadata', async () => {
    const root = workspace({
      '.gitignore': 'local.nix\n',
      'images/rescue/configuration.nix': INSTALLER.replace(
        '];',
        './local.nix ./modules/extra <mymods/x.nix> ]; k = ./keys/carol.pub; h = ~/.ssh/id.pub; e = builtins.getEnv "NIXISO_EXTRA"; x = /. + builtins.getEnv "X";',
      ),
      'images/rescue/local.nix': '{ }',
      'images/rescue/modules/extra/project.json': '{ "name": "extra" }',
      'images/rescue/modules/extra/default.nix': '{ }',
      'keys/carol.pub': 'carol',
    });
    mkdirSync(join(root, 'images/rescue/keys'));
    symlinkSync('../../../keys/carol.pub', join(root, 'images/rescue/keys/carol.pub'));
    execFileSync('git', ['init', '-q'], { cwd: root });
    process.env.HOME = tempTree({ '.ssh/id.pub': 'k' }, 'nixiso-home-');
    const { 'images/rescue': rescue } = await projects(root, ['images/rescue/configuration.nix']);
    const inputs = rescue.targets?.build.inputs as (string | Record<string, string>)[];
    expect(inputs.slice(3, 7)).toEqual([
      '{workspaceRoot}/images/rescue/modules/extra/**/*',
      '{workspaceRoot}/keys/carol.pub',
      { env: 'NIX_PATH' },
      { env: 'NIXISO_EXTRA' },
    ]);
    expect(inputs).toContainEqual({ env: 'X' });
    expect(runtimeOf(inputs)).toMatch(/' find:nixpkgs find:home-manager find:mymods home:\.ssh\/id\.pub ignored:images\/rescue\/local\.nix$/);
    expect(rescue.metadata?.nixiso).toMatchObject({
      ignoredReads: ['images/rescue/local.nix'],
      homeReads: ['~/.ssh/id.pub'],
      searchPaths: ['<mymods>'],
      environment: ['NIXISO_EXTRA', 'X'],
    });
    expect(rescue.metadata?.nixiso.computedPaths).toEqual([
      expect.stringMatching(/^images\/rescue\/configuration\.nix:1: \/\. \+ builtins\.getEnv "X" is built at evaluation time/),
    ]);
  });

  it("a flake: `${self}/…` below the git work tree; no runtime input when nothing is outside what Nx hashes", async () => {
    const root = workspace({
      'images/live/flake.nix': '{ outputs = { self, nixpkgs, ... }: { nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { specialArgs = { inherit self; }; modules = [ ./configuration.nix ]; }; }; }',
      'images/live/configuration.nix': `${INSTALLER.slice(0, -1)} k = builtins.readFile "\${self}/keys/alice.pub"; }`,
      'keys/alice.pub': 'alice',
    });
    execFileSync('git', ['init', '-q'], { cwd: root });
    const { 'images/live': live } = await projects(root, ['images/live/flake.nix', 'images/live/configuration.nix']);
    const inputs = live.targets?.build.inputs as unknown[];
    expect(inputs).toContain('{workspaceRoot}/keys/alice.pub');
    expect(runtimeOf(inputs)).toBeUndefined();
    expect(inputs.filter((i) => typeof i === 'object')).toEqual([]);
  });
});

describe('createNodesV2: which directories are images', () => {
  it('by meaning: a comment mentioning nixosConfigurations makes no image; project.json metadata.nixiso.image opts in and out', async () => {
    const root = workspace({
      'tools/lib/flake.nix': '{\n  # no nixosConfigurations here\n  outputs = { ... }: { };\n}',
      'hosts/vm/configuration.nix': '{ ... }: { networking.hostName = "vm"; }',
      'hosts/vm/project.json': JSON.stringify({ name: 'vm', metadata: { nixiso: { image: true } } }),
      'images/old/configuration.nix': INSTALLER,
      'images/old/project.json': JSON.stringify({ name: 'old', metadata: { nixiso: { image: false } } }),
      'images/live/configuration.nix': INSTALLER,
    });
    const found = await projects(root, ['tools/lib/flake.nix', 'hosts/vm/configuration.nix', 'images/old/configuration.nix', 'images/live/configuration.nix']);
    expect(Object.keys(found).sort()).toEqual(['hosts/vm', 'images/live']);
    expect(found['hosts/vm'].targets?.build).toBeDefined();
  });
});

describe('createNodesV2: the image configurations of a flake', () => {
  const iso = (name: string) => `nixosConfigurations.${name} = nixpkgs.lib.nixosSystem { modules = [ ./${name}.nix ]; };`;

  it('builds the one image configuration whatever its name, and hosts beside it are not images', async () => {
    const root = workspace({
      'images/one/flake.nix': `{ outputs = { nixpkgs, ... }: { ${iso('rescue')} ${iso('laptop')} }; }`,
      'images/one/rescue.nix': INSTALLER,
      'images/one/laptop.nix': '{ ... }: { networking.hostName = "laptop"; }',
    });
    const { 'images/one': one } = await projects(root, ['images/one/flake.nix']);
    expect(one.targets?.build.options).toEqual({ configurationName: 'rescue' });
    expect(one.targets?.eval.options).toEqual({ configurationName: 'rescue' });
    expect(one.targets?.build.outputs).toContain('{workspaceRoot}/dist/{projectRoot}/manifest.json');
    expect(one.metadata?.nixiso).toMatchObject({ configurations: ['rescue'] });
    expect(one.metadata?.targetGroups).toBeUndefined();
  });

  it('two host and two ISO configurations: exactly two image target sets, grouped, and build, eval, push, boot-test and diff run both', async () => {
    const root = workspace({
      'infra/flake.nix': `{ outputs = { nixpkgs, ... }: { ${iso('laptop')} ${iso('kiosk')} ${iso('server')} ${iso('lab')} }; }`,
      'infra/laptop.nix': '{ ... }: { networking.hostName = "laptop"; }',
      'infra/server.nix': '{ ... }: { services.openssh.enable = true; }',
      'infra/kiosk.nix': INSTALLER,
      'infra/lab.nix': INSTALLER,
    });
    const { infra } = await projects(root, ['infra/flake.nix'], { buildTargetName: 'image' });
    const targets = infra.targets ?? {};
    const split = Object.keys(targets).filter((t) => t.includes('--')).sort();
    expect(split).toEqual([
      'boot-test--kiosk',
      'boot-test--lab',
      'diff--kiosk',
      'diff--lab',
      'eval--kiosk',
      'eval--lab',
      'image--kiosk',
      'image--lab',
      'push--kiosk',
      'push--lab',
    ]);
    expect(infra.metadata?.targetGroups).toEqual({
      'kiosk image': ['image--kiosk', 'eval--kiosk', 'push--kiosk', 'boot-test--kiosk', 'diff--kiosk'],
      'lab image': ['image--lab', 'eval--lab', 'push--lab', 'boot-test--lab', 'diff--lab'],
    });
    expect(infra.metadata?.nixiso).toMatchObject({ configurations: ['kiosk', 'lab'] });
    // Each configuration builds into its own directory, and what uses the image finds it there.
    expect(targets['image--lab']).toMatchObject({
      executor: '@nixiso/nx:build',
      cache: true,
      options: { configurationName: 'lab', outputPath: 'dist/infra/lab' },
      outputs: ['{options.outputPath}/manifest.json', '{options.outputPath}/image.json', '{options.outputPath}/reads.json', '{options.outputPath}/result', '{options.outLink}'],
    });
    expect(targets['image--lab'].inputs).toEqual(targets['image--kiosk'].inputs);
    expect(targets['eval--lab'].options).toEqual({ configurationName: 'lab' });
    expect(targets['push--lab']).toMatchObject({ dependsOn: ['image--lab'], options: { outputPath: 'dist/infra/lab' } });
    expect(targets['boot-test--lab']).toMatchObject({
      dependsOn: ['image--lab'],
      options: { outputPath: 'dist/infra/lab' },
      outputs: ['{options.outputPath}/boot-test.json'],
    });
    // The diff compares what image--lab builds, and writes beside it; no build first: an unchanged derivation needs none.
    expect(targets['diff--lab']).toMatchObject({
      executor: '@nixiso/nx:diff',
      cache: true,
      options: { buildTarget: 'image--lab', outputPath: 'dist/infra/lab' },
      outputs: ['{options.outputPath}/diff.json', '{options.outputPath}/diff.md'],
    });
    expect(targets['diff--lab'].dependsOn).toBeUndefined();
    expect(targets['diff--lab'].inputs).toEqual([...(targets['image--lab'].inputs ?? []), ...DIFF_BASE_INPUTS]);
    for (const name of ['image', 'eval', 'push', 'boot-test', 'diff']) {
      expect(targets[name]).toMatchObject({
        executor: 'nx:noop',
        dependsOn: [
          { target: `${name}--kiosk`, params: 'forward' },
          { target: `${name}--lab`, params: 'forward' },
        ],
      });
    }
  });

  it('a configuration name Nx cannot hold in a target name is written with dashes; the configuration is passed as it is', async () => {
    const root = workspace({
      'infra/flake.nix': `{ outputs = { nixpkgs, ... }: { nixosConfigurations."usb:amd64" = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; ${iso('lab')} }; }`,
      'infra/a.nix': INSTALLER,
      'infra/lab.nix': INSTALLER,
    });
    const { infra } = await projects(root, ['infra/flake.nix']);
    expect(infra.targets?.['build--usb-amd64'].options).toEqual({ configurationName: 'usb:amd64', outputPath: 'dist/infra/usb-amd64' });
  });
});

describe('createNodesV2: help in nx show project', () => {
  const help = (project: string, target: string, options: Record<string, unknown>) => ({
    command: `npx nx run ${project}:${target} --help`,
    example: { options },
  });

  it('build, eval, push, boot-test and doctor: the executor options (nx run --help) and an example with options of the executor', async () => {
    const root = workspace({ 'images/live/configuration.nix': INSTALLER });
    const { 'images/live': live } = await projects(root, ['images/live/configuration.nix']);
    const targets = live.targets ?? {};
    expect(targets.build.metadata?.help).toEqual(help('live', 'build', { backend: 'build-image', format: 'qcow2' }));
    expect(targets.eval.metadata?.help).toEqual(help('live', 'eval', { showTrace: true }));
    expect(targets.push.metadata?.help).toEqual(help('live', 'push', { url: 'file:///srv/nix-cache' }));
    expect(targets['boot-test'].metadata?.help).toEqual(help('live', 'boot-test', { memoryMiB: 2048, checks: [{ run: 'nix --version', expect: '^nix ' }] }));
    expect(targets['boot-test'].metadata?.description).toMatch(/may live in \{projectRoot\}\/boot-test\.json, an input of boot-test only/);
    expect(targets.doctor.metadata?.help).toEqual(help('live', 'doctor', { failOnWarn: true }));
    expect(targets.doctor.options).toEqual({});
  });

  it("every help example is valid options of its executor, by Nx's own validator (what nx run would say)", () => {
    const executors: Record<keyof typeof HELP_EXAMPLES, string> = { build: 'build', eval: 'eval', push: 'push', bootTest: 'boot-test', doctor: 'doctor', diff: 'diff' };
    for (const [example, options] of Object.entries(HELP_EXAMPLES) as [keyof typeof HELP_EXAMPLES, Record<string, unknown>][]) {
      // The schema executors.json names, as Nx finds it (an executor's folder need not bear its name).
      const schema = require(join('../..', require('../../executors.json').executors[executors[example]].schema));
      expect({ example, unknown: Object.keys(options).filter((key) => !(key in schema.properties)) }).toEqual({ example, unknown: [] });
      expect(() => validateOptsAgainstSchema(structuredClone(options), schema)).not.toThrow();
    }
    // The validator catches what the boot-test example once was.
    expect(() => validateOptsAgainstSchema({ checks: ['nix --version'] }, require('../executors/boot-test/schema.json'))).toThrow(/'nix --version' should be a 'object'/);
  });

  it('the help names the targets as configured, and doctor reads the build target under its name', async () => {
    const root = workspace({ 'images/live/configuration.nix': INSTALLER, 'images/live/project.json': JSON.stringify({ name: 'usb' }) });
    const { 'images/live': live } = await projects(root, ['images/live/configuration.nix'], {
      buildTargetName: 'nix-build',
      doctorTargetName: 'nix-doctor',
    });
    const targets = live.targets ?? {};
    expect(targets['nix-build'].metadata?.help?.command).toBe('npx nx run usb:nix-build --help');
    expect(targets['nix-doctor'].metadata?.help?.command).toBe('npx nx run usb:nix-doctor --help');
    expect(targets['nix-doctor'].options).toEqual({ buildTarget: 'nix-build' });
  });

  it('several image configurations: each target of a set has its own help, and what runs the set shows that of its first', async () => {
    const iso = (name: string) => `nixosConfigurations.${name} = nixpkgs.lib.nixosSystem { modules = [ ./${name}.nix ]; };`;
    const root = workspace({
      'infra/flake.nix': `{ outputs = { nixpkgs, ... }: { ${iso('kiosk')} ${iso('lab')} }; }`,
      'infra/kiosk.nix': INSTALLER,
      'infra/lab.nix': INSTALLER,
    });
    const { infra } = await projects(root, ['infra/flake.nix']);
    const targets = infra.targets ?? {};
    expect(targets['build--lab'].metadata?.help).toEqual(help('infra', 'build--lab', { backend: 'build-image', format: 'qcow2' }));
    expect(targets['boot-test--kiosk'].metadata?.help?.command).toBe('npx nx run infra:boot-test--kiosk --help');
    expect(targets.build.metadata?.help).toEqual(help('infra', 'build--kiosk', { backend: 'build-image', format: 'qcow2' }));
    expect(targets.eval.metadata?.help).toEqual(help('infra', 'eval--kiosk', { showTrace: true }));
    expect(targets.push.metadata?.help?.command).toBe('npx nx run infra:push--kiosk --help');
    expect(targets['boot-test'].metadata?.help?.command).toBe('npx nx run infra:boot-test--kiosk --help');
  });
});

describe('createNodesV2: images as users have them', () => {
  const MINIMAL = '{ modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; }';
  const nixFiles = (files: Record<string, string>) => Object.keys(files).filter((f) => f.endsWith('.nix'));
  // Asking Nix is the repositories spec's (real Nix, offline inputs); here the sources alone.
  const discover = async (files: Record<string, string>) => projects(workspace(files), nixFiles(files), { evaluateConfigurations: false });

  it('a flake at the workspace root with two images builds each into dist/<configuration>, not dist/./<configuration>', async () => {
    const { '.': root } = await discover({
      'flake.nix': '{ outputs = { nixpkgs, ... }: { nixosConfigurations.baseIso = nixpkgs.lib.nixosSystem { modules = [ ./iso.nix ]; }; nixosConfigurations.fullIso = nixpkgs.lib.nixosSystem { modules = [ ./iso.nix ]; }; }; }',
      'iso.nix': MINIMAL,
    });
    expect(root.targets?.['build--baseIso'].options).toEqual({ configurationName: 'baseIso', outputPath: 'dist/baseIso' });
  });

  it("a host's configuration.nix that a flake above it uses is the flake's, never a channel image of its own", async () => {
    const found = await discover({
      'flake.nix': '{ outputs = { nixpkgs, ... }: { nixosConfigurations.iso = nixpkgs.lib.nixosSystem { modules = [ ./hosts/iso/configuration.nix ]; }; nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./hosts/desk/configuration.nix ]; }; }; }',
      'hosts/iso/configuration.nix': MINIMAL,
      'hosts/desk/configuration.nix': '{ ... }: { networking.hostName = "desk"; }',
    });
    expect(Object.keys(found)).toEqual(['.']);
    expect(found['.'].metadata?.nixiso).toMatchObject({ kind: 'flake', configurations: ['iso'], hosts: ['desk'] });
  });

  it('channel-style images in any file: a module (iso.nix) and a file that evaluates the system itself (make-iso.nix)', async () => {
    const found = await discover({
      'images/iso.nix': '{ ... }: { imports = [ <nixpkgs/nixos/modules/installer/cd-dvd/iso-image.nix> ../modules/common.nix ]; }',
      'modules/common.nix': '{ ... }: { }',
      'hosts/desk/configuration.nix': '{ ... }: { imports = [ ../../modules/common.nix ]; }',
      'usb/make-iso.nix': '(import <nixpkgs/nixos/lib/eval-config.nix> { modules = [ ./iso.nix ]; }).config.system.build.isoImage',
      'usb/iso.nix': MINIMAL,
      'vendor/nixpkgs/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix': '{ imports = [ ./iso-image.nix ]; }',
    });
    expect(Object.keys(found).sort()).toEqual(['images', 'usb']);
    expect(found.images.targets?.build.options).toEqual({ configurationFile: 'iso.nix' });
    expect(found.usb.targets?.build.options).toEqual({ expressionFile: 'make-iso.nix' });
    expect(found.usb.metadata?.nixiso).toMatchObject({ kind: 'channel', configurations: ['make-iso'] });
  });

  it('nixos-generators outputs are images built as flake attributes, of their format', async () => {
    const { '.': root } = await discover({
      'flake.nix': [
        '{ outputs = { nixpkgs, nixos-generators, ... }: {',
        '  packages.x86_64-linux.iso = nixos-generators.nixosGenerate { system = "x86_64-linux"; format = "install-iso"; modules = [ ]; };',
        '  packages.aarch64-linux.sd = nixos-generators.nixosGenerate { system = "aarch64-linux"; format = "sd-aarch64"; modules = [ ]; };',
        '}; }',
      ].join('\n'),
    });
    expect(root.targets?.['build--iso'].options).toEqual({ attribute: 'packages.x86_64-linux.iso', format: 'iso-installer', outputPath: 'dist/iso' });
    expect(root.targets?.['build--sd'].options).toEqual({ attribute: 'packages.aarch64-linux.sd', format: 'sd-card', outputPath: 'dist/sd' });
  });

  it('configurations it cannot classify: a project saying what, why, and the project.json line that settles it; that line settles it', async () => {
    const files = {
      'infra/flake.nix': '{ outputs = { my-lib, ... }: { nixosConfigurations = { desk = my-lib.mkHost "desk"; usb = my-lib.mkHost "usb"; }; }; }',
    };
    const { infra } = await discover(files);
    expect(Object.keys(infra.targets ?? {}).sort()).toEqual(['doctor', 'lock']);
    expect(infra.metadata?.nixiso.undecided).toEqual([
      'nixosConfigurations.desk: flake.nix:1: { outputs = { my-lib, ... }: { nixosConfigurations = { desk = my-lib.mkHost "desk"; usb = my-lib.mkHost "usb"; }; }; } (built by `my-lib.mkHost`, which the flake\'s files do not define); Nix was not asked (plugin option evaluateConfigurations is false)',
      'nixosConfigurations.usb: flake.nix:1: { outputs = { my-lib, ... }: { nixosConfigurations = { desk = my-lib.mkHost "desk"; usb = my-lib.mkHost "usb"; }; }; } (built by `my-lib.mkHost`, which the flake\'s files do not define); Nix was not asked (plugin option evaluateConfigurations is false)',
      'set "metadata": { "nixiso": { "configurations": ["desk", "usb"] } } in infra/project.json (or "image": false)',
    ]);
    const settled = await discover({ ...files, 'infra/project.json': JSON.stringify({ metadata: { nixiso: { configurations: ['usb'] } } }) });
    expect(settled.infra.targets?.build.options).toEqual({ configurationName: 'usb' });
    expect(settled.infra.metadata?.nixiso.undecided).toBeUndefined();
  });
});

describe('createNodesV2: an image built for several systems', () => {
  it('is undecided until project.json names the system to build, and the line that settles it says how', async () => {
    const files = {
      'flake.nix': '{ outputs = inputs@{ flake-parts, ... }: flake-parts.lib.mkFlake { inherit inputs; } { systems = [ "x86_64-linux" "aarch64-linux" ]; perSystem = { system, ... }: { packages.live = (inputs.nixpkgs.lib.nixosSystem { modules = [ ./live.nix ]; }).config.system.build.isoImage; }; }; }',
      'live.nix': '{ modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; }',
    };
    const root = workspace(files);
    const { '.': open } = await projects(root, ['flake.nix', 'live.nix'], { evaluateConfigurations: false });
    expect(open.metadata?.nixiso.undecided.at(-1)).toBe(
      'set "metadata": { "nixiso": { "configurations": [{ "name": "live", "attribute": "packages.<system>.live" }] } } in project.json (or "image": false)',
    );
    const settled = workspace({
      ...files,
      'project.json': JSON.stringify({ metadata: { nixiso: { configurations: [{ name: 'live', attribute: 'packages.x86_64-linux.live' }] } } }),
    });
    const { '.': built } = await projects(settled, ['flake.nix', 'live.nix'], { evaluateConfigurations: false });
    expect(built.targets?.build.options).toEqual({ attribute: 'packages.x86_64-linux.live' });
  });
});
