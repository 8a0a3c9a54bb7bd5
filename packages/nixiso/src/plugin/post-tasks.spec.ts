/**
 * The task hook with real Nix: store paths made with `nix-store --add`
 * (offline, one of their own per test so no other GC root keeps them alive)
 * stand in for images, and Nix itself says what is a GC root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, type NixTools, pathWithoutNix, tempDir, workspaceRoot } from '@nixiso/testing';
import { indirectRootPath } from '../nix/store/gc-root';
import { postTasksExecution, uncoveredHitWarning } from './post-tasks';

describe('uncoveredHitWarning', () => {
  it('warns about a hit whose build read what its inputs did not cover, naming the reads and the command that rebuilds', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'reads.json'), JSON.stringify({ uncovered: ['keys/x.pub'] }));
    expect(uncoveredHitWarning('live:build:offline', join(dir, 'reads.json'))).toBe(
      'nixiso: warning: live:build:offline came from a cache entry whose build read keys/x.pub, which its inputs did not cover; ' +
        'if that changed since, the image is stale: run `nx run live:build:offline --skip-nx-cache` (the inputs cover it now)',
    );
    writeFileSync(join(dir, 'reads.json'), JSON.stringify({ uncovered: [] }));
    expect(uncoveredHitWarning('live:build', join(dir, 'reads.json'))).toBeUndefined();
    expect(uncoveredHitWarning('live:build', join(dir, 'none.json'))).toBeUndefined();
  });
});

const created: string[] = [];

/** A store path of its own: a directory added with nix-store --add. */
function addToStore(nix: NixTools, root: string): string {
  const dir = join(root, 'image');
  mkdirSync(join(dir, 'iso'), { recursive: true });
  writeFileSync(join(dir, 'iso/x.iso'), `${root} ${process.hrtime.bigint()}\n`);
  return execFileSync(nix.nixStore, ['--add', dir], { env: nix.env, encoding: 'utf8' }).trim();
}

/** Roots Nix knows that keep `storePath` alive (`nix-store --query --roots`), as `<root> -> <path>` lines. */
function rootsOf(nix: NixTools, storePath: string): string[] {
  return execFileSync(nix.nixStore, ['--query', '--roots', storePath], { env: nix.env, encoding: 'utf8' }).split('\n').filter(Boolean);
}

/**
 * A workspace whose build output directory (dist/<root>, or one below it for
 * one configuration of several) holds a build manifest for a fresh store
 * path, its out-link as Nx restores it: a plain symlink, or none.
 */
function workspaceWithHit(nix: NixTools, linked: boolean, dir = 'dist/images/rescue') {
  const root = tempDir('nixiso-post-tasks-');
  created.push(root);
  const storePath = addToStore(nix, root);
  mkdirSync(join(root, dir), { recursive: true });
  const outLink = `${dir}/result`;
  if (linked) symlinkSync(storePath, join(root, outLink));
  const manifest = { project: 'rescue', storePath, outLink, imagePath: `${outLink}/iso/x.iso`, sha256: 'a'.repeat(64) };
  writeFileSync(join(root, dir, 'manifest.json'), JSON.stringify(manifest));
  return { root, storePath, outLink, manifest };
}

/** The hook's context for one task; its outputs as Nx resolves the inferred build's. */
const context = (root: string, status: string, target = 'build', dir = 'dist/images/rescue') =>
  ({
    workspaceRoot: root,
    nxJsonConfiguration: {},
    taskResults: {
      [`rescue:${target}`]: {
        status,
        task: {
          id: `rescue:${target}`,
          target: { project: 'rescue', target },
          projectRoot: 'images/rescue',
          outputs: [`${dir}/manifest.json`, `${dir}/image.json`, `${dir}/result`],
        },
      },
    },
  }) as unknown as Parameters<typeof postTasksExecution>[1];

describeWithNix('postTasksExecution', (nix) => {
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());

  it('links a cache hit whose image is in the store but whose out-link is missing, as a GC root', async () => {
    const { root, storePath, outLink } = workspaceWithHit(nix, false);
    await postTasksExecution({}, context(root, 'local-cache'));
    expect(readlinkSync(join(root, outLink))).toBe(storePath);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('nixiso: rescue: image relinked'));
    expect(rootsOf(nix, storePath)).toEqual([`${join(root, outLink)} -> ${storePath}`]);
  });

  it('restores the build of one image configuration of several from the manifest among its outputs', async () => {
    const dir = 'dist/images/rescue/installer';
    const { root, storePath, outLink } = workspaceWithHit(nix, false, dir);
    await postTasksExecution({}, context(root, 'remote-cache', 'build--installer', dir));
    expect(readlinkSync(join(root, outLink))).toBe(storePath);
    expect(rootsOf(nix, storePath)).toEqual([`${join(root, outLink)} -> ${storePath}`]);
  });

  it('registers the plain symlink Nx restored as a GC root, so that Nix will not delete the image', async () => {
    const { root, storePath, outLink } = workspaceWithHit(nix, true);
    expect(rootsOf(nix, storePath)).toEqual([]);
    await postTasksExecution({}, context(root, 'remote-cache'));
    expect(log).toHaveBeenCalledWith(`nixiso: rescue: out-link registered as a Nix GC root (${storePath})`);
    expect(readlinkSync(indirectRootPath(join(root, outLink)))).toBe(join(root, outLink));
    expect(rootsOf(nix, storePath)).toEqual([`${join(root, outLink)} -> ${storePath}`]);
    const deleted = spawnSync(nix.nixStore, ['--delete', storePath], { env: nix.env, encoding: 'utf8' });
    expect(deleted.status).not.toBe(0);
    expect(deleted.stderr).toMatch(/still alive/);
    expect(existsSync(storePath)).toBe(true);
  });

  it('keeps a hit whose image is present when nix-store cannot register the link, and warns that it is unprotected', async () => {
    const { root, storePath, outLink } = workspaceWithHit(nix, true);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const path = process.env.PATH;
    process.env.PATH = pathWithoutNix();
    try {
      await postTasksExecution({}, context(root, 'local-cache'));
    } finally {
      process.env.PATH = path;
    }
    expect(readlinkSync(join(root, outLink))).toBe(storePath);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/could not be registered as a Nix GC root \(nix-store is not on PATH\), so garbage collection may delete/),
    );
    warn.mockRestore();
    expect(rootsOf(nix, storePath)).toEqual([]);
  });

  it('leaves tasks that ran alone', async () => {
    const { root, outLink } = workspaceWithHit(nix, false);
    await postTasksExecution({}, context(root, 'success'));
    expect(() => readlinkSync(join(root, outLink))).toThrow(/ENOENT/);
  });

  it.each(['eval', 'lint'])('leaves cache hits of the %s target alone: only build hits restore images', async (target) => {
    const { root, outLink } = workspaceWithHit(nix, false);
    await postTasksExecution({}, context(root, 'local-cache', target));
    expect(() => readlinkSync(join(root, outLink))).toThrow(/ENOENT/);
    expect(log).not.toHaveBeenCalled();
  });

  it('reads the build target name from the plugin options (buildTargetName)', async () => {
    const { root, storePath, outLink } = workspaceWithHit(nix, false);
    await postTasksExecution({ buildTargetName: 'image' }, context(root, 'local-cache', 'build'));
    expect(() => readlinkSync(join(root, outLink))).toThrow(/ENOENT/);
    await postTasksExecution({ buildTargetName: 'image' }, context(root, 'local-cache', 'image'));
    expect(readlinkSync(join(root, outLink))).toBe(storePath);
  });

  it('names the manifest it cannot read', async () => {
    const { root } = workspaceWithHit(nix, true);
    writeFileSync(join(root, 'dist/images/rescue/manifest.json'), '{ "storePath": 1 }');
    await expect(postTasksExecution({}, context(root, 'remote-cache'))).rejects.toThrow(/manifest\.json has no "storePath"/);
  });

  it('reports a manifest that fails validation and follows none of it', async () => {
    const { root, storePath, manifest } = workspaceWithHit(nix, false);
    // What a hostile cache entry could hold: an out-link outside dist/ (deleted and relinked before validation).
    const sentinel = join(tempDir('nixiso-sentinel-'), 'keep');
    mkdirSync(sentinel);
    writeFileSync(join(sentinel, 'file'), 'still here\n');
    const hostile = { ...manifest, outLink: sentinel, imagePath: `${sentinel}/iso/x.iso` };
    writeFileSync(join(root, 'dist/images/rescue/manifest.json'), JSON.stringify(hostile));
    const hook = postTasksExecution({}, context(root, 'remote-cache'));
    await expect(hook).rejects.toThrow(/a cache hit did not yield its image/);
    await expect(hook).rejects.toThrow(
      new RegExp(`manifest\\.json was ignored \\(nothing deleted, linked or realised\\)[\\s\\S]*outLink "${sentinel}" resolves to ${sentinel}, outside dist/images/rescue`),
    );
    expect(existsSync(join(sentinel, 'file'))).toBe(true);
    expect(rootsOf(nix, storePath)).toEqual([]);

    writeFileSync(join(root, 'dist/images/rescue/manifest.json'), JSON.stringify({ ...manifest, storePath: '/etc' }));
    await expect(postTasksExecution({}, context(root, 'remote-cache'))).rejects.toThrow(/storePath "\/etc" is not in the Nix store \/nix\/store/);
    expect(existsSync(join(root, 'dist/images/rescue/result'))).toBe(false);
  });

  it('refuses to replace an out-link under a directory that is a symlink out of dist/', async () => {
    const { root, storePath, manifest } = workspaceWithHit(nix, false);
    const outside = tempDir('nixiso-outside-');
    mkdirSync(join(outside, 'result'));
    writeFileSync(join(outside, 'result/file'), 'still here\n');
    symlinkSync(outside, join(root, 'dist/images/rescue/sub'));
    const outLink = 'dist/images/rescue/sub/result';
    writeFileSync(join(root, 'dist/images/rescue/manifest.json'), JSON.stringify({ ...manifest, outLink, imagePath: `${outLink}/iso/x.iso` }));
    await expect(postTasksExecution({}, context(root, 'local-cache'))).rejects.toThrow(/refusing to replace .*sub\/result: .*sub is a symlink/);
    expect(existsSync(join(outside, 'result/file'))).toBe(true);
    expect(rootsOf(nix, storePath)).toEqual([]);
  });

  // Nx runs the hook after every run of the workspace (with the daemon, in a worker started for it).
  it('loads neither restore.ts nor execa when every hit is in place and a GC root', () => {
    const loadedAfterHook = (root: string): string[] => {
      const script = `
        console.log = () => {};
        const { postTasksExecution } = require(${JSON.stringify(join(__dirname, 'post-tasks.ts'))});
        postTasksExecution({}, ${JSON.stringify(context(root, 'local-cache'))}).then(() => {
          const loaded = Object.keys(require.cache).filter((f) => /built-image\\/restore|node_modules\\/execa\\//.test(f));
          process.stdout.write(JSON.stringify(loaded.map((f) => f.replace(/.*\\/(built-image|node_modules)\\//, '$1/'))));
        });`;
      return JSON.parse(execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: workspaceRoot, encoding: 'utf8', env: nix.env }));
    };
    const rooted = workspaceWithHit(nix, false);
    execFileSync(nix.nixStore, ['--add-root', join(rooted.root, rooted.outLink), '--realise', rooted.storePath], { env: nix.env });
    expect(loadedAfterHook(rooted.root)).toEqual([]);
    // The check sees them when the hook does need restore.ts: to register a link Nx restored, or to relink.
    const expected = expect.arrayContaining(['built-image/restore.ts', expect.stringMatching(/^node_modules\/execa\//)]);
    expect(loadedAfterHook(workspaceWithHit(nix, true).root)).toEqual(expected);
    expect(loadedAfterHook(workspaceWithHit(nix, false).root)).toEqual(expected);
  });

  afterAll(() => {
    // The temporary workspaces' links are roots now; dropping them lets the next GC take the test paths.
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
  });
});
