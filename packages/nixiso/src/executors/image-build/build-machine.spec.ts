/**
 * The cross-architecture check against the real `nix show-config` of this
 * machine: an image for another system warns unless a builder or
 * extra-platforms covers it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, tempDir } from '@nixiso/testing';
import { findFormat } from '../../nix/building/formats';
import { nodeSystem } from '../../nix/building/platforms';
import type { ImageTarget } from '../image-request';
import { manifestScope } from '../../built-image/manifest';
import { imageOutputsIn } from '../../built-image/outputs';
import { buildMachineWarning } from './build-machine';

function imageFor(hostPlatform: string, request: Partial<ImageTarget['request']> = {}): ImageTarget {
  const workspaceRoot = tempDir('nixiso-machine-');
  const absRoot = join(workspaceRoot, 'images/pi');
  mkdirSync(absRoot, { recursive: true });
  writeFileSync(join(absRoot, 'configuration.nix'), `{ ... }: {\n  nixpkgs.hostPlatform = "${hostPlatform}";\n}\n`);
  return {
    projectName: 'pi',
    projectRoot: 'images/pi',
    workspaceRoot,
    absRoot,
    flake: false,
    lockFile: 'warn',
    lockCommand: 'nx run pi:lock',
    outputs: imageOutputsIn(join(workspaceRoot, 'dist/images/pi')),
    scope: manifestScope(workspaceRoot, 'images/pi'),
    budgets: {},
    request: {
      backend: 'nix',
      source: { kind: 'channel', configurationFile: join(absRoot, 'configuration.nix') },
      format: findFormat('iso')!,
      outLink: join(workspaceRoot, 'dist/images/pi/result'),
      nixPath: [],
      nixOptions: {},
      overrideInputs: {},
      extraArgs: [],
      showTrace: false,
      printBuildLogs: false,
      ...request,
    },
  };
}

// A system no test machine builds natively and no default nix.conf lists.
const FOREIGN = nodeSystem() === 'riscv64-linux' ? 'aarch64-linux' : 'riscv64-linux';

describeWithNix('build machine check', () => {
  it('says nothing for an image of this machine', async () => {
    expect(await buildMachineWarning(imageFor(nodeSystem() as string))).toBeUndefined();
  });

  it('warns, naming configuration.nix, when nothing here can build the image', async () => {
    expect(await buildMachineWarning(imageFor(FOREIGN))).toMatch(
      new RegExp(`^the image is for ${FOREIGN} \\(nixpkgs.hostPlatform in images/pi/configuration.nix\\) but this machine is ${nodeSystem()}`),
    );
  });

  it('takes option "system" over configuration.nix, and trusts builders and extraPlatforms', async () => {
    expect(await buildMachineWarning(imageFor(nodeSystem() as string, { system: FOREIGN }))).toMatch(/\(option "system"\)/);
    expect(await buildMachineWarning(imageFor(FOREIGN, { builders: [`ssh-ng://nix@builder ${FOREIGN}`] }))).toBeUndefined();
    expect(await buildMachineWarning(imageFor(FOREIGN, { extraPlatforms: [FOREIGN] }))).toBeUndefined();
  });
});
