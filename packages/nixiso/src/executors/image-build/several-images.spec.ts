/**
 * A flake with several image configurations and a host beside them, through
 * the real Nx CLI with real Nix: one target set per image configuration,
 * each building into its own directory, cached on its own, and found there
 * by the push and boot-test of the same configuration.
 */
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, describeWithQemu, tempDir, type TestWorkspace } from '@nixiso/testing';

const DIST = 'dist/examples/iso-flake';
const FLAKE = `{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    # The desktop this repository also holds: a host, not an image (nixosConfigurations.liveImage below is one).
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };
    nixosConfigurations.rescue = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ./rescue.nix ]; };
  };
}
`;

interface Manifest {
  storePath: string;
  outLink: string;
  imagePath: string;
}

describeWithNix('a flake with several image configurations', () => {
  let ws: TestWorkspace;
  let marker: string;
  const manifest = (configuration: string): Manifest => JSON.parse(ws.read(`${DIST}/${configuration}/manifest.json`));
  /** Whether Nx took the task from its cache in this output. */
  const hit = (output: string, task: string) =>
    new RegExp(`> nx run ${task.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\[(local cache|existing outputs match the cache, left as is)\\]`).test(output);

  beforeAll(() => {
    // A name of its own, so that no other workspace's image is this one.
    marker = `multi-${process.pid}-${Date.now()}`;
    ws = createTestWorkspace({
      examples: ['iso-flake'],
      files: {
        'examples/iso-flake/flake.nix': FLAKE,
        'examples/iso-flake/desk.nix': '{ ... }: { networking.hostName = "desk"; }\n',
        'examples/iso-flake/rescue.nix': `{ ... }: { networking.hostName = "${marker}"; }\n`,
      },
    });
  });

  it('nx show project lists one target set per image configuration, grouped, and none for the host', () => {
    const shown = ws.nx(['show', 'project', 'iso-flake', '--json']);
    expect(shown.status).toBe(0);
    const project = JSON.parse(shown.output.slice(shown.output.indexOf('{')));
    expect(project.metadata.targetGroups).toEqual({
      'liveImage image': ['build--liveImage', 'eval--liveImage', 'push--liveImage', 'boot-test--liveImage', 'diff--liveImage'],
      'rescue image': ['build--rescue', 'eval--rescue', 'push--rescue', 'boot-test--rescue', 'diff--rescue'],
    });
    expect(Object.keys(project.targets).filter((t) => t.includes('desk'))).toEqual([]);
    expect(project.targets['build--rescue'].options).toEqual({ configurationName: 'rescue', outputPath: `${DIST}/rescue` });
    expect(project.targets['build--rescue'].outputs).toEqual([
      '{options.outputPath}/manifest.json',
      '{options.outputPath}/image.json',
      '{options.outputPath}/reads.json',
      '{options.outputPath}/result',
      '{options.outLink}',
    ]);
  });

  it('build builds every image, each into its own directory; a second run takes each from the cache', () => {
    const built = ws.nx(['run', 'iso-flake:build:offline']);
    expect(built.status).toBe(0);
    const live = manifest('liveImage');
    const rescue = manifest('rescue');
    expect(live.outLink).toBe(`${DIST}/liveImage/result`);
    expect(rescue.outLink).toBe(`${DIST}/rescue/result`);
    expect(rescue.storePath).not.toBe(live.storePath);
    for (const m of [live, rescue]) expect(existsSync(join(ws.root, m.imagePath))).toBe(true);
    expect(existsSync(join(ws.root, DIST, 'manifest.json'))).toBe(false);

    const again = ws.nx(['run', 'iso-flake:build:offline']);
    expect(again.status).toBe(0);
    expect(hit(again.output, 'iso-flake:build--liveImage:offline')).toBe(true);
    expect(hit(again.output, 'iso-flake:build--rescue:offline')).toBe(true);
  });

  it('a cache hit of one configuration whose image link is gone gets it back in its own directory', () => {
    const rescue = manifest('rescue');
    const link = join(ws.root, rescue.outLink);
    rmSync(link);
    const r = ws.nx(['run', 'iso-flake:build--rescue:offline']);
    expect(r.status).toBe(0);
    expect(hit(r.output, 'iso-flake:build--rescue:offline')).toBe(true);
    expect(readlinkSync(link)).toBe(rescue.storePath);
  });

  it('push of one configuration copies that configuration’s image', () => {
    const cache = tempDir('nixiso-several-cache-');
    const r = ws.nx(['run', 'iso-flake:push--rescue:offline'], { NIXISO_BINARY_CACHE_URL: `file://${cache}` });
    expect(r.status).toBe(0);
    const { storePath } = manifest('rescue');
    expect(r.output).toContain(`nixiso: pushed ${storePath} to file://${cache}`);
    const hash = storePath.slice('/nix/store/'.length, '/nix/store/'.length + 32);
    expect(readFileSync(join(cache, `${hash}.narinfo`), 'utf8')).toContain(`StorePath: ${storePath}`);
  });

  describeWithQemu('with QEMU', () => {
    it('boot-test of one configuration boots its image and writes its report beside its manifest', () => {
      const r = ws.nx(['run', 'iso-flake:boot-test--rescue:offline']);
      expect(r.status).toBe(0);
      const report = JSON.parse(ws.read(`${DIST}/rescue/boot-test.json`));
      expect(report).toMatchObject({ result: 'passed', storePath: manifest('rescue').storePath });
      expect(existsSync(join(ws.root, DIST, 'liveImage/boot-test.json'))).toBe(false);
    });
  });
});
