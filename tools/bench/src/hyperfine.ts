/**
 * hyperfine as a library: one call measures a group of commands in the same
 * workspace, one after the other, and returns their statistics in
 * milliseconds. Ratios are always taken between commands of one group, so
 * the baseline ran under the same conditions as what it is compared with.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchCommand {
  /** Short label used in tables and ratios. */
  name: string;
  /** Shell command line, run by hyperfine from `cwd`. */
  command: string;
  /** Run before each of this command's timed runs (not timed), e.g. `nx reset`. */
  prepare?: string;
}

export interface Stat {
  name: string;
  command: string;
  meanMs: number;
  stddevMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  userMs: number;
  systemMs: number;
  runs: number;
  /** Every timed run, in ms. */
  timesMs: number[];
}

export interface HyperfineOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  runs: number;
  warmup: number;
  /**
   * Split the runs into this many hyperfine invocations, alternating the order
   * of the commands, so that a change in machine load during the group
   * affects every command alike (default 1: one invocation).
   */
  rounds?: number;
  /** Directory for the exported JSON files. */
  jsonDir: string;
  /** File name (without extension) of this group's JSON export. */
  id: string;
}

interface HyperfineJson {
  results: {
    command: string;
    mean: number;
    stddev: number | null;
    median: number;
    min: number;
    max: number;
    user: number;
    system: number;
    times: number[];
  }[];
}

function invoke(commands: BenchCommand[], options: HyperfineOptions, runs: number, warmup: number, id: string): HyperfineJson {
  mkdirSync(options.jsonDir, { recursive: true });
  const json = join(options.jsonDir, `${id}.json`);
  const args = [
    '--style', 'basic',
    '--warmup', String(warmup),
    '--runs', String(runs),
    '--export-json', json,
  ];
  // hyperfine takes either one --prepare for all commands or one per command.
  if (commands.some((c) => c.prepare)) for (const c of commands) args.push('--prepare', c.prepare ?? 'true');
  for (const c of commands) args.push('--command-name', c.name);
  args.push(...commands.map((c) => c.command));
  const r = spawnSync('hyperfine', args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`hyperfine failed (${id}, exit ${r.status}):\n${r.stderr}\ncommands:\n${commands.map((c) => `  ${c.command}`).join('\n')}`);
  }
  return JSON.parse(readFileSync(json, 'utf8')) as HyperfineJson;
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function hyperfine(commands: BenchCommand[], options: HyperfineOptions): Stat[] {
  const rounds = Math.max(1, Math.min(options.rounds ?? 1, options.runs));
  const acc = commands.map(() => ({ times: [] as number[], user: 0, system: 0 }));
  for (let round = 0; round < rounds; round++) {
    const runs = Math.floor(options.runs / rounds) + (round < options.runs % rounds ? 1 : 0);
    const order = commands.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    const id = rounds === 1 ? options.id : `${options.id}-round${round + 1}`;
    const parsed = invoke(order.map((i) => commands[i]), options, runs, round === 0 ? options.warmup : 0, id);
    parsed.results.forEach((result, k) => {
      const a = acc[order[k]];
      a.times.push(...result.times);
      a.user += result.user * result.times.length;
      a.system += result.system * result.times.length;
    });
  }
  return commands.map((c, i) => {
    const times = acc[i].times.map((t) => t * 1000);
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const variance = times.length > 1 ? times.reduce((a, t) => a + (t - mean) ** 2, 0) / (times.length - 1) : 0;
    return {
      name: c.name,
      command: c.command,
      meanMs: mean,
      stddevMs: Math.sqrt(variance),
      medianMs: median(sorted),
      minMs: sorted[0],
      maxMs: sorted[sorted.length - 1],
      userMs: (acc[i].user / times.length) * 1000,
      systemMs: (acc[i].system / times.length) * 1000,
      runs: times.length,
      timesMs: times,
    };
  });
}

/** The statistic called `name` in a group; a typo here is a bug in the bench. */
export function pick(stats: Stat[], name: string): Stat {
  const found = stats.find((s) => s.name === name);
  if (!found) throw new Error(`no measurement named ${name} (have ${stats.map((s) => s.name).join(', ')})`);
  return found;
}
