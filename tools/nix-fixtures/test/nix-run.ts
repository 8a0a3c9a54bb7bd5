/**
 * What the stand-in specs share: running Nix against the stand-ins and
 * finding the ISO a build left.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, fixtures, isCI, type NixTools } from '../src/nix-env';
import { bootPrerequisitesMessage, missingBootPrerequisites } from '../src';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(nix: NixTools, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, env: { ...nix.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** `nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage -I nixos-config=…` against the stand-ins. */
export function channelBuild(nix: NixTools, dir: string, opts: { nixpkgs?: string; attr?: string; out?: string } = {}): Run {
  return run(
    nix,
    nix.nixBuild,
    [
      '<nixpkgs/nixos>',
      '-A', opts.attr ?? 'config.system.build.isoImage',
      '-I', `nixos-config=${join(dir, 'configuration.nix')}`,
      '-I', `nixpkgs=${opts.nixpkgs ?? fixtures.nixpkgs}`,
      '-I', `home-manager=${fixtures.homeManager}`,
      ...nix.offlineArgs,
      '-o', opts.out ?? join(dir, 'result'),
    ],
    dir,
  );
}

/** `nix build <dir>#nixosConfigurations.liveImage.config.system.build.isoImage` with the inputs overridden. */
export function flakeBuild(nix: NixTools, dir: string, opts: { nixpkgs?: string; attr?: string } = {}): Run {
  return run(
    nix,
    nix.nix,
    [
      'build',
      `${dir}#nixosConfigurations.liveImage.${opts.attr ?? 'config.system.build.isoImage'}`,
      '--override-input', 'nixpkgs', `path:${opts.nixpkgs ?? fixtures.nixpkgs}`,
      '--override-input', 'home-manager', `path:${fixtures.homeManager}`,
      ...nix.flakeArgs,
      ...nix.offlineArgs,
      '-o', join(dir, 'result'),
    ],
    dir,
  );
}

export function build(nix: NixTools, flake: boolean, dir: string, opts: { nixpkgs?: string; attr?: string } = {}): Run {
  return flake ? flakeBuild(nix, dir, opts) : channelBuild(nix, dir, opts);
}

export function expectOk(r: Run): void {
  if (r.status !== 0) throw new Error(`Nix failed (${r.status}):\n${r.stderr}`);
}

/** The one ISO in <dir>/result/iso. */
export function isoOf(dir: string): string {
  const isoDir = join(dir, 'result', 'iso');
  const files = readdirSync(isoDir).filter((f) => f.endsWith('.iso'));
  expect(files).toHaveLength(1);
  return join(isoDir, files[0]);
}

/** A suite that boots the stand-in's ISO: it needs QEMU, the kernel and the host shells too; under CI their absence fails, like Nix's. */
export function describeWithBoot(name: string, body: (nix: NixTools) => void): void {
  describeWithNix(name, (nix) => {
    const missing = missingBootPrerequisites();
    if (missing.length === 0) return body(nix);
    if (isCI()) {
      it('needs QEMU, the kernel and the host shells', () => {
        throw new Error(bootPrerequisitesMessage(missing));
      });
      return;
    }
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": ${bootPrerequisitesMessage(missing)}`);
    it.skip('needs QEMU, the kernel and the host shells', () => undefined);
  });
}
