/**
 * The stand-in's ISO boots: real Nix builds it, xorriso reads its boot entry
 * (isolinux.cfg's DEFAULT label) back out, and QEMU (TCG, -no-reboot) boots
 * the kernel and initrd with that APPEND line plus console=ttyS0. The serial
 * console must show what real NixOS shows there: systemd's status lines for
 * home-manager-nixos.service and multi-user.target, getty's autologin and a
 * shell that runs what is typed; systemctl and journalctl there answer as
 * systemd does (service types, jobs, the journal, the shutdown); stage 1
 * reports a missing init= in NixOS's words.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ARTICLE } from '../src/article';
import { tempTree, type NixTools } from '../src/nix-env';
import {
  bootQemu,
  extractBootEntry,
  parseIsolinuxCfg,
  plainConsole,
  readIsoFile,
} from '../src';
import { describeWithBoot } from './nix-run';

// The companion repository's broken activation, in the channel layout.
const HOME_BROKEN = ARTICLE.homeChannel.replace(
  '    users.${username} = { pkgs, osConfig, ... }: {\n',
  '    users.${username} = { pkgs, lib, osConfig, ... }: {\n' +
    '      home.activation.broken-script = lib.hm.dag.entryAfter ["writeBoundary"] \'\'\n' +
    '        run echo $UNEXIST_VARIABLE\n' +
    "      '';\n",
);

const BOOT_TIMEOUT_MS = 30_000;
const created: string[] = [];
afterAll(() => created.forEach((d) => rmSync(d, { recursive: true, force: true })));

function buildChannelIso(nix: NixTools, files: Record<string, string>): string {
  const dir = tempTree(files, 'nixiso-boot-');
  created.push(dir);
  const r = spawnSync(
    nix.nixBuild,
    [
      '<nixpkgs/nixos>', '-A', 'config.system.build.isoImage',
      '-I', `nixos-config=${join(dir, 'configuration.nix')}`,
      ...nix.channelArgs, ...nix.offlineArgs, '-o', join(dir, 'result'),
    ],
    { cwd: dir, env: nix.env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`nix-build failed (${r.status}):\n${r.stderr}`);
  const isoDir = join(dir, 'result', 'iso');
  return join(isoDir, readdirSync(isoDir).find((f) => f.endsWith('.iso'))!);
}

async function bootToShell(iso: string) {
  const entry = extractBootEntry(iso, join(iso.replace(/\/result\/iso\/.*$/, ''), 'boot'));
  const session = bootQemu({ kernel: entry.kernel, initrd: entry.initrd, append: `${entry.append} console=ttyS0` });
  try {
    await session.waitFor(/Reached target Multi-User System\.$/m, BOOT_TIMEOUT_MS);
    await session.waitFor(/^nixos login: nixos \(automatic login\)$/m, BOOT_TIMEOUT_MS);
    await session.waitFor(/^\[nixos@nixos:~\]\$ $/m, BOOT_TIMEOUT_MS);
  } catch (e) {
    session.kill();
    throw e;
  }
  const bootMs = Date.now() - session.startedAt;
  return { entry, session, bootMs };
}

describe('isolinux.cfg', () => {
  it('gives the DEFAULT label entry', () => {
    expect(parseIsolinuxCfg('DEFAULT boot\n\nLABEL other\nLINUX /x\nINITRD /y\n\nLABEL boot\nLINUX /boot/bzImage\nAPPEND init=/nix/store/a-toplevel/init quiet\nINITRD /boot/initrd\n'))
      .toEqual({ kernelPath: '/boot/bzImage', initrdPath: '/boot/initrd', append: 'init=/nix/store/a-toplevel/init quiet' });
  });
});

describeWithBoot('the stand-in ISO boots under QEMU', (nix) => {
  jest.setTimeout(180_000);
  const times: string[] = [];
  // eslint-disable-next-line no-console
  afterAll(() => times.length && console.info(`boot times (TCG): ${times.join(', ')}`));

  it('carries NixOS\'s boot entry and boots the article\'s home-manager image to an autologin shell', async () => {
    const iso = buildChannelIso(nix, { 'configuration.nix': ARTICLE.configurationHomeManager, 'home.nix': ARTICLE.homeChannel });
    const cfg = readIsoFile(iso, '/isolinux/isolinux.cfg');
    expect(cfg).toMatch(/^DEFAULT boot$/m);
    expect(cfg).toMatch(/^LABEL boot$/m);
    expect(cfg).toMatch(/^LINUX \/boot\/bzImage$/m);
    expect(cfg).toMatch(/^INITRD \/boot\/initrd$/m);
    expect(cfg).toMatch(/^APPEND init=\/nix\/store\/[a-z0-9]{32}-nixos-system-nixos-[^/ ]+\/init root=LABEL=nixos-minimal-24\.05-x86_64 boot\.shell_on_fail$/m);
    const grub = readIsoFile(iso, '/EFI/BOOT/grub.cfg');
    const append = /^APPEND (.*)$/m.exec(cfg)![1];
    expect(grub).toContain(`linux /boot/bzImage ${append}\n`);
    expect(grub).toContain('initrd /boot/initrd\n');

    const { session, bootMs } = await bootToShell(iso);
    times.push(`home-manager image ${(bootMs / 1000).toFixed(1)} s`);
    try {
      const text = plainConsole(session.output());
      // home-manager's unit is Type=oneshot: systemd (>= 245) says Finished, not Started.
      expect(text).toMatch(/^ {9}Starting Home Manager environment for nixos\.\.\.$/m);
      expect(text).toMatch(/^\[ {2}OK {2}\] Finished Home Manager environment for nixos\.$/m);
      expect(text).toMatch(/^<<< NixOS Stage 2 >>>$/m);
      expect(text).not.toContain('[FAILED]');
      let mark = session.mark();
      session.type('jq --version; whoami');
      await session.waitFor(/^jq 1\.0 \(nixiso fixture stand-in\)\nnixos$/m, 10_000, mark);
      mark = session.mark();
      session.type('systemctl is-system-running --wait; echo "rc=$?"; systemctl is-active home-manager-nixos');
      await session.waitFor(/^running\nrc=0\nactive$/m, 10_000, mark);
      session.type('poweroff -f');
      expect(await session.exit(15_000)).toBe(0);
    } finally {
      session.kill();
    }
    expect(bootMs).toBeLessThan(BOOT_TIMEOUT_MS);
  });

  it('shows the broken activation as systemd does: [FAILED] and the status hint on the console, the script\'s error in the journal', async () => {
    const iso = buildChannelIso(nix, {
      'configuration.nix': ARTICLE.configurationHomeManager.replace('    ./home.nix\n', '    ./home.nix\n    ./activation.nix\n'),
      'home.nix': HOME_BROKEN,
      // system.activationScripts run in stage 2; a failing snippet is reported and the boot goes on, as in NixOS.
      'activation.nix': `{ ... }: {
  system.activationScripts.marker = "echo ran > /run/nixiso-marker";
  system.activationScripts.fails = { text = "false"; deps = [ "marker" ]; };
}
`,
    });
    const entry = extractBootEntry(iso, join(iso.replace(/\/result\/iso\/.*$/, ''), 'boot-combined'));
    // systemd.status_unit_format=name makes systemd (and the stand-in) name units.
    const session = bootQemu({ kernel: entry.kernel, initrd: entry.initrd, append: `${entry.append} console=ttyS0 systemd.status_unit_format=name` });
    try {
      await session.waitFor(/^Activation script snippet 'fails' failed \(1\)$/m, BOOT_TIMEOUT_MS);
      await session.waitFor(/^\[FAILED\] Failed to start home-manager-nixos\.service\.$/m, BOOT_TIMEOUT_MS);
      await session.waitFor(/^See 'systemctl status home-manager-nixos\.service' for details\.$/m, 5_000);
      // Not anchored at the end: the kernel may append a message of its own to the line on the shared console.
      await session.waitFor(/^\[ {2}OK {2}\] Reached target multi-user\.target\./m, 5_000);
      await session.waitFor(/^\[nixos@nixos:~\]\$ $/m, BOOT_TIMEOUT_MS);
      times.push(`broken activation ${((Date.now() - session.startedAt) / 1000).toFixed(1)} s`);
      // The unit's output is in the journal only, as on NixOS.
      expect(plainConsole(session.output())).not.toContain('UNEXIST_VARIABLE');
      let mark = session.mark();
      session.type('systemctl is-system-running --wait; echo "rc=$?"; systemctl --failed --plain --no-legend');
      await session.waitFor(/^degraded\nrc=1\nhome-manager-nixos\.service loaded failed failed Home Manager environment for nixos$/m, 10_000, mark);
      mark = session.mark();
      session.type('journalctl -b -u home-manager-nixos --no-pager');
      await session.waitFor(/^\w{3} \d\d \d\d:\d\d:\d\d nixos hm-activate-nixos\[\d+\]: \/nix\/store\/\S+-home-manager-generation\/activate: line \d+: UNEXIST_VARIABLE: unbound variable$/m, 10_000, mark);
      await session.waitFor(/^\w{3} \d\d \d\d:\d\d:\d\d nixos systemd\[1\]: home-manager-nixos\.service: Main process exited, code=exited, status=1\/FAILURE$/m, 5_000, mark);
      // Stage 2's output is in the journal too, under stage-2-init (NixOS logs it through /dev/kmsg).
      mark = session.mark();
      session.type('journalctl -b -t stage-2-init -o cat --no-pager -q | grep -F \'Activation script snippet\'');
      await session.waitFor(/^Activation script snippet 'fails' failed \(1\)$/m, 10_000, mark);
      mark = session.mark();
      session.type('cat /run/nixiso-marker');
      await session.waitFor(/^ran\n[\s\S]*\[nixos@nixos:~\]\$ $/m, 10_000, mark);
      mark = session.mark();
      session.type('systemctl status home-manager-nixos.service');
      await session.waitFor(/^× home-manager-nixos\.service - Home Manager environment for nixos\n\s+Loaded: .*\n\s+Active: failed \(Result: exit-code\)/m, 10_000, mark);
      await session.waitFor(/UNEXIST_VARIABLE: unbound variable/, 5_000, mark);
      session.type('poweroff -f');
      expect(await session.exit(15_000)).toBe(0);
    } finally {
      session.kill();
    }
  });

  // One image for the rest: a simple service that fails after its start, a
  // oneshot that never ends, a daemon whose ExecStop hangs (until its
  // TimeoutStopSec=), a oneshot and a simple service that succeed.
  const SERVICES = `{ modulesPath, ... }: {
  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  boot.kernelParams = [ "nixiso.test=1" ];
  systemd.services.crashes = {
    description = "Crashes after a while";
    wantedBy = [ "multi-user.target" ];
    script = "echo crashes is up; sleep 1; echo crashes gives up >&2; exit 1";
  };
  systemd.services.slow = {
    description = "Slow thing";
    wantedBy = [ "multi-user.target" ];
    serviceConfig.Type = "oneshot";
    script = "echo slow starts; while :; do sleep 1; done";
  };
  systemd.services.daemon = {
    description = "Long-running daemon";
    wantedBy = [ "multi-user.target" ];
    script = "echo daemon running; exec sleep 100000";
    preStop = "echo daemon stopping; while :; do sleep 1; done";
    serviceConfig.TimeoutStopSec = 8;
  };
  systemd.services.quick = {
    description = "Quick setup";
    wantedBy = [ "multi-user.target" ];
    serviceConfig.Type = "oneshot";
    script = "echo quick done";
  };
  systemd.services.done = {
    description = "Exits cleanly";
    wantedBy = [ "multi-user.target" ];
    script = "echo done";
  };
}
`;
  let servicesIso: string | undefined;
  const services = () => (servicesIso ??= buildChannelIso(nix, { 'configuration.nix': SERVICES }));
  const bootServices = (name: string, extra = '') => {
    const iso = services();
    const entry = extractBootEntry(iso, join(iso.replace(/\/result\/iso\/.*$/, ''), name));
    return bootQemu({ kernel: entry.kernel, initrd: entry.initrd, append: `${entry.append} console=ttyS0${extra}` });
  };

  it('runs services as systemd does: a failing simple service, a hanging oneshot, the jobs and the journal; the shutdown', async () => {
    const session = bootServices('boot-services');
    try {
      // Type=simple: started at the fork; its later failure is not on the console.
      await session.waitFor(/^\[ {2}OK {2}\] Started Crashes after a while\.$/m, BOOT_TIMEOUT_MS);
      await session.waitFor(/^ {9}Starting Slow thing\.\.\.$/m, 5_000);
      await session.waitFor(/^\[ {2}OK {2}\] Finished Quick setup\.$/m, 5_000);
      // The getty does not wait for multi-user.target (Type=idle: at most 5 s for the queue).
      await session.waitFor(/^\[nixos@nixos:~\]\$ $/m, BOOT_TIMEOUT_MS);
      times.push(`services image ${((Date.now() - session.startedAt) / 1000).toFixed(1)} s`);
      // The oneshot holds multi-user.target: systemd's ephemeral line, its cylon in colour.
      // (twice: each one rewrites the last with a reverse line feed, \r and an erase, as systemd does)
      await session.waitFor(/A start job is running for Slow thing \(\d+s \/ no limit\)\n[\s\S]*A start job is running for Slow thing \(\d+s \/ no limit\)$/m, 10_000);
      // eslint-disable-next-line no-control-regex -- the colours are the point
      expect(session.output()).toMatch(/\[(?: |\x1b\[0;31m\*|\x1b\[0;1;31m\*|\x1b\[0m)+\] A start job is running for Slow thing/);
      expect(session.output()).toContain('\x1bM\r\x1b[K[');
      const boot = plainConsole(session.output());
      expect(boot).not.toContain('[FAILED]');
      expect(boot).not.toContain('crashes');
      expect(boot).not.toMatch(/Reached target Multi-User System/);

      let mark = session.mark();
      session.type('systemctl list-jobs --no-legend --full --no-pager; systemctl is-system-running; echo "rc=$?"');
      await session.waitFor(/^1 +multi-user\.target +start waiting$/m, 10_000, mark);
      await session.waitFor(/^\d+ +slow\.service +start running$/m, 5_000, mark);
      await session.waitFor(/^starting\nrc=1$/m, 5_000, mark);
      mark = session.mark();
      session.type('systemctl --failed --plain --no-legend --full --no-pager; systemctl is-active crashes slow daemon done');
      await session.waitFor(/^crashes\.service loaded failed failed Crashes after a while\nfailed\nactivating\nactive\ninactive$/m, 10_000, mark);
      mark = session.mark();
      session.type('journalctl -b -u crashes -o short --no-pager -q');
      await session.waitFor(/^\w{3} \d\d \d\d:\d\d:\d\d nixos crashes-start\[(\d+)\]: crashes gives up$/m, 10_000, mark);
      await session.waitFor(/^\w{3} \d\d \d\d:\d\d:\d\d nixos systemd\[1\]: crashes\.service: Main process exited, code=exited, status=1\/FAILURE\n.* systemd\[1\]: crashes\.service: Failed with result 'exit-code'\.$/m, 5_000, mark);

      // The shutdown: the oneshot's job gives way, the daemon's ExecStop hangs
      // until TimeoutStopSec=, the live image's store fails to unmount.
      mark = session.mark();
      session.type('sudo -n poweroff 2>/dev/null || poweroff');
      await session.waitFor(/^\[ {2}OK {2}\] Stopped Slow thing\.$/m, 10_000, mark);
      await session.waitFor(/A stop job is running for Long-running daemon \(\d+s \/ 8s\)$/m, 15_000, mark);
      await session.waitFor(/^\[ {2}OK {2}\] Stopped Long-running daemon\.$/m, 15_000, mark);
      await session.waitFor(/^\[FAILED\] Failed unmounting \/nix\/store\.$/m, 5_000, mark);
      await session.waitFor(/systemd-shutdown\[1\]: Powering off\.$/m, 5_000, mark);
      expect(await session.exit(15_000)).toBe(0);
      expect(plainConsole(session.output()).slice(mark)).toMatch(/\] reboot: Power down$/m);
    } finally {
      session.kill();
    }
  });

  it('keeps the boot entry\'s init= first, so that a later one (boot.kernelParams, the command line) wins, as stage 1 reads it', () => {
    const cfg = readIsoFile(services(), '/isolinux/isolinux.cfg');
    expect(cfg).toMatch(/^APPEND init=\/nix\/store\/\S+\/init nixiso\.test=1 root=LABEL=\S+ boot\.shell_on_fail$/m);
  });

  const MISSING_INIT = ' init=/nix/store/00000000000000000000000000000000-missing/init';

  it('reports a missing init= in NixOS\'s stage-1 words and waits for a key', async () => {
    const session = bootServices('boot-bad-init', MISSING_INIT);
    try {
      await session.waitFor(/^stage 2 init script \(\/mnt-root\/\/nix\/store\/0{32}-missing\/init\) not found\n\nAn error occurred in stage 1 of the boot process, which must mount the\nroot filesystem on `\/mnt-root' and then start stage 2\. {2}Press one\nof the following keys:\n\n {2}i\) to launch an interactive shell\n {2}f\) to start an interactive shell having pid 1 \(needed if you want to\n {5}start stage 2's init manually\)\n {2}r\) to reboot immediately\n {2}\*\) to ignore the error and continue$/m, BOOT_TIMEOUT_MS);
      const mark = session.mark();
      session.type('r');
      await session.waitFor(/^Rebooting\.\.\.$/m, 10_000, mark);
      expect(await session.exit(15_000)).toBe(0);
    } finally {
      session.kill();
    }
  });

  it('panics the kernel once with boot.panic_on_fail', async () => {
    const session = bootServices('boot-panic', `${MISSING_INIT} boot.panic_on_fail`);
    try {
      await session.waitFor(/\] ---\[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100 \]---$/m, BOOT_TIMEOUT_MS);
      const text = plainConsole(session.output());
      expect(text).toMatch(/^stage 2 init script \(\/mnt-root\/\/nix\/store\/0{32}-missing\/init\) not found$/m);
      expect(text).not.toContain('An error occurred in stage 1');
      expect(text.match(/^\[ *\d+\.\d+\] Kernel panic - not syncing: .*$/gm)).toEqual([
        expect.stringMatching(/Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100$/),
      ]);
    } finally {
      session.kill();
    }
  });
});
