/**
 * flake.lock and the build/eval executors through the real Nx CLI: builds
 * never write flake.lock, and option lockFile decides what a missing or
 * outdated one does. The image's nixpkgs is a local path: input (the
 * stand-in), so Nix could lock and build it without overrides.
 */
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, offlineNixConfig, type TestWorkspace } from '@nixiso/testing';

const NIX_RAN = /> nix .*(build|eval) /;
const FLAKE = 'examples/iso-flake/flake.nix';

describeWithNix('flake.lock', () => {
  let ws: TestWorkspace;
  let nixpkgs: string;
  // A local flake registry, so Nix resolves nothing on the network while it locks.
  const env = { NIX_CONFIG: offlineNixConfig() };
  const lockedFiles = () => ws.git('status', '--porcelain', '--untracked-files=all').split('\n').filter((l) => l.endsWith('flake.lock'));

  beforeAll(() => {
    ws = createTestWorkspace({ examples: ['iso-flake'] });
    nixpkgs = join(ws.root, 'tools/nix-fixtures/nixpkgs');
    ws.write(FLAKE, ws.read(FLAKE).replace('github:nixos/nixpkgs/nixos-24.05', `path:${nixpkgs}`));
    ws.git('commit', '-qam', 'nixpkgs: the local stand-in');
  });

  it('auto under CI=true builds when every input is overridden, and writes no flake.lock', () => {
    const r = ws.nx(['run', 'iso-flake:build:offline', '--skip-nx-cache'], env);
    expect(r.status).toBe(0);
    expect(r.output).not.toMatch(/flake\.lock/);
    expect(lockedFiles()).toEqual([]);
  });

  it('warn (auto outside CI) builds with floating inputs, says so, and writes no flake.lock', () => {
    // Without overrides Nix would create flake.lock here; --no-write-lock-file stops it.
    const r = ws.nx(['run', 'iso-flake:build:offline-locked', '--skip-nx-cache'], { ...env, CI: 'false' });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/warning: examples\/iso-flake\/flake\.lock is missing.*inputs float.*Run `nx run iso-flake:lock`/);
    expect(lockedFiles()).toEqual([]);
  });

  it('require fails before Nix runs when flake.lock is missing, naming the lock command (also the default under CI=true)', () => {
    for (const [args, extraEnv] of [[['--lockFile=require'], { CI: 'false' }], [[], {}]] as const) {
      const r = ws.nx(['run', 'iso-flake:build:offline-locked', '--skip-nx-cache', ...args], { ...env, ...extraEnv });
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/nixiso: examples\/iso-flake\/flake\.lock is missing.*"require".*Run `nx run iso-flake:lock` and commit flake\.lock/);
      expect(r.output).not.toMatch(NIX_RAN);
    }
    const e = ws.nx(['run', 'iso-flake:eval:offline-locked', '--skip-nx-cache'], env);
    expect(e.status).not.toBe(0);
    expect(e.output).toMatch(/Run `nx run iso-flake:lock`/);
  });

  it('require succeeds with a current flake.lock', () => {
    expect(ws.nx(['run', 'iso-flake:lock'], env).status).toBe(0);
    ws.git('add', 'examples/iso-flake/flake.lock');
    ws.git('commit', '-qm', 'flake.lock');
    const r = ws.nx(['run', 'iso-flake:build:offline-locked', '--skip-nx-cache'], env);
    expect(r.status).toBe(0);
    expect(r.output).toMatch(NIX_RAN);
    expect(ws.nx(['run', 'iso-flake:eval:offline-locked', '--skip-nx-cache'], env).status).toBe(0);
  });

  it('require fails, naming the lock command, when an input was added to flake.nix after locking', () => {
    const original = ws.read(FLAKE);
    ws.write(FLAKE, original.replace('inputs = {', `inputs = {\n    extra.url = "path:${nixpkgs}";`));
    const r = ws.nx(['run', 'iso-flake:build:offline-locked', '--skip-nx-cache'], env);
    // Overriding the new input is enough: an overridden input needs no lock entry.
    const overridden = ws.nx(['run', 'iso-flake:build:offline-locked', '--skip-nx-cache', `--overrideInputs.extra=${nixpkgs}`], env);
    ws.write(FLAKE, original);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/flake\.lock is out of date: flake\.nix declares "extra", which it does not lock.*Run `nx run iso-flake:lock`/);
    expect(r.output).not.toMatch(NIX_RAN);
    expect(overridden.status).toBe(0);
  });

  it('require fails, naming the lock command, when an input URL changed after locking (Nix checks the lock)', () => {
    const original = ws.read(FLAKE);
    ws.write(FLAKE, original.replace(`path:${nixpkgs}`, `path:${join(ws.root, 'tools/nix-fixtures/home-manager')}`));
    const r = ws.nx(['run', 'iso-flake:build:offline-locked', '--skip-nx-cache'], env);
    ws.write(FLAKE, original);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/flake\.lock is out of date: Nix would change it.*Run `nx run iso-flake:lock`/);
    expect(r.output).not.toMatch(NIX_RAN);
    // The lock is left as it was: nothing rewrote it.
    expect(ws.git('status', '--porcelain')).toBe('');
  });
});
