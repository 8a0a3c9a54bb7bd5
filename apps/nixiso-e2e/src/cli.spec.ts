import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stripAnsi, workspaceRoot } from '@nixiso/testing';

/** The user-facing commands, literally, through the real Nx CLI of this repository. */
describe('nx CLI in this repository', () => {
  const nx = (...args: string[]) => {
    const r = spawnSync('npx', ['nx', ...args], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    });
    if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    return stripAnsi(`${r.stdout}\n${r.stderr}`);
  };

  it.each(['@nixiso:image', '@nixiso/nx:image'])('`npx nx g %s demo --dry-run` names the files it would create', (generator) => {
    const out = nx('g', generator, 'images/demo-dry-run', '--dry-run', '--no-interactive');
    expect(out).toMatch(/CREATE images\/demo-dry-run\/configuration\.nix/);
    expect(out).toMatch(/dryRun/);
    expect(existsSync(join(workspaceRoot, 'images/demo-dry-run'))).toBe(false);
  });

  it('`nx show projects` lists the plugin package and the e2e app', () => {
    const projects = nx('show', 'projects').split('\n');
    expect(projects).toEqual(expect.arrayContaining(['nixiso', 'nixiso-e2e']));
  });
});
