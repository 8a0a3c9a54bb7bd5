/**
 * A workspace whose path holds a space and a non-ASCII letter, which a raw
 * `path:` / `git+file:` flake URL cannot hold: channel and flake images build
 * and evaluate through the real Nx CLI (see nix/flakes/flake-ref.ts).
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, type TestWorkspace } from '@nixiso/testing';

describeWithNix('a workspace under a path with a space and a non-ASCII letter', () => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = createTestWorkspace({ examples: ['iso-channel', 'iso-flake'], directoryPrefix: 'nixiso ws ü-' });
  });

  it('is such a path', () => {
    expect(ws.root).toMatch(/ ws ü-/);
  });

  it.each(['iso-channel', 'iso-flake'])('builds %s; the manifest names an ISO that exists', (project) => {
    const r = ws.nx(['run', `${project}:build:offline`]);
    expect(r.output).not.toMatch(/is not a valid URL/);
    expect(r.status).toBe(0);
    const manifest = JSON.parse(ws.read(`dist/examples/${project}/manifest.json`));
    expect(manifest.imagePath).toMatch(/\.iso$/);
    expect(existsSync(join(ws.root, manifest.imagePath))).toBe(true);
    expect(realpathSync(join(ws.root, manifest.imagePath))).toBe(manifest.imageFile);
    if (project === 'iso-flake') {
      // The flake and its overridden inputs are written relative to the image directory, where Nix runs.
      expect(manifest.command).toMatch(/git\+file:\.\.\/\.\.\?dir=examples\/iso-flake#/);
      expect(manifest.command).toMatch(/--override-input nixpkgs path:\.\.\/\.\.\/tools\/nix-fixtures\/nixpkgs/);
    }
  });

  it.each(['iso-channel', 'iso-flake'])('evaluates %s', (project) => {
    const r = ws.nx(['run', `${project}:eval:offline`, '--skip-nx-cache']);
    expect(r.status).toBe(0);
    const drv = /\/nix\/store\/\w{32}-[^\s]+\.iso\.drv/.exec(r.output)?.[0];
    expect(drv).toBeDefined();
    expect(existsSync(drv!)).toBe(true);
  });

  it('leaves the work tree as it was: no flake.lock', () => {
    expect(ws.git('status', '--porcelain')).toBe('');
  });
});
