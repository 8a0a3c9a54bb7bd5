/**
 * Login shells on the stand-in's ISO: users.users.<name>.shell reaches
 * /etc/passwd and the console autologin, and each shell starts as NixOS
 * starts it (its /etc start-up files with programs.<shell>.promptInit), so a
 * boot test sees zsh's, fish's or a custom bash prompt and types into that
 * shell. The lines typed are the kind the boot-test executor types: a marker
 * split by quotes (only the shell's output joins it) and a command piped
 * through `base64 -d | sh`. Real Nix builds one ISO per shell; QEMU (TCG)
 * boots each in a few seconds.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, tempTree, type NixTools } from '../src/nix-env';
import {
  bootQemu,
  extractBootEntry,
  readIsoDescription,
  type QemuSession,
} from '../src';
import { describeWithBoot } from './nix-run';

const BOOT_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 10_000;
const MARKER_TYPED = "echo '@@A''B@@'";
const MARKER = /^@@AB@@$/m;
const PIPED = `echo ${Buffer.from('echo hello\n').toString('base64')} | base64 -d | sh`;

/** The installer profile (autologin user `nixos`) plus the given lines. */
const configuration = (lines: string) => `{ lib, pkgs, modulesPath, ... }:
{
  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];
${lines}
  system.stateVersion = "24.05";
}
`;

const ZSH = configuration(`  programs.zsh.enable = true;
  users.users.nixos.shell = pkgs.zsh;`);
const FISH = configuration(`  programs.fish.enable = true;
  users.users.nixos.shell = pkgs.fish;`);
const BASH_PS1 = configuration(`  programs.bash.promptInit = ''
    PS1='\\[\\e[1;35m\\]\\u on \\h\\[\\e[0m\\] \\$ '
  '';`);

const created: string[] = [];
afterAll(() => created.forEach((d) => rmSync(d, { recursive: true, force: true })));

function nixBuild(nix: NixTools, config: string, attr = 'config.system.build.isoImage') {
  const dir = tempTree({ 'configuration.nix': config }, 'nixiso-shells-');
  created.push(dir);
  const r = spawnSync(
    nix.nixBuild,
    ['<nixpkgs/nixos>', '-A', attr, '-I', `nixos-config=${join(dir, 'configuration.nix')}`, ...nix.channelArgs, ...nix.offlineArgs, '-o', join(dir, 'result')],
    { cwd: dir, env: nix.env, encoding: 'utf8' },
  );
  return { dir, ...r };
}

function buildIso(nix: NixTools, config: string): string {
  const r = nixBuild(nix, config);
  if (r.status !== 0) throw new Error(`nix-build failed (${r.status}):\n${r.stderr}`);
  const isoDir = join(r.dir, 'result', 'iso');
  const iso = readdirSync(isoDir).find((f) => f.endsWith('.iso'));
  if (!iso) throw new Error(`no ISO in ${isoDir}`);
  return join(isoDir, iso);
}

/** Boots to the autologin line; the caller waits for the shell. */
async function boot(iso: string): Promise<QemuSession> {
  const entry = extractBootEntry(iso, join(iso.replace(/\/result\/iso\/.*$/, ''), 'boot'));
  const session = bootQemu({ kernel: entry.kernel, initrd: entry.initrd, append: `${entry.append} console=ttyS0` });
  try {
    await session.waitFor(/^nixos login: nixos \(automatic login\)$/m, BOOT_TIMEOUT_MS);
  } catch (e) {
    session.kill();
    throw e;
  }
  return session;
}

/** Types a line and waits for what it prints, then for the prompt again. */
async function run(session: QemuSession, line: string, expected: RegExp, prompt: RegExp): Promise<void> {
  const mark = session.mark();
  session.type(line);
  const m = await session.waitFor(expected, STEP_TIMEOUT_MS, mark);
  await session.waitFor(prompt, STEP_TIMEOUT_MS, mark + m.index + m[0].length);
}

async function powerOff(session: QemuSession): Promise<void> {
  session.type('poweroff -f');
  expect(await session.exit(15_000)).toBe(0);
}

describeWithNix('login shells: options as NixOS has them', (nix) => {
  it('fails a zsh user without programs.zsh.enable with NixOS\'s assertion', () => {
    const r = nixBuild(nix, configuration('  users.users.nixos.shell = pkgs.zsh;'), 'config.system.build.toplevel.drvPath');
    expect(r.status).not.toBe(0);
    // Nix indents the message's lines.
    expect(r.stderr).toMatch(/users\.users\.nixos\.shell is set to zsh, but\n\s*programs\.zsh\.enable is not true\./);
    expect(r.stderr).toContain('set users.users.nixos.ignoreShellProgramCheck = true;');
  });

  it('rejects a package that is not a shell, as utils.toShellPath does', () => {
    const r = nixBuild(nix, configuration('  users.users.nixos.shell = pkgs.jq;'), 'config.system.build.toplevel.drvPath');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/\/nix\/store\/\S+-jq-1\.0 is not a shell package/);
  });
});

describeWithBoot('login shells on the console', (nix) => {
  jest.setTimeout(90_000);
  const times: string[] = [];
  afterAll(() => times.length && console.info(`shell boots (TCG, to the prompt): ${times.join(', ')}`));

  it('zsh: NixOS\'s zsh-newuser-install for a user without ~/.zshrc, then `prompt suse`', async () => {
    const iso = buildIso(nix, ZSH);
    expect(readIsoDescription(iso).users.nixos.shell).toBe('zsh');
    const session = await boot(iso);
    try {
      // Real NixOS shows zsh's new-user menu first (nixpkgs issue #428832); `q` leaves it.
      await session.waitFor(/^--- Type one of the keys in parentheses --- $/m, BOOT_TIMEOUT_MS);
      session.type('q');
      const prompt = /nixos@nixos:~\/ > $/;
      await session.waitFor(prompt, STEP_TIMEOUT_MS);
      times.push(`zsh ${((Date.now() - session.startedAt) / 1000).toFixed(1)} s`);
      await run(session, MARKER_TYPED, MARKER, prompt);
      await run(session, PIPED, /^hello$/m, prompt);
      await run(session, 'echo $SHELL $ZSH_VERSION; grep ^nixos: /etc/passwd', /^\/run\/current-system\/sw\/bin\/zsh 5\.\d+\nnixos:x:1000:100::\/home\/nixos:\/run\/current-system\/sw\/bin\/zsh$/m, prompt);
      await powerOff(session);
    } finally {
      session.kill();
    }
  });

  it('fish: its greeting and default prompt, and fish\'s own syntax errors', async () => {
    const session = await boot(buildIso(nix, FISH));
    try {
      await session.waitFor(/^Welcome to fish, the friendly interactive shell$/m, BOOT_TIMEOUT_MS);
      // fish ends a repaint by moving the cursor back behind the prompt (`\r\e[15C`).
      const prompt = /nixos@nixos ~> \n?$/;
      await session.waitFor(prompt, STEP_TIMEOUT_MS);
      times.push(`fish ${((Date.now() - session.startedAt) / 1000).toFixed(1)} s`);
      await run(session, MARKER_TYPED, MARKER, prompt);
      await run(session, PIPED, /^hello$/m, prompt);
      // fish refuses POSIX's $? and keeps the rejected line in its editor: Ctrl-U (backward-kill-line) clears it.
      let mark = session.mark();
      session.type('echo $?');
      await session.waitFor(/^fish: \$\? is not the exit status\. In fish, please use \$status\.$/m, STEP_TIMEOUT_MS, mark);
      // The prompt comes back with the refused line on it (how fish repaints it after that varies with timing).
      await session.waitFor(/^fish: \$\? is not the exit status[\s\S]*nixos@nixos ~> echo \$\?/m, STEP_TIMEOUT_MS, mark);
      mark = session.mark();
      session.type('\x15');
      await session.waitFor(prompt, STEP_TIMEOUT_MS, mark);
      await run(session, 'echo $SHELL (status is-login; and echo login)', /^\/run\/current-system\/sw\/bin\/fish login$/m, prompt);
      await powerOff(session);
    } finally {
      session.kill();
    }
  });

  it('bash: programs.bash.promptInit replaces NixOS\'s prompt', async () => {
    const iso = buildIso(nix, BASH_PS1);
    const session = await boot(iso);
    try {
      const prompt = /^nixos on nixos \$ $/m;
      await session.waitFor(prompt, BOOT_TIMEOUT_MS);
      times.push(`bash ${((Date.now() - session.startedAt) / 1000).toFixed(1)} s`);
      expect(session.output()).toContain('\x1b[1;35mnixos on nixos\x1b[0m $ ');
      await run(session, MARKER_TYPED, MARKER, prompt);
      await run(session, PIPED, /^hello$/m, prompt);
      await run(session, 'echo $SHELL', /^\/run\/current-system\/sw\/bin\/bash$/m, prompt);
      await powerOff(session);
    } finally {
      session.kill();
    }
  });
});
