/**
 * boot-test's options file (`<projectRoot>/boot-test.json`) as an input:
 * of boot-test always, of the image's build and eval only when the image's
 * Nix code may see it. Nx hashes a project's whole configuration into each
 * of its tasks, so checks kept in project.json would make every edit of one
 * a cache miss of the build; in boot-test.json they are not.
 *
 * The static rules first (which Nix code may see the file, and the line that
 * says so), then a differential test with real Nix against the offline
 * stand-ins: after an edit of boot-test.json the build is a cache hit exactly
 * when raw Nix evaluates the image to the same derivation as before.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateNodesContext, ProjectConfiguration } from '@nx/devkit';
import { createTestWorkspace, describeWithNix, type NixTools, rawDerivation, tempTree, type TestWorkspace, workspaceRoot } from '@nixiso/testing';
import { scanNixReads } from '../nix/language/scan-imports';
import { flakeSelfRoot, imageReads } from './image-reads';
import { createNodesV2 } from './nodes';
import { bootTestOptionsInput } from './targets/inputs';

const INSTALLER = '{ modulesPath, ... }: { imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ]; }';
const noGit = { ignoredOf: () => [] };

/** Why the image of `files` at `project` may see its boot-test.json (imageReads' `sees`), or undefined. */
function sees(files: Record<string, string>, project = 'images/a', flake = false): string | undefined {
  const root = tempTree(files, 'nixiso-bto-');
  const file = `${project}/boot-test.json`;
  const reads = imageReads(root, project, { ...noGit, watch: [file], ...(flake ? { selfRoot: flakeSelfRoot(root, project) } : {}) });
  return reads.sees?.[file];
}

/** A channel image whose configuration.nix has `body` among its options. */
const channel = (body: string, more: Record<string, string> = {}) => ({
  'images/a/configuration.nix': `${INSTALLER.slice(0, -1)}\n  ${body}\n}`,
  'images/a/boot-test.json': '{ "checks": [{ "run": "true" }] }',
  ...more,
});

/** A flake image whose flake.nix passes `self` to its module, which has `body` among its options. */
const flake = (body: string, outputs = '{ self, nixpkgs, ... }') => ({
  'images/a/flake.nix': `{\n  outputs = ${outputs}: {\n    nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n      specialArgs = { inherit self; };\n      modules = [ ./configuration.nix ];\n    };\n  };\n}\n`,
  'images/a/configuration.nix': `{ modulesPath, self, ... }: {\n  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];\n  ${body}\n}`,
  'images/a/boot-test.json': '{ "checks": [{ "run": "true" }] }',
});

describe('which Nix code may see boot-test.json (imageReads: sees)', () => {
  it('none: a channel image or a flake reading other files of its project, by name or in a subdirectory', () => {
    expect(sees(channel('k = builtins.readFile ./alice.pub; d = ./data; m = ./hosts/${n}.nix;', { 'images/a/alice.pub': 'a', 'images/a/data/x': 'x' }))).toBeUndefined();
    // `self` passed on, its outputs, and files of it only read: nothing of the source goes into the image.
    expect(sees(flake('a = builtins.readFile "${self}/keys/alice.pub"; b = import (self + "/hosts/x.nix"); m = self.nixosModules;'), 'images/a', true)).toBeUndefined();
    expect(sees(flake('a = 1;', 'inputs@{ nixpkgs, ... }'), 'images/a', true)).toBeUndefined();
  });

  it('the project directory read whole: ./., "${./.}", builtins.path, a computed path in it, a directory above it', () => {
    expect(sees(channel('environment.etc."src".source = ./.;'))).toBe('images/a/configuration.nix:2 reads the project directory whole (./.)');
    expect(sees(channel('environment.etc."src".source = "${./.}";'))).toBe('images/a/configuration.nix:2 reads the project directory whole (./.)');
    expect(sees(channel('src = builtins.path { path = ./.; name = "src"; };'))).toBe('images/a/configuration.nix:2 reads the project directory whole (./.)');
    expect(sees(channel('x = builtins.fromJSON (builtins.readFile (./. + "/${name}.json"));'))).toBe(
      'images/a/configuration.nix:2 computes a path in the project directory (./. + "/${name}.json"), which may name it',
    );
    expect(sees(channel('src = ../.;'))).toBe('images/a/configuration.nix:2 reads images whole (../.)');
    // Through a file outside the project that the image imports.
    expect(sees(channel('imports = [ ../../nix/all.nix ];', { 'nix/all.nix': '{ src = ../.; }' }))).toBe('nix/all.nix:1 reads the workspace root whole (../.)');
  });

  it('the file named: ./boot-test.json, "${self}/<project>/boot-test.json"', () => {
    expect(sees(channel('x = builtins.fromJSON (builtins.readFile ./boot-test.json);'))).toBe('images/a/configuration.nix:2 names it (./boot-test.json)');
    const root = tempTree(flake('x = builtins.readFile "${self}/images/a/boot-test.json";'), 'nixiso-bto-');
    execFileSync('git', ['init', '-q'], { cwd: root });
    const reads = imageReads(root, 'images/a', { ...noGit, watch: ['images/a/boot-test.json'], selfRoot: flakeSelfRoot(root, 'images/a') });
    expect(reads.sees).toEqual({ 'images/a/boot-test.json': 'images/a/configuration.nix:3 names it ("${self}/images/a/boot-test.json")' });
  });

  it("a flake's source taken whole: \"${self}\", self.outPath, toString self, inputs.self, src = self, \"${self}/x\" in a derivation, its commit", () => {
    const at = (body: string) => sees(flake(body), 'images/a', true);
    expect(at('environment.etc."src".source = "${self}";')).toBe('images/a/configuration.nix:3 copies the flake source whole ("${self}")');
    expect(at('environment.etc."src".source = self.outPath;')).toBe('images/a/configuration.nix:3 copies the flake source whole (self.outPath)');
    expect(at('environment.etc."src".text = toString self;')).toBe('images/a/configuration.nix:3 copies the flake source whole (toString self)');
    expect(at('environment.etc."src".source = "${inputs.self}";')).toBe('images/a/configuration.nix:3 copies the flake source whole ("${inputs.self}")');
    expect(at('system.build.src = pkgs.runCommand "src" { src = self; } "cp -r $src $out";')).toBe('images/a/configuration.nix:3 copies the flake source whole (src = self)');
    // A path below `self` as a string carries the whole store copy in its context (Nix 2.8: any edit of the source changes the derivation).
    expect(at('environment.etc."k".source = "${self}/keys/alice.pub";')).toBe('images/a/configuration.nix:3 copies the flake source whole ("${self}/keys/alice.pub")');
    expect(at('system.configurationRevision = self.rev or "dirty";')).toBe("images/a/configuration.nix:3 depends on the flake source's commit (self.rev)");
    expect(at('x = inputs.self.narHash;')).toBe('images/a/configuration.nix:3 copies the flake source whole (inputs.self.narHash)');
    // In flake.nix itself.
    const inFlake = flake('a = 1;');
    inFlake['images/a/flake.nix'] = inFlake['images/a/flake.nix'].replace('modules = [', 'modules = [ { environment.etc."src".source = "${self}"; }');
    expect(sees(inFlake, 'images/a', true)).toBe('images/a/flake.nix:5 copies the flake source whole ("${self}")');
    // A channel image has no self: the word means nothing there.
    expect(sees(channel('environment.etc."src".source = "${self}";'))).toBeUndefined();
  });

  it('a Nix file that is not Nix source (encrypted): what it reads cannot be told', () => {
    expect(sees(channel('imports = [ ./secret.nix ];', { 'images/a/secret.nix': '\u0000GITCRYPT\u0000\u0001\u0002' }))).toMatch(/^images\/a\/secret\.nix is .*: what it reads cannot be told$/);
  });
});

describe('scanNixReads: wholeSelf', () => {
  it('uses of self that take the source whole, with their line and text; uses that pass it on or read below it are none', () => {
    const source = [
      '{ self, inputs, nixpkgs, ... }@args: {',
      '  specialArgs = { inherit self; inherit (inputs) self; }; m = self.nixosModules.x; p = self.packages;',
      '  a = builtins.readFile "${self}/a"; b = import (self + "/b.nix"); c = lib.importJSON "${self}/c.json";',
      '  q = lib.fix (self: { x = self.y; }); t = self ? rev; s = { self = 1; }; w = with self; 1;',
      '  d = "${self}"; e = self.outPath; f = toString self; g = "cp -r ${self} $out";',
      '  h = self.lastModifiedDate; i = "${inputs.self}/x"; j = inputs.self.sourceInfo;',
      '}',
    ].join('\n');
    expect(scanNixReads(source, '/ws/a/flake.nix').wholeSelf).toEqual([
      { line: 5, text: '"${self}"', commit: false },
      { line: 5, text: 'self.outPath', commit: false },
      { line: 5, text: 'toString self', commit: false },
      { line: 5, text: '${self}', commit: false },
      { line: 6, text: 'self.lastModifiedDate', commit: true },
      { line: 6, text: '"${inputs.self}/x"', commit: false },
      { line: 6, text: 'inputs.self.sourceInfo', commit: false },
    ]);
  });
});

describe('bootTestOptionsInput', () => {
  const none = { inWorkspace: [], external: [] };
  const record = (files: string[], listed: string[] = []) => ({ files, listed, target: 'build', recordedAt: '2025-01-01T00:00:00Z' });

  it('not a build input unless something says so; the static reason first, then records, then local sources', () => {
    const file = 'images/a/boot-test.json';
    expect(bootTestOptionsInput(file, { sees: {} }, [], none)).toEqual({ file: '{projectRoot}/boot-test.json', buildInput: false });
    expect(bootTestOptionsInput(file, { sees: { [file]: 'x.nix:1 names it' } }, [record([file])], none)).toEqual({
      file: '{projectRoot}/boot-test.json',
      buildInput: true,
      because: 'x.nix:1 names it',
    });
    expect(bootTestOptionsInput(file, { sees: {} }, [record(['images/a/configuration.nix', file])], none).because).toBe(
      'a traced build (build at 2025-01-01T00:00:00Z) saw Nix read it',
    );
    expect(bootTestOptionsInput(file, { sees: {} }, [record([], ['images/a'])], none).because).toBe('a traced build (build at 2025-01-01T00:00:00Z) saw Nix list images/a');
    expect(bootTestOptionsInput(file, { sees: {} }, [record([], ['images/ab'])], none).buildInput).toBe(false);
    expect(bootTestOptionsInput(file, { sees: {} }, [], { inWorkspace: ['images'], external: [] }).because).toBe('nixPath or overrideInputs point at images, which holds it');
  });
});

describe('createNodesV2: boot-test.json in the targets', () => {
  async function project(files: Record<string, string>, entry: string): Promise<ProjectConfiguration> {
    const root = tempTree(files, 'nixiso-bto-');
    const context: CreateNodesContext = { workspaceRoot: root, nxJsonConfiguration: {} };
    const results = await createNodesV2[1]([entry], { evaluateConfigurations: false }, context);
    return Object.values(Object.assign({}, ...results.map(([, result]) => result.projects ?? {})))[0] as ProjectConfiguration;
  }

  it('an input of boot-test; excluded from build and eval when no Nix code sees it, kept when one does', async () => {
    const plain = await project(channel('a = 1;'), 'images/a/configuration.nix');
    expect(plain.targets?.['boot-test'].inputs).toEqual(['{projectRoot}/boot-test.json', { dependentTasksOutputFiles: '**/image.json', transitive: false }]);
    expect(plain.targets?.build.inputs).toContain('!{projectRoot}/boot-test.json');
    expect(plain.targets?.eval.inputs).toEqual(plain.targets?.build.inputs);
    expect(plain.metadata?.nixiso.bootTestOptions).toEqual({ file: '{projectRoot}/boot-test.json', buildInput: false });

    const whole = await project(channel('environment.etc."src".source = ./.;'), 'images/a/configuration.nix');
    expect(whole.targets?.['boot-test'].inputs).toContain('{projectRoot}/boot-test.json');
    expect(whole.targets?.build.inputs).not.toContain('!{projectRoot}/boot-test.json');
    expect(whole.targets?.eval.inputs).not.toContain('!{projectRoot}/boot-test.json');
    expect(whole.metadata?.nixiso.bootTestOptions).toEqual({
      file: '{projectRoot}/boot-test.json',
      buildInput: true,
      because: 'images/a/configuration.nix:2 reads the project directory whole (./.)',
    });
  });

  it('several image configurations: the same file, an input of every boot-test--<configuration>, excluded from every build--<configuration>', async () => {
    const iso = (name: string) => `nixosConfigurations.${name} = nixpkgs.lib.nixosSystem { modules = [ ./${name}.nix ]; };`;
    const infra = await project(
      { 'infra/flake.nix': `{ outputs = { nixpkgs, ... }: { ${iso('kiosk')} ${iso('lab')} }; }`, 'infra/kiosk.nix': INSTALLER, 'infra/lab.nix': INSTALLER },
      'infra/flake.nix',
    );
    for (const conf of ['kiosk', 'lab']) {
      expect(infra.targets?.[`boot-test--${conf}`].inputs).toContain('{projectRoot}/boot-test.json');
      expect(infra.targets?.[`build--${conf}`].inputs).toContain('!{projectRoot}/boot-test.json');
      expect(infra.targets?.[`eval--${conf}`].inputs).toContain('!{projectRoot}/boot-test.json');
    }
    expect(infra.metadata?.nixiso.bootTestOptions).toEqual({ file: '{projectRoot}/boot-test.json', buildInput: false });
  });
});

/** What the derivation of a flake image at `dir` (not one of the examples rawDerivation knows) evaluates to now, asked of Nix directly. */
function rawFlakeDerivation(ws: TestWorkspace, nix: NixTools, dir: string): string {
  const out = execFileSync(
    nix.nix,
    [
      ...nix.flakeArgs, 'eval', '--raw', '--no-write-lock-file',
      `git+file://${ws.root}?dir=${dir}#nixosConfigurations.liveImage.config.system.build.isoImage.drvPath`,
      '--override-input', 'nixpkgs', `path:${join(ws.root, 'tools/nix-fixtures/nixpkgs')}`,
      ...nix.offlineArgs,
    ],
    { cwd: ws.root, env: nix.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return out.trim().split('\n').pop() as string;
}

const IMAGES = ['iso-channel', 'iso-flake', 'iso-flake-src'] as const;
type Image = (typeof IMAGES)[number];
/** The images whose Nix code cannot see boot-test.json. */
const BLIND: Image[] = ['iso-channel', 'iso-flake'];

const BOOT_TEST_JSON = { timeoutSeconds: 300, checks: [{ run: 'nix --version', expect: '^nix ' }] };

describeWithNix('boot-test.json edits against raw Nix (differential)', (nix: NixTools) => {
  let ws: TestWorkspace;
  const outcomes: string[] = [];
  const manifest = (image: Image): { drvPath: string; builtAt: string } => JSON.parse(ws.read(`dist/examples/${image}/manifest.json`));
  const raw = (image: Image): string => (image === 'iso-flake-src' ? rawFlakeDerivation(ws, nix, `examples/${image}`) : rawDerivation(ws, nix, image));
  const showProject = (image: Image) => {
    const r = ws.nx(['show', 'project', image, '--json']);
    return JSON.parse(r.output.slice(r.output.indexOf('{'), r.output.lastIndexOf('}') + 1)) as ProjectConfiguration;
  };
  const nxOk = (args: string[]): string => {
    const r = ws.nx(args);
    if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${r.output}`);
    return r.output;
  };
  const editBootTest = (image: Image, edit: (options: typeof BOOT_TEST_JSON) => void) => {
    const options = JSON.parse(ws.read(`examples/${image}/boot-test.json`));
    edit(options);
    ws.write(`examples/${image}/boot-test.json`, `${JSON.stringify(options, null, 2)}\n`);
  };

  beforeAll(() => {
    const flakeNix = readFileSync(join(workspaceRoot, 'examples/iso-flake/flake.nix'), 'utf8');
    // The same image, but its flake copies its source whole into the image.
    const copying = flakeNix
      .replace('outputs = { nixpkgs, ... }:', 'outputs = { self, nixpkgs, ... }:')
      .replace('./configuration.nix\n', './configuration.nix\n        { environment.etc."src".source = "${self}"; }\n');
    if (!copying.includes('"${self}"') || !copying.includes('{ self, nixpkgs')) throw new Error(`examples/iso-flake/flake.nix changed shape; adapt this test:\n${flakeNix}`);
    const files: Record<string, string> = {
      'examples/iso-flake-src/flake.nix': copying,
      'examples/iso-flake-src/configuration.nix': readFileSync(join(workspaceRoot, 'examples/iso-flake/configuration.nix'), 'utf8'),
      'examples/iso-flake-src/project.json': JSON.stringify({ name: 'iso-flake-src', projectType: 'application', tags: [] }),
    };
    for (const image of IMAGES) files[`examples/${image}/boot-test.json`] = `${JSON.stringify(BOOT_TEST_JSON, null, 2)}\n`;
    ws = createTestWorkspace({ examples: ['iso-channel', 'iso-flake'], files });
    nxOk(['run-many', '-t', 'build', '-c', 'offline', '-p', ...IMAGES, '--parallel=1']);
  });

  it('nx show project: boot-test.json is an input of boot-test; of build and eval only for the image that copies its source whole', () => {
    for (const image of IMAGES) {
      const project = showProject(image);
      const targets = project.targets ?? {};
      expect(targets['boot-test'].inputs).toContain('{projectRoot}/boot-test.json');
      const blind = BLIND.includes(image);
      expect({ image, options: project.metadata?.nixiso.bootTestOptions }).toEqual({
        image,
        options: blind
          ? { file: '{projectRoot}/boot-test.json', buildInput: false }
          : { file: '{projectRoot}/boot-test.json', buildInput: true, because: expect.stringMatching(/^examples\/iso-flake-src\/flake\.nix:\d+ copies the flake source whole \("\$\{self\}"\)$/) },
      });
      for (const target of ['build', 'eval']) expect({ image, target, excluded: targets[target].inputs?.includes('!{projectRoot}/boot-test.json') }).toEqual({ image, target, excluded: blind });
    }
    for (const image of IMAGES) expect({ image, drvPath: manifest(image).drvPath }).toEqual({ image, drvPath: raw(image) });
  });

  it.each([
    ['a check', (o: typeof BOOT_TEST_JSON) => o.checks.push({ run: 'systemctl is-active sshd', expect: '^active' })],
    ['timeoutSeconds', (o: typeof BOOT_TEST_JSON) => (o.timeoutSeconds += 60)],
  ])('editing %s of boot-test.json: the build is a cache hit exactly when the derivation is unchanged', (kind, edit) => {
    const before = Object.fromEntries(IMAGES.map((image) => [image, manifest(image)])) as Record<Image, { drvPath: string; builtAt: string }>;
    for (const image of IMAGES) editBootTest(image, edit);
    ws.git('commit', '-qam', `boot-test.json: ${kind}`);

    // nx affected marks every project with a changed file under its root affected (Nx's rule, not the inputs'): the images are
    // listed, and their builds are cache hits.
    const files = BLIND.map((image) => `examples/${image}/boot-test.json`).join(',');
    const affected = nxOk(['show', 'projects', '--affected', `--files=${files}`, '--json']);
    expect(JSON.parse(affected.slice(affected.indexOf('['), affected.lastIndexOf(']') + 1)).filter((p: string) => p.startsWith('iso-')).sort()).toEqual([...BLIND]);
    const run = nxOk(['affected', '-t', 'build', '-c', 'offline', `--files=${files}`, '--parallel=1']);
    expect(run).toMatch(/Nx read the output from the cache instead of running the command for 2 out of 2 tasks/);

    for (const image of IMAGES) {
      const output = nxOk(['run', `${image}:build`, '-c', 'offline']);
      const after = manifest(image);
      const now = raw(image);
      const hit = /\[(local|remote) cache\]|existing outputs match the cache/.test(output);
      outcomes.push(`| ${kind} | ${image} | ${now !== before[image].drvPath ? 'yes' : 'no'} | ${hit ? 'hit' : 'miss'} | ${after.drvPath === now ? 'ok' : 'STALE'} |`);
      // Never stale; a hit (and no evaluation: the manifest is the old one) where Nix cannot see the file, a rebuild where it can.
      expect({ image, drvPath: after.drvPath }).toEqual({ image, drvPath: now });
      expect({ image, hit, rebuilt: after.builtAt !== before[image].builtAt, derivationChanged: now !== before[image].drvPath }).toEqual(
        BLIND.includes(image)
          ? { image, hit: true, rebuilt: false, derivationChanged: false }
          : { image, hit: false, rebuilt: true, derivationChanged: true },
      );
    }
  });

  afterAll(() => {
    if (!outcomes.length) return;
    console.log(['| boot-test.json edit | image | derivation changed | nx build | result |', '|---|---|---|---|---|', ...outcomes].join('\n'));
  });
});
