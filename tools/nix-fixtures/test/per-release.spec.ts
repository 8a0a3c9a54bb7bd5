/**
 * What the stand-ins do differently per release, evaluated with real Nix
 * (nix-instantiate of the system, no ISO build): the xkb and fonts renames
 * (aliases with NixOS's warning in every release offered), a removed option
 * (NixOS's failed assertion), home.stateVersion per home-manager branch and
 * the networkmanager group. Each check has its negative control.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, fixtures, tempDir, type NixTools } from '../src/nix-env';
import { fixtureHomeManagerRelease, fixtureRelease, homeManagerForRelease, nixpkgsForRelease } from '../src';

const RELEASES = ['24.05', '24.11', '25.05', '25.11', '26.05'];

interface Eval {
  status: number;
  stdout: string;
  stderr: string;
}

const created: string[] = [];
afterAll(() => created.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A configuration.nix on top of the minimal installer, with `body` inside. */
function configuration(body: string, imports: string[] = []): string {
  const dir = tempDir('nixiso-per-release-');
  created.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'configuration.nix'),
    `{ pkgs, lib, ... }:
{
  imports = [ <nixpkgs/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix> ${imports.join(' ')} ];
${body}
}
`,
  );
  return join(dir, 'configuration.nix');
}

/** Instantiates the system (assertions fail, warnings print), or evaluates `expr` over `config` with --eval --strict --json. */
function evaluate(
  nix: NixTools,
  file: string,
  opts: { nixpkgs?: string; homeManager?: string; expr?: string } = {},
): Eval {
  const channels = [
    '-I', `nixos-config=${file}`,
    '-I', `nixpkgs=${opts.nixpkgs ?? fixtures.nixpkgs}`,
    '-I', `home-manager=${opts.homeManager ?? fixtures.homeManager}`,
  ];
  const args = opts.expr
    ? ['--eval', '--strict', '--json', '-E', `let config = (import <nixpkgs/nixos> { }).config; in ${opts.expr}`, ...channels]
    : ['<nixpkgs/nixos>', '-A', 'config.system.build.toplevel', '--add-root', join(file, '..', 'drv'), '--indirect', ...channels];
  const r = spawnSync(nix.nixInstantiate, [...args, ...nix.offlineArgs], { env: nix.env, encoding: 'utf8' });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function expectOk(r: Eval): void {
  if (r.status !== 0) throw new Error(`Nix failed (${r.status}):\n${r.stderr}`);
}

describeWithNix('per-release behaviour of the stand-ins', (nix) => {
  const nixpkgsOf = (release: string) => (release === fixtureRelease() ? fixtures.nixpkgs : nixpkgsForRelease(release));

  describe('services.xserver.xkb (renamed in 23.11: aliases that warn in every release offered)', () => {
    const OLD = `  services.xserver.layout = "de";
  services.xserver.xkbVariant = "neo";
  services.xserver.xkbOptions = "caps:escape";
  services.xserver.xkbModel = "pc105";`;

    it.each(RELEASES)('%s: the old names set xkb.* and print NixOS\'s rename warning', (release) => {
      const nixpkgs = nixpkgsOf(release);
      const file = configuration(OLD);
      const r = evaluate(nix, file, { nixpkgs });
      expectOk(r);
      for (const [from, to] of [['layout', 'layout'], ['xkbVariant', 'variant'], ['xkbOptions', 'options'], ['xkbModel', 'model']]) {
        expect(r.stderr).toContain(
          `trace: warning: The option \`services.xserver.${from}' defined in \`${file}' has been renamed to \`services.xserver.xkb.${to}'.`,
        );
      }
      const xkb = JSON.parse(evaluate(nix, file, { nixpkgs, expr: 'config.services.xserver.xkb' }).stdout);
      expect(xkb).toEqual({ layout: 'de', variant: 'neo', options: 'caps:escape', model: 'pc105' });
    });

    it.each(RELEASES)('%s: the new names (and NixOS\'s defaults) give no warning', (release) => {
      const nixpkgs = nixpkgsOf(release);
      const file = configuration('  services.xserver.xkb.layout = "de";');
      const r = evaluate(nix, file, { nixpkgs });
      expectOk(r);
      expect(r.stderr).not.toContain('has been renamed');
      const xkb = JSON.parse(evaluate(nix, file, { nixpkgs, expr: 'config.services.xserver.xkb' }).stdout);
      expect(xkb).toEqual({ layout: 'de', variant: '', options: 'terminate:ctrl_alt_bksp', model: 'pc104' });
    });

    it('an old and a new name at the same priority conflict, as the alias passes its definitions on', () => {
      const file = configuration('  services.xserver.layout = "de";\n  services.xserver.xkb.layout = "fr";');
      const r = evaluate(nix, file, { expr: 'config.services.xserver.xkb.layout' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("The option `services.xserver.xkb.layout' has conflicting definition values");
    });
  });

  describe('fonts.fonts → fonts.packages (renamed in 23.11, an alias that warns)', () => {
    it.each(RELEASES)('%s: fonts.fonts warns and fills fonts.packages; fonts.packages does not warn', (release) => {
      const nixpkgs = nixpkgsOf(release);
      const old = configuration('  fonts.fonts = [ pkgs.dejavu_fonts ];');
      const r = evaluate(nix, old, { nixpkgs });
      expectOk(r);
      expect(r.stderr).toContain(`The option \`fonts.fonts' defined in \`${old}' has been renamed to \`fonts.packages'.`);
      const packages = JSON.parse(evaluate(nix, old, { nixpkgs, expr: 'map toString config.fonts.packages' }).stdout);
      expect(packages).toEqual([expect.stringMatching(/-dejavu_fonts-/)]);

      const current = evaluate(nix, configuration('  fonts.packages = [ pkgs.dejavu_fonts ];'), { nixpkgs });
      expectOk(current);
      expect(current.stderr).not.toContain('has been renamed');
    });

    it('a removed option (fonts.enableCoreFonts) fails with NixOS\'s assertion; leaving it out builds', () => {
      const file = configuration('  fonts.enableCoreFonts = true;');
      const r = evaluate(nix, file);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('Failed assertions:');
      // Nix indents the message's second line (the replacement instructions).
      expect(r.stderr).toContain(`- The option definition \`fonts.enableCoreFonts' in \`${file}' no longer has any effect; please remove it.\n`);
      expect(r.stderr).toMatch(/no longer has any effect; please remove it\.\n *Use fonts\.packages = \[ pkgs\.corefonts \]; instead\./);
      expectOk(evaluate(nix, configuration('  fonts.enableDefaultPackages = true;')));
    });
  });

  describe('home.stateVersion: the values of home-manager\'s release branch', () => {
    const HOME = (stateVersion: string) => `  home-manager.users.nixos = { home.stateVersion = "${stateVersion}"; };`;

    it('the committed stand-in is release-24.05, like nixpkgs', () => {
      expect(fixtureHomeManagerRelease()).toBe('24.05');
    });

    it('"25.11" under release-24.05 fails with the enum of that branch', () => {
      const file = configuration(HOME('25.11'), ['<home-manager/nixos>']);
      const r = evaluate(nix, file);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        `A definition for option \`home-manager.users.nixos.home.stateVersion' is not of type \`one of "18.09", "19.03", "19.09", "20.03", "20.09", "21.03", "21.05", "21.11", "22.05", "22.11", "23.05", "23.11", "24.05"'. Definition values:\n       - In \`${file}': "25.11"`,
      );
    });

    it('"24.05" passes under release-24.05 (control)', () => {
      expectOk(evaluate(nix, configuration(HOME('24.05'), ['<home-manager/nixos>'])));
    });

    it('"25.11" passes under release-25.11; "26.05" does not', () => {
      const homeManager = homeManagerForRelease('25.11');
      expect(homeManagerForRelease('25.11')).toBe(homeManager);
      expect(fixtureHomeManagerRelease(homeManager)).toBe('25.11');
      const nixpkgs = nixpkgsForRelease('25.11');
      expectOk(evaluate(nix, configuration(HOME('25.11'), ['<home-manager/nixos>']), { nixpkgs, homeManager }));
      const newer = evaluate(nix, configuration(HOME('26.05'), ['<home-manager/nixos>']), { nixpkgs, homeManager });
      expect(newer.status).not.toBe(0);
      expect(newer.stderr).toContain('"24.11", "25.05", "25.11"\'. Definition values:');
    });

    it('master accepts the release in development', () => {
      const homeManager = homeManagerForRelease('26.11', false);
      expectOk(evaluate(nix, configuration(HOME('26.11'), ['<home-manager/nixos>']), { homeManager }));
    });
  });

  describe('the networkmanager group exists only with NetworkManager', () => {
    const USER = '  users.users.alice = { isNormalUser = true; extraGroups = [ "networkmanager" ]; };';

    it('without networking.networkmanager.enable there is no such group, and listing it neither warns nor fails', () => {
      const file = configuration(USER);
      const r = evaluate(nix, file);
      expectOk(r);
      expect(r.stderr).not.toContain('networkmanager');
      expect(JSON.parse(evaluate(nix, file, { expr: 'config.users.groups ? networkmanager' }).stdout)).toBe(false);
    });

    it('with it enabled the group exists (NixOS\'s gid 57)', () => {
      const file = configuration(`${USER}\n  networking.networkmanager.enable = true;`);
      expectOk(evaluate(nix, file));
      expect(JSON.parse(evaluate(nix, file, { expr: 'config.users.groups.networkmanager.gid' }).stdout)).toBe(57);
    });
  });
});
