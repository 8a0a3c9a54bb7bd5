/**
 * Where the time of one Nx invocation goes: runs it with every Node process
 * it starts (CLI, plugin workers, forked executors) writing a V8 CPU profile
 * (cpu-prof-hook.js, preloaded through NODE_OPTIONS), then sums self time per
 * package / area.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ms, table } from './report';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProcessProfile {
  file: string;
  /** What the process was, guessed from the scripts it ran. */
  role: string;
  wallMs: number;
  /** Sampled time not idle. */
  busyMs: number;
  buckets: { name: string; ms: number }[];
  /** Time with a frame of this area anywhere on the stack (what it caused, callees included). */
  inclusive: { name: string; ms: number }[];
  inclusiveAll: { name: string; ms: number }[];
  functions: { name: string; ms: number }[];
}

/** Groups a script URL into something a reader can act on. */
export function bucketOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return functionName ? `native: ${functionName}` : 'native';
  }
  if (url.startsWith('node:internal/modules') || url.includes('internal/modules/')) return 'node: module loading (require)';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const nixiso = /\/packages\/nixiso\/src\/(.*)$|\/node_modules\/@nixiso\/nx\/src\/(.*)$/.exec(url);
  if (nixiso) return `nixiso: ${(nixiso[1] ?? nixiso[2]).split('/').slice(0, 2).join('/')}`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) {
    const [, name, rest] = pkg;
    if (name === 'nx') return `nx: ${rest.replace(/^dist\//, '').split('/').slice(0, 3).join('/').replace(/\.js$/, '')}`;
    return name;
  }
  return url.replace(/^file:\/\//, '');
}

function roleOf(file: string, urls: Set<string>): string {
  const script = file.replace(/^.*\/\d+-/, '').replace(/\.cpuprofile$/, '');
  if (script.includes('plugin-worker')) {
    const plugin = script.replace(/^.*plugin-worker\.js_?/, '').replace(/^-work-main-node_modules-|^.*-node_modules-/, '').replace(/-dist-src-plugins-/, '/');
    return `plugin worker ${plugin.replace(/^@nixiso-nx$/, '@nixiso/nx')}`;
  }
  if (script.includes('run-executor')) return 'forked executor';
  if (script.includes('bin_nx.js')) return 'nx CLI';
  const has = (part: string) => [...urls].some((u) => u.includes(part));
  if (has('plugin-worker')) return 'plugin worker';
  if (has('run-executor') || has('/executors/image-build/') || has('/executors/eval/')) return 'forked executor';
  if (has('daemon/server')) return 'daemon';
  if (has('/bin/nx.js') || has('/bin/run-executor')) return 'nx CLI';
  return 'node process';
}

export function summarize(file: string): ProcessProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const inclusive = new Map<string, number>();
  const stackBuckets = new Map<number, Set<string>>();
  const bucketsOnStack = (id: number): Set<string> => {
    let found = stackBuckets.get(id);
    if (found) return found;
    const node = byId.get(id);
    const up = parent.get(id);
    found = new Set(up === undefined ? [] : bucketsOnStack(up));
    if (node && node.callFrame.url && !node.callFrame.url.startsWith('node:')) found.add(bucketOf(node.callFrame.url, node.callFrame.functionName));
    stackBuckets.set(id, found);
    return found;
  };
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  const urls = new Set<string>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { url, functionName } = node.callFrame;
    if (url) urls.add(url);
    const bucket = bucketOf(url, functionName);
    if (functionName !== '(idle)') for (const b of bucketsOnStack(id)) inclusive.set(b, (inclusive.get(b) ?? 0) + us);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    if (bucket !== 'idle') busy += us;
    const fn = `${functionName || '(anonymous)'} ${url ? url.replace(/^.*\/node_modules\//, '').replace(/^.*\/packages\//, 'packages/') : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .filter(([name]) => name !== 'idle' && !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return {
    file,
    role: roleOf(file, urls),
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busy / 1000,
    buckets: top(buckets, 10),
    inclusive: top(inclusive, 12),
    inclusiveAll: top(inclusive, Infinity),
    functions: top(functions, 6),
  };
}

function sleepMs(msToSleep: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, msToSleep);
}

export interface ProfiledRun {
  title: string;
  command: string;
  wallMs: number;
  processes: ProcessProfile[];
}

/** Runs `command` once (through sh, from `cwd`) with CPU profiling on for every Node process. */
export function profileCommand(title: string, command: string, cwd: string, env: NodeJS.ProcessEnv, dir: string): ProfiledRun {
  mkdirSync(dir, { recursive: true });
  const started = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', command], {
    cwd,
    env: { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require ${join(__dirname, 'cpu-prof-hook.js')}`.trim(), NIXISO_CPU_PROF_DIR: dir },
    encoding: 'utf8',
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`profiling "${command}" failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  // Plugin workers are stopped after the CLI exits and write their profiles then.
  let count = -1;
  for (let waited = 0; waited < 10_000; waited += 500) {
    const now = readdirSync(dir).length;
    if (now === count) break;
    count = now;
    sleepMs(500);
  }
  const processes = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarize(join(dir, f)))
    .sort((a, b) => b.busyMs - a.busyMs);
  return { title, command, wallMs, processes };
}

const sumMatching = (p: ProcessProfile, test: (name: string) => boolean) =>
  p.inclusiveAll.filter((b) => test(b.name)).reduce((a, b) => Math.max(a, b.ms), 0);

export function profileMarkdown(run: ProfiledRun): string {
  const parts = [
    `#### ${run.title}`,
    '',
    `\`${run.command}\` — ${ms(run.wallMs)} wall with profiling on. Every Node process it started:`,
    '',
    table(
      ['process', 'alive', 'JS/V8 busy', 'under nixiso code', 'under @swc-node (TS transpile)', 'top self time'],
      run.processes.map((p) => [
        p.role,
        ms(p.wallMs),
        ms(p.busyMs),
        ms(sumMatching(p, (n) => n.startsWith('nixiso:'))),
        ms(sumMatching(p, (n) => n === '@swc-node/register' || n === 'pirates')),
        p.buckets.slice(0, 3).map((b) => `${b.name} ${ms(b.ms)}`).join('; '),
      ]),
    ),
    '',
  ];
  for (const p of run.processes.filter((x) => /nixiso|CLI|executor/.test(x.role))) {
    parts.push(
      `<details><summary>${p.role}: where its time goes</summary>`,
      '',
      table(['self time by area', 'ms'], p.buckets.map((b) => [b.name, ms(b.ms)])),
      '',
      table(['time under (callees included)', 'ms'], p.inclusive.map((b) => [b.name, ms(b.ms)])),
      '',
      table(['hottest functions (self)', 'ms'], p.functions.map((f) => [f.name, ms(f.ms)])),
      '',
      '</details>',
      '',
    );
  }
  return parts.join('\n');
}
