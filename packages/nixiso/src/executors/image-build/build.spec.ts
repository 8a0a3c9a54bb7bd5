/**
 * The build executor through the real Nx CLI, in a throw-away git workspace,
 * building the examples against the offline stand-ins with real Nix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, pathWithoutNix, readIsoJson, type TestWorkspace } from '@nixiso/testing';

const EXAMPLES = ['iso-channel', 'iso-flake', 'iso-channel-home-manager', 'iso-flake-home-manager'];

interface Manifest {
  storePath: string;
  imagePath: string;
  imageFile: string;
  sha256: string;
  sizeBytes: number;
  backend: string;
  command: string;
  outLink: string;
  toplevel?: string;
  closureSize?: number;
}

/** The toplevel the stand-in nixpkgs builds, as NixOS names it: nixos-system-<hostName>-<label>. */
const TOPLEVEL = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-nixos-system-[^/]+$/;

function manifestOf(ws: TestWorkspace, project: string): Manifest {
  return JSON.parse(ws.read(`dist/examples/${project}/manifest.json`));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const NIX_RAN = /> (nix|nix-build|\S*nixos-generate) /;
const CACHE_HIT = /existing outputs match the cache|local cache/i;

describeWithNix('build executor', (nix) => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = createTestWorkspace({ examples: [...EXAMPLES, 'iso-shared-module', 'modules'] });
  });

  it.each(EXAMPLES)('builds %s with the nix backend; the manifest describes the image', (project) => {
    const r = ws.nx(['run', `${project}:build:offline`]);
    expect(r.output).toMatch(NIX_RAN);
    expect(r.status).toBe(0);
    const m = manifestOf(ws, project);
    const image = join(ws.root, m.imagePath);
    expect(m.backend).toBe('nix');
    expect(m.imagePath).toMatch(new RegExp(`^dist/examples/${project}/result/iso/.+\\.iso$`));
    expect(realpathSync(image)).toBe(m.imageFile);
    expect(sha256(image)).toBe(m.sha256);
    expect(readFileSync(image).length).toBe(m.sizeBytes);
    expect(m.toplevel).toMatch(TOPLEVEL);
    expect(m.closureSize).toBeGreaterThan(0);
    const described = readIsoJson<{ systemPackages: string[] }>(image);
    expect(JSON.stringify(described)).toMatch(/git/);
    expect(JSON.stringify(described)).toMatch(/neovim/);
    if (project.includes('home-manager')) expect(JSON.stringify(described)).toMatch(/jq.*fzf.*curl|fzf/);
    // In the order they happened: the command, what Nix said while it ran, then the result.
    const lines = r.output.split('\n');
    const command = lines.findIndex((l) => /^> (nix|nix-build) /.test(l));
    const nixSaid = lines.map((l, i) => (/^\[\d+\/\d+ built|^warning:|^building /.test(l.trim()) ? i : -1)).filter((i) => i >= 0);
    const result = lines.findIndex((l) => l.startsWith(`nixiso: ${m.imagePath}`));
    expect(command).toBeGreaterThanOrEqual(0);
    // nix build reports progress (nixiso renders its JSON log); nix-build here says nothing while it runs.
    if (!project.includes('channel')) expect(nixSaid.length).toBeGreaterThan(0);
    expect([command < Math.min(result, ...nixSaid), Math.max(command, ...nixSaid) < result]).toEqual([true, true]);
  });

  it('builds an image that imports a shared module elsewhere in the repository; editing the module is a miss', () => {
    const first = ws.nx(['run', 'iso-shared-module:build:offline']);
    expect(first.output).toMatch(NIX_RAN);
    expect(first.status).toBe(0);
    const described = JSON.stringify(readIsoJson(join(ws.root, manifestOf(ws, 'iso-shared-module').imagePath)));
    expect(described).toMatch(/alice/);
    const module = 'examples/modules/users/default.nix';
    ws.write(module, ws.read(module).replace(/\}\s*$/, '  time.timeZone = "Europe/Berlin";\n}\n'));
    const again = ws.nx(['run', 'iso-shared-module:build:offline']);
    expect(again.status).toBe(0);
    expect(again.output).not.toMatch(CACHE_HIT);
    expect(JSON.stringify(readIsoJson(join(ws.root, manifestOf(ws, 'iso-shared-module').imagePath)))).toMatch(/Europe\/Berlin/);
  });

  it('eval prints the image derivation without building anything', () => {
    for (const project of ['iso-channel', 'iso-flake']) {
      const r = ws.nx(['run', `${project}:eval:offline`, '--skip-nx-cache']);
      expect(r.status).toBe(0);
      const drv = /\/nix\/store\/\w{32}-[^\s]+\.iso\.drv/.exec(r.output)?.[0];
      expect(drv).toBeDefined();
      expect(existsSync(drv!)).toBe(true);
    }
  });

  it('a second run is a cache hit that runs no Nix', () => {
    // Nx replays the cached terminal output, command line included; a PATH
    // without Nix proves nothing ran: the executor would fail without it.
    const r = ws.nx(['run', 'iso-flake:build:offline'], { PATH: pathWithoutNix() });
    expect(r.output).toMatch(CACHE_HIT);
    expect(r.status).toBe(0);
  });

  it('editing configuration.nix makes it a miss', () => {
    const file = 'examples/iso-channel/configuration.nix';
    ws.write(file, ws.read(file).replace('neovim', 'neovim\n    htop'));
    const r = ws.nx(['run', 'iso-channel:build:offline']);
    expect(r.status).toBe(0);
    expect(r.output).toMatch(NIX_RAN);
    expect(JSON.stringify(readIsoJson(join(ws.root, manifestOf(ws, 'iso-channel').imagePath)))).toMatch(/htop/);
  });

  it('editing the channel that -I points at makes a channel build a miss', () => {
    // The offline configuration's -I nixpkgs=tools/nix-fixtures/nixpkgs (in
    // nx.json's targetDefaults) makes that directory an input of the target.
    const file = 'tools/nix-fixtures/nixpkgs/pkgs/names.nix';
    const original = ws.read(file);
    expect(ws.nx(['run', 'iso-channel:build:offline']).output).toMatch(CACHE_HIT);
    ws.write(file, `${original}\n# changed channel\n`);
    const r = ws.nx(['run', 'iso-channel:build:offline']);
    ws.write(file, original);
    expect(r.status).toBe(0);
    expect(r.output).not.toMatch(CACHE_HIT);
  });

  it('a new or edited flake.lock makes a flake build a miss', () => {
    expect(ws.nx(['run', 'iso-flake:build:offline'], { PATH: pathWithoutNix() }).output).toMatch(CACHE_HIT);
    const lock = ws.nx([
      'run', 'iso-flake:lock', '--',
      '--override-input', 'nixpkgs', `path:${join(ws.root, 'tools/nix-fixtures/nixpkgs')}`,
    ]);
    expect(lock.status).toBe(0);
    ws.git('add', 'examples/iso-flake/flake.lock');
    const r = ws.nx(['run', 'iso-flake:build:offline']);
    expect(r.status).toBe(0);
    expect(r.output).not.toMatch(CACHE_HIT);
  });

  it('garbage collection cannot take the image of a cached build; with the hook, a hit whose image is gone brings it back', () => {
    // An image only this workspace has, so no other build holds a GC root on it.
    const file = 'examples/iso-flake/configuration.nix';
    ws.write(file, ws.read(file).replace('environment.systemPackages', `networking.hostName = "gc${Date.now()}";\n  environment.systemPackages`));
    expect(ws.nx(['run', 'iso-flake:build:offline']).status).toBe(0);
    const before = manifestOf(ws, 'iso-flake');
    // Without dist/ (its out-link was a GC root), the Nx cache entry's root still keeps the image.
    rmSync(join(ws.root, 'dist/examples/iso-flake'), { recursive: true, force: true });
    const refused = spawnSync(nix.nixStore, ['--delete', before.storePath], { cwd: ws.root, env: nix.env, encoding: 'utf8' });
    expect(refused.stderr).toMatch(/still alive/);

    // As on a machine whose cache entry came from elsewhere: no root at all, the image collected.
    const nxJson = JSON.parse(ws.read('nx.json'));
    for (const entry of nxJson.plugins) if (entry.plugin === '@nixiso/nx') entry.options = { ...entry.options, restoreCacheHits: true };
    ws.write('nx.json', JSON.stringify(nxJson, null, 2));
    expect(ws.nx(['run', 'iso-flake:build:offline']).status).toBe(0);
    rmSync(join(ws.root, 'dist/examples/iso-flake'), { recursive: true, force: true });
    const roots = spawnSync(nix.nixStore, ['--query', '--roots', before.storePath], { env: nix.env, encoding: 'utf8' }).stdout;
    for (const line of roots.split('\n')) if (line.includes('/nixiso-gcroots/')) rmSync(line.split(' -> ')[0], { force: true });
    execNix(nix.nixStore, ['--delete', before.storePath], ws.root, nix.env);
    expect(existsSync(before.storePath)).toBe(false);
    const r = ws.nx(['run', 'iso-flake:build:offline']);
    expect(r.output).toMatch(CACHE_HIT);
    expect(r.output).toMatch(/image (substituted|rebuilt)/);
    expect(r.status).toBe(0);
    expect(existsSync(before.storePath)).toBe(true);
    expect(readlinkSync(join(ws.root, before.outLink))).toBe(before.storePath);
    expect(sha256(join(ws.root, before.imagePath))).toBe(before.sha256);
  });

  it('builds with the nixos-generators backend', () => {
    // nixos-generate has no --override-input: pin the flake's inputs to the stand-ins in flake.lock.
    const lock = ws.nx([
      'run', 'iso-flake-home-manager:lock', '--',
      '--override-input', 'nixpkgs', `path:${join(ws.root, 'tools/nix-fixtures/nixpkgs')}`,
      '--override-input', 'home-manager', `path:${join(ws.root, 'tools/nix-fixtures/home-manager')}`,
    ]);
    expect(lock.status).toBe(0);
    ws.git('add', 'examples/iso-flake-home-manager/flake.lock');
    for (const [project, configuration] of [['iso-channel', 'offline'], ['iso-flake-home-manager', 'offline-locked']]) {
      const r = ws.nx([
        'run', `${project}:build:${configuration}`, '--backend=nixos-generators',
        '--nixosGenerate=tools/nix-fixtures/nixos-generators/bin/nixos-generate', '--skip-nx-cache',
      ]);
      expect(r.output).toMatch(/nixos-generate --format iso/);
      expect(r.status).toBe(0);
      const m = manifestOf(ws, project);
      expect(m.backend).toBe('nixos-generators');
      expect(m.toplevel).toMatch(TOPLEVEL);
      expect(sha256(join(ws.root, m.imagePath))).toBe(m.sha256);
    }
  });

  it('builds two images in parallel, each with its own out-link', () => {
    const r = ws.nx(['run-many', '-t', 'build', '-c', 'offline', '-p', 'iso-channel', 'iso-flake', '--parallel=2', '--skip-nx-cache']);
    expect(r.status).toBe(0);
    expect(manifestOf(ws, 'iso-channel').storePath).not.toBe(manifestOf(ws, 'iso-flake').storePath);
  });

  it('fails an image past its size budget after the build, naming both sizes, and records nothing', () => {
    const within = ws.nx(['run', 'iso-channel:build:offline', '--skip-nx-cache', '--maxImageSize=1TiB', '--maxClosureSize=1099511627776']);
    expect(within.status).toBe(0);
    const { sizeBytes, closureSize } = manifestOf(ws, 'iso-channel');
    const r = ws.nx(['run', 'iso-channel:build:offline', '--skip-nx-cache', '--maxImageSize=1KiB', '--maxClosureSize=1000']);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/is over its size budget/);
    expect(r.output).toContain(`(${sizeBytes} bytes), larger than maxImageSize 1.00 KiB (1024 bytes) by `);
    expect(r.output).toContain(`(${closureSize} bytes), larger than maxClosureSize 1000 bytes by `);
    // As after any failed build: no manifest or identity a later task could take for this image.
    expect(existsSync(join(ws.root, 'dist/examples/iso-channel/manifest.json'))).toBe(false);
    expect(existsSync(join(ws.root, 'dist/examples/iso-channel/image.json'))).toBe(false);
    const bad = ws.nx(['run', 'iso-channel:build:offline', '--skip-nx-cache', '--maxImageSize=2G']);
    expect(bad.status).not.toBe(0);
    expect(bad.output).toMatch(/option "maxImageSize": "2G" is not a size/);
  });

  it('names untracked files a flake build needs instead of failing inside Nix', () => {
    ws.write('examples/iso-flake/extra.nix', '{ ... }: { }\n');
    const file = 'examples/iso-flake/configuration.nix';
    const original = ws.read(file);
    ws.write(file, original.replace('./home.nix', '').replace('"${modulesPath}', './extra.nix\n    "${modulesPath}'));
    ws.git('add', file);
    const r = ws.nx(['run', 'iso-flake:build:offline']);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/not tracked by git[\s\S]*examples\/iso-flake\/extra\.nix/);
    ws.write(file, original);
    ws.git('add', file);
    ws.git('rm', '-q', '--cached', '--ignore-unmatch', 'examples/iso-flake/extra.nix');
    rmSync(join(ws.root, 'examples/iso-flake/extra.nix'));
  });

  it('shows the Nix error for an evaluation failure and fails', () => {
    const file = 'examples/iso-channel/configuration.nix';
    const original = ws.read(file);
    ws.write(file, original.replace('environment.systemPackages', 'environment.systemPackage'));
    const r = ws.nx(['run', 'iso-channel:build:offline']);
    ws.write(file, original);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/environment\.systemPackage' does not exist/);
    expect(r.output).toMatch(/nixiso: Nix reported:/);
  });

  it('names the failing derivation when a builder fails', () => {
    const file = 'examples/iso-channel/configuration.nix';
    const original = ws.read(file);
    ws.write(
      file,
      original.replace(
        'environment.systemPackages = with pkgs; [',
        'environment.systemPackages = with pkgs; [\n    (derivation { name = "broken"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo boom >&2; exit 3" ]; })',
      ),
    );
    const r = ws.nx(['run', 'iso-channel:build:offline']);
    ws.write(file, original);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/the build of \/nix\/store\/\w{32}-broken\.drv failed/);
  });

  it('says how to install Nix when it is missing', () => {
    const r = ws.nx(['run', 'iso-channel:build:offline', '--skip-nx-cache'], { PATH: pathWithoutNix() });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/nix not found on PATH; install Nix/);
  });

  it('stops the Nix process tree on SIGINT and caches nothing', async () => {
    // A builder that waits long enough to be interrupted.
    const file = 'examples/iso-channel/configuration.nix';
    const original = ws.read(file);
    const marker = `slow-${Date.now()}`;
    ws.write(
      file,
      original.replace(
        'environment.systemPackages = with pkgs; [',
        `environment.systemPackages = with pkgs; [\n    (derivation { name = "slow"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "/bin/sleep 300 # ${marker}" ]; })`,
      ),
    );
    const child = spawn('npx', ['nx', 'run', 'iso-channel:build:offline'], {
      cwd: ws.root,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' },
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    await waitFor(() => pgrep(marker).length > 0, 60_000);
    process.kill(-child.pid!, 'SIGINT');
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    ws.write(file, original);
    expect(code).not.toBe(0);
    await waitFor(() => pgrep(marker).length === 0, 10_000);
    expect(pgrep(marker)).toEqual([]);
    expect(existsSync(join(ws.root, 'dist/examples/iso-channel/manifest.json'))).toBe(false);
  });
});

function execNix(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function pgrep(pattern: string): string[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out');
}
