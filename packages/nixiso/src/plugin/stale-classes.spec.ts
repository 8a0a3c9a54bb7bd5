/**
 * Differential test of the classes of reads that a static reading of the
 * Nix sources gets wrong, modelled on cache-inputs.spec.ts: for each class,
 * build both images, change what the image reads, commit, compare `nx
 * affected` with the images that read it, build again through Nx and compare
 * the derivation the build recorded with the one raw Nix (nix-instantiate /
 * nix eval, run here, not through the plugin) evaluates to now. A difference
 * is a STALE image (asserted to be none in every step; a stale image is then
 * rebuilt without the Nx cache so that the next step starts clean). Rebuilds whose
 * derivation did not change are counted and printed; they are asserted only
 * for the over-invalidation step, behind TRACED_READS_NARROW_INPUTS.
 *
 * Classes: a key file that is a symlink out of the project, a module folder
 * that is a symlink out of the project, a module project nested in the image
 * project, flake `self`, computed paths that climb out of the project, `~`,
 * `<…>` search-path lookups, git-ignored files, `builtins.getEnv` paths, and
 * the repository root seen as a whole by the static model. Flakes evaluate in
 * pure mode (no `~`, NIX_PATH, getEnv or git-ignored files): those classes are
 * on the channel image only.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { affectedOf, createTestWorkspace, describeWithNix, type NixTools, rawDerivation as rawDerivationOf, tempDir, type TestWorkspace } from '@nixiso/testing';

const IMAGES = ['iso-channel', 'iso-flake'] as const;
type Image = (typeof IMAGES)[number];

/**
 * With strace (here and in CI) builds record the files Nix read, and the
 * intended behaviour is that an image whose sources name the whole
 * repository root (`let root = ../..;`) is, once a traced build recorded
 * what Nix read, not affected by an edit of a file it never read, and after
 * the one rebuild that the narrower inputs cost, not rebuilt either. True:
 * asserted. False: only measured and printed (if the implementation cannot
 * reach it).
 */
const TRACED_READS_NARROW_INPUTS = true;

const straceAvailable = (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, 'strace')));

/** Files outside every project (workspace-relative). */
const SHARED_FILES: Record<string, string> = {
  'keys/carol.pub': 'ssh-ed25519 AAAAcarol1 carol',
  'keys/alice.pub': 'ssh-ed25519 AAAAalice1 alice',
  'keys/dave.pub': 'ssh-ed25519 AAAAdave1 dave',
  'keys/erin.pub': 'ssh-ed25519 AAAAerin1 erin',
  'keys/frank.pub': 'ssh-ed25519 AAAAfrank1 frank',
  'nix/shared/default.nix': '{ ... }: {\n  environment.etc."shared-folder".text = "shared folder v1";\n}\n',
  'docs/NOTES.md': 'notes no image reads\n',
};

/** Files of one image project, besides its configuration.nix (the symlinks are made in beforeAll). */
function imageFiles(image: Image): Record<string, string> {
  const root = `examples/${image}`;
  const files: Record<string, string> = {
    // A module project nested in the image project, with a data file of its own.
    [`${root}/modules/extra/project.json`]: JSON.stringify({ name: `extra-${image}`, projectType: 'library', tags: ['nixos-module'] }),
    [`${root}/modules/extra/default.nix`]: '{ ... }: {\n  environment.etc."extra".text = builtins.readFile ./data.txt;\n}\n',
    [`${root}/modules/extra/data.txt`]: `extra data v1 of ${image}\n`,
  };
  if (image === 'iso-channel') {
    // Git-ignored (see .gitignore), imported all the same.
    files[`${root}/local.nix`] = '{ ... }: {\n  environment.etc."local".text = "local v1";\n}\n';
  }
  return files;
}

/** Symlinks of one image project: path → target (relative to the link's directory). */
const imageSymlinks = (image: Image): Record<string, string> => ({
  [`examples/${image}/keys/carol.pub`]: '../../../keys/carol.pub',
  [`examples/${image}/shared`]: '../../nix/shared',
});

/** What both images read, besides the installer profile. */
const COMMON_READS = `
  environment.etc."dave".text = builtins.readFile (./. + "/../../keys/dave.pub");
  environment.etc."erin".text = let repo = ./. + "/../.."; in builtins.readFile (repo + "/keys/erin.pub");
`;

/** The configuration.nix of an image: the example's, with the reads of every class the image can have. */
function configuration(image: Image, example: string): string {
  const channel = image === 'iso-channel';
  const imports = ['./shared', './modules/extra', ...(channel ? ['<mymods/extra.nix>', './local.nix'] : [])];
  const keyFiles = ['./keys/carol.pub', ...(channel ? ['~/nixiso-home.pub'] : [])];
  const reads = [
    COMMON_READS,
    `  users.users.nixos.openssh.authorizedKeys.keyFiles = [ ${keyFiles.join(' ')} ];`,
    ...(channel ? [] : ['  environment.etc."alice".text = builtins.readFile "${self}/keys/alice.pub";']),
  ].join('\n');
  const text = example
    .replace('  modulesPath,\n', channel ? '  modulesPath,\n' : '  modulesPath,\n  self,\n')
    .replace(
      '  ...\n}:\n{',
      channel
        ? '  ...\n}:\nlet\n  extraModule = builtins.getEnv "NIXISO_EXTRA_MODULE";\nin\n{'
        : '  ...\n}:\n{',
    )
    .replace(
      '  imports = [\n',
      `  imports = ${channel ? '(if extraModule == "" then [ ] else [ (/. + extraModule) ]) ++ ' : ''}[\n${imports.map((i) => `    ${i}\n`).join('')}`,
    )
    .replace('  # Any other option', `${reads}\n\n  # Any other option`);
  if (text === example || !text.includes('./modules/extra') || !text.includes('keyFiles')) {
    throw new Error(`the example configuration.nix of ${image} changed shape; adapt configuration() in this test:\n${example}`);
  }
  return text;
}

/** flake.nix passing `self` to the modules. */
function flakeWithSelf(example: string): string {
  const text = example
    .replace('outputs = { nixpkgs, ... }:', 'outputs = { self, nixpkgs, ... }:')
    .replace('nixpkgs.lib.nixosSystem {\n', 'nixpkgs.lib.nixosSystem {\n      specialArgs = { inherit self; };\n');
  if (!text.includes('inherit self;') || !text.includes('{ self, nixpkgs')) {
    throw new Error(`examples/iso-flake/flake.nix changed shape; adapt flakeWithSelf() in this test:\n${example}`);
  }
  return text;
}

/** Paths outside the workspace that the channel image reads (made in beforeAll). */
interface Outside {
  home: string;
  mymods: string;
  extraA: string;
  extraB: string;
}

/** The environment of every nx run and raw Nix evaluation. */
interface Env {
  HOME: string;
  NIX_PATH: string;
  NIXISO_EXTRA_MODULE: string;
}

interface Context {
  ws: TestWorkspace;
  outside: Outside;
  env: Env;
}

interface Step {
  name: string;
  /** Workspace files to write (content) or edit (function of the old content). */
  edits?: Record<string, string | ((old: string) => string)>;
  /** Changes outside the workspace's git tree, run before the edits. */
  run?: (ctx: Context) => void;
  /** The images `nx affected` must report, exactly; undefined: measured and printed only. */
  affected?: Image[];
  /** The images whose derivation the change changes (checks the fixture: raw Nix really reads what the step edits). */
  changes: Image[];
  /** Images that must not be rebuilt (asserted only where TRACED_READS_NARROW_INPUTS holds). */
  notRebuilt?: Image[];
}

const both = (path: (image: Image) => string, edit: (old: string) => string): Record<string, (old: string) => string> =>
  Object.fromEntries(IMAGES.map((image) => [path(image), edit]));

const editFile = (path: string, edit: (old: string) => string) => writeFileSync(path, edit(readFileSync(path, 'utf8')));

const narrow = TRACED_READS_NARROW_INPUTS && straceAvailable;

const STEPS: Step[] = [
  {
    name: '1 key file in the image folder that is a symlink out of every project (keys/carol.pub)',
    edits: { 'keys/carol.pub': (old) => old.replace('carol1', 'carol2') },
    affected: [...IMAGES],
    changes: [...IMAGES],
  },
  {
    name: '2 module folder in the image folder that is a symlink to nix/shared (imported as ./shared)',
    edits: { 'nix/shared/default.nix': (old) => old.replace('shared folder v1', 'shared folder v2') },
    affected: [...IMAGES],
    changes: [...IMAGES],
  },
  {
    name: '3a module project nested in the image project: its default.nix',
    edits: both(
      (i) => `examples/${i}/modules/extra/default.nix`,
      (old) => old.replace('}\n', '  environment.etc."extra-more".text = "more";\n}\n'),
    ),
    affected: [...IMAGES],
    changes: [...IMAGES],
  },
  {
    name: '3b module project nested in the image project: a data file it reads',
    edits: both((i) => `examples/${i}/modules/extra/data.txt`, (old) => old.replace('v1', 'v2')),
    affected: [...IMAGES],
    changes: [...IMAGES],
  },
  {
    name: '4 flake self: "${self}/keys/alice.pub" (flake only)',
    edits: { 'keys/alice.pub': (old) => old.replace('alice1', 'alice2') },
    affected: ['iso-flake'],
    changes: ['iso-flake'],
  },
  {
    name: '5a computed path that climbs: ./. + "/../../keys/dave.pub"',
    edits: { 'keys/dave.pub': (old) => old.replace('dave1', 'dave2') },
    affected: [...IMAGES],
    changes: [...IMAGES],
  },
  {
    name: '5b computed path that climbs: let repo = ./. + "/../.."; repo + "/keys/erin.pub"',
    edits: { 'keys/erin.pub': (old) => old.replace('erin1', 'erin2') },
    affected: [...IMAGES],
    changes: [...IMAGES],
  },
  {
    name: '6 home path ~/nixiso-home.pub in keyFiles (channel; outside git)',
    run: ({ outside }) => editFile(join(outside.home, 'nixiso-home.pub'), (old) => old.replace('home1', 'home2')),
    affected: [],
    changes: ['iso-channel'],
  },
  {
    name: '7 search-path lookup <mymods/extra.nix> with NIX_PATH mymods=<tempdir> (channel; outside git)',
    run: ({ outside }) => editFile(join(outside.mymods, 'extra.nix'), (old) => old.replace('mymods v1', 'mymods v2')),
    changes: ['iso-channel'],
  },
  {
    name: '8 git-ignored examples/iso-channel/local.nix, imported (channel)',
    edits: { 'examples/iso-channel/local.nix': (old) => old.replace('local v1', 'local v2') },
    changes: ['iso-channel'],
  },
  {
    name: '9a /. + builtins.getEnv "NIXISO_EXTRA_MODULE": edit the file it names (channel; outside the workspace)',
    run: ({ outside }) => editFile(outside.extraA, (old) => old.replace('extra A v1', 'extra A v2')),
    changes: ['iso-channel'],
  },
  {
    name: '9b /. + builtins.getEnv "NIXISO_EXTRA_MODULE": point the variable at another file (channel)',
    run: ({ outside, env }) => {
      env.NIXISO_EXTRA_MODULE = outside.extraB;
    },
    changes: ['iso-channel'],
  },
  {
    name: '10a channel image reads keys/frank.pub through let root = ../.. (the static model sees the whole root)',
    edits: {
      // The file name reaches `root +` only as a function argument: a static
      // reading sees `root + file`, i.e. the whole repository root (../..).
      'examples/iso-channel/configuration.nix': (old) =>
        old.replace(
          '  # Any other option',
          '  environment.etc."frank".text = let root = ../..; readIn = file: builtins.readFile (root + file); in readIn "/keys/frank.pub";\n\n  # Any other option',
        ),
    },
    affected: ['iso-channel'],
    changes: ['iso-channel'],
  },
  {
    // The build in 10a recorded what Nix read, so the graph narrows the root to it from now on: not affected. Its
    // hash still changes once (the inputs the build ran with were the whole root), so one rebuild is measured here.
    name: `10b over-invalidation, first edit after the record: edit docs/NOTES.md, which no image reads (${narrow ? 'asserted' : 'measured'}: not affected)`,
    edits: { 'docs/NOTES.md': () => 'edited notes\n' },
    affected: narrow ? [] : undefined,
    changes: [],
  },
  {
    name: `10c over-invalidation, any later edit: edit docs/NOTES.md again (${narrow ? 'asserted' : 'measured'}: not rebuilt, not affected)`,
    edits: { 'docs/NOTES.md': () => 'edited notes again\n' },
    affected: narrow ? [] : undefined,
    changes: [],
    notRebuilt: narrow ? [...IMAGES] : undefined,
  },
];

interface Outcome {
  step: string;
  image: Image;
  affected: boolean;
  rebuilt: boolean;
  derivationChanged: boolean;
  stale: boolean;
}

describeWithNix('stale classes: reads a static model gets wrong, against raw Nix (differential)', (nix: NixTools) => {
  let ctx: Context;
  const outcomes: Outcome[] = [];
  /** What raw Nix evaluated each image to after the last build. */
  const lastRaw = {} as Record<Image, string>;
  /**
   * Every builtAt each image's manifest has had: a build that ends with one of
   * them was restored from the Nx cache (possibly an older entry), a new one
   * was built.
   */
  const seenBuilds = Object.fromEntries(IMAGES.map((image) => [image, new Set<string>()])) as Record<Image, Set<string>>;
  const remember = (image: Image) => seenBuilds[image].add(manifest(image).builtAt);

  const manifest = (image: Image): { drvPath: string; builtAt: string } => JSON.parse(ctx.ws.read(`dist/examples/${image}/manifest.json`));
  const nxEnv = (): NodeJS.ProcessEnv => ({ ...ctx.env });

  /** The derivation Nix evaluates the image to now, asked directly, with the same environment and lookup path as the nx runs. */
  const rawDerivation = (image: Image): string => rawDerivationOf(ctx.ws, nix, image, { ...ctx.env });

  function build(images: readonly Image[], ...extra: string[]): void {
    const r = ctx.ws.nx(['run-many', '-t', 'build', '-c', 'offline', '-p', ...images, '--parallel=1', ...extra], nxEnv());
    if (r.status !== 0) throw new Error(`build failed:\n${r.output}`);
  }
  const buildBoth = () => build(IMAGES);

  /**
   * Rebuilds stale images without the Nx cache, so that the next step starts
   * from images that are what Nix evaluates: each step then tells about its
   * own class, not about a stale image left by an earlier one.
   */
  function rebuildFresh(images: Image[]): void {
    build(images, '--skip-nx-cache');
    for (const image of images) {
      remember(image);
      if (manifest(image).drvPath !== lastRaw[image]) throw new Error(`${image}: still not what Nix evaluates after a build without the Nx cache`);
    }
  }

  const affectedImages = (): Image[] => affectedOf(ctx.ws, IMAGES, nxEnv());

  beforeAll(() => {
    const home = tempDir('nixiso-home-');
    const mymods = tempDir('nixiso-mymods-');
    const extraDir = tempDir('nixiso-outside-');
    const outside: Outside = { home, mymods, extraA: join(extraDir, 'extra-a.nix'), extraB: join(extraDir, 'extra-b.nix') };
    writeFileSync(join(home, 'nixiso-home.pub'), 'ssh-ed25519 AAAAhome1 home');
    writeFileSync(join(mymods, 'extra.nix'), '{ ... }: {\n  environment.etc."mymods".text = "mymods v1";\n}\n');
    writeFileSync(outside.extraA, '{ ... }: {\n  environment.etc."extra-module".text = "extra A v1";\n}\n');
    writeFileSync(outside.extraB, '{ ... }: {\n  environment.etc."extra-module".text = "extra B v1";\n}\n');
    const env: Env = { HOME: home, NIX_PATH: `mymods=${mymods}`, NIXISO_EXTRA_MODULE: outside.extraA };

    const ws = createTestWorkspace({ examples: [...IMAGES], files: { ...SHARED_FILES } });
    ctx = { ws, outside, env };
    ws.write('.gitignore', `${ws.read('.gitignore')}examples/iso-channel/local.nix\n`);
    for (const image of IMAGES) {
      for (const [path, content] of Object.entries(imageFiles(image))) ws.write(path, content);
      for (const [path, target] of Object.entries(imageSymlinks(image))) {
        mkdirSync(dirname(join(ws.root, path)), { recursive: true });
        symlinkSync(target, join(ws.root, path));
      }
      const config = `examples/${image}/configuration.nix`;
      ws.write(config, configuration(image, ws.read(config)));
    }
    ws.write('examples/iso-flake/flake.nix', flakeWithSelf(ws.read('examples/iso-flake/flake.nix')));
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'images read one file of each stale class');
    buildBoth();
    for (const image of IMAGES) {
      lastRaw[image] = rawDerivation(image);
      remember(image);
    }
  });

  it('the fixture builds, is what raw Nix evaluates, and hides local.nix from git', () => {
    for (const image of IMAGES) expect({ image, drvPath: manifest(image).drvPath }).toEqual({ image, drvPath: lastRaw[image] });
    expect(ctx.ws.git('ls-files', 'examples/iso-channel/local.nix').trim()).toBe('');
    expect(ctx.ws.git('ls-files', '-s', 'examples/iso-flake/keys/carol.pub', 'examples/iso-flake/shared')).toMatch(/^120000 .*\n120000 /);
  });

  it.each(STEPS.map((step) => [step.name, step] as const))('%s', (_name, step) => {
    const { ws } = ctx;
    step.run?.(ctx);
    for (const [path, edit] of Object.entries(step.edits ?? {})) {
      let old = '';
      try {
        old = ws.read(path);
      } catch {
        // a new file
      }
      ws.write(path, typeof edit === 'string' ? edit : edit(old));
    }
    ws.git('add', '-A');
    ws.git('commit', '-q', '--allow-empty', '-m', step.name);
    const affected = affectedImages();
    buildBoth();
    const stale: Image[] = [];
    const changed: Image[] = [];
    const rebuilt: Image[] = [];
    for (const image of IMAGES) {
      const after = manifest(image);
      const now = rawDerivation(image);
      const outcome: Outcome = {
        step: step.name,
        image,
        affected: affected.includes(image),
        rebuilt: !seenBuilds[image].has(after.builtAt),
        derivationChanged: now !== lastRaw[image],
        stale: after.drvPath !== now,
      };
      outcomes.push(outcome);
      lastRaw[image] = now;
      remember(image);
      if (outcome.stale) stale.push(image);
      if (outcome.derivationChanged) changed.push(image);
      if (outcome.rebuilt) rebuilt.push(image);
    }
    if (stale.length) rebuildFresh(stale);
    // The fixture first: raw Nix must really read what the step edits, or the step proves nothing.
    expect({ derivationChanged: changed }).toEqual({ derivationChanged: [...step.changes].sort() });
    expect({
      stale,
      ...(step.affected ? { affected } : {}),
      ...(step.notRebuilt ? { rebuiltOfNotRebuilt: rebuilt.filter((i) => step.notRebuilt?.includes(i)) } : {}),
    }).toEqual({
      stale: [],
      ...(step.affected ? { affected: [...step.affected].sort() } : {}),
      ...(step.notRebuilt ? { rebuiltOfNotRebuilt: [] } : {}),
    });
  });

  afterAll(() => {
    if (!outcomes.length) return;
    const yes = (b: boolean) => (b ? 'yes' : 'no');
    const rows = outcomes.map(
      (o) =>
        `| ${o.step} | ${o.image} | ${yes(o.derivationChanged)} | ${yes(o.affected)} | ${yes(o.rebuilt)} | ${o.stale ? 'STALE' : o.rebuilt && !o.derivationChanged ? 'same-derivation rebuild' : 'ok'} |`,
    );
    const stale = outcomes.filter((o) => o.stale).length;
    const needless = outcomes.filter((o) => o.rebuilt && !o.derivationChanged).length;
    console.log(
      [
        '| step | image | derivation changed | affected | rebuilt | result |',
        '|---|---|---|---|---|---|',
        ...rows,
        '',
        `${outcomes.length} image builds after a change: ${stale} stale builds, ${needless} same-derivation rebuilds` +
          ` (traced reads ${straceAvailable ? 'available' : 'unavailable: no strace'}; over-invalidation ${narrow ? 'asserted' : 'measured only'})`,
      ].join('\n'),
    );
  });
});
