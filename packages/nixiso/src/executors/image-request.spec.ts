/** The executors' options resolved once: defaults, paths and the checks that need no Nix. */
import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree } from '@nixiso/testing';
import { NixisoError } from './executor-result';
import { locateBuiltImage, readBuiltImage, resolveImageTarget } from './image-request';

const created: string[] = [];
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A workspace with one image project at images/rescue; a flake unless `flake` is false. */
function workspace(flake = true): { root: string; context: ExecutorContext } {
  const root = tempTree(flake ? { 'images/rescue/flake.nix': '{ outputs = _: { }; }\n' } : { 'images/rescue/configuration.nix': '{ ... }: { }\n' });
  created.push(root);
  const context = {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'rescue',
    targetName: 'build',
    projectsConfigurations: { version: 2, projects: { rescue: { root: 'images/rescue', targets: { build: { executor: '@nixiso/nx:build' } } } } },
    nxJsonConfiguration: {},
  } as unknown as ExecutorContext;
  return { root, context };
}

describe('resolveImageTarget', () => {
  it('fills in the defaults and places every output under dist/<projectRoot>', async () => {
    const { root, context } = workspace();
    const target = await resolveImageTarget({}, context);
    expect(target.request).toMatchObject({ backend: 'nix', format: { id: 'iso' }, source: { kind: 'flake', configurationName: 'liveImage' } });
    expect(target.outputs).toEqual({
      dir: join(root, 'dist/images/rescue'),
      manifest: join(root, 'dist/images/rescue/manifest.json'),
      identity: join(root, 'dist/images/rescue/image.json'),
      readRecord: join(root, 'dist/images/rescue/reads.json'),
      defaultOutLink: join(root, 'dist/images/rescue/result'),
    });
    expect(target.request.outLink).toBe(join(root, 'dist/images/rescue/result'));
    expect(target.copyTo).toBeUndefined();
  });

  it('makes outputPath, outLink and copyTo absolute, relative to the workspace root', async () => {
    const { root, context } = workspace(false);
    const target = await resolveImageTarget({ outputPath: 'dist/images/rescue/live', outLink: 'dist/images/rescue/links/iso', copyTo: 'out/isos' }, context);
    expect(target.outputs.manifest).toBe(join(root, 'dist/images/rescue/live/manifest.json'));
    expect(target.request.outLink).toBe(join(root, 'dist/images/rescue/links/iso'));
    expect(target.copyTo).toBe(join(root, 'out/isos'));
  });

  it('refuses an outLink outside dist/<projectRoot> before anything runs, naming the option', async () => {
    const { context } = workspace();
    await expect(resolveImageTarget({ outLink: 'elsewhere/result' }, context)).rejects.toThrow(
      new NixisoError(
        `option "outLink" ("elsewhere/result") resolves to ${join(context.root, 'elsewhere/result')}, outside dist/images/rescue, the directory Nx caches and restores: ` +
          'Nx would neither cache nor restore the link, and nixiso acts only on out-links inside dist/images/rescue. ' +
          'Leave outLink unset (dist/images/rescue/result) or name a path inside dist/images/rescue',
      ),
    );
    await expect(resolveImageTarget({ outputPath: 'dist' }, context)).rejects.toThrow(/^option "outputPath" \("dist"\) is outside dist\/images\/rescue/);
  });
});

describe('the built image that push and boot-test use', () => {
  it('is where the build with the same outputPath recorded it', async () => {
    const { context } = workspace();
    const built = await resolveImageTarget({ outputPath: 'dist/images/rescue/live' }, context);
    const image = locateBuiltImage('dist/images/rescue/live', { ...context, targetName: 'push' }, 'push');
    expect(image.outputs).toEqual(built.outputs);
    expect(image.buildTask).toBe('rescue:build');
  });

  it('fails naming the build to run when its manifest is missing, and refuses one a build would not write', () => {
    const { context } = workspace();
    const image = locateBuiltImage(undefined, { ...context, targetName: 'push' }, 'push');
    expect(() => readBuiltImage(image, 'push', 'copies')).toThrow(
      `${image.outputs.manifest} does not exist: push copies the image the build recorded there; run \`nx run rescue:build\` first ` +
        '(push depends on the build, unless run with --exclude-task-dependencies)',
    );
    mkdirSync(image.outputs.dir, { recursive: true });
    writeFileSync(image.outputs.manifest, JSON.stringify({ storePath: '/etc', outLink: '../..', imagePath: 'x', sha256: 'a' }));
    expect(() => readBuiltImage(image, 'push', 'copies')).toThrow(NixisoError);
  });
});
