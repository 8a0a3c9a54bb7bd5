/**
 * Adding a backend, shown rather than claimed. To add one:
 *
 *   1. Write src/backends/<id>.backend.ts exporting `backend`, a Backend
 *      (types.ts says what each field means): its id and one-line
 *      description, its place in lists, its command line (built from the
 *      pieces of nix/building/command.ts), the tools it runs, what it does to
 *      the out-link, and, where they apply, the releases and formats it
 *      builds, how it explains a failure, a deprecation note. index.ts finds
 *      the module by its file name; no list names it.
 *   2. Write <id>.backend.spec.ts beside it, pinning the command line.
 *   3. Run `node -r @swc-node/register tools/scripts/sync-schemas.ts`: the
 *      schemas' backend enum and description are written from the registry
 *      (schemas.spec.ts fails until they are).
 *
 * This spec does step 1 on a copy of src/: it copies src/ into the
 * workspace's tmp/ (inside the workspace, so that node_modules resolves; not
 * inside packages/nixiso, which test workspaces copy), adds one file, backends/throwaway.backend.ts, and nothing else, then loads
 * the copy and finds the new backend in the build executor's request and
 * command line, in doctor's report, in the image generator's options and in
 * the schemas step 3 writes. The real src/ does not know it.
 */
import type { ExecutorContext } from '@nx/devkit';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools/scripts belongs to no project; the schemas are written by its code
import { schemaSync } from '../../../../tools/scripts/sync-schemas';
import { logger } from '../nx/runtime';

const SRC = resolve(__dirname, '..');

const THROWAWAY_MODULE = `
import { commonTail } from '../nix/building/command';
import type { Backend } from './types';

export const backend: Backend = {
  id: 'throwaway',
  description: 'throwaway-build, a stand-in',
  order: 4,
  configurationOnly: true,
  requirements: () => [{ anyOf: ['throwaway-build'], missing: 'throwaway-build is not on PATH', fix: 'install throwaway-build' }],
  command: (req) => ({ command: 'throwaway-build', args: ['--variant', req.format.variant ?? req.format.id, '-o', req.outLink, ...commonTail(req)] }),
  outLink: 'relink',
};
`;

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

let scratch: string;
let copy: string;
let workspace: string;
let toolDir: string;

beforeAll(() => {
  const tmp = resolve(SRC, '../../../tmp');
  mkdirSync(tmp, { recursive: true });
  scratch = mkdtempSync(join(tmp, 'throwaway-backend-'));
  copy = join(scratch, 'src');
  // What loads at run time; specs, generator templates and recorded logs are not needed.
  cpSync(SRC, copy, { recursive: true, filter: (path) => !/\.spec\.ts$/.test(path) && !['files', '__fixtures__'].includes(basename(path)) });
  writeFileSync(join(copy, 'backends/throwaway.backend.ts'), THROWAWAY_MODULE);

  workspace = join(scratch, 'workspace');
  mkdirSync(join(workspace, 'images/a'), { recursive: true });
  writeFileSync(join(workspace, 'images/a/configuration.nix'), '{ ... }: { }\n');
  toolDir = join(scratch, 'bin');
  mkdirSync(toolDir);
  writeFileSync(join(toolDir, 'throwaway-build'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(toolDir, 'throwaway-build'), 0o755);
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A module of the copy (or of src/), as the plugin would load it. */
function load<T>(root: string, path: string): T {
  return require(join(root, path)) as T;
}

function context(root: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'a',
    targetName: 'build',
    projectsConfigurations: {
      version: 2,
      projects: { a: { root: 'images/a', targets: { build: { executor: '@nixiso/nx:build', options: { backend: 'throwaway' } } } } },
    },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

describe('a throwaway backend added as one module', () => {
  it('changes no file but the one added', () => {
    const copied = filesUnder(copy);
    expect(copied.filter((file) => !filesUnder(SRC).includes(file))).toEqual(['backends/throwaway.backend.ts']);
    const changed = copied.filter((file) => file !== 'backends/throwaway.backend.ts' && !readFileSync(join(copy, file)).equals(readFileSync(join(SRC, file))));
    expect(changed).toEqual([]);
  });

  it('is a backend of the registry, last in its lists', () => {
    const { BACKEND_IDS } = load<typeof import('./index')>(copy, 'backends');
    expect(BACKEND_IDS).toEqual(['nix', 'nixos-generators', 'build-image', 'throwaway']);
    expect(load<typeof import('./index')>(SRC, 'backends').BACKEND_IDS).not.toContain('throwaway');
  });

  it('the build executor resolves a request for it, runs its command line and checks its tools', async () => {
    const { resolveImageTarget, requireBackendTools } = load<typeof import('../executors/image-request')>(copy, 'executors/image-request');
    const { buildCommand } = load<typeof import('./index')>(copy, 'backends');
    const { commandLine } = load<typeof import('../nix/building/command')>(copy, 'nix/building/command');
    const target = await resolveImageTarget({ backend: 'throwaway', format: 'qcow2', system: 'aarch64-linux' }, context(workspace));
    expect(target.request).toMatchObject({ backend: 'throwaway', format: { id: 'qcow2' } });
    expect(commandLine(buildCommand(target.request))).toBe(
      `throwaway-build --variant qemu -o ${join(workspace, 'dist/images/a/result')} --system aarch64-linux`,
    );

    const path = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      expect(() => requireBackendTools(target.request)).toThrow('throwaway-build is not on PATH; install throwaway-build');
      process.env.PATH = toolDir;
      expect(() => requireBackendTools(target.request)).not.toThrow();
    } finally {
      process.env.PATH = path;
    }

    // Refused like any backend that builds configurations only; the real src/ knows no such backend.
    const expression = { ...target.request, source: { kind: 'expression' as const, file: '/ws/make-iso.nix' } };
    expect(() => buildCommand(expression)).toThrow(/backend "throwaway" builds a NixOS configuration/);
    const real = load<typeof import('../executors/image-request')>(SRC, 'executors/image-request');
    await expect(real.resolveImageTarget({ backend: 'throwaway' }, context(workspace))).rejects.toThrow(/unknown backend "throwaway"/);
  });

  it('doctor checks the tools it declares', async () => {
    const doctorExecutor = load<typeof import('../executors/doctor/doctor.impl')>(copy, 'executors/doctor/doctor.impl').default;
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const path = process.env.PATH;
    try {
      await doctorExecutor({ substituterTimeoutMs: 0 }, context(workspace));
      process.env.PATH = `${toolDir}:${path}`;
      await doctorExecutor({ substituterTimeoutMs: 0 }, context(workspace));
    } finally {
      process.env.PATH = path;
      jest.restoreAllMocks();
    }
    const [without, found] = info.mock.calls.map((call) => String(call[0]));
    expect(without).toMatch(/^nixiso doctor: a \(images\/a: channel image, iso, backend throwaway\)/);
    expect(without).toMatch(/\n {2}fail {2}backend tools +throwaway: throwaway-build is not on PATH\n +→ install throwaway-build/);
    expect(found).toMatch(new RegExp(`\\n {2}ok {4}backend tools +throwaway: ${join(toolDir, 'throwaway-build')}\\n`));
  });

  it('the image generator takes it', () => {
    const { normalizeImageOptions } = load<typeof import('../generators/image/normalize-options')>(copy, 'generators/image/normalize-options');
    expect(normalizeImageOptions({ directory: 'images/b', backend: 'throwaway' }, { workspaceRoot: workspace }).backend).toBe('throwaway');
  });

  it('the schemas list it once tools/scripts/sync-schemas.ts has run', () => {
    const { BACKENDS } = load<typeof import('./index')>(copy, 'backends');
    for (const { file, synced } of schemaSync(copy, BACKENDS)) writeFileSync(file, synced);
    const backend = (schema: string) =>
      (JSON.parse(readFileSync(join(copy, schema), 'utf8')) as { properties: { backend: { enum?: string[]; description: string } } }).properties.backend;
    expect(backend('executors/image-build/schema.json').enum).toEqual(['nix', 'nixos-generators', 'build-image', 'throwaway']);
    expect(backend('executors/doctor/schema.json').enum).toContain('throwaway');
    expect(backend('generators/image/schema.json').description).toContain('throwaway: throwaway-build, a stand-in');
  });
});
