/** The machine and tool versions a report was measured with. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

function run(command: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export interface Machine {
  cores: number;
  cpu: string;
  memory: string;
  kernel: string;
}

export function machine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    // not Linux
  }
  return {
    cores: Number(run('nproc', [])) || availableParallelism(),
    cpu,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `Linux ${release()}`,
  };
}

export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

export interface Versions {
  node: string;
  nx: string;
  nix: string;
  hyperfine: string;
  git: string;
  nixiso: string;
}

export function versions(repoRoot: string): Versions {
  const rev = run('git', ['rev-parse', '--short', 'HEAD'], repoRoot);
  const dirty = run('git', ['status', '--porcelain', '--', 'packages/nixiso', 'tools/nix-fixtures', 'examples'], repoRoot);
  return {
    node: process.version,
    nx: JSON.parse(readFileSync(join(repoRoot, 'node_modules/nx/package.json'), 'utf8')).version,
    nix: run('nix', ['--version']).replace(/^nix \(Nix\) /, ''),
    hyperfine: run('hyperfine', ['--version']).replace(/^hyperfine /, ''),
    git: run('git', ['--version']).replace(/^git version /, ''),
    nixiso: `${rev}${dirty && dirty !== 'unknown' ? ' + uncommitted changes in packages/nixiso, tools/nix-fixtures or examples' : ''}`,
  };
}
