import type { ExecutorContext } from '@nx/devkit';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@nixiso/testing';
import { fingerprintCommand } from '../../nix/inputs/fingerprint';
import { assertRuntimeInputsReadable } from './runtime-input';

function contextWith(root: string, inputs: unknown[]): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'img',
    targetName: 'build',
    projectsConfigurations: { version: 2, projects: { img: { root: 'img', targets: { build: { inputs } } } } },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

describe('assertRuntimeInputsReadable', () => {
  it('passes when the fingerprint reads every path, and fails naming the path it cannot, before anything is built', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'key.pub'), 'k');
    const readable = fingerprintCommand({ lookups: [], paths: [join(root, 'key.pub')], home: [], ignored: [] });
    await expect(assertRuntimeInputsReadable(contextWith(root, ['{projectRoot}/**/*', { runtime: readable }]))).resolves.toBeUndefined();
    const refused = fingerprintCommand({ lookups: [], paths: ['/proc'], home: [], ignored: [] });
    await expect(assertRuntimeInputsReadable(contextWith(root, [{ runtime: readable }, { runtime: refused }]))).rejects.toThrow(
      /^the fingerprint of what Nx cannot hash as workspace files failed: .*\/proc.*nothing was built$/,
    );
  });

  it('leaves runtime inputs that are not its own to Nx', async () => {
    await expect(assertRuntimeInputsReadable(contextWith(tempDir(), [{ runtime: 'exit 3' }]))).resolves.toBeUndefined();
  });
});
