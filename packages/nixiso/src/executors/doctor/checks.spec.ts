import { findBackend } from '../../backends';
import { NIX } from '../../backends/requirements';
import {
  type CheckResult,
  doctorChecks,
  type DoctorFacts,
  effectiveSubstituters,
  parseNixConfig,
  parseNixVersion,
  renderDoctorReport,
  sizeClassOf,
} from './checks';

const GiB = 1024 ** 3;

/** A machine on which everything is fine: each test breaks one thing. */
function healthy(): DoctorFacts {
  return {
    nix: { path: '/usr/bin/nix', version: 'nix (Nix) 2.8.0' },
    backendTools: [{ requirement: NIX, found: '/usr/bin/nix' }],
    settings: {
      system: 'x86_64-linux',
      'extra-platforms': 'i686-linux',
      'experimental-features': 'nix-command flakes',
      substituters: 'https://cache.nixos.org/',
      'system-features': 'benchmark big-parallel kvm nixos-test',
      builders: '',
    },
    optionOverrides: {},
    nodeSystem: 'x86_64-linux',
    store: { path: '/nix/store', freeBytes: 80 * GiB },
    tmp: { path: '/tmp', freeBytes: 80 * GiB },
    kvm: { path: '/dev/kvm', exists: true, usable: true },
    qemu: { binary: 'qemu-system-x86_64', arch: 'x86_64', path: '/usr/bin/qemu-system-x86_64', kvmProbe: { ok: true, detail: 'a KVM virtual CPU started' } },
    binfmt: [],
    image: { kind: 'flake', backend: 'nix', format: 'iso', system: 'x86_64-linux', systemSource: 'nixpkgs.hostPlatform in images/a/configuration.nix', builders: [], extraPlatforms: [] },
    substituters: [{ url: 'https://cache.nixos.org/', reachable: true, detail: 'answers (40 ms)' }],
  };
}

function check(facts: DoctorFacts, id: CheckResult['id']): CheckResult {
  const result = doctorChecks(facts).find((r) => r.id === id);
  if (!result) throw new Error(`no check ${id}`);
  return result;
}

function withImage(patch: Partial<DoctorFacts['image']>, facts = healthy()): DoctorFacts {
  return { ...facts, image: { ...facts.image, ...patch } };
}

describe('doctorChecks', () => {
  it('all ok on a healthy machine', () => {
    expect(doctorChecks(healthy()).map((r) => [r.id, r.status])).toEqual([
      ['nix', 'ok'], ['backend', 'ok'], ['flakes', 'ok'], ['store-space', 'ok'], ['tmp-space', 'ok'], ['kvm', 'ok'], ['qemu', 'ok'], ['platform', 'ok'], ['substituters', 'ok'], ['cache-inputs', 'ok'],
    ]);
    expect(check(healthy(), 'nix').message).toBe('Nix 2.8.0 (/usr/bin/nix)');
  });

  describe('Nix', () => {
    it('fails without Nix, saying how to install it; what needs Nix’s configuration is unknown', () => {
      const facts = { ...healthy(), nix: undefined, backendTools: [{ requirement: NIX }], settings: undefined, substituters: [] };
      expect(check(facts, 'nix')).toMatchObject({ status: 'fail', message: 'nix is not on PATH', fix: expect.stringMatching(/https:\/\/nixos\.org\/download.*apt-get install nix-bin/) });
      expect(check(facts, 'flakes').status).toBe('warn');
      expect(check(facts, 'substituters')).toMatchObject({ status: 'warn', message: expect.stringMatching(/unknown/) });
    });

    it('fails for a flake image on Nix without flakes, and for a Nix older than nixpkgs allows', () => {
      const old = { ...healthy(), nix: { path: '/usr/bin/nix', version: 'nix (Nix) 2.3.16' } };
      expect(check(old, 'nix')).toMatchObject({ status: 'fail', message: expect.stringMatching(/no flakes \(Nix ≥ 2\.4\)/) });
      expect(check(withImage({ kind: 'channel' }, old), 'nix').status).toBe('ok');
      expect(check({ ...healthy(), nix: { path: '/x/nix', version: 'nix (Nix) 2.2.2' } }, 'nix').status).toBe('fail');
      expect(check({ ...healthy(), nix: { path: '/x/nix' } }, 'nix').status).toBe('warn');
    });

  });

  describe('the tools the backend runs', () => {
    const tools = (backend: string, kind: 'flake' | 'channel', found: Record<string, string>): DoctorFacts => {
      const requirements = findBackend(backend)?.requirements({ kind });
      const backendTools = requirements?.map((requirement) => ({ requirement, found: requirement.anyOf.map((name) => found[name]).find(Boolean) }));
      return withImage({ kind, backend }, { ...healthy(), backendTools });
    };

    it('fails a channel image built with the nix backend when nix-build is missing; a flake needs nix alone', () => {
      const facts = tools('nix', 'channel', { nix: '/usr/bin/nix' });
      expect(check(facts, 'backend')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^nix: nix-build is not on PATH/), fix: expect.stringMatching(/install Nix/) });
      expect(check(facts, 'nix').status).toBe('ok');
      expect(check(tools('nix', 'flake', { nix: '/usr/bin/nix' }), 'backend')).toMatchObject({ status: 'ok', message: 'nix: /usr/bin/nix' });
      expect(check(tools('nixos-generators', 'channel', { nix: '/usr/bin/nix' }), 'backend').status).toBe('ok');
    });

    it('fails build-image without nixos-rebuild, saying to use backend nix or build on NixOS', () => {
      expect(check(tools('build-image', 'flake', { nix: '/usr/bin/nix' }), 'backend')).toMatchObject({
        status: 'fail',
        message: 'build-image: backend "build-image" needs nixos-rebuild (NixOS ≥ 25.05) on PATH, and it was not found',
        fix: 'use backend "nix" (the same system.build.images.<variant>) or run the build on NixOS',
      });
      const found = { nix: '/usr/bin/nix', 'nixos-rebuild': '/run/current-system/sw/bin/nixos-rebuild' };
      expect(check(tools('build-image', 'flake', found), 'backend')).toMatchObject({
        status: 'ok',
        message: 'build-image: /usr/bin/nix, /run/current-system/sw/bin/nixos-rebuild',
      });
    });

    it('nixos-generators: nixos-generate, or Nix to run it from nixpkgs', () => {
      expect(check(tools('nixos-generators', 'flake', { 'nixos-generate': '/bin/nixos-generate' }), 'backend').message).toBe('nixos-generators: /bin/nixos-generate');
      expect(check(tools('nixos-generators', 'flake', {}), 'backend').status).toBe('fail');
    });

    it('fails for a backend nixiso does not know, naming those it does', () => {
      expect(check(tools('docker', 'flake', {}), 'backend')).toMatchObject({
        status: 'fail',
        message: 'nixiso has no backend "docker"',
        fix: "set the build's backend option to one of nix, nixos-generators, build-image",
      });
    });
  });

  it('flakes: warns when nix.conf does not enable them, ok when the build enables them, not needed for channels', () => {
    const off = { ...healthy(), settings: { ...healthy().settings, 'experimental-features': 'nix-command' } };
    expect(check(off, 'flakes')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/experimental-features = nix-command flakes/) });
    expect(check({ ...off, optionOverrides: { 'extra-experimental-features': 'flakes' } }, 'flakes').status).toBe('ok');
    expect(check(withImage({ kind: 'channel' }, off), 'flakes').status).toBe('ok');
  });

  describe('free space against the image’s size class', () => {
    it.each([
      ['iso', 'store', 3, 'fail'], ['iso', 'store', 6, 'warn'], ['iso', 'store', 10, 'ok'],
      ['iso', 'tmp', 0.5, 'fail'], ['iso', 'tmp', 2, 'warn'], ['iso', 'tmp', 5, 'ok'],
      ['qcow2', 'store', 12, 'warn'], ['qcow2', 'tmp', 3, 'fail'], ['raw', 'store', 25, 'ok'],
    ] as const)('%s, %s with %d GiB free: %s', (format, where, gib, status) => {
      const facts = withImage({ format });
      facts[where] = { path: where === 'store' ? '/nix/store' : '/tmp', freeBytes: gib * GiB };
      const result = check(facts, where === 'store' ? 'store-space' : 'tmp-space');
      expect(result.status).toBe(status);
      if (status !== 'ok') expect(result.fix).toMatch(where === 'store' ? /nix-collect-garbage -d/ : /TMPDIR/);
    });

    it('warns when the space could not be read', () => {
      expect(check({ ...healthy(), tmp: { path: '/tmp', error: 'EACCES' } }, 'tmp-space')).toMatchObject({ status: 'warn', message: expect.stringMatching(/EACCES/) });
    });

    it('knows ISOs from disk images', () => {
      expect(sizeClassOf('iso')).toBe('iso');
      expect(sizeClassOf('iso-installer')).toBe('iso');
      expect(sizeClassOf('qcow2-efi')).toBe('disk');
      expect(sizeClassOf('sd-card')).toBe('disk');
    });
  });

  it('KVM: warns when missing, not openable, or unknown to Nix', () => {
    expect(check({ ...healthy(), kvm: { path: '/dev/kvm', exists: false, usable: false } }, 'kvm')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/VT-x/) });
    expect(check({ ...healthy(), kvm: { path: '/dev/kvm', exists: true, usable: false } }, 'kvm')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/kvm group/) });
    const noFeature = { ...healthy(), settings: { ...healthy().settings, 'system-features': 'benchmark big-parallel' } };
    expect(check(noFeature, 'kvm')).toMatchObject({ status: 'warn', message: expect.stringMatching(/system-features lack kvm/) });
  });

  it('QEMU: KVM or TCG for boot tests; warns when it is missing or KVM does not start a CPU', () => {
    expect(check(healthy(), 'qemu')).toMatchObject({ status: 'ok', message: '/usr/bin/qemu-system-x86_64; boot tests use KVM' });
    const missing = { ...healthy(), qemu: { binary: 'qemu-system-x86_64', arch: 'x86_64' } };
    expect(check(missing, 'qemu')).toMatchObject({ status: 'warn', message: expect.stringMatching(/^qemu-system-x86_64 is not on PATH/), fix: expect.stringMatching(/apt-get install qemu-system-x86/) });
    const noKvm = { ...healthy(), kvm: { path: '/dev/kvm', exists: false, usable: false } };
    expect(check(noKvm, 'qemu')).toMatchObject({ status: 'ok', message: expect.stringMatching(/emulate the CPU \(TCG.*\/dev\/kvm is not usable/) });
    const arm = { ...healthy(), qemu: { binary: 'qemu-system-aarch64', arch: 'aarch64', path: '/usr/bin/qemu-system-aarch64' } };
    expect(check(arm, 'qemu').message).toMatch(/TCG.*the image is aarch64, this machine x86_64/);
    const refused = { ...healthy(), qemu: { ...healthy().qemu!, kvmProbe: { ok: false, detail: 'error: failed to set MSR 0x10a to 0x69' } } };
    expect(check(refused, 'qemu')).toMatchObject({ status: 'warn', message: expect.stringMatching(/KVM did not start a virtual CPU \(error: failed to set MSR/), fix: expect.stringMatching(/nested virtualisation/) });
  });

  describe('host platform', () => {
    const aarch64 = (patch: Partial<DoctorFacts> = {}) => withImage({ system: 'aarch64-linux' }, { ...healthy(), ...patch });

    it('fails an aarch64-linux image on x86_64-linux without builder or emulation, naming both fixes', () => {
      const result = check(aarch64(), 'platform');
      expect(result.status).toBe('fail');
      expect(result.message).toMatch(/^the image is for aarch64-linux \(nixpkgs\.hostPlatform in images\/a\/configuration\.nix\) but this machine is x86_64-linux/);
      expect(result.message).not.toMatch(/Configure one of/);
      expect(result.fix).toMatch(/builders.*aarch64-linux/);
      expect(result.fix).toMatch(/boot\.binfmt\.emulatedSystems = \[ "aarch64-linux" \]/);
      expect(result.fix).toMatch(/qemu-user-static/);
    });

    it('with QEMU registered in binfmt_misc but not in extra-platforms: still fails, and says to use it', () => {
      const result = check(aarch64({ binfmt: ['qemu-aarch64'] }), 'platform');
      expect(result.status).toBe('fail');
      expect(result.fix).toMatch(/use the QEMU emulation this machine has.*"extraPlatforms": \["aarch64-linux"\]/);
    });

    it('ok through extra-platforms (nix.conf or the build option) or a remote builder', () => {
      const viaConf = aarch64({ settings: { ...healthy().settings, 'extra-platforms': 'i686-linux aarch64-linux' } });
      expect(check(viaConf, 'platform')).toMatchObject({ status: 'ok', message: expect.stringMatching(/extra-platforms/) });
      expect(check(withImage({ extraPlatforms: ['aarch64-linux'] }, aarch64()), 'platform').status).toBe('ok');
      const viaBuilder = withImage({ builders: ['ssh-ng://builder@arm aarch64-linux /root/.ssh/id 8'] }, aarch64());
      expect(check(viaBuilder, 'platform')).toMatchObject({ status: 'ok', message: expect.stringMatching(/remote builder/) });
    });

    it('native and i686 on x86_64 are fine; a hostPlatform that is no literal is not guessed', () => {
      expect(check(healthy(), 'platform').message).toMatch(/native$/);
      expect(check(withImage({ system: 'i686-linux' }), 'platform').status).toBe('ok');
      expect(check(withImage({ system: undefined }), 'platform')).toMatchObject({ status: 'ok', message: expect.stringMatching(/not a literal/) });
    });
  });

  it('substituters: none, unreachable, partly reachable, not checkable', () => {
    expect(check({ ...healthy(), substituters: [] }, 'substituters')).toMatchObject({ status: 'warn', message: expect.stringMatching(/built from source/) });
    const down = { url: 'https://cache.nixos.org/', reachable: false, detail: 'unreachable (ENOTFOUND)' };
    expect(check({ ...healthy(), substituters: [down] }, 'substituters')).toMatchObject({
      status: 'warn',
      message: 'none reachable: https://cache.nixos.org/: unreachable (ENOTFOUND)',
      fix: expect.stringMatching(/proxy/),
    });
    const up = { url: 'http://127.0.0.1:8080', reachable: true, detail: 'answers (1 ms)' };
    expect(check({ ...healthy(), substituters: [up, down] }, 'substituters')).toMatchObject({ status: 'warn', message: expect.not.stringMatching(/none/) });
    expect(check({ ...healthy(), substituters: [{ url: 's3://bucket', detail: 'not checked' }] }, 'substituters').status).toBe('ok');
  });
});

describe('Nix configuration', () => {
  it('reads nix show-config', () => {
    expect(parseNixConfig('system = x86_64-linux\nsubstituters = https://cache.nixos.org/ https://x\nsandbox-paths = \n')).toEqual({
      system: 'x86_64-linux',
      substituters: 'https://cache.nixos.org/ https://x',
      'sandbox-paths': '',
    });
  });

  it('takes the build’s --option overrides: substituters replaced, extra-substituters added', () => {
    const settings = { substituters: 'https://cache.nixos.org/' };
    expect(effectiveSubstituters({ settings, optionOverrides: {} })).toEqual(['https://cache.nixos.org/']);
    expect(effectiveSubstituters({ settings, optionOverrides: { substituters: '' } })).toEqual([]);
    expect(effectiveSubstituters({ settings, optionOverrides: { 'extra-substituters': 'https://a https://cache.nixos.org/' } })).toEqual([
      'https://cache.nixos.org/', 'https://a',
    ]);
  });

  it('reads versions as Nix prints them', () => {
    expect(parseNixVersion('nix (Nix) 2.8.0')).toEqual([2, 8, 0]);
    expect(parseNixVersion('nix (Nix) 2.24.10pre20241001_dirty')).toEqual([2, 24, 10]);
    expect(parseNixVersion('nix (Nix) 2.4')).toEqual([2, 4, 0]);
    expect(parseNixVersion('garbage')).toBeUndefined();
  });
});

describe('cache inputs check', () => {
  it('warns with the fix when targetDefaults replace an image target’s inputs', () => {
    const warning = 'targetDefaults["build"] in nx.json replaces the inputs that nixiso infers for a:build, so … . Add "@nixiso/nx:build": { "cache": true } to targetDefaults';
    const result = check({ ...healthy(), overriddenTargets: [{ target: 'build', warning }] }, 'cache-inputs');
    expect(result).toMatchObject({ status: 'warn', fix: 'Add "@nixiso/nx:build": { "cache": true } to targetDefaults' });
    expect(result.message).toMatch(/^targetDefaults\["build"\] in nx\.json replaces the inputs/);
  });
});

describe('read tracing check', () => {
  it('ok when builds record what Nix reads; a warning naming the reason and the fix when the inputs are the static model alone', () => {
    expect(check({ ...healthy(), readTracer: { available: true, detail: 'strace at /usr/bin/strace' } }, 'read-tracing')).toMatchObject({
      status: 'ok',
      message: 'builds record the files Nix reads (strace at /usr/bin/strace)',
    });
    const without = check({ ...healthy(), readTracer: { available: false, detail: 'strace is not on PATH' } }, 'read-tracing');
    expect(without.status).toBe('warn');
    expect(without.message).toMatch(/^strace is not on PATH: the inputs are what the Nix sources say alone/);
    expect(without.fix).toMatch(/apt-get install strace/);
    expect(doctorChecks(healthy()).map((r) => r.id)).not.toContain('read-tracing');
  });
});

describe('renderDoctorReport', () => {
  it('one aligned line per check, the fix under what is not ok, a count at the end', () => {
    const facts = withImage({ system: 'aarch64-linux' }, { ...healthy(), substituters: [] });
    const text = renderDoctorReport('nixiso doctor: a', doctorChecks(facts));
    const lines = text.split('\n');
    expect(lines[0]).toBe('nixiso doctor: a');
    expect(lines[1]).toBe('  ok    Nix              Nix 2.8.0 (/usr/bin/nix)');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}fail {2}host platform {4}the image is for aarch64-linux/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {25}→ a remote builder/));
    expect(lines[lines.length - 1]).toBe('1 failed, 1 warning, 8 ok');
    expect(renderDoctorReport('h', doctorChecks(healthy())).split('\n').pop()).toBe('all 10 checks ok');
  });
});

describe('image configurations check', () => {
  it('ok with what the graph found; configurations it could not tell fail, with the project.json line that settles them', () => {
    const found = doctorChecks({ ...healthy(), discovery: { configurations: ['iso', 'rescue'], undecided: [] } });
    expect(found[found.length - 1]).toEqual({ id: 'configurations', title: 'images', status: 'ok', message: 'iso, rescue' });
    const settle = 'set "metadata": { "nixiso": { "configurations": ["desk", "usb"] } } in infra/project.json (or "image": false)';
    const open = doctorChecks({
      ...healthy(),
      discovery: { configurations: [], undecided: ['nixosConfigurations.usb: flake.nix:3: usb = my-lib.mkHost "usb"; (built by `my-lib.mkHost`, which the flake\'s files do not define); Nix was not asked', settle] },
    });
    expect(open[open.length - 1]).toMatchObject({ status: 'fail', fix: settle });
    expect(open[open.length - 1].message).toMatch(/^could not tell: nixosConfigurations\.usb: flake\.nix:3/);
  });
});
