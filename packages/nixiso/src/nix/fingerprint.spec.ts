import { execSync } from 'node:child_process';
import { mkdirSync, realpathSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, fixtures, tempDir } from '@nixiso/testing';
import { fingerprintCommand } from './fingerprint';

/** Runs the command as Nx runs a runtime input: through a shell, in the workspace root. */
const run = (command: string, env: NodeJS.ProcessEnv = process.env): string => execSync(command, { cwd: tempDir(), env, encoding: 'utf8' });

describe('fingerprintCommand', () => {
  it('changes when a file below a local path changes, added or edited, and names a missing path', () => {
    const dir = join(tempDir('nixiso-fp-'), "a b'c");
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub/x.nix'), '{ }');
    const command = fingerprintCommand({ channels: false, paths: [dir, '/nonexistent/nixpkgs'] });
    const first = run(command);
    expect(first).toMatch(new RegExp(`^${process.arch}\\n${realpathSync(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} [0-9a-f]{64}\\n/nonexistent/nixpkgs missing\\n$`));
    expect(run(command)).toBe(first);
    writeFileSync(join(dir, 'sub/x.nix'), '{ a = 1; }');
    utimesSync(join(dir, 'sub/x.nix'), new Date(0), new Date(1000));
    const edited = run(command);
    expect(edited).not.toBe(first);
    writeFileSync(join(dir, 'new.nix'), '{ }');
    expect(run(command)).not.toBe(edited);
  });
});

describeWithNix('fingerprintCommand with channels', (nix) => {
  it('resolves <nixpkgs> and <home-manager> through NIX_PATH as nix-build does', () => {
    const out = run(fingerprintCommand({ channels: true, paths: [] }), nix.env).trim().split('\n');
    expect(out[0]).toBe(process.arch);
    expect(out[1]).toMatch(new RegExp(`^${realpathSync(fixtures.nixpkgs)} [0-9a-f]{64}$`));
    expect(out[2]).toMatch(new RegExp(`^${realpathSync(fixtures.homeManager)} [0-9a-f]{64}$`));
    const other = run(fingerprintCommand({ channels: true, paths: [] }), { ...nix.env, NIX_PATH: `nixpkgs=${fixtures.homeManager}` });
    expect(other.trim().split('\n')).toEqual([process.arch, out[2]]);
  });
});
