/**
 * boot-test through the real Nx CLI: build the iso-channel example offline
 * against the stand-ins (whose ISO boots: a cloud kernel, a busybox
 * initramfs, systemd's status lines and the getty autologin), then boot it in
 * QEMU (TCG on CI runners) and type checks into its autologin shell.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, describeWithQemu, type TestWorkspace } from '@nixiso/testing';

interface Report {
  result: string;
  state: string;
  failure?: string;
  failedUnits: { unit?: string; message: string; logLines: string[]; source?: string; journal?: string[] }[];
  checks: { command: string; expect?: string; output: string; exitStatus?: number; passed: boolean }[];
  bootTimeMs?: number;
  qemuCommand: string;
  accel: string;
  storePath: string;
  serialTail: string[];
}

const project = (targets: Record<string, unknown>) =>
  JSON.stringify({ name: 'iso-channel', sourceRoot: 'examples/iso-channel', projectType: 'application', targets });

describeWithNix('boot-test through the Nx CLI', () => {
  describeWithQemu('with QEMU', () => {
    let ws: TestWorkspace;
    const report = (): Report => JSON.parse(ws.read('dist/examples/iso-channel/boot-test.json'));
    beforeAll(() => {
      ws = createTestWorkspace({
        examples: ['iso-channel'],
        files: {
          'examples/iso-channel/project.json': project({
            smoke: {
              executor: '@nixiso/nx:boot-test',
              cache: false,
              options: { checks: [{ run: 'git --version', expect: 'git' }] },
            },
            'smoke-missing': {
              executor: '@nixiso/nx:boot-test',
              cache: false,
              options: { checks: [{ run: 'git --version', expect: 'git' }, { run: 'nonexistent-tool --help' }] },
            },
          }),
        },
      });
      const built = ws.nx(['run', 'iso-channel:build:offline']);
      if (built.status !== 0) throw new Error(`the build failed:\n${built.output}`);
    });
    afterAll(() => rmSync(ws.root, { recursive: true, force: true }));

    it('boots the ISO to its autologin shell and passes a check; the report says so', () => {
      const r = ws.nx(['run', 'iso-channel:smoke']);
      expect(r.output).toMatch(/> \S*qemu-system-x86_64 .*-kernel \S+\/bzImage .*-append '[^']*root=LABEL=\S+[^']* console=ttyS0,115200n8'/);
      expect(r.output).toMatch(/nixiso: boot test passed: up in \d+\.\d s \((KVM|TCG)\), 1 check passed/);
      expect(r.status).toBe(0);
      const rep = report();
      expect(rep).toMatchObject({ result: 'passed', state: 'up', failedUnits: [] });
      expect(rep.checks).toEqual([{ command: 'git --version', expect: 'git', output: expect.stringMatching(/git/), exitStatus: 0, passed: true }]);
      expect(rep.bootTimeMs).toBeGreaterThan(0);
      expect(rep.storePath).toMatch(/^\/nix\/store\/\w{32}-/);
      // Written whole: no temporary file left beside it.
      expect(readdirSync(join(ws.root, 'dist/examples/iso-channel')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('a check whose program is missing fails naming the check’s command; the report is written', () => {
      const r = ws.nx(['run', 'iso-channel:smoke-missing']);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/check `nonexistent-tool --help` failed: it exited with status 127/);
      const rep = report();
      expect(rep.result).toBe('failed');
      expect(rep.checks.map((c) => [c.command, c.passed])).toEqual([['git --version', true], ['nonexistent-tool --help', false]]);
      expect(rep.checks[1]).toMatchObject({ exitStatus: 127, output: expect.stringMatching(/not found/) });
    });

    it('a failed unit fails the test naming it, with its journal; checks are not run', () => {
      const config = 'examples/iso-channel/configuration.nix';
      const original = ws.read(config);
      ws.write(
        config,
        original.replace(
          /\}\s*$/,
          '  systemd.services.broken = { wantedBy = [ "multi-user.target" ]; description = "Broken on purpose"; script = "echo broken-log-line; exit 3"; };\n}\n',
        ),
      );
      try {
        expect(ws.nx(['run', 'iso-channel:build:offline']).status).toBe(0);
        const r = ws.nx(['run', 'iso-channel:smoke']);
        expect(r.status).not.toBe(0);
        // Asked in the booted system: systemctl --failed names it, its journal says why.
        expect(r.output).toMatch(/the boot failed:\nbroken\.service failed \(systemctl --failed: Broken on purpose\); journalctl -b -u broken\.service:\n(?: {4}.*\n)*? {4}.*broken-log-line/);
        const rep = report();
        expect(rep).toMatchObject({ result: 'failed', state: 'failed' });
        expect(rep.failedUnits).toEqual([expect.objectContaining({ unit: 'broken.service', message: 'Broken on purpose', source: 'systemd' })]);
        expect(rep.failedUnits[0].journal?.join('\n')).toMatch(/broken-log-line/);
        expect(rep.checks).toEqual([expect.objectContaining({ command: 'git --version', passed: false, reason: 'not run' })]);
      } finally {
        ws.write(config, original);
      }
    });

    it('a system not up in time fails with the last console lines; QEMU is stopped', () => {
      const started = Date.now();
      const r = ws.nx(['run', 'iso-channel:smoke', '--timeoutSeconds=1']);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/the system was not up after 1 s \(option timeoutSeconds\); .*\nlast console lines:\n {4}/);
      expect(report()).toMatchObject({ result: 'failed', state: 'timed-out' });
      expect(report().serialTail.length).toBeGreaterThan(0);
      expect(report().serialTail.length).toBeLessThanOrEqual(30);
      // Bounded: not the 600 s TCG default, and QEMU did not outlive the executor.
      expect(Date.now() - started).toBeLessThan(60_000);
    });

    it('without a manifest it fails naming the build to run', () => {
      rmSync(join(ws.root, 'dist/examples/iso-channel/manifest.json'));
      const r = ws.nx(['run', 'iso-channel:smoke']);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/manifest\.json does not exist: boot-test boots the image the build recorded there; run `nx run iso-channel:build` first/);
      expect(existsSync(join(ws.root, 'dist/examples/iso-channel/boot-test.json'))).toBe(false);
    });
  });
});
