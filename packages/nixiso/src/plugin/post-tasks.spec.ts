import { execFileSync } from 'node:child_process';
import { mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, workspaceRoot } from '@nixiso/testing';
import { postTasksExecution } from './post-tasks';

/**
 * A workspace whose dist/<root> holds a build manifest for `storePath`
 * (any existing directory stands in for a store path: the hook only asks
 * whether it exists and whether the out-link points at it).
 */
function workspaceWithHit(linked: boolean) {
  const root = tempDir('nixiso-post-tasks-');
  const storePath = join(root, 'store/abc-nixos.iso');
  mkdirSync(storePath, { recursive: true });
  mkdirSync(join(root, 'dist/images/rescue'), { recursive: true });
  const outLink = 'dist/images/rescue/result';
  if (linked) symlinkSync(storePath, join(root, outLink));
  const manifest = { project: 'rescue', storePath, outLink, imagePath: `${outLink}/iso/x.iso`, sha256: 'a'.repeat(64) };
  writeFileSync(join(root, 'dist/images/rescue/manifest.json'), JSON.stringify(manifest));
  return { root, storePath, outLink };
}

const context = (root: string, status: string) =>
  ({
    workspaceRoot: root,
    nxJsonConfiguration: {},
    taskResults: { 'rescue:build': { status, task: { id: 'rescue:build', projectRoot: 'images/rescue' } } },
  }) as unknown as Parameters<typeof postTasksExecution>[1];

describe('postTasksExecution', () => {
  it('links a cache hit whose image is in the store but whose out-link is missing', async () => {
    const { root, storePath, outLink } = workspaceWithHit(false);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await postTasksExecution({}, context(root, 'local-cache'));
    expect(readlinkSync(join(root, outLink))).toBe(storePath);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('nixiso: rescue: image relinked'));
    log.mockRestore();
  });

  it('leaves tasks that ran alone', async () => {
    const { root, outLink } = workspaceWithHit(false);
    await postTasksExecution({}, context(root, 'success'));
    expect(() => readlinkSync(join(root, outLink))).toThrow(/ENOENT/);
  });

  it('names the manifest it cannot read', async () => {
    const { root } = workspaceWithHit(true);
    writeFileSync(join(root, 'dist/images/rescue/manifest.json'), '{ "storePath": 1 }');
    await expect(postTasksExecution({}, context(root, 'remote-cache'))).rejects.toThrow(/manifest\.json has no "storePath"/);
  });

  // Nx runs the hook after every run of the workspace (with the daemon, in a worker started for it).
  it('loads neither restore.ts nor execa when every hit is in place', () => {
    const loadedAfterHook = (linked: boolean): string[] => {
      const { root } = workspaceWithHit(linked);
      const script = `
        console.log = () => {};
        const { postTasksExecution } = require(${JSON.stringify(join(__dirname, 'post-tasks.ts'))});
        postTasksExecution({}, ${JSON.stringify(context(root, 'local-cache'))}).then(() => {
          const loaded = Object.keys(require.cache).filter((f) => /plugin\\/restore|node_modules\\/execa\\//.test(f));
          process.stdout.write(JSON.stringify(loaded.map((f) => f.replace(/.*\\/(plugin|node_modules)\\//, '$1/'))));
        });`;
      return JSON.parse(execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: workspaceRoot, encoding: 'utf8' }));
    };
    expect(loadedAfterHook(true)).toEqual([]);
    // The check sees them when the hook does need restore.ts (here, to relink).
    expect(loadedAfterHook(false)).toEqual(expect.arrayContaining(['plugin/restore.ts', expect.stringMatching(/^node_modules\/execa\//)]));
  });
});
