/**
 * What boot-test decides, through the real Nx CLI, on stand-in images that
 * fail (or succeed) the ways a real NixOS image does where the console does
 * not tell: a Type=simple service failing after `Started`, a oneshot failing
 * after the login prompt, a failed activation snippet, a unit that never
 * finishes starting, stage 1 giving up, a kernel panic, a check outliving its
 * limit, a shutdown that hangs, and login shells other than NixOS's bash.
 * The stand-in's systemd answers `systemctl` and `journalctl` as systemd does
 * (tools/nix-fixtures/README.md), and keeps unit output in its journal.
 */
import { rmSync } from 'node:fs';
import { createTestWorkspace, describeWithNix, describeWithQemu, type TestWorkspace } from '@nixiso/testing';

/** The iso-channel example's configuration with `extra` added. */
const configuration = (extra: string) => `{ pkgs, lib, modulesPath, ... }:
{
  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  environment.systemPackages = with pkgs; [ git ];
${extra}
}
`;

const IMAGES: Record<string, string> = {
  // Three false passes of a console reader in one image: each must be named.
  'img-late': `
  # Type=simple (the default): "Started" at fork, the failure afterwards reaches only the journal.
  systemd.services.late = { wantedBy = [ "multi-user.target" ]; description = "Fails after it started"; script = "echo late-failure-line; exit 1"; };
  # A oneshot still running when the autologin prompt appears (the getty does not wait for multi-user.target).
  systemd.services.afterprompt = { wantedBy = [ "multi-user.target" ]; serviceConfig.Type = "oneshot"; script = "sleep 4; echo after-prompt-line; exit 2"; };
  system.activationScripts.seedMotd = "echo seeding the motd; false";`,
  'img-hang': `
  systemd.services.hang = { wantedBy = [ "multi-user.target" ]; description = "Waits forever"; serviceConfig.Type = "oneshot"; script = "echo waiting-for-the-network; sleep 100000"; };`,
  'img-stage1': `
  boot.kernelParams = [ "init=/nix/store/00000000000000000000000000000000-missing/init" ];`,
  'img-panic': `
  boot.kernelParams = [ "init=/nix/store/00000000000000000000000000000000-missing/init" "boot.panic_on_fail" ];`,
  'img-slowstop': `
  # A long-running service whose stop hangs: the shutdown hangs, the image is fine.
  systemd.services.slowstop = { wantedBy = [ "multi-user.target" ]; script = "sleep 100000"; preStop = "sleep 100000"; };`,
  'img-zsh': `
  programs.zsh.enable = true;
  users.users.nixos.shell = pkgs.zsh;`,
  'img-fish': `
  programs.fish.enable = true;
  users.users.nixos.shell = pkgs.fish;`,
  'img-ps1': `
  programs.bash.promptInit = ''PS1="rescue \\\\w > "'';`,
};

const SHELL_CHECK = { run: 'echo "$0 says $((6*7))"', expect: 'says 42$' };

/** Targets beside the inferred ones, per image. */
const TARGETS: Record<string, Record<string, unknown>> = {
  'img-slowstop': {
    'boot-test': { options: { checks: [{ run: 'echo ok', expect: '^ok$' }] } },
  },
  'img-zsh': { 'boot-test': { options: { checks: [SHELL_CHECK] } } },
  'img-fish': { 'boot-test': { options: { checks: [SHELL_CHECK] } } },
  'img-ps1': {
    'boot-test': { options: { checks: [SHELL_CHECK] } },
    'check-timeout': {
      executor: '@nixiso/nx:boot-test',
      cache: false,
      options: { checks: [{ run: 'echo first' }, { run: 'sleep 60', timeoutSeconds: 3 }, { run: 'echo third' }, { run: 'echo fourth' }] },
    },
  },
};

interface Report {
  result: string;
  state: string;
  failure?: string;
  failedUnits: { unit?: string; message: string; source?: string; journal?: string[] }[];
  hungUnits: { unit: string; job: string; journal: string[] }[];
  activationFailures: { snippet: string; status: number }[];
  fatal?: { kind: string; cause: string };
  systemd?: { state: string; settled: boolean };
  checks: { command: string; passed: boolean; reason?: string; exitStatus?: number }[];
  shutdown: string;
  serialTail: string[];
  durationMs: number;
}

describeWithNix('boot-test asks systemd', () => {
  describeWithQemu('with QEMU', () => {
    let ws: TestWorkspace;
    const report = (name: string): Report => JSON.parse(ws.read(`dist/images/${name}/boot-test.json`));
    const bootTest = (name: string, ...args: string[]) => ws.nx(['run', `${name}:boot-test:offline`, '--skip-nx-cache', ...args]);

    beforeAll(() => {
      ws = createTestWorkspace({
        files: Object.fromEntries(
          Object.entries(IMAGES).flatMap(([name, extra]) => [
            [`images/${name}/configuration.nix`, configuration(extra)],
            [`images/${name}/project.json`, JSON.stringify({ name, projectType: 'application', targets: TARGETS[name] ?? {} })],
          ]),
        ),
      });
      const built = ws.nx(['run-many', '-t', 'build', '-c', 'offline', '--parallel=2']);
      if (built.status !== 0) throw new Error(`the builds failed:\n${built.output}`);
    });
    afterAll(() => rmSync(ws.root, { recursive: true, force: true }));

    it('a Type=simple service failing after it started, a oneshot failing after the prompt and a failed activation snippet: each named, with its journal', () => {
      const r = bootTest('img-late');
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/the boot failed:\n/);
      expect(r.output).toMatch(/late\.service failed \(systemctl --failed: Fails after it started\); journalctl -b -u late\.service:\n(?: {4}.*\n)*? {4}.*late-failure-line/);
      expect(r.output).toMatch(/afterprompt\.service failed .*; journalctl -b -u afterprompt\.service:\n(?: {4}.*\n)*? {4}.*after-prompt-line/);
      expect(r.output).toMatch(/NixOS's activation script: snippet 'seedMotd' failed \(exit 1\)/);
      const rep = report('img-late');
      expect(rep).toMatchObject({ result: 'failed', state: 'failed', systemd: { state: 'degraded', settled: true } });
      expect(rep.failedUnits.map((u) => [u.unit, u.source]).sort()).toEqual([['afterprompt.service', 'systemd'], ['late.service', 'systemd']]);
      expect(rep.activationFailures).toEqual([expect.objectContaining({ snippet: 'seedMotd', status: 1 })]);
    });

    it('a unit that never finishes starting is named from systemctl list-jobs, with its journal, when the time is up', () => {
      const r = bootTest('img-hang', '--timeoutSeconds=25');
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(
        /the boot did not finish within 25 s \(option timeoutSeconds\):\nhang\.service was still starting when the time was up \(systemctl list-jobs: start running; the boot waits for it\); journalctl -b -u hang\.service:\n(?: {4}.*\n)*? {4}.*waiting-for-the-network/,
      );
      const rep = report('img-hang');
      expect(rep.hungUnits).toEqual([expect.objectContaining({ unit: 'hang.service', job: 'start running' })]);
      expect(rep.systemd).toMatchObject({ settled: false, state: 'starting' });
    });

    it('stage 1 giving up ends the test at once, with the line that says why', () => {
      const r = bootTest('img-stage1');
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/stage 1 of the boot failed: stage 2 init script \(\S*\/nix\/store\/0{32}-missing\/init\) not found/);
      const rep = report('img-stage1');
      expect(rep.fatal).toMatchObject({ kind: 'stage-1' });
      // Not the 600 s TCG default: it stopped when stage 1 said so.
      expect(rep.durationMs).toBeLessThan(60_000);
    });

    it('a kernel panic is reported once, with its cause', () => {
      const r = bootTest('img-panic');
      expect(r.status).not.toBe(0);
      const failure = r.output.slice(r.output.indexOf('the kernel panicked'));
      expect(failure).toMatch(/^the kernel panicked: Attempted to kill init! exitcode=0x0*100\n/);
      expect(r.output.match(/the kernel panicked/g)).toHaveLength(1);
      expect(report('img-panic')).toMatchObject({ fatal: { kind: 'panic' }, failedUnits: [] });
    });

    it('a check that outlives its limit says the limit and which checks did not run; the shutdown is clean', () => {
      const r = ws.nx(['run', 'img-ps1:check-timeout']);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/check `sleep 60` did not finish within 3 s \(its timeoutSeconds\); not run: `echo third`, `echo fourth`/);
      const rep = report('img-ps1');
      expect(rep.shutdown).toBe('powered off');
      expect(rep.checks.map((c) => [c.command, c.passed, c.reason])).toEqual([
        ['echo first', true, undefined],
        ['sleep 60', false, 'it did not finish within 3 s (its timeoutSeconds)'],
        ['echo third', false, 'not run'],
        ['echo fourth', false, 'not run'],
      ]);
    });

    it('what the shutdown prints does not fail a good boot, and a shutdown that hangs is stopped, not failed', () => {
      const r = bootTest('img-slowstop');
      expect(r.status).toBe(0);
      const rep = report('img-slowstop');
      expect(rep).toMatchObject({ result: 'passed', shutdown: 'stopped', failedUnits: [] });
      // The verdict was in before the shutdown: its lines are not in the report.
      expect(rep.serialTail.join('\n')).not.toMatch(/Failed unmounting|A stop job is running/);
    });

    it.each(['img-zsh', 'img-fish', 'img-ps1'])('%s: the handshake and the checks work whatever the login shell and prompt', (name) => {
      const r = bootTest(name);
      expect(r.output).toMatch(/boot test passed/);
      expect(r.status).toBe(0);
      expect(report(name).checks[0]).toMatchObject({ passed: true, exitStatus: 0 });
    });
  });
});
