/**
 * Differential test of the cache inputs and `nx affected`: for each kind of
 * file an image reads, build, edit that file, commit, build again, and
 * compare the derivation the build recorded with the one raw Nix evaluates
 * to now (nix-instantiate / nix eval, run here, not through the plugin). A
 * cache hit that records another derivation than Nix's is a stale image.
 * Rebuilds whose derivation did not change (a comment edit) are counted and
 * printed, not hidden.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { affectedOf, createTestWorkspace, describeWithNix, type NixTools, rawDerivation as rawDerivationOf, type TestWorkspace } from '@nixiso/testing';

const IMAGES = ['iso-channel', 'iso-flake'] as const;
type Image = (typeof IMAGES)[number];

/** What both images read besides the installer profile and their imports: one of each kind of input. */
const IMAGE_READS = `
  users.users.nixos.openssh.authorizedKeys.keys = [ (builtins.readFile ./alice.pub) ];
  users.users.nixos.openssh.authorizedKeys.keyFiles = [ ./keys/bob.pub ];
  environment.etc."motd".text = builtins.readFile (./. + "/motd-\${motd}.txt");
  environment.etc."data".source = ./data;
`;

function imageFiles(image: Image): Record<string, string> {
  const root = `examples/${image}`;
  return {
    [`${root}/alice.pub`]: `ssh-ed25519 AAAAalice1 alice@${image}`,
    [`${root}/keys/bob.pub`]: `ssh-ed25519 AAAAbob1 bob@${image}`,
    [`${root}/motd-live.txt`]: `welcome to ${image}\n`,
    [`${root}/data/readme.txt`]: 'data v1\n',
  };
}

const SHARED_FILES: Record<string, string> = {
  // Outside every project: a Nix file, and a data file only it reads.
  'nix/common.nix': '{ ... }: {\n  environment.etc."team-key".text = builtins.readFile ../keys/team.pub;\n  environment.etc."common".text = "common v1";\n}\n',
  'keys/team.pub': 'ssh-ed25519 AAAAteam1 team',
  'keys/unused.pub': 'ssh-ed25519 AAAAunused1 nobody reads this',
  // A module project with a data file of its own.
  'modules/shared/project.json': JSON.stringify({ name: 'shared', projectType: 'library', tags: ['nixos-module'] }),
  'modules/shared/default.nix': '{ ... }: {\n  environment.etc."motd-shared".source = ./motd.txt;\n}\n',
  'modules/shared/motd.txt': 'shared motd v1\n',
  'NOTES.md': 'notes no image reads\n',
};

interface Step {
  kind: string;
  /** Files to write (content) or edit (function of the old content). */
  edits: Record<string, string | ((old: string) => string)>;
  /** A command that changes files itself, run before the edits. */
  run?: (ws: TestWorkspace, nix: NixTools) => void;
  /** The images `nx affected` must report for this change, exactly. */
  affected: Image[];
}

const both = (path: (image: Image) => string, edit: (old: string) => string): Step['edits'] =>
  Object.fromEntries(IMAGES.map((image) => [path(image), edit]));

const STEPS: Step[] = [
  {
    kind: 'non-Nix file of the project read by builtins.readFile',
    edits: both((i) => `examples/${i}/alice.pub`, (old) => old.replace('alice1', 'alice2')),
    affected: [...IMAGES],
  },
  {
    kind: 'key file named in openssh.authorizedKeys.keyFiles',
    edits: both((i) => `examples/${i}/keys/bob.pub`, (old) => old.replace('bob1', 'bob2')),
    affected: [...IMAGES],
  },
  {
    kind: 'file named by a computed path (./. + "/motd-${motd}.txt")',
    edits: both((i) => `examples/${i}/motd-live.txt`, (old) => `${old}edited\n`),
    affected: [...IMAGES],
  },
  {
    kind: 'new file in a directory used as source = ./data',
    edits: both((i) => `examples/${i}/data/new.txt`, () => 'new\n'),
    affected: [...IMAGES],
  },
  { kind: 'data file outside every project', edits: { 'keys/team.pub': (old) => old.replace('team1', 'team2') }, affected: [...IMAGES] },
  { kind: 'Nix file outside every project', edits: { 'nix/common.nix': (old) => old.replace('common v1', 'common v2') }, affected: [...IMAGES] },
  { kind: 'data file of a module project', edits: { 'modules/shared/motd.txt': () => 'shared motd v2\n' }, affected: [...IMAGES] },
  {
    kind: 'Nix file of a module project',
    edits: { 'modules/shared/default.nix': (old) => old.replace('}\n', '  environment.etc."shared-extra".text = "x";\n}\n') },
    affected: [...IMAGES],
  },
  {
    kind: 'the local nixpkgs the build is pointed at (nixPath / overrideInputs)',
    edits: { 'tools/nix-fixtures/nixpkgs/nixos/lib/describe.nix': (old) => old.replace('fixture = "nixiso-nix-fixtures";', 'fixture = "nixiso-nix-fixtures-edited";') },
    affected: [...IMAGES],
  },
  {
    kind: 'flake.lock of the flake image (created by nix flake lock)',
    edits: {},
    run: (ws, nix) =>
      execFileSync(nix.nix, [...nix.flakeArgs, 'flake', 'lock', '--override-input', 'nixpkgs', `path:${join(ws.root, 'tools/nix-fixtures/nixpkgs')}`, ...nix.offlineArgs], {
        cwd: join(ws.root, 'examples/iso-flake'),
        env: nix.env,
        stdio: 'pipe',
      }),
    affected: ['iso-flake'],
  },
  {
    kind: 'configuration.nix of one image, semantically',
    edits: { 'examples/iso-channel/configuration.nix': (old) => old.replace('    neovim\n', '    neovim\n    htop\n') },
    affected: ['iso-channel'],
  },
  {
    kind: 'comment-only edit of configuration.nix',
    edits: both((i) => `examples/${i}/configuration.nix`, (old) => old.replace('# Any other option', '# Any other NixOS option')),
    affected: [...IMAGES],
  },
  { kind: 'file outside every project that no image reads', edits: { 'keys/unused.pub': () => 'ssh-ed25519 AAAAunused2 x', 'NOTES.md': () => 'edited\n' }, affected: [] },
];

interface Outcome {
  kind: string;
  image: Image;
  rebuilt: boolean;
  derivationChanged: boolean;
  stale: boolean;
}

describeWithNix('cache inputs and nx affected against raw Nix (differential)', (nix: NixTools) => {
  let ws: TestWorkspace;
  const outcomes: Outcome[] = [];

  const manifest = (image: Image): { drvPath: string; builtAt: string } => JSON.parse(ws.read(`dist/examples/${image}/manifest.json`));

  /** The derivation Nix evaluates the image to now, asked directly. */
  const rawDerivation = (image: Image): string => rawDerivationOf(ws, nix, image);

  function buildBoth(): void {
    const r = ws.nx(['run-many', '-t', 'build', '-c', 'offline', '-p', ...IMAGES, '--parallel=1']);
    if (r.status !== 0) throw new Error(`build failed:\n${r.output}`);
  }

  const affectedImages = (): string[] => affectedOf(ws, IMAGES);

  beforeAll(() => {
    const files: Record<string, string> = { ...SHARED_FILES };
    ws = createTestWorkspace({ examples: [...IMAGES], files });
    for (const image of IMAGES) {
      for (const [path, content] of Object.entries(imageFiles(image))) ws.write(path, content);
      const config = `examples/${image}/configuration.nix`;
      ws.write(
        config,
        ws
          .read(config)
          .replace('  ...\n}:\n{', '  ...\n}:\nlet\n  motd = "live";\nin\n{')
          .replace('  imports = [\n', '  imports = [\n    ../../nix/common.nix\n    ../../modules/shared\n')
          .replace('  # Any other option', `${IMAGE_READS}\n  # Any other option`),
      );
    }
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'images read one file of each kind');
    buildBoth();
  });

  it('the images read what the test gives them (sanity check of the fixture)', () => {
    for (const image of IMAGES) expect(manifest(image).drvPath).toBe(rawDerivation(image));
    const r = ws.nx(['show', 'project', 'iso-channel', '--json']);
    const project = JSON.parse(r.output.slice(r.output.indexOf('{'), r.output.lastIndexOf('}') + 1));
    // The module project counts whole by the rules; the first build's record of what Nix read narrowed it to the files read.
    expect(project.metadata.nixiso.reads.map((read: { path: string }) => read.path)).toEqual([
      'keys/team.pub',
      'modules/shared/default.nix',
      'modules/shared/motd.txt',
      'nix/common.nix',
    ]);
    expect(project.metadata.nixiso.recorded.narrowed).toEqual([
      'modules/shared/ (from examples/iso-channel/configuration.nix): Nix read modules/shared/default.nix, modules/shared/motd.txt',
    ]);
    expect(project.metadata.nixiso.computedPaths).toEqual([
      expect.stringMatching(/^examples\/iso-channel\/configuration\.nix:\d+: \.\/\. is computed; the image counts all of examples\/iso-channel$/),
    ]);
  });

  it.each(STEPS.map((step) => [step.kind, step] as const))('%s: no stale image, exact nx affected', (_kind, step) => {
    const before = Object.fromEntries(IMAGES.map((image) => [image, manifest(image)]));
    step.run?.(ws, nix);
    for (const [path, edit] of Object.entries(step.edits)) {
      let old = '';
      try {
        old = ws.read(path);
      } catch {
        // a new file
      }
      ws.write(path, typeof edit === 'string' ? edit : edit(old));
    }
    ws.git('add', '-A');
    ws.git('commit', '-qm', step.kind);
    expect(affectedImages()).toEqual([...step.affected].sort());
    buildBoth();
    for (const image of IMAGES) {
      const after = manifest(image);
      const now = rawDerivation(image);
      outcomes.push({
        kind: step.kind,
        image,
        rebuilt: after.builtAt !== before[image].builtAt,
        derivationChanged: now !== before[image].drvPath,
        stale: after.drvPath !== now,
      });
      expect({ image, drvPath: after.drvPath }).toEqual({ image, drvPath: now });
    }
  });

  afterAll(() => {
    if (!outcomes.length) return;
    const rows = outcomes.map(
      (o) => `| ${o.kind} | ${o.image} | ${o.derivationChanged ? 'yes' : 'no'} | ${o.rebuilt ? 'yes' : 'no'} | ${o.stale ? 'STALE' : 'ok'} |`,
    );
    const stale = outcomes.filter((o) => o.stale).length;
    const needless = outcomes.filter((o) => o.rebuilt && !o.derivationChanged).length;
    console.log(
      [
        '| edited input | image | derivation changed | rebuilt | result |',
        '|---|---|---|---|---|',
        ...rows,
        '',
        `${outcomes.length} image builds after an edit: ${stale} stale, ${needless} rebuilt although the derivation was unchanged`,
      ].join('\n'),
    );
  });
});
