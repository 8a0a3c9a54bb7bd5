/**
 * What recording Nix's reads costs, and what it leaves a cache hit.
 *
 * - Cache miss, traced vs untraced (NIXISO_TRACE=0), same plugin, same
 *   workspace, alternating: (a) "evaluates": Nix has the image already, so
 *   the build is the evaluation (the case tracing weighs on most); (b)
 *   "builds": a file the image carries changes each run, so Nix also builds
 *   (its builders are traced too: strace -f). On the examples (channel and
 *   flake) and on a NixOS-sized channel configuration (the example plus 1500
 *   generated modules, tools/bench/src/synthetic.ts).
 * - Cache hit: `nx run <image>:build` answered from Nx's cache with this
 *   plugin and with the plugin at a baseline revision (default: the last
 *   before read tracing), in the same run, alternating.
 * - Self-corrections: how many builds named a file the inputs did not cover.
 *
 *   node -r @swc-node/register tools/bench/tracing.ts [--baseline REV] [--runs N] [--modules N] [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- relative on purpose: run under @swc-node/register, which resolves no tsconfig paths
import { createTestWorkspace, type TestWorkspace } from '../testing/src';
import { nixosSizedImage } from './src/synthetic';

const root = join(__dirname, '../..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timed(ws: TestWorkspace, nxArgs: string[], env: NodeJS.ProcessEnv = {}): { ms: number; output: string } {
  const started = process.hrtime.bigint();
  const r = ws.nx(nxArgs, env);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`nx ${nxArgs.join(' ')} failed:\n${r.output}`);
  return { ms, output: r.output };
}

const IMAGES = ['iso-channel', 'iso-flake', 'iso-large'] as const;

function workspace(modules: number, pluginFrom?: string): TestWorkspace {
  const ws = createTestWorkspace({
    examples: ['iso-channel', 'iso-flake'],
    files: nixosSizedImage(root, 'iso-channel', 'examples/iso-large', 'iso-large', modules),
  });
  if (pluginFrom) {
    rmSync(join(ws.root, 'packages/nixiso'), { recursive: true, force: true });
    execFileSync('sh', ['-c', `git archive ${pluginFrom} packages/nixiso | tar -x -C ${JSON.stringify(ws.root)}`], { cwd: root });
    ws.git('add', '-A');
    ws.git('commit', '-qm', `plugin at ${pluginFrom}`);
  }
  return ws;
}

function main(): void {
  const baseline = option('--baseline', '91316e1');
  const runs = Number(option('--runs', '5'));
  const modules = Number(option('--modules', '1500'));
  const out = option('--out', join(root, 'tools/bench/tracing.md'));
  const ws = workspace(modules);
  // Everything built once, so that "evaluates" finds the image in the store.
  timed(ws, ['run-many', '-t', 'build', '-c', 'offline', '-p', ...IMAGES, '--parallel=1']);

  const miss: Record<string, Record<'evaluates' | 'builds', { traced: number[]; untraced: number[] }>> = {};
  let corrections = 0;
  let builds = 0;
  for (const image of IMAGES) {
    miss[image] = { evaluates: { traced: [], untraced: [] }, builds: { traced: [], untraced: [] } };
    const carried = `examples/${image}/motd-bench.txt`;
    const config = `examples/${image}/configuration.nix`;
    if (!ws.read(config).includes('motd-bench')) {
      ws.write(config, ws.read(config).replace(/\n}\s*$/, '\n  environment.etc."motd-bench".source = ./motd-bench.txt;\n}\n'));
    }
    ws.write(carried, 'bench 0\n');
    ws.git('add', '-A');
    ws.git('commit', '-qm', `${image} carries a file`);
    timed(ws, ['run', `${image}:build`, '-c', 'offline']);
    for (let i = 0; i < runs; i++) {
      for (const traced of [true, false]) {
        const env = traced ? {} : { NIXISO_TRACE: '0' };
        const evaluates = timed(ws, ['run', `${image}:build`, '-c', 'offline', '--skip-nx-cache'], env);
        miss[image].evaluates[traced ? 'traced' : 'untraced'].push(evaluates.ms);
        ws.write(carried, `bench ${i} ${traced}\n`);
        const built = timed(ws, ['run', `${image}:build`, '-c', 'offline', '--skip-nx-cache'], env);
        miss[image].builds[traced ? 'traced' : 'untraced'].push(built.ms);
        for (const r of [evaluates, built]) {
          if (!traced) continue;
          builds++;
          corrections += (r.output.match(/which the inputs did not cover/g) ?? []).length;
        }
      }
    }
    process.stderr.write(`${image}: miss evaluates traced ${median(miss[image].evaluates.traced).toFixed(0)} ms / untraced ${median(miss[image].evaluates.untraced).toFixed(0)} ms\n`);
  }

  // Cache hits: this plugin and the baseline's, each in its own workspace with the same images, alternating.
  const hitWorkspaces = { current: ws, baseline: workspace(modules, baseline) };
  timed(hitWorkspaces.baseline, ['run-many', '-t', 'build', '-c', 'offline', '-p', ...IMAGES, '--parallel=1']);
  const hits: Record<string, Record<string, number[]>> = { current: {}, baseline: {} };
  for (const image of IMAGES) {
    for (const [name, w] of Object.entries(hitWorkspaces)) {
      timed(w, ['run', `${image}:build`, '-c', 'offline']);
      hits[name][image] = [];
    }
    for (let i = 0; i < runs; i++) {
      for (const [name, w] of Object.entries(hitWorkspaces)) {
        const r = timed(w, ['run', `${image}:build`, '-c', 'offline']);
        if (!/existing outputs match the cache|local cache/.test(r.output)) throw new Error(`${name} ${image}: not a cache hit:\n${r.output}`);
        hits[name][image].push(r.ms);
      }
    }
  }

  const row = (label: string, traced: number[], untraced: number[]) =>
    `| ${label} | ${median(untraced).toFixed(0)} ms | ${median(traced).toFixed(0)} ms | **${(median(traced) / median(untraced)).toFixed(2)}×** |`;
  const lines = [
    '# Read tracing: what it costs',
    '',
    `\`node -r @swc-node/register tools/bench/tracing.ts --baseline ${baseline} --runs ${runs} --modules ${modules}\`, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, strace ${execFileSync('strace', ['-V'], { encoding: 'utf8' }).split('\n')[0].replace(/^strace -- version /, '')}.`,
    'Medians of alternating runs of `nx run <image>:build -c offline --skip-nx-cache` (a cache miss), traced (the default where strace is)',
    'and untraced (`NIXISO_TRACE=0`). "evaluates": Nix has the image already, the build is its evaluation; "builds": a file the image',
    'carries changed, so Nix builds again (its builders are traced too). iso-large is the channel example plus',
    `${modules} generated modules (about as many options as NixOS declares).`,
    '',
    '| cache miss | untraced | traced | traced / untraced |',
    '|---|---|---|---|',
    ...IMAGES.flatMap((image) => [
      row(`${image}, evaluates`, miss[image].evaluates.traced, miss[image].evaluates.untraced),
      row(`${image}, builds`, miss[image].builds.traced, miss[image].builds.untraced),
    ]),
    '',
    `Cache hits (\`nx run <image>:build -c offline\` answered from Nx's cache), this plugin against ${baseline}, each in its own workspace, alternating:`,
    '',
    '| cache hit | baseline | current | current / baseline |',
    '|---|---|---|---|',
    ...IMAGES.map((image) => row(image, hits.current[image], hits.baseline[image]).replace(/\| (\S+) \|/, `| ${image} |`)),
    '',
    `Self-corrections: ${corrections} of ${builds} traced builds named a file the inputs did not cover.`,
    '',
  ];
  writeFileSync(out, `${lines.join('\n')}\n`);
  process.stdout.write(readFileSync(out, 'utf8'));
}

main();
