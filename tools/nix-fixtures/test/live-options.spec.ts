/**
 * The options ordinary live-image configurations set (console, locale,
 * NetworkManager, firewall, boot, getty, sudo, programs, nix.settings,
 * systemd services, environment), declared in the stand-in with NixOS's
 * names, types and defaults: an ordinary configuration builds for 24.05 and
 * 25.11 and its values are read back from /nixiso.json; wrong types fail with
 * NixOS's wording and name the option; undeclared neighbours do not exist.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, fixtures, isCI, tempDir, type NixTools } from '../src/nix-env';
import { channelBuild, expectOk, flakeBuild, isoOf, run } from './nix-run';
import {
  bootPrerequisitesMessage,
  bootQemu,
  extractBootEntry,
  missingBootPrerequisites,
  nixpkgsForRelease,
  plainConsole,
  readIsoDescription,
  readIsoFile,
} from '../src';

const PALETTE = [
  '002b36', 'dc322f', '859900', 'b58900', '268bd2', 'd33682', '2aa198', 'eee8d5',
  '002b36', 'cb4b16', '586e75', '657b83', '839496', '6c71c4', '93a1a1', 'fdf6e3',
];

/** A live configuration as people write them (values chosen to differ from the defaults). */
const LIVE = `{ config, lib, pkgs, modulesPath, ... }:
{
  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];

  console = {
    font = "Lat2-Terminus16";
    keyMap = "de";
    earlySetup = true;
    colors = [
      ${PALETTE.map((c) => `"${c}"`).join(' ')}
    ];
  };
  services.xserver.xkb = { layout = "de"; variant = "nodeadkeys"; };
  console.useXkbConfig = false;
  i18n.defaultLocale = "de_DE.UTF-8";
  i18n.extraLocaleSettings.LC_TIME = "en_GB.UTF-8";
  time.timeZone = "Europe/Berlin";

  networking.networkmanager.enable = true;
  networking.wireless.enable = false;
  networking.useDHCP = lib.mkDefault true;
  networking.nameservers = [ "1.1.1.1" "9.9.9.9" ];
  networking.firewall = {
    enable = true;
    allowedTCPPorts = [ 443 22 80 22 ];
    allowedUDPPorts = [ 5353 ];
    allowPing = false;
  };

  boot.kernelPackages = pkgs.linuxPackages_latest;
  boot.kernelParams = [ "quiet" ];
  boot.kernelModules = [ "kvm-intel" ];
  boot.supportedFilesystems = [ "btrfs" "ntfs" ];
  boot.initrd.availableKernelModules = [ "nvme" ];
  boot.loader.timeout = lib.mkForce 3;

  services.getty.autologinUser = lib.mkForce "nixos";
  services.getty.helpLine = "Type \`sudo -i\` for a root shell.";
  security.sudo.enable = true;
  security.sudo.wheelNeedsPassword = false;

  programs.zsh.enable = true;
  programs.fish.enable = true;
  programs.git.enable = true;
  programs.neovim.enable = true;
  programs.tmux.enable = true;

  environment.shellAliases = { ll = "ls -la"; gs = "git status"; };
  environment.variables.EDITOR = "nvim";
  environment.etc."motd".text = "live image\\n";

  nix.settings = {
    experimental-features = [ "nix-command" "flakes" ];
    trusted-users = [ "root" "nixos" ];
  };

  systemd.services.hello = {
    description = "Say hello on the console";
    wantedBy = [ "multi-user.target" ];
    after = [ "network.target" ];
    script = "echo hello from the live image";
    serviceConfig.Type = "oneshot";
  };

  hardware.enableRedistributableFirmware = true;
  users.mutableUsers = false;
  system.stateVersion = "24.05";
}
`;

const FLAKE = `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }: {
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./configuration.nix ];
    };
  };
}
`;

/** The installer profile and one line: each definition of a negative control is the only one. */
const withLine = (line: string) => `{ lib, modulesPath, ... }:
{
  imports = [ "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];
  ${line}
  system.stateVersion = "24.05";
}
`;

const created: string[] = [];
function write(files: Record<string, string>): string {
  const dir = tempDir('nixiso-live-options-');
  created.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const channelArgs = (dir: string, nixpkgs: string) => [
  '<nixpkgs/nixos>',
  '-I', `nixos-config=${join(dir, 'configuration.nix')}`,
  '-I', `nixpkgs=${nixpkgs}`,
  '-I', `home-manager=${fixtures.homeManager}`,
];

/** The ISO derivation's path: what a change to the configuration must change. */
function isoDrvPath(nix: NixTools, dir: string): string {
  const r = run(nix, 'nix-instantiate', [...channelArgs(dir, fixtures.nixpkgs), '-A', 'config.system.build.isoImage', ...nix.offlineArgs], dir);
  expectOk(r);
  return r.stdout.trim();
}

describeWithNix('live-image options (NixOS names, types, defaults)', (nix) => {
  afterAll(() => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
  });

  // Every release the generator offers (unstable is the stand-in's 26.11, the release in development).
  describe.each([
    ...['24.05', '24.11', '25.05', '25.11', '26.05', '26.11'].map((release) => ({ release, flake: false })),
    { release: '24.05', flake: true },
  ])('an ordinary live configuration, $release (flake: $flake)', ({ release, flake }) => {
    it('builds, and /nixiso.json and the boot entry hold its values', () => {
      const dir = write(flake ? { 'configuration.nix': LIVE, 'flake.nix': FLAKE } : { 'configuration.nix': LIVE });
      expectOk(flake ? flakeBuild(nix, dir) : channelBuild(nix, dir, { nixpkgs: nixpkgsForRelease(release) }));
      const iso = isoOf(dir);
      const d = readIsoDescription(iso);

      expect(d.release).toBe(release);
      expect(d.console).toEqual({ enable: true, keyMap: 'de', font: 'Lat2-Terminus16', colors: PALETTE, useXkbConfig: false, earlySetup: true });
      expect(d.i18n).toEqual({
        defaultLocale: 'de_DE.UTF-8',
        extraLocaleSettings: { LC_TIME: 'en_GB.UTF-8' },
        // NixOS's default: C, en_US and the locales the configuration names.
        supportedLocales: ['C.UTF-8/UTF-8', 'en_US.UTF-8/UTF-8', 'de_DE.UTF-8/UTF-8', 'en_GB.UTF-8/UTF-8'],
      });
      expect(d.timeZone).toBe('Europe/Berlin');
      expect(d.xkb).toEqual({ layout: 'de', variant: 'nodeadkeys', options: 'terminate:ctrl_alt_bksp', model: 'pc104' });
      expect(d.networking).toEqual({
        useDHCP: true,
        nameservers: ['1.1.1.1', '9.9.9.9'],
        networkmanager: true,
        wireless: false,
        // Sorted and without the duplicate, as NixOS's canonicalizePortList.
        firewall: { enable: true, allowedTCPPorts: [22, 80, 443], allowedUDPPorts: [5353], allowPing: false },
      });
      expect(d.boot.kernelModules).toEqual(['kvm-intel']);
      expect(d.boot.supportedFilesystems).toEqual({ btrfs: true, ntfs: true });
      expect(d.boot.initrdAvailableKernelModules).toEqual(expect.arrayContaining(['nvme', 'squashfs', 'iso9660']));
      expect(d.boot.loaderTimeout).toBe(3);
      expect(d.getty).toEqual({ autologinUser: 'nixos', helpLine: 'Type `sudo -i` for a root shell.' });
      expect(d.sudo).toEqual({ enable: true, wheelNeedsPassword: false });
      expect(d.programs).toEqual(expect.arrayContaining(['fish', 'git', 'neovim', 'tmux', 'zsh']));
      expect(d.shellAliases).toEqual({ gs: 'git status', ll: 'ls -la', l: 'ls -alh', ls: 'ls --color=tty' });
      expect(d.environmentVariables).toEqual(expect.objectContaining({ EDITOR: 'nvim', LANG: 'de_DE.UTF-8', LC_TIME: 'en_GB.UTF-8' }));
      expect(d.nixSettings).toEqual(expect.objectContaining({
        'experimental-features': ['nix-command', 'flakes'],
        'trusted-users': ['root', 'nixos'],
        substituters: ['https://cache.nixos.org/'],
        sandbox: true,
      }));
      expect(d.systemdUnits.hello).toEqual({
        enable: true,
        description: 'Say hello on the console',
        wantedBy: ['multi-user.target'],
        after: ['network.target'],
        script: 'echo hello from the live image',
        serviceConfig: { Type: 'oneshot', ExecStart: expect.stringMatching(/^\/nix\/store\/[^/]+-unit-script-hello-start\/bin\/hello-start $/) },
      });
      expect(d.enableRedistributableFirmware).toBe(true);
      expect(d.mutableUsers).toBe(false);
      expect(d.etcFiles).toEqual(expect.objectContaining({
        'vconsole.conf': 'KEYMAP=de\nFONT=Lat2-Terminus16\n',
        'locale.conf': 'LANG=de_DE.UTF-8\nLC_TIME=en_GB.UTF-8\n',
        motd: 'live image\n',
      }));

      // The palette reaches the kernel command line as NixOS's vt.default_* parameters.
      const red = 'vt.default_red=' + PALETTE.map((c) => `0x${c.slice(0, 2)}`).join(',');
      expect(d.kernelParams).toEqual(expect.arrayContaining([red, 'quiet']));
      const append = readIsoFile(iso, '/isolinux/isolinux.cfg').split('\n').find((l) => l.startsWith('APPEND '))!;
      expect(append).toContain(red);
      expect(append).toContain(' quiet');
    });
  });

  it('a changed value changes the image derivation', () => {
    const base = isoDrvPath(nix, write({ 'configuration.nix': LIVE }));
    for (const [from, to] of [
      ['keyMap = "de";', 'keyMap = "fr";'],
      ['"002b36" "dc322f"', '"002b36" "dc3230"'],
      ['i18n.defaultLocale = "de_DE.UTF-8";', 'i18n.defaultLocale = "fr_FR.UTF-8";'],
      ['allowedTCPPorts = [ 443 22 80 22 ];', 'allowedTCPPorts = [ 443 22 80 8080 ];'],
      ['script = "echo hello from the live image";', 'script = "echo bye";'],
    ]) {
      expect(LIVE).toContain(from);
      expect(isoDrvPath(nix, write({ 'configuration.nix': LIVE.replace(from, to) }))).not.toBe(base);
    }
  });

  it('editing a file named in openssh.authorizedKeys.keyFiles changes the evaluated derivation, as NixOS reads it', () => {
    const config = withLine('users.users.nixos.openssh.authorizedKeys.keyFiles = [ ./alice.pub ];');
    const dir = write({ 'configuration.nix': config, 'alice.pub': 'ssh-ed25519 AAAAalice1 alice' });
    const before = isoDrvPath(nix, dir);
    writeFileSync(join(dir, 'alice.pub'), 'ssh-ed25519 AAAAalice2 alice');
    const edited = isoDrvPath(nix, dir);
    expect(edited).not.toBe(before);
    // Negative control: a file nothing names does not change it.
    writeFileSync(join(dir, 'bob.pub'), 'ssh-ed25519 AAAAbob bob');
    expect(isoDrvPath(nix, dir)).toBe(edited);
  });

  it('boots: the service\'s script runs as its ExecStart and the autologin shell gets its output from the journal', async () => {
    const missing = missingBootPrerequisites();
    if (missing.length > 0) {
      if (isCI()) throw new Error(bootPrerequisitesMessage(missing));
      // eslint-disable-next-line no-console
      console.warn(`not booting: ${bootPrerequisitesMessage(missing)}`);
      return;
    }
    const dir = write({ 'configuration.nix': LIVE });
    expectOk(channelBuild(nix, dir));
    const entry = extractBootEntry(isoOf(dir), join(dir, 'boot'));
    expect(entry.append).toContain('vt.default_red=0x00,0xdc');
    const session = bootQemu({ kernel: entry.kernel, initrd: entry.initrd, append: `${entry.append} console=ttyS0` });
    try {
      // Type=oneshot: systemd (>= 245) says Finished when its start job ends.
      await session.waitFor(/^\[ {2}OK {2}\] Finished Say hello on the console\.$/m, 30_000);
      await session.waitFor(/^nixos login: nixos \(automatic login\)$/m, 30_000);
      await session.waitFor(/^\[nixos@nixos:~\]\$ $/m, 30_000);
      expect(plainConsole(session.output())).not.toContain('[FAILED]');
      const mark = session.mark();
      session.type('journalctl -u hello.service');
      // The identifier is the process's name: NixOS's script is <name>-start.
      await session.waitFor(/hello-start\[\d+\]: hello from the live image$/m, 10_000, mark);
      session.type('poweroff -f');
      expect(await session.exit(15_000)).toBe(0);
    } finally {
      session.kill();
    }
  });

  describe('negative controls', () => {
    const fails = (line: string) => {
      const dir = write({ 'configuration.nix': withLine(line) });
      const r = channelBuild(nix, dir);
      expect(r.status).not.toBe(0);
      return { stderr: r.stderr, file: join(dir, 'configuration.nix') };
    };

    it.each([
      [
        'console.colors = [ "zz" ];',
        "A definition for option `console.colors.\"[definition 1-entry 1]\"' is not of type `string matching the pattern [[:xdigit:]]{6}'. Definition values:",
        '"zz"',
      ],
      [
        'networking.firewall.allowedUDPPorts = "53";',
        "A definition for option `networking.firewall.allowedUDPPorts' is not of type `list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)'. Definition values:",
        '"53"',
      ],
      [
        'networking.nameservers = [ 1 ];',
        "A definition for option `networking.nameservers.\"[definition 1-entry 1]\"' is not of type `string'. Definition values:",
        '1',
      ],
      [
        'boot.kernelParams = [ "console=ttyS0 quiet" ];',
        "is not of type `string, with spaces inside double quotes'. Definition values:",
        '"console=ttyS0 quiet"',
      ],
      [
        'time.timeZone = "Europe Berlin";',
        "A definition for option `time.timeZone' is not of type `null or string without spaces'. Definition values:",
        '"Europe Berlin"',
      ],
      [
        'systemd.services.hello.wantedBy = [ "multi-user" ];',
        "A definition for option `systemd.services.hello.wantedBy.\"[definition 1-entry 1]\"' is not of type `string matching the pattern",
        '"multi-user"',
      ],
      [
        'nix.settings.max-jobs = "many";',
        "A definition for option `nix.settings.max-jobs' is not of type `signed integer or value \"auto\" (singular enum)'. Definition values:",
        '"many"',
      ],
      [
        'nix.settings.extra-options = { a = 1; };',
        "A definition for option `nix.settings.extra-options' is not of type `Nix config atom (null, bool, int, float, str, path or package) or list of (Nix config atom (null, bool, int, float, str, path or package))'.",
        '{ a = 1; }',
      ],
      [
        'nix.settings = "max-jobs = 4";',
        "A definition for option `nix.settings' is not of type `open submodule of attribute set of (Nix config atom (null, bool, int, float, str, path or package) or list of (Nix config atom (null, bool, int, float, str, path or package)))'. Definition values:",
        '"max-jobs = 4"',
      ],
      [
        // The installer profile sets it with mkImageMediaOverride: a plain definition
        // is dropped before any type check, as in NixOS, so this one is forced.
        'security.sudo.wheelNeedsPassword = lib.mkForce "no";',
        "A definition for option `security.sudo.wheelNeedsPassword' is not of type `boolean'. Definition values:",
        '"no"',
      ],
    ])('%s fails with NixOS’s wording', (line, message, value) => {
      const { stderr, file } = fails(line);
      expect(stderr).toContain(message);
      expect(stderr).toContain(`- In \`${file}': ${value}`);
    });

    it('a string for networking.firewall.allowedTCPPorts fails naming the option', () => {
      const { stderr } = fails('networking.firewall.allowedTCPPorts = "22";');
      expect(stderr).toContain(
        "A definition for option `networking.firewall.allowedTCPPorts' is not of type `list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)'. Definition values:",
      );
    });

    it.each([
      ['console.colour = [ "002b36" ];', 'console.colour'],
      ['i18n.defaultLocal = "de_DE.UTF-8";', 'i18n.defaultLocal'],
      ['networking.firewall.allowedTcpPorts = [ 22 ];', 'networking.firewall.allowedTcpPorts'],
      ['systemd.services.hello.scrpt = "echo";', 'systemd.services.hello.scrpt'],
      ['services.getty.autoLoginUser = "nixos";', 'services.getty.autoLoginUser'],
    ])('the undeclared neighbour %s does not exist', (line, option) => {
      const { stderr, file } = fails(line);
      expect(stderr).toContain(`The option \`${option}' does not exist. Definition values:\n       - In \`${file}'`);
    });
  });
});
