/**
 * The doctor on this machine, each condition made for real where it can be:
 * PATH without Nix, a 1 MiB tmpfs as TMPDIR and as the Nix store, an
 * aarch64-linux image on x86_64 without binfmt, substituters that answer,
 * refuse or hang. Where a condition cannot be made, the pure checks in
 * checks.spec.ts cover it with given facts.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describeWithNix, tempDir, workspaceRoot } from '@nixiso/testing';
import { type CheckResult, doctorChecks, type DoctorFacts } from './checks';
import { nodeSystem } from '../../nix/building/platforms';
import { enabledBinfmt, type FactsRequest, freeSpace, gatherFacts, reachSubstituter } from './facts';

const CONFIGURATION = (system: string) => `{ modulesPath, ... }: {
  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];
  nixpkgs.hostPlatform = "${system}";
  system.stateVersion = "24.05";
}
`;

const created: string[] = [];
afterAll(() => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  created.push(dir);
  return dir;
}

function image(system = 'x86_64-linux'): string {
  const dir = scratch('nixiso-doctor-');
  writeFileSync(join(dir, 'configuration.nix'), CONFIGURATION(system));
  return dir;
}

function request(imageRoot: string, patch: Partial<FactsRequest> = {}): FactsRequest {
  return {
    imageRoot,
    projectRoot: 'images/a',
    kind: 'channel',
    backend: 'nix',
    format: 'iso',
    builders: [],
    extraPlatforms: [],
    nixOptions: { substituters: '' },
    env: { ...process.env },
    substituterTimeoutMs: 0,
    ...patch,
  };
}

function check(facts: DoctorFacts, id: CheckResult['id']): CheckResult {
  return doctorChecks(facts).find((r) => r.id === id) as CheckResult;
}

/** A 1 MiB tmpfs (we are root in CI); undefined when mounting is not allowed here. */
function tinyTmpfs(): string | undefined {
  const dir = tempDir('nixiso-tiny-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? dir : undefined;
}

function unmount(dir: string | undefined): void {
  if (!dir) return;
  spawnSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
}

describeWithNix('doctor facts on this machine', (nix) => {
  it('Nix found: its version and configuration are read', async () => {
    const facts = await gatherFacts(request(image()));
    expect(facts.nix).toEqual({ path: expect.stringMatching(/\/nix$/), version: `nix (Nix) ${nix.version}` });
    expect(facts.settings?.system).toBe(nodeSystem());
    expect(check(facts, 'nix')).toMatchObject({ status: 'ok', message: `Nix ${nix.version} (${facts.nix?.path})` });
  });

  it('PATH without Nix: the nix check fails and says how to install it', async () => {
    const empty = scratch('nixiso-empty-path-');
    const facts = await gatherFacts(request(image(), { env: { ...process.env, PATH: empty } }));
    expect(facts.nix).toBeUndefined();
    expect(facts.backendTools).toEqual([{ requirement: expect.objectContaining({ anyOf: ['nix'] }) }, { requirement: expect.objectContaining({ anyOf: ['nix-build'] }) }]);
    expect(check(facts, 'backend')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^nix: nix not found on PATH; nix-build is not on PATH/) });
    expect(check(facts, 'nix')).toMatchObject({ status: 'fail', message: 'nix is not on PATH', fix: expect.stringMatching(/nixos\.org\/download/) });
  });

  it('backend build-image: nixos-rebuild is looked up on PATH (the stand-in here)', async () => {
    const standIn = join(workspaceRoot, 'tools/nix-fixtures/nixos-rebuild/bin');
    const withRebuild = await gatherFacts(request(image(), { kind: 'flake', backend: 'build-image', env: { ...process.env, PATH: `${standIn}:${process.env.PATH}` } }));
    expect(check(withRebuild, 'backend')).toMatchObject({ status: 'ok', message: expect.stringContaining(join(standIn, 'nixos-rebuild')) });
    // Nix's own directory, unless a NixOS keeps nixos-rebuild there too.
    if (existsSync(join(dirname(nix.nix), 'nixos-rebuild'))) return;
    const onlyNix = await gatherFacts(request(image(), { kind: 'flake', backend: 'build-image', env: { ...process.env, PATH: dirname(nix.nix) } }));
    expect(check(onlyNix, 'backend')).toMatchObject({ status: 'fail', message: expect.stringMatching(/needs nixos-rebuild/) });
  });

  it('flakes off in NIX_CONFIG: warns for a flake image; on: ok', async () => {
    const root = image();
    const off = await gatherFacts(request(root, { kind: 'flake', env: { ...process.env, NIX_CONFIG: 'experimental-features = nix-command' } }));
    expect(check(off, 'flakes')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/experimental-features = nix-command flakes/) });
    const on = await gatherFacts(request(root, { kind: 'flake', env: { ...process.env, NIX_CONFIG: 'experimental-features = nix-command flakes' } }));
    expect(check(on, 'flakes').status).toBe('ok');
  });

  it('a 1 MiB TMPDIR and Nix store fail the space checks (a real tmpfs; given facts when mounting is not allowed)', async () => {
    const tiny = tinyTmpfs();
    try {
      if (!tiny) {
        // Not root here: the same decision on the numbers statfs would give.
        const facts = await gatherFacts(request(image()));
        const small = { ...facts, tmp: { path: '/tiny', freeBytes: 1024 * 1024 }, store: { path: '/tiny', freeBytes: 1024 * 1024 } };
        expect(check(small, 'tmp-space').status).toBe('fail');
        expect(check(small, 'store-space').status).toBe('fail');
        return;
      }
      mkdirSync(join(tiny, 'store'));
      const facts = await gatherFacts(request(image(), { env: { ...process.env, TMPDIR: tiny, NIX_STORE_DIR: join(tiny, 'store') } }));
      expect(facts.tmp).toEqual({ path: tiny, freeBytes: expect.any(Number) });
      expect(facts.tmp.freeBytes).toBeLessThanOrEqual(1024 * 1024);
      expect(check(facts, 'tmp-space')).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(new RegExp(`^0\\.0 GiB free in ${tiny}; iso images want 4 GiB .* fails below 1 GiB$`)),
        fix: expect.stringMatching(/TMPDIR/),
      });
      expect(check(facts, 'store-space')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/nix-collect-garbage/) });
    } finally {
      unmount(tiny);
    }
  });

  it('free space of a directory that does not exist yet is that of where it would be created', () => {
    const dir = scratch('nixiso-space-');
    expect(freeSpace(join(dir, 'not', 'yet'))).toEqual({ path: dir, freeBytes: expect.any(Number) });
  });

  it('an aarch64-linux image on this machine without binfmt: the platform check fails with both fixes', async () => {
    if (nodeSystem() !== 'x86_64-linux' || enabledBinfmt().length) {
      // Needs an x86_64 machine without emulation registered; checks.spec.ts covers the decision.
      return;
    }
    const facts = await gatherFacts(request(image('aarch64-linux')));
    expect(facts.image).toMatchObject({ system: 'aarch64-linux', systemSource: 'nixpkgs.hostPlatform in images/a/configuration.nix' });
    expect(facts.binfmt).toEqual([]);
    const result = check(facts, 'platform');
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/^the image is for aarch64-linux .* but this machine is x86_64-linux/);
    expect(result.fix).toMatch(/boot\.binfmt\.emulatedSystems/);
    expect(result.fix).toMatch(/"builders"/);
    // The build's options fix it: extraPlatforms (emulation), or a builder for aarch64.
    const emulated = await gatherFacts(request(image('aarch64-linux'), { extraPlatforms: ['aarch64-linux'] }));
    expect(check(emulated, 'platform').status).toBe('ok');
    const builder = await gatherFacts(request(image('aarch64-linux'), { builders: ['ssh-ng://b@arm aarch64-linux - 4'] }));
    expect(check(builder, 'platform').message).toMatch(/remote builder/);
    // The option "system" wins over the file.
    const option = await gatherFacts(request(image('aarch64-linux'), { system: 'x86_64-linux' }));
    expect(check(option, 'platform')).toMatchObject({ status: 'ok', message: expect.stringMatching(/^x86_64-linux \(option "system"\)/) });
  });

  it('KVM: the real device here, and a missing one', async () => {
    const missing = await gatherFacts(request(image(), { kvmDevice: '/nonexistent/kvm' }));
    expect(check(missing, 'kvm')).toMatchObject({ status: 'warn', message: expect.stringMatching(/^\/nonexistent\/kvm does not exist/) });
    const here = await gatherFacts(request(image()));
    expect(['ok', 'warn']).toContain(check(here, 'kvm').status);
  });

  it('QEMU: qemu-system-<arch> of the image on PATH or not; KVM probed only when /dev/kvm is usable', async () => {
    const bare = await gatherFacts(request(image('aarch64-linux'), { env: { ...process.env, PATH: '/nonexistent' } }));
    expect(bare.qemu).toEqual({ binary: 'qemu-system-aarch64', arch: 'aarch64' });
    expect(check(bare, 'qemu')).toMatchObject({ status: 'warn', message: expect.stringMatching(/^qemu-system-aarch64 is not on PATH/) });
    const here = await gatherFacts(request(image(), { kvmDevice: '/nonexistent/kvm' }));
    expect(here.qemu?.binary).toBe('qemu-system-x86_64');
    expect(here.qemu?.kvmProbe).toBeUndefined();
    if (here.qemu?.path) expect(check(here, 'qemu').message).toMatch(/TCG.*\/nonexistent\/kvm is not usable/);
  });

  it('binfmt_misc entries: enabled ones only', () => {
    const dir = scratch('nixiso-binfmt-');
    writeFileSync(join(dir, 'register'), '');
    writeFileSync(join(dir, 'status'), 'enabled\n');
    writeFileSync(join(dir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/bin/qemu-aarch64-static\n');
    writeFileSync(join(dir, 'qemu-riscv64'), 'disabled\ninterpreter /usr/bin/qemu-riscv64-static\n');
    expect(enabledBinfmt(dir)).toEqual(['qemu-aarch64']);
    expect(enabledBinfmt('/nonexistent')).toEqual([]);
  });

  describe('substituters', () => {
    let server: Server;
    let base: string;
    let hanging: Server;
    let hangingBase: string;
    /** A port nothing listens on (fetch refuses well-known ones such as 9 outright). */
    let closed: string;
    beforeAll(async () => {
      const probe = createServer();
      await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
      closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
      await new Promise((done) => probe.close(done));
      server = createServer((req, res) => {
        res.statusCode = req.url === '/nix-cache-info' ? 200 : 404;
        res.end(req.method === 'HEAD' ? undefined : 'StoreDir: /nix/store\n');
      });
      hanging = createServer(() => undefined);
      await Promise.all([server, hanging].map((s) => new Promise<void>((done) => s.listen(0, '127.0.0.1', done))));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      hangingBase = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    });
    afterAll(() => {
      server.close();
      hanging.closeAllConnections();
      hanging.close();
    });

    it('one that answers is ok; a closed port and one that never answers are unreachable', async () => {
      expect(await reachSubstituter(base, 2000)).toMatchObject({ reachable: true, detail: expect.stringMatching(/^answers/) });
      expect(await reachSubstituter(`${base}/not-a-cache/`, 2000)).toMatchObject({ reachable: false, detail: expect.stringMatching(/HTTP 404/) });
      expect(await reachSubstituter(closed, 2000)).toMatchObject({ reachable: false, detail: 'unreachable (ECONNREFUSED)' });
      expect(await reachSubstituter(hangingBase, 200)).toMatchObject({ reachable: false, detail: 'unreachable (no answer within 200 ms)' });
      expect(await reachSubstituter('s3://bucket', 200)).toEqual({ url: 's3://bucket', detail: 'not checked (only http, https and file:// are)' });
    });

    it('file:// caches are looked at on disk', async () => {
      const dir = scratch('nixiso-cache-');
      expect(await reachSubstituter(`file://${dir}`, 0)).toMatchObject({ reachable: false });
      writeFileSync(join(dir, 'nix-cache-info'), 'StoreDir: /nix/store\n');
      expect(await reachSubstituter(`file://${dir}`, 0)).toMatchObject({ reachable: true });
    });

    it('the build’s substituters are the ones checked: its override wins over nix.conf', async () => {
      const facts = await gatherFacts(request(image(), { nixOptions: { substituters: `${base} ${closed}` }, substituterTimeoutMs: 2000 }));
      expect(facts.substituters.map((s) => [s.url, s.reachable])).toEqual([[base, true], [closed, false]]);
      expect(check(facts, 'substituters').status).toBe('warn');
      const none = await gatherFacts(request(image(), { nixOptions: { substituters: '' } }));
      expect(check(none, 'substituters')).toMatchObject({ status: 'warn', message: expect.stringMatching(/^no substituters/) });
    });
  });
});
