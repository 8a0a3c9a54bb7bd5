/**
 * Two machines on one host. Clone A builds an example and pushes the image to
 * a signed file:// Nix binary cache while Nx stores the task in a shared
 * remote cache (Nx's self-hosted cache protocol, served from a directory).
 * The image then leaves the Nix store, and clone B — same files, same
 * nx.json, its own empty local Nx cache — runs the same build: a remote
 * cache hit whose image comes back from the binary cache, with no Nix
 * evaluation or build. Then the ways a push or a pull must fail loudly.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  createTestWorkspace,
  describeWithNix,
  type NxCacheServer,
  startNxCacheServer,
  tempDir,
  type TestWorkspace,
} from '@nixiso/testing';

interface Manifest {
  project: string;
  storePath: string;
  drvPath?: string;
  outLink: string;
  imagePath: string;
  sha256: string;
}

const CONFIG = 'examples/iso-channel/configuration.nix';
const MANIFEST = 'dist/examples/iso-channel/manifest.json';
const KEY_NAME = 'nixiso-two-machines-1';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describeWithNix('two machines: Nix binary cache + Nx remote cache', (nix) => {
  let tmp: string;
  let server: NxCacheServer;
  let a: TestWorkspace;
  let b: TestWorkspace;
  /** nx.json and the image's configuration.nix, identical in both clones so that the task hashes match. */
  let shared: Record<string, string>;
  let env: NodeJS.ProcessEnv;
  let binaryCache: string;

  function nixStore(...args: string[]): { status: number; stderr: string } {
    const r = spawnSync(nix.nixStore, args, { env: nix.env, encoding: 'utf8' });
    return { status: r.status ?? 1, stderr: r.stderr };
  }

  /** Takes the image out of the Nix store, as garbage collection on another machine would: no GC root, no output, no .drv. */
  function forget(m: Manifest, ...workspaces: TestWorkspace[]): void {
    for (const ws of workspaces) rmSync(join(ws.root, m.outLink), { force: true });
    // And the roots that tie it to a machine's Nx cache entry (built-image/cache-root.ts): that machine's cache is gone too.
    const roots = spawnSync(nix.nixStore, ['--query', '--roots', m.storePath], { env: nix.env, encoding: 'utf8' }).stdout;
    for (const line of roots.split('\n')) {
      const link = line.split(' -> ')[0];
      if (link.includes('/nixiso-gcroots/')) rmSync(link, { force: true });
    }
    const deleted = nixStore('--delete', m.storePath);
    if (deleted.status !== 0) throw new Error(`nix-store --delete ${m.storePath}: ${deleted.stderr}`);
    if (m.drvPath) nixStore('--delete', m.drvPath);
    expect(existsSync(m.storePath)).toBe(false);
    if (m.drvPath) expect(existsSync(m.drvPath)).toBe(false);
  }

  beforeAll(async () => {
    tmp = tempDir('nixiso-two-machines-');
    binaryCache = `file://${tmp}/binary-cache`;
    const generated = spawnSync(nix.nixStore, ['--generate-binary-cache-key', KEY_NAME, `${tmp}/secret.key`, `${tmp}/public.key`], {
      env: nix.env,
      encoding: 'utf8',
    });
    if (generated.status !== 0) throw new Error(generated.stderr);
    server = await startNxCacheServer(join(tmp, 'nx-remote-cache'));

    a = createTestWorkspace({ examples: ['iso-channel'] });
    const nxJson = JSON.parse(a.read('nx.json'));
    const plugin = nxJson.plugins.find((p: { plugin: string }) => p.plugin === '@nixiso/nx');
    plugin.options.binaryCache = {
      url: binaryCache,
      secretKeyFile: `${tmp}/secret.key`,
      publicKeys: [readFileSync(`${tmp}/public.key`, 'utf8').trim()],
    };
    // A store path of its own, so that no other test's GC root keeps it alive.
    const marker = `${basename(tmp)}-${process.pid}`.replace(/[^A-Za-z0-9-]/g, '-');
    shared = {
      'nx.json': JSON.stringify(nxJson, null, 2),
      [CONFIG]: a.read(CONFIG).replace(
        'environment.systemPackages',
        `networking.hostName = "${marker}";\n  environment.systemPackages`,
      ),
    };
    for (const [path, content] of Object.entries(shared)) a.write(path, content);
    a.git('commit', '-qam', 'binary cache');
    env = { ...server.env, NIX_PATH: nix.env.NIX_PATH, NIX_CONFIG: nix.env.NIX_CONFIG };
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('machine A builds, Nx stores the task remotely, and push copies the signed image to the binary cache', () => {
    const built = a.nx(['run', 'iso-channel:build:offline'], env);
    expect(built.output).toMatch(/> nix-build /);
    expect(built.status).toBe(0);
    expect(server.requests()).toContainEqual(expect.stringMatching(/^PUT \w+ 200$/));

    const pushed = a.nx(['run', 'iso-channel:push:offline'], env);
    expect(pushed.output).toMatch(/> nix --extra-experimental-features nix-command store sign --key-file \S+secret\.key --recursive \/nix\/store\//);
    expect(pushed.output).toContain(`> nix --extra-experimental-features nix-command copy --to ${binaryCache} /nix/store/`);
    expect(pushed.status).toBe(0);
    const m: Manifest = JSON.parse(a.read(MANIFEST));
    expect(pushed.output).toContain(`nixiso: pushed ${m.storePath} to ${binaryCache} (signed by ${KEY_NAME})`);
    const narinfo = readFileSync(join(tmp, 'binary-cache', `${basename(m.storePath).slice(0, 32)}.narinfo`), 'utf8');
    expect(narinfo).toContain(`StorePath: ${m.storePath}`);
    expect(narinfo).toMatch(new RegExp(`^Sig: ${KEY_NAME}:`, 'm'));
  });

  it('machine B: a remote Nx cache hit whose image is substituted from the binary cache, nothing built', () => {
    const m: Manifest = JSON.parse(a.read(MANIFEST));
    forget(m, a);
    expect(a.nx(['reset', '--only-cache'], env).status).toBe(0);

    b = createTestWorkspace({ examples: ['iso-channel'], files: shared });
    const r = b.nx(['run', 'iso-channel:build:offline'], env);
    expect(r.output).toMatch(/iso-channel:build:offline\s+\S*\[remote cache\]/);
    expect(r.output).toContain(`nixiso: iso-channel: image substituted from ${binaryCache} (${m.storePath})`);
    expect(r.status).toBe(0);
    expect(server.requests()).toContainEqual(expect.stringMatching(/^GET \w+ 200$/));

    // Nx replays A's terminal output (A's `> nix-build …` line); B itself ran no Nix:
    // no command line with B's paths, and the derivation was never instantiated again.
    expect(r.output).not.toContain(`nixos-config=${b.root}/`);
    if (m.drvPath) expect(existsSync(m.drvPath)).toBe(false);

    const restored: Manifest = JSON.parse(b.read(MANIFEST));
    expect(restored).toEqual(m);
    expect(existsSync(m.storePath)).toBe(true);
    expect(readlinkSync(join(b.root, m.outLink))).toBe(m.storePath);
    expect(sha256(join(b.root, m.imagePath))).toBe(m.sha256);
  });

  it('fails with the directory named when a file:// cache cannot be written', () => {
    writeFileSync(join(tmp, 'a-file'), 'not a directory\n');
    const url = `file://${tmp}/a-file/cache`;
    const r = b.nx(['run', 'iso-channel:push:offline'], { ...env, NIXISO_BINARY_CACHE_URL: url });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`cannot push to ${url} (NIXISO_BINARY_CACHE_URL): the directory ${tmp}/a-file/cache cannot be created`);
  });

  it('fails with the host named when an ssh-ng:// cache is unreachable', () => {
    const url = 'ssh-ng://nixiso@127.0.0.1';
    const r = b.nx(['run', 'iso-channel:push:offline'], {
      ...env,
      NIXISO_BINARY_CACHE_URL: url,
      // Port 1 on the loopback: refused at once, no network involved.
      NIX_SSHOPTS: '-p 1 -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no',
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`cannot push to ${url} (NIXISO_BINARY_CACHE_URL): nix copy failed`);
    expect(r.output).toContain('`ssh nixiso@127.0.0.1 nix-store --version`');
  });

  it('fails naming the secret key file when it is missing', () => {
    const missing = join(tmp, 'no-such.key');
    const r = b.nx(['run', 'iso-channel:push:offline'], { ...env, NIXISO_SECRET_KEY_FILE: missing });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`the secret key file ${missing} (NIXISO_SECRET_KEY_FILE) does not exist`);
    expect(r.output).toContain('nix-store --generate-binary-cache-key');
  });

  it('fails loudly when a cache hit points at an image no cache has and no derivation can rebuild', () => {
    const m: Manifest = JSON.parse(b.read(MANIFEST));
    forget(m, a, b);
    const empty = `file://${tmp}/empty-cache`;
    const r = b.nx(['run', 'iso-channel:build:offline'], { ...env, NIXISO_SUBSTITUTERS: empty });
    expect(r.output).toMatch(/\[(local|remote) cache\]/);
    expect(r.output).toContain('a cache hit did not yield its image');
    expect(r.output).toContain(`points at ${m.storePath}, which is not in the Nix store; none of the binary caches (${empty}, from NIXISO_SUBSTITUTERS)`);
    expect(r.output).toContain('nx run iso-channel:build:offline --skip-nx-cache');
    expect(r.status).not.toBe(0);
    expect(existsSync(m.storePath)).toBe(false);
  });
});
