/**
 * What a build cache hit leaves behind, through the real Nx CLI with real
 * Nix: out-links that are GC roots whoever made them (Nix, nixiso's relink,
 * or Nx restoring its cache), and a cached manifest that is checked before
 * anything is deleted or linked, since a cache entry may come from anywhere.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, join, relative } from 'node:path';
import { createTestWorkspace, describeWithNix, tempDir, type TestWorkspace } from '@nixiso/testing';
import { staleCacheRoots } from '../../built-image/cache-root';
import { indirectRootPath } from '../../nix/store/gc-root';

interface Manifest {
  storePath: string;
  outLink: string;
  imagePath: string;
  backend: string;
}

const PROJECT_DIST = 'dist/examples/iso-channel';
const CACHE_HIT = /existing outputs match the cache|local cache/i;

describeWithNix('build cache hits: GC roots and cached manifests', (nix) => {
  let ws: TestWorkspace;
  /** The Nx cache in a known place: `<dir>/<task hash>/dist/<projectRoot>/…` (Nx 23 otherwise picks a per-user directory). */
  let cacheDir: string;
  let env: NodeJS.ProcessEnv;

  const nx = (...args: string[]) => ws.nx(args, env);
  const manifest = (): Manifest => JSON.parse(ws.read(`${PROJECT_DIST}/manifest.json`));
  /** The roots Nix knows for a store path (`<root> -> <path>`). */
  const rootsOf = (storePath: string) =>
    spawnSync(nix.nixStore, ['--query', '--roots', storePath], { env: nix.env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  /** Takes dist/ away and Nix's registration of the out-link with it, as a GC while dist/ was gone, or a fresh clone, would. */
  const forgetOutLink = (m: Manifest) => {
    rmSync(join(ws.root, PROJECT_DIST), { recursive: true, force: true });
    rmSync(indirectRootPath(join(ws.root, m.outLink)), { force: true });
    expect(rootsOf(m.storePath).filter((r) => r.startsWith(`${ws.root}/dist/`))).toEqual([]);
  };
  /** The plugin option restoreCacheHits in the workspace's nx.json. */
  const setRestoreCacheHits = (value: boolean) => {
    const nxJson = JSON.parse(ws.read('nx.json'));
    for (const entry of nxJson.plugins) if (entry.plugin === '@nixiso/nx') entry.options = { ...entry.options, restoreCacheHits: value };
    ws.write('nx.json', JSON.stringify(nxJson, null, 2));
  };

  beforeAll(() => {
    ws = createTestWorkspace({ examples: ['iso-channel'] });
    // An image of its own, so that no other workspace's GC root keeps it alive.
    const file = 'examples/iso-channel/configuration.nix';
    const marker = `roots-${basename(ws.root)}-${process.pid}`.replace(/[^A-Za-z0-9-]/g, '-');
    ws.write(file, ws.read(file).replace('environment.systemPackages', `networking.hostName = "${marker}";\n  environment.systemPackages`));
    // A nixos-generate that leaves no out-link, so that the executor's relink makes it.
    ws.write(
      'tools/nixos-generate-no-link',
      [
        '#!/usr/bin/env bash',
        'args=()',
        'while [[ $# -gt 0 ]]; do',
        '  if [[ $1 == -o || $1 == --out-link ]]; then shift 2; continue; fi',
        '  args+=("$1"); shift',
        'done',
        `exec ${join(ws.root, 'tools/nix-fixtures/nixos-generators/bin/nixos-generate')} "\${args[@]}"`,
        '',
      ].join('\n'),
    );
    chmodSync(join(ws.root, 'tools/nixos-generate-no-link'), 0o755);
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'an image of its own');
    cacheDir = join(ws.root, '.nx/cache');
    env = { NX_CACHE_DIRECTORY: cacheDir };
  });

  afterAll(() => {
    if (ws) rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
  });

  it('without a remote cache no hook runs: a local hit after dist/ is gone finds its image, kept alive by its cache entry', () => {
    const built = nx('run', 'iso-channel:build:offline');
    expect(built.status).toBe(0);
    const m = manifest();
    const link = join(ws.root, m.outLink);
    const entryRoot = join(cacheDir, 'nixiso-gcroots');
    const roots = rootsOf(m.storePath);
    expect(roots).toContain(`${link} -> ${m.storePath}`);
    const entryRoots = roots.filter((r) => r.startsWith(`${entryRoot}/`));
    expect(entryRoots).toHaveLength(1);
    // Named after the task hash, which names Nx's cache entry: pruning keeps the roots of entries Nx still has.
    const [name] = entryRoots[0].slice(entryRoot.length + 1).split(' -> ');
    expect(existsSync(join(cacheDir, name))).toBe(true);
    expect(staleCacheRoots(entryRoot, cacheDir, Date.now() + 2 * 86_400_000)).not.toContain(name);

    forgetOutLink(m);
    // What a garbage collection would do to it now: the cache entry's root keeps it.
    const deleted = spawnSync(nix.nixStore, ['--delete', m.storePath], { env: nix.env, encoding: 'utf8' });
    expect(deleted.stderr).toMatch(/still alive/);
    const hit = nx('run', 'iso-channel:build:offline');
    expect(hit.output).toMatch(CACHE_HIT);
    expect(hit.status).toBe(0);
    expect(hit.output).not.toMatch(/nixiso: iso-channel: (out-link|image)/);
    expect(readlinkSync(link)).toBe(m.storePath);
    expect(existsSync(m.imagePath.startsWith('/') ? m.imagePath : join(ws.root, m.imagePath))).toBe(true);
  });

  it('with the hook (restoreCacheHits, or a remote cache), a hit registers the out-link Nx restored as a GC root', () => {
    setRestoreCacheHits(true);
    // A plugin option is part of the task hash: the first run with it builds.
    expect(nx('run', 'iso-channel:build:offline').status).toBe(0);
    const m = manifest();
    const link = join(ws.root, m.outLink);
    forgetOutLink(m);
    const hit = nx('run', 'iso-channel:build:offline');
    expect(hit.output).toMatch(CACHE_HIT);
    expect(hit.output).toContain(`nixiso: iso-channel: out-link registered as a Nix GC root (${m.storePath})`);
    expect(hit.status).toBe(0);
    expect(readlinkSync(link)).toBe(m.storePath);
    expect(rootsOf(m.storePath)).toContain(`${link} -> ${m.storePath}`);

    // In place and registered: the next hit has nothing to do and says nothing.
    const again = nx('run', 'iso-channel:build:offline');
    expect(again.status).toBe(0);
    expect(again.output).not.toMatch(/nixiso: iso-channel: (out-link|image)/);
  });

  it('the nixos-generators backend leaves its relinked out-link a GC root', () => {
    forgetOutLink(manifest());
    const r = nx(
      'run', 'iso-channel:build:offline', '--backend=nixos-generators',
      '--nixosGenerate=tools/nixos-generate-no-link', '--skip-nx-cache',
    );
    expect(r.output).toMatch(/nixos-generate-no-link --format iso/);
    expect(r.status).toBe(0);
    const m = manifest();
    expect(m.backend).toBe('nixos-generators');
    const link = join(ws.root, m.outLink);
    expect(readlinkSync(link)).toBe(m.storePath);
    expect(rootsOf(m.storePath)).toContain(`${link} -> ${m.storePath}`);
    expect(readlinkSync(indirectRootPath(link))).toBe(link);
  });

  it('push, in the same run as a build hit, registers the out-link Nx restored before it uses the image', () => {
    // The nixos-generators build above recorded what it read (its nixos-generate among it), and those reads are
    // the build's inputs now: one build under them, so that the push below starts from a hit.
    expect(nx('run', 'iso-channel:build:offline').status).toBe(0);
    forgetOutLink(manifest());
    const binaryCache = `file://${tempDir('nixiso-push-cache-')}`;
    const r = ws.nx(['run', 'iso-channel:push:offline'], { ...env, NIXISO_BINARY_CACHE_URL: binaryCache });
    const m = manifest();
    expect(r.output).toMatch(/iso-channel:build:offline\s+\S*\[local cache\]/);
    expect(r.output).toContain(`nixiso: pushed ${m.storePath} to ${binaryCache} (unsigned)`);
    expect(r.status).toBe(0);
    // Push registered it, so the hook, which runs after every task, found nothing to do.
    expect(r.output).not.toContain('out-link registered as a Nix GC root');
    expect(rootsOf(m.storePath)).toContain(`${join(ws.root, m.outLink)} -> ${m.storePath}`);
  });

  it('push refuses a manifest that fails validation', () => {
    const sentinel = join(tempDir('nixiso-sentinel-'), 'keep');
    mkdirSync(sentinel);
    writeFileSync(join(sentinel, 'file'), 'must survive\n');
    writeFileSync(
      join(ws.root, PROJECT_DIST, 'manifest.json'),
      JSON.stringify({ ...manifest(), outLink: sentinel, storePath: '/nix/store/../../etc' }),
    );
    const r = ws.nx(['run', 'iso-channel:push:offline', '--exclude-task-dependencies'], {
      ...env,
      NIXISO_BINARY_CACHE_URL: `file://${tempDir('nixiso-push-cache-')}`,
    });
    expect(r.output).toContain('storePath "/nix/store/../../etc" is not a store path directly in /nix/store');
    expect(r.output).toContain(`outLink "${sentinel}" resolves to ${sentinel}, outside ${PROJECT_DIST}`);
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(sentinel, 'file'), 'utf8')).toBe('must survive\n');
    rmSync(join(ws.root, PROJECT_DIST), { recursive: true, force: true });
  });

  // Last but one: it tampers with every cached build of the project.
  it('a cached manifest whose out-link points outside dist/ is reported and not followed', () => {
    expect(nx('run', 'iso-channel:build:offline').status).toBe(0);
    const sentinel = join(tempDir('nixiso-sentinel-'), 'keep');
    mkdirSync(sentinel);
    writeFileSync(join(sentinel, 'file'), 'must survive\n');
    const hostileOutLink = relative(ws.root, sentinel);
    // Every cached build of the project, as a hostile or corrupt (remote) cache entry would hold it.
    const cached = readdirSync(cacheDir)
      .map((entry) => join(cacheDir, entry, PROJECT_DIST, 'manifest.json'))
      .filter((path) => existsSync(path));
    expect(cached.length).toBeGreaterThan(0);
    for (const path of cached) {
      const m = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...m, outLink: hostileOutLink, imagePath: `${hostileOutLink}/iso/x.iso` }, null, 2));
    }
    rmSync(join(ws.root, PROJECT_DIST), { recursive: true, force: true });

    const r = nx('run', 'iso-channel:build:offline');
    expect(r.output).toMatch(CACHE_HIT);
    expect(r.output).toContain('a cache hit did not yield its image');
    expect(r.output).toContain(`${PROJECT_DIST}/manifest.json was ignored (nothing deleted, linked or realised)`);
    expect(r.output).toContain(`outLink "${hostileOutLink}" resolves to ${sentinel}, outside ${PROJECT_DIST}`);
    expect(r.output).toContain('nx run iso-channel:build:offline --skip-nx-cache');
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(sentinel, 'file'), 'utf8')).toBe('must survive\n');
  });

  it('fails naming the outLink option when it points outside dist/<projectRoot>', () => {
    const elsewhere = tempDir('nixiso-elsewhere-');
    const outLink = relative(ws.root, join(elsewhere, 'result'));
    const message = `option "outLink" (${JSON.stringify(outLink)}) resolves to ${join(elsewhere, 'result')}, outside ${PROJECT_DIST}`;
    const manifestPath = join(ws.root, PROJECT_DIST, 'manifest.json');
    const manifestBefore = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : undefined;
    for (const backend of ['nix', 'nixos-generators']) {
      const r = nx(
        'run', 'iso-channel:build:offline', `--backend=${backend}`, '--nixosGenerate=tools/nixos-generate-no-link',
        `--outLink=${outLink}`, '--skip-nx-cache',
      );
      expect(r.output).toContain(message);
      expect(r.output).toContain(`Leave outLink unset (${PROJECT_DIST}/result)`);
      expect(r.status).not.toBe(0);
      // A bad option changes nothing: the last build's manifest, if any, stays as it was.
      expect(existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : undefined).toBe(manifestBefore);
      // Refused before Nix runs: no link (and no GC root) is left outside dist/.
      expect(r.output).not.toMatch(/> (nix-build|\S*nixos-generate) /);
      expect(existsSync(join(elsewhere, 'result'))).toBe(false);
    }
  });
});
