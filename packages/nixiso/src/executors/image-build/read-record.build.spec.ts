/**
 * A build records what Nix read (nix/inputs/read-trace.ts) with its outputs, and
 * names a file it read that the target's inputs did not cover: through the
 * real Nx CLI, in a throw-away workspace, with real Nix under strace.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, isCI, type TestWorkspace } from '@nixiso/testing';
import { findExecutable } from '../../nix/process/run';

interface Record {
  complete: boolean;
  incomplete?: string;
  files: string[];
  listed: string[];
  missing: string[];
  external: string[];
  uncovered: string[];
}

describeWithNix('build read record', () => {
  const strace = !!findExecutable('strace') || isCI();
  (strace ? it : it.skip)('records the files Nix read and names the one no input covers', () => {
    const ws: TestWorkspace = createTestWorkspace({
      examples: ['iso-channel'],
      files: {
        // Imported through a path only the environment names: no rule over the sources sees it.
        'notes/extra.nix': '{ ... }: { }\n',
      },
    });
    const file = 'examples/iso-channel/configuration.nix';
    ws.write(file, ws.read(file).replace('imports = [', 'imports = [\n    (builtins.getEnv "NIXISO_TEST_EXTRA_MODULE")'));
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'extra module');
    const r = ws.nx(['run', 'iso-channel:build:offline', '--skip-nx-cache'], { NIXISO_TEST_EXTRA_MODULE: join(ws.root, 'notes/extra.nix') });
    expect(r.status).toBe(0);
    const record = JSON.parse(ws.read('dist/examples/iso-channel/reads.json')) as Record;
    expect(record.complete).toBe(true);
    expect(record.files).toEqual(expect.arrayContaining(['examples/iso-channel/configuration.nix', 'notes/extra.nix']));
    // The offline configuration's -I nixpkgs=tools/nix-fixtures/nixpkgs: read, and an input.
    expect(record.files.some((f) => f.startsWith('tools/nix-fixtures/nixpkgs/'))).toBe(true);
    expect(record.uncovered).toEqual(['notes/extra.nix']);
    expect(r.output).toContain('nixiso: this image read notes/extra.nix, which the inputs did not cover; it is now an input');
    expect(r.output.match(/this image read/g)).toHaveLength(1);
    // The same record where the graph plugin looks, and no trace left behind.
    const data = join(ws.root, '.nx/workspace-data/nixiso/reads');
    expect(readdirSync(data).map((name) => ws.read(join('.nx/workspace-data/nixiso/reads', name)))).toEqual([ws.read('dist/examples/iso-channel/reads.json')]);

    const untraced = ws.nx(['run', 'iso-channel:build:offline', '--skip-nx-cache'], {
      NIXISO_TEST_EXTRA_MODULE: join(ws.root, 'notes/extra.nix'),
      NIXISO_TRACE: '0',
    });
    expect(untraced.status).toBe(0);
    expect(untraced.output).not.toMatch(/this image read/);
    expect(existsSync(join(ws.root, 'dist/examples/iso-channel/reads.json'))).toBe(false);
  });
});
