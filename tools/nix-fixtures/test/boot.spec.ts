/**
 * The stand-in's ISO boots: real Nix builds it, xorriso reads its boot entry
 * (isolinux.cfg's DEFAULT label) back out, and QEMU (TCG, -no-reboot) boots
 * the kernel and initrd with that APPEND line plus console=ttyS0. The serial
 * console must show what real NixOS shows there: systemd's status lines for
 * home-manager-nixos.service and multi-user.target, getty's autologin and a
 * shell that runs what is typed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ARTICLE, describeWithNix, isCI, tempTree, type NixTools } from '@nixiso/testing';
import {
  bootPrerequisitesMessage,
  bootQemu,
  extractBootEntry,
  missingBootPrerequisites,
  parseIsolinuxCfg,
  plainConsole,
  readIsoFile,
} from '../src';

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

/** A boot test needs QEMU and the kernel too: under CI their absence fails, like Nix's. */
function describeWithBoot(name: string, body: (nix: NixTools) => void): void {
  describeWithNix(name, (nix) => {
    const missing = missingBootPrerequisites();
    if (missing.length === 0) return body(nix);
    if (isCI()) {
      it('needs QEMU and the kernel', () => {
        throw new Error(bootPrerequisitesMessage(missing));
      });
      return;
    }
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": ${bootPrerequisitesMessage(missing)}`);
    it.skip('needs QEMU and the kernel', () => undefined);
  });
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
    const grub = readIsoFile(iso, '/EFI/boot/grub.cfg');
    const append = /^APPEND (.*)$/m.exec(cfg)![1];
    expect(grub).toContain(`linux /boot/bzImage ${append}\n`);
    expect(grub).toContain('initrd /boot/initrd\n');

    const { session, bootMs } = await bootToShell(iso);
    times.push(`home-manager image ${(bootMs / 1000).toFixed(1)} s`);
    try {
      const text = plainConsole(session.output());
      expect(text).toMatch(/^\[ {2}OK {2}\] Started Home Manager environment for nixos\.$/m);
      expect(text).toMatch(/^<<< NixOS Stage 2 >>>$/m);
      expect(text).not.toContain('[FAILED]');
      const mark = session.mark();
      session.type('jq --version; whoami');
      await session.waitFor(/^jq 1\.0 \(nixiso fixture stand-in\)\nnixos$/m, 10_000, mark);
      session.type('poweroff -f');
      expect(await session.exit(15_000)).toBe(0);
    } finally {
      session.kill();
    }
    expect(bootMs).toBeLessThan(BOOT_TIMEOUT_MS);
  });

  it('shows the broken activation as systemd does: [FAILED], the status hint and the script\'s error', async () => {
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
      await session.waitFor(/hm-activate-nixos\[\d+\]: \/nix\/store\/\S+-home-manager-generation\/activate: line \d+: UNEXIST_VARIABLE: unbound variable$/m, 5_000);
      // Not anchored at the end: the kernel may append a message of its own to the line on the shared console.
      await session.waitFor(/^\[ {2}OK {2}\] Reached target multi-user\.target\./m, 5_000);
      await session.waitFor(/^\[nixos@nixos:~\]\$ $/m, BOOT_TIMEOUT_MS);
      times.push(`broken activation ${((Date.now() - session.startedAt) / 1000).toFixed(1)} s`);
      let mark = session.mark();
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
});
