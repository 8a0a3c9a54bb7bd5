import { type ExecutorContext, logger } from '@nx/devkit';
import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createTestWorkspace, describeWithNix, tempDir } from '@nixiso/testing';
import { nodeSystem } from '../../nix/building/platforms';
import { enabledBinfmt } from './facts';
import doctorExecutor, { buildOptionsFor } from './doctor.impl';

function context(imageRoot: string, build: Record<string, unknown> = {}, configurationName?: string): ExecutorContext {
  return {
    root: dirname(imageRoot),
    cwd: dirname(imageRoot),
    isVerbose: false,
    projectName: 'rescue',
    configurationName,
    projectsConfigurations: {
      version: 2,
      projects: {
        rescue: {
          root: basename(imageRoot),
          targets: {
            build: {
              executor: '@nixiso/nx:build',
              options: { format: 'iso', nixOptions: { 'max-jobs': '4' }, ...build },
              configurations: { offline: { nixOptions: { substituters: '' } } },
            },
            doctor: { executor: '@nixiso/nx:doctor' },
          },
        },
      },
    },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

const created: string[] = [];
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function image(system: string): string {
  const dir = tempDir('nixiso-doctor-exec-');
  created.push(dir);
  writeFileSync(join(dir, 'configuration.nix'), `{ ... }: { nixpkgs.hostPlatform = "${system}"; }\n`);
  return dir;
}

describe('buildOptionsFor', () => {
  it('the build target’s options, its configuration (the doctor’s own by default), then the doctor’s options', () => {
    const ctx = context(image('x86_64-linux'), { system: 'aarch64-linux' }, 'offline');
    expect(buildOptionsFor({}, ctx)).toEqual({ format: 'iso', system: 'aarch64-linux', nixOptions: { substituters: '' } });
    expect(buildOptionsFor({ buildConfiguration: 'none' }, ctx).nixOptions).toEqual({ 'max-jobs': '4' });
    expect(buildOptionsFor({ system: 'x86_64-linux', format: 'qcow2' }, ctx)).toMatchObject({ system: 'x86_64-linux', format: 'qcow2' });
    expect(buildOptionsFor({ buildTarget: 'missing' }, ctx)).toEqual({});
  });
});

describeWithNix('doctor executor', () => {
  let info: jest.SpyInstance;
  let error: jest.SpyInstance;
  beforeEach(() => {
    info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());
  const printed = (spy: jest.SpyInstance) => spy.mock.calls.map((c) => String(c[0])).join('\n');

  it('succeeds with warnings only; fails on them with failOnWarn', async () => {
    const ctx = context(image(nodeSystem() ?? 'x86_64-linux'), {}, 'offline');
    expect(await doctorExecutor({ substituterTimeoutMs: 0 }, ctx)).toEqual({ success: true });
    expect(printed(info)).toMatch(/^nixiso doctor: rescue \(nixiso-doctor-exec-\w+: channel image, iso, backend nix\)\n {2}ok {4}Nix /);
    expect(printed(info)).toMatch(/warn {2}substituters {5}no substituters/);
    expect(error).not.toHaveBeenCalled();
    expect(await doctorExecutor({ substituterTimeoutMs: 0, failOnWarn: true }, ctx)).toEqual({ success: false });
    // Which checks warn depends on the host (KVM, binfmt); substituters always
    // does here, and the error names exactly the checks the report marked warn.
    const report = String(info.mock.calls[info.mock.calls.length - 1][0]);
    const warned = [...report.matchAll(/^ {2}warn {2}(.+?) {2,}/gm)].map((m) => m[1].trim());
    expect(warned).toContain('substituters');
    expect(printed(error)).toBe(
      `nixiso: doctor: ${warned.join(', ')} ${warned.length === 1 ? 'needs' : 'need'} fixing before rescue can be built here`,
    );
  });

  it('fails for an aarch64-linux image on x86_64 without binfmt, printing the fix', async () => {
    if (nodeSystem() !== 'x86_64-linux' || enabledBinfmt().length) return;
    const result = await doctorExecutor({ substituterTimeoutMs: 0 }, context(image('aarch64-linux'), {}, 'offline'));
    expect(result).toEqual({ success: false });
    expect(printed(info)).toMatch(/fail {2}host platform {4}the image is for aarch64-linux/);
    expect(printed(info)).toMatch(/→ a remote builder.*boot\.binfmt\.emulatedSystems/);
    expect(printed(error)).toMatch(/host platform needs fixing/);
  });
});

describeWithNix('doctor through the Nx CLI', () => {
  it('runs as a target of an image project and reads its build configuration', () => {
    const ws = createTestWorkspace({
      examples: ['iso-channel'],
      files: {
        'examples/iso-channel/project.json': JSON.stringify({
          name: 'iso-channel',
          sourceRoot: 'examples/iso-channel',
          projectType: 'application',
          targets: { doctor: { executor: '@nixiso/nx:doctor', cache: false } },
        }),
      },
    });
    const ok = ws.nx(['run', 'iso-channel:doctor', '--buildConfiguration=offline', '--substituterTimeoutMs=0']);
    expect(ok.output).toMatch(/nixiso doctor: iso-channel \(examples\/iso-channel: channel image, iso, backend nix\)/);
    expect(ok.output).toMatch(/warn {2}substituters {5}no substituters/);
    expect(ok.status).toBe(0);
    created.push(ws.root);
  });
});
