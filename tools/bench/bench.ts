/**
 * nixiso benchmarks, run by `npm run bench` (tools/bench/run.sh):
 *
 *   1. cache hit of `nx run <image>:build:offline` against a trivial cached
 *      nx:run-commands target (Nx's floor, in the same workspace: nixiso loaded)
 *      and against the raw Nix no-op of the
 *      same built image, at the examples' size and at NixOS size, daemon off/on;
 *   2. executor overhead on a miss (`--skip-nx-cache`) against the raw Nix
 *      command the executor prints, warm Nix store;
 *   3. project graph (`nx show projects`, daemon off, after `nx reset`) with
 *      50/200/500 image projects sharing 20 module projects;
 *   4. generator: `nx g @nixiso:image` per image, 50 images;
 *   8. what registering a plugin costs an unrelated cached `nx run`: fresh
 *      npm workspaces without a plugin, with @nx/jest/plugin and with the
 *      packed plugin (and variants of it), Nx 23.2.1 and the newest Nx 24;
 *   9. `nx run <image>:diff` with both sides already built against the
 *      build's Nx cache hit.
 *
 * Everything runs in throw-away workspaces from createTestWorkspace (plugin
 * source through a tsconfig path, offline stand-ins, examples); the full run
 * repeats the key measurements with the plugin installed as published
 * (compiled JS). hyperfine measures; the report goes to tools/bench/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- a relative path on purpose: run.sh loads this under @swc-node/register, which resolves no tsconfig paths from the repository root
import { createTestWorkspace, offlineNixConfig, requireNix, type TestWorkspace } from '../testing/src';
import { type BenchCommand, hyperfine, pick, type Stat } from './src/hyperfine';
import { load, machine, versions } from './src/machine';
import { profileCommand, profileMarkdown, type ProfiledRun } from './src/profile';
import { applyPatches, PATCHES } from './src/variants';
import { newestVersion, nxLine, packPlugin, PRESENCE_LABEL, type PresenceVariant, presenceWorkspaces } from './src/presence';
import { type PluginShape, reshapePlugin } from './src/published';
import { commandList, linearFit, ms, passMiss, ratio, statTable, table, type Verdict, verdictTable } from './src/report';
import { type Files, fixturesReady, floorProjects, graphProjects, nixosSizedImage, NOOP_EXECUTOR } from './src/synthetic';

const REPO = resolve(__dirname, '../..');
const NX = 'node_modules/.bin/nx';

type Layout = 'channel' | 'flake';
const EXAMPLE: Record<Layout, string> = { channel: 'iso-channel', flake: 'iso-flake' };

interface Settings {
  quick: boolean;
  out: string;
  keep: boolean;
  profile: boolean;
  sections: Set<number>;
  layouts: Layout[];
  /** Synthetic modules of the NixOS-sized configuration. */
  modules: number;
  hit: { runs: number; warmup: number; rounds: number };
  miss: { runs: number; warmup: number; rounds: number };
  /** Also measure with the plugin installed as published (compiled JS) and without the plugin. */
  published: boolean;
  /** phases: NX_PERF_LOGGING runs per size and shape (linearity of the N-dependent work); 0 for none. */
  graph: { runs: number; warmup: number; sizes: number[]; modules: number; phases: number };
  generator: { images: number; otherModes: number };
  /** A commit of this repository whose plugin §6 measures against the working tree's (before and after). */
  baseline?: string;
  /** §8: runs per command and daemon mode of the plugin-presence groups. */
  presence: { runs: number; warmup: number; rounds: number };
}

function usage(): string {
  return `usage: bash tools/bench/run.sh [--quick] [--out FILE] [--sections 1,2,3,4,8,9] [--modules N] [--baseline REV] [--no-profile] [--keep]
  --quick       fewer runs, channel layout only, graph sizes 0/50/200, 3 generated images, no
                published-plugin comparison, no profiles; writes $TMPDIR/nixiso-benchmarks-quick.md
                unless --out is given (< 3 min on a quiet 2-core machine)
  --out FILE    where to write the report (default tools/bench/benchmarks.md)
  --sections    which measurements to run (1 cache hit, 2 executor overhead, 3 graph, 4 generator,
                5 the cost of the cache-hit image check (plugin without its task hook, on a scratch copy),
                7 boot test of the stand-in ISO, 8 what registering a plugin costs an unrelated
                \`nx run\` (fresh npm workspaces, Nx 23.2.1 and the newest Nx 24: needs the npm registry),
                9 diff with both sides built against the build's cache hit;
                default 1-5 and 7-9, quick 1-4 and 7; \`--sections 8\` runs that section alone)
  --modules N   synthetic modules of the NixOS-sized configuration (default 1500)
  --baseline REV  also run §6: the plugin as published from commit REV of this repository against
                the working tree's, interleaved (before/after numbers for a change to the plugin)
  --no-profile  do not profile missed targets
  --keep        keep the temporary workspaces (their paths are printed)
  --rerender DIR  write the report of a finished run again from DIR/report-state.json (the run's
                hyperfine JSON directory, printed in the report), e.g. after editing findings.md`;
}

function parseArgs(argv: string[]): Settings {
  const valued = new Set(['--out', '--sections', '--modules', '--baseline']);
  const known = new Set([...valued, '--quick', '--no-profile', '--keep', '--help']);
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i])) throw new Error(`unknown argument ${argv[i]}\n${usage()}`);
    if (valued.has(argv[i])) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${argv[i]} needs a value\n${usage()}`);
      values.set(argv[i], v);
      i++;
    }
  }
  const quick = argv.includes('--quick');
  const sections = new Set((values.get('--sections') ?? (quick ? '1,2,3,4,7' : '1,2,3,4,5,7,8,9')).split(',').map(Number));
  for (const s of sections) if (![1, 2, 3, 4, 5, 6, 7, 8, 9].includes(s)) throw new Error(`--sections: no section ${s}\n${usage()}`);
  if (sections.has(6) && !values.has('--baseline')) throw new Error('section 6 needs --baseline REV');
  const modules = Number(values.get('--modules') ?? 1500);
  if (!Number.isInteger(modules) || modules < 2) throw new Error('--modules must be an integer ≥ 2');
  const out = values.get('--out');
  const baseline = values.get('--baseline');
  if (baseline !== undefined) {
    if (!repoGit('rev-parse', '--verify', '--quiet', `${baseline}^{commit}`)) throw new Error(`--baseline: "${baseline}" is not a commit of this repository`);
    if (!sections.has(6) && values.has('--sections')) throw new Error('--baseline needs section 6 in --sections');
    sections.add(6);
  }
  return {
    baseline: baseline === undefined ? undefined : repoGit('rev-parse', '--short', `${baseline}^{commit}`),
    quick,
    out: resolve(out ?? (quick ? join(tmpdir(), 'nixiso-benchmarks-quick.md') : join(__dirname, 'benchmarks.md'))),
    keep: argv.includes('--keep'),
    profile: !argv.includes('--no-profile') && !quick,
    sections,
    layouts: quick ? ['channel'] : ['channel', 'flake'],
    modules,
    hit: quick ? { runs: 2, warmup: 1, rounds: 1 } : { runs: 4, warmup: 1, rounds: 4 },
    miss: quick ? { runs: 2, warmup: 0, rounds: 2 } : { runs: 3, warmup: 1, rounds: 3 },
    published: !quick,
    graph: quick
      ? { runs: 1, warmup: 0, sizes: [0, 50, 200], modules: 20, phases: 0 }
      : { runs: 3, warmup: 0, sizes: [0, 50, 200, 500], modules: 20, phases: 3 },
    generator: quick ? { images: 3, otherModes: 0 } : { images: 50, otherModes: 6 },
    presence: quick ? { runs: 4, warmup: 1, rounds: 2 } : { runs: 16, warmup: 2, rounds: 4 },
  };
}

/** Environment of every measured command: offline Nix, no Nx Cloud, no TUI; NX_DAEMON set per group. */
function benchEnv(daemon: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NX_') && k !== 'CI' && k !== 'NODE_OPTIONS') env[k] = v;
  return {
    ...env,
    NIX_CONFIG: offlineNixConfig(),
    NIX_PATH: requireNix().env.NIX_PATH,
    NX_DAEMON: String(daemon),
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    FORCE_COLOR: '0',
  };
}

function sh(ws: TestWorkspace, command: string, env: NodeJS.ProcessEnv): { status: number; output: string; ms: number } {
  const started = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', command], { cwd: ws.root, env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { status: r.status ?? 1, output: `${r.stdout}\n${r.stderr}`, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** `git <args>` in this repository: its trimmed output, empty when git fails. */
function repoGit(...args: string[]): string {
  const r = spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function mustSh(ws: TestWorkspace, command: string, env: NodeJS.ProcessEnv): { output: string; ms: number } {
  const r = sh(ws, command, env);
  if (r.status !== 0) throw new Error(`\`${command}\` failed in ${ws.root} (exit ${r.status}):\n${r.output.trim().slice(-4000)}`);
  return r;
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const CACHE_HIT = /\[(local cache|existing outputs match the cache[^\]]*|remote cache)\]/;

function assertCacheHit(ws: TestWorkspace, command: string, env: NodeJS.ProcessEnv): void {
  const r = mustSh(ws, command, env);
  if (!CACHE_HIT.test(r.output)) throw new Error(`expected a cache hit from \`${command}\` in ${ws.root}, got:\n${r.output.trim().slice(-3000)}`);
}

/** The Nix command line the build executor ran, as it logged it (`> nix-build …` / `> nix …`). */
function executorCommand(output: string): string {
  const match = /^\s*> ((?:nix-build|nix|nixos-generate|nixos-rebuild) .*)$/m.exec(output);
  if (!match) throw new Error(`the build executor logged no Nix command line:\n${output.slice(-3000)}`);
  return match[1].trim();
}

const errorLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

interface Report {
  /** hyperfine's JSON exports of this run (and report-state.json, for --rerender). */
  jsonDir: string;
  started: Date;
  loadAfter?: string;
  durationMs?: number;
  settings: Settings;
  loadBefore: string;
  sections: string[];
  verdicts: Verdict[];
  profiles: ProfiledRun[];
  errors: string[];
  timings: string[];
  workspaces: string[];
}

function group(report: Report, ws: TestWorkspace, id: string, commands: BenchCommand[], env: NodeJS.ProcessEnv, runs: Settings['hit']): Stat[] {
  return hyperfine(commands, { cwd: ws.root, env, ...runs, jsonDir: report.jsonDir, id });
}

function details(stats: Stat[]): string[] {
  return ['<details><summary>commands</summary>', '', commandList(stats), '', '</details>', ''];
}

// ---------------------------------------------------------------------------------------------
// Workspaces for 1 and 2

interface ImageUnderTest {
  layout: Layout;
  size: 'example' | 'NixOS-sized';
  project: string;
  root: string;
  raw: string;
  firstBuildMs: number;
}

interface ImageWorkspaces {
  /** The plugin as developed: TS source through a tsconfig path (createTestWorkspace). */
  ws: TestWorkspace;
  images: ImageUnderTest[];
  /** Same projects, plugin installed as published (compiled JS in node_modules). Full run only. */
  published?: TestWorkspace;
  /** Same projects, no plugin in nx.json. Full run only. */
  absent?: TestWorkspace;
}

function imageFiles(s: Settings, layouts: Layout[]): Files {
  const files: Files = floorProjects(REPO, 'bench/floor', 'bench-floor');
  for (const layout of layouts) {
    const example = EXAMPLE[layout];
    Object.assign(files, nixosSizedImage(REPO, example, `bench/${example}-nixos-sized`, `${example}-nixos-sized`, s.modules));
  }
  return files;
}

function firstBuilds(ws: TestWorkspace, layouts: Layout[]): ImageUnderTest[] {
  const env = benchEnv(false);
  const planned = layouts.flatMap((layout) => [
    { layout, size: 'example' as const, project: EXAMPLE[layout], root: `examples/${EXAMPLE[layout]}` },
    { layout, size: 'NixOS-sized' as const, project: `${EXAMPLE[layout]}-nixos-sized`, root: `bench/${EXAMPLE[layout]}-nixos-sized` },
  ]);
  const build = (project: string) => mustSh(ws, `${NX} run ${project}:build:offline`, env);
  const images: ImageUnderTest[] = [];
  for (const p of planned) {
    log(`first build of ${p.project} in ${ws.root}`);
    const first = build(p.project);
    images.push({ ...p, raw: executorCommand(first.output), firstBuildMs: first.ms });
  }
  // A flake build may write flake.lock; a user would commit it. Commit and rebuild so the tree is clean.
  if (ws.git('status', '--porcelain').trim()) {
    log(`committing what the first builds wrote:\n${ws.git('status', '--porcelain')}`);
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'lock files written by the first builds');
    for (const image of images) image.raw = executorCommand(build(image.project).output);
  }
  return images;
}

/**
 * `bench-floor:nix`: the Nix command the executor runs for `image`, as a plain
 * `nx:run-commands` target — what building through Nx without a plugin
 * executor costs (Nx runs run-commands without forking an executor process).
 */
function addRunCommandsBuild(ws: TestWorkspace, image: ImageUnderTest | undefined): void {
  if (!image) return;
  const file = 'bench/floor/project.json';
  const project = JSON.parse(ws.read(file));
  project.targets.nix = { executor: 'nx:run-commands', cache: true, inputs: ['{projectRoot}/**/*'], options: { command: image.raw, cwd: image.root } };
  ws.write(file, `${JSON.stringify(project, null, 2)}\n`);
  ws.git('commit', '-qam', 'run-commands build of the channel example');
}

function setUpImageWorkspaces(s: Settings, report: Report): ImageWorkspaces {
  const ws = createTestWorkspace({ examples: s.layouts.map((l) => EXAMPLE[l]), files: imageFiles(s, s.layouts) });
  report.workspaces.push(ws.root);
  log(`image workspace (plugin as source) ${ws.root}`);
  const images = firstBuilds(ws, s.layouts);
  addRunCommandsBuild(ws, images.find((i) => i.layout === 'channel' && i.size === 'example'));
  mustSh(ws, `${NX} run-many -t noop exec nix -p bench-floor`, benchEnv(false));
  if (!s.published) return { ws, images };
  const shaped = (shape: PluginShape) => {
    const w = createTestWorkspace({ examples: ['iso-channel'], files: imageFiles(s, ['channel']) });
    report.workspaces.push(w.root);
    reshapePlugin(w, REPO, shape);
    log(`image workspace (plugin ${shape}) ${w.root}`);
    return w;
  };
  const published = shaped('published');
  firstBuilds(published, ['channel']);
  mustSh(published, `${NX} run-many -t noop exec -p bench-floor`, benchEnv(false));
  const absent = shaped('absent');
  mustSh(absent, `${NX} run-many -t noop exec -p bench-floor`, benchEnv(false));
  return { ws, images, published, absent };
}

// ---------------------------------------------------------------------------------------------
// 1: cache hit

function cacheHitSection(s: Settings, w: ImageWorkspaces, report: Report): void {
  const { ws, images } = w;
  const out: string[] = [
    '## 1. Cache hit',
    '',
    'Each group ran in one workspace, interleaved: the trivial cached `nx:run-commands` target (`bench-floor:noop`: one input ' +
      'file, one output directory — Nx\'s own floor in this workspace, which loads nixiso as source, so what merely ' +
      'having the plugin costs each run is inside it; §8 measures that against no plugin), the cache hits of the example image and of its NixOS-sized copy (the same ' +
      `configuration plus ${s.modules} synthetic option-declaring modules), and the raw Nix command the build executor runs, re-run ` +
      'on the already built image (Nix evaluates everything again and finds the output valid; nothing is built).',
    '',
    table(
      ['image', 'first build (miss, cold)', 'raw Nix command (as the executor printed it)'],
      images.map((i) => [i.project, ms(i.firstBuildMs), `\`${i.raw.length > 110 ? `${i.raw.slice(0, 107)}…` : i.raw}\``]),
    ),
    '',
  ];
  for (const layout of s.layouts) {
    const small = images.find((i) => i.layout === layout && i.size === 'example') as ImageUnderTest;
    const large = images.find((i) => i.layout === layout && i.size === 'NixOS-sized') as ImageUnderTest;
    for (const daemon of [false, true]) {
      const env = benchEnv(daemon);
      const mode = daemon ? 'daemon on' : 'daemon off';
      try {
        mustSh(ws, `${NX} daemon ${daemon ? '--start' : '--stop'}`, env);
        const commands: BenchCommand[] = [
          { name: 'trivial cached target (Nx floor, nixiso loaded as source)', command: `${NX} run bench-floor:noop` },
          { name: `cache hit ${small.project}`, command: `${NX} run ${small.project}:build:offline` },
          { name: `cache hit ${large.project}`, command: `${NX} run ${large.project}:build:offline` },
          { name: `raw Nix no-op ${small.project}`, command: `cd ${small.root} && ${small.raw}` },
          { name: `raw Nix no-op ${large.project}`, command: `cd ${large.root} && ${large.raw}` },
        ];
        // Nix reuses a flake's cached evaluation while the git tree is clean; a dirty tree (or this option) evaluates again.
        if (layout === 'flake') {
          commands.push({ name: `raw Nix no-op ${large.project}, no eval cache`, command: `cd ${large.root} && ${large.raw} --option eval-cache false` });
        }
        log(`1. cache hit, ${layout}, ${mode}`);
        const stats = group(report, ws, `hit-${layout}-${daemon ? 'daemon' : 'no-daemon'}`, commands, env, s.hit);
        // Still hits after the group: no measured run was a miss that changed what the others saw.
        for (const c of commands.slice(1, 3)) assertCacheHit(ws, c.command, env);
        const [floor, hitSmall, hitLarge, rawSmall, rawLarge] = commands.map((c) => pick(stats, c.name));
        const r = {
          small: hitSmall.medianMs / floor.medianMs,
          large: hitLarge.medianMs / floor.medianMs,
          raw: hitLarge.medianMs / rawLarge.medianMs,
        };
        out.push(
          `### ${layout} layout, ${mode} (NX_DAEMON=${daemon})`,
          '',
          statTable(stats),
          '',
          table(
            ['ratio of medians', 'value', 'target', 'result'],
            [
              [`cache hit ${small.project} / Nx floor (nixiso loaded)`, ratio(r.small), '≤ 1.10', passMiss(r.small <= 1.1)],
              [`cache hit ${large.project} / Nx floor (nixiso loaded)`, ratio(r.large), '≤ 1.10', passMiss(r.large <= 1.1)],
              [`cache hit ${large.project} / its raw Nix no-op`, ratio(r.raw), '≤ 0.50', passMiss(r.raw <= 0.5)],
              ['cache hit, NixOS-sized / example (must not grow)', ratio(hitLarge.medianMs / hitSmall.medianMs), '', ''],
              ['raw Nix no-op, NixOS-sized / example (evaluation size)', ratio(rawLarge.medianMs / rawSmall.medianMs), '', ''],
              [`cache hit ${small.project} / its raw Nix no-op`, ratio(hitSmall.medianMs / rawSmall.medianMs), '', ''],
              ...(layout === 'flake'
                ? [[`cache hit ${large.project} / its raw Nix no-op without eval cache`, ratio(hitLarge.medianMs / pick(stats, `raw Nix no-op ${large.project}, no eval cache`).medianMs), '(dirty tree)', '']]
                : []),
            ],
          ),
          '',
          ...details(stats),
        );
        const where = `§1 ${layout}, ${mode}`;
        report.verdicts.push(
          { target: `cache hit ≤ 1.10 × Nx floor (nixiso loaded), example (${layout}, ${mode})`, measured: `${ms(hitSmall.medianMs)} / ${ms(floor.medianMs)} = ${ratio(r.small)}`, limit: '≤ 1.10×', pass: r.small <= 1.1, where },
          { target: `cache hit ≤ 1.10 × Nx floor (nixiso loaded), NixOS-sized (${layout}, ${mode})`, measured: `${ms(hitLarge.medianMs)} / ${ms(floor.medianMs)} = ${ratio(r.large)}`, limit: '≤ 1.10×', pass: r.large <= 1.1, where },
          { target: `cache hit ≤ 0.5 × raw Nix no-op, NixOS-sized (${layout}, ${mode})`, measured: `${ms(hitLarge.medianMs)} / ${ms(rawLarge.medianMs)} = ${ratio(r.raw)}`, limit: '≤ 0.50×', pass: r.raw <= 0.5, where },
        );
      } catch (e) {
        report.errors.push(`§1 ${layout} ${mode}: ${(e as Error).message}`);
        out.push(`### ${layout} layout, ${mode}`, '', `**Not measured:** ${errorLine(e)}`, '');
      } finally {
        if (daemon) sh(ws, `${NX} daemon --stop`, env);
      }
    }
  }
  if (w.published && w.absent) out.push(pluginShapes(s, w, report, false), pluginShapes(s, w, report, true));
  if (s.profile) {
    const env = benchEnv(false);
    const small = images.find((i) => i.size === 'example') as ImageUnderTest;
    profileOnce(report, ws, `cache hit of ${small.project}, plugin as source (daemon off)`, `${NX} run ${small.project}:build:offline`, env);
    if (w.published) profileOnce(report, w.published, `cache hit of ${small.project}, plugin as published (daemon off)`, `${NX} run ${small.project}:build:offline`, env);
  }
  report.sections.push(out.join('\n'));
}

/**
 * The trivial target and the cache hits with the plugin absent, installed as
 * published and loaded as source: what merely having the plugin costs each Nx
 * run, and what loading it as source adds (the shape of every other group).
 */
function pluginShapes(s: Settings, w: ImageWorkspaces, report: Report, daemon: boolean): string {
  const { ws, published, absent } = w as Required<ImageWorkspaces>;
  const mode = daemon ? 'on' : 'off';
  const out: string[] = [
    `### Plugin as published vs as source, daemon ${mode}`,
    '',
    'Three workspaces with the same projects: no plugin in nx.json; @nixiso/nx installed as published (compiled by tsc into ' +
      'node_modules/@nixiso/nx, no packages/nixiso project: what a user has); and the workspace above (plugin as TypeScript ' +
      'source through a tsconfig path, transpiled by @swc-node in every Nx process that loads it). One interleaved group.',
    '',
  ];
  const env = benchEnv(daemon);
  try {
    const large = 'iso-channel-nixos-sized';
    const raw = w.images.find((i) => i.project === large) as ImageUnderTest;
    const commands: BenchCommand[] = [
      { name: 'trivial target, no plugin', command: `cd ${absent.root} && ${NX} run bench-floor:noop` },
      { name: 'trivial target, plugin as published', command: `cd ${published.root} && ${NX} run bench-floor:noop` },
      { name: 'trivial target, plugin as source', command: `cd ${ws.root} && ${NX} run bench-floor:noop` },
      { name: 'cache hit iso-channel, as published', command: `cd ${published.root} && ${NX} run iso-channel:build:offline` },
      { name: 'cache hit iso-channel, as source', command: `cd ${ws.root} && ${NX} run iso-channel:build:offline` },
      { name: `cache hit ${large}, as published`, command: `cd ${published.root} && ${NX} run ${large}:build:offline` },
      { name: `raw Nix no-op ${large}`, command: `cd ${ws.root}/${raw.root} && ${raw.raw}` },
    ];
    for (const x of [ws, published, absent]) sh(x, `${NX} daemon ${daemon ? '--start' : '--stop'}`, env);
    log(`1. plugin as published vs as source, daemon ${mode}`);
    const stats = group(report, ws, `plugin-shapes-${daemon ? 'daemon' : 'no-daemon'}`, commands, env, s.hit);
    for (const c of commands.slice(3, 6)) assertCacheHit(ws, c.command, env);
    const [none, js, ts, hitJs, hitTs, largeJs, rawLarge] = commands.map((c) => pick(stats, c.name));
    out.push(
      statTable(stats),
      '',
      table(
        ['comparison (medians)', 'value', 'target', 'result'],
        [
          ['having the plugin at all: trivial target, published − no plugin', ms(js.medianMs - none.medianMs), '', ''],
          ['loading it as source: trivial target, source − published', ms(ts.medianMs - js.medianMs), '', ''],
          ['cache hit iso-channel / Nx floor (nixiso loaded), as published', ratio(hitJs.medianMs / js.medianMs), '≤ 1.10', passMiss(hitJs.medianMs / js.medianMs <= 1.1)],
          ['cache hit iso-channel / Nx floor (nixiso loaded), as source', ratio(hitTs.medianMs / ts.medianMs), '≤ 1.10', passMiss(hitTs.medianMs / ts.medianMs <= 1.1)],
          [`cache hit ${large} / Nx floor (nixiso loaded), as published`, ratio(largeJs.medianMs / js.medianMs), '≤ 1.10', passMiss(largeJs.medianMs / js.medianMs <= 1.1)],
          [`cache hit ${large} / its raw Nix no-op, as published`, ratio(largeJs.medianMs / rawLarge.medianMs), '≤ 0.50', passMiss(largeJs.medianMs / rawLarge.medianMs <= 0.5)],
        ],
      ),
      '',
      ...details(stats),
    );
    report.verdicts.push(
      { target: `cache hit ≤ 1.10 × Nx floor (nixiso loaded), example (channel, daemon ${mode}, plugin as published)`, measured: `${ms(hitJs.medianMs)} / ${ms(js.medianMs)} = ${ratio(hitJs.medianMs / js.medianMs)}`, limit: '≤ 1.10×', pass: hitJs.medianMs / js.medianMs <= 1.1, where: `§1 published, daemon ${mode}` },
      { target: `cache hit ≤ 1.10 × Nx floor (nixiso loaded), NixOS-sized (channel, daemon ${mode}, plugin as published)`, measured: `${ms(largeJs.medianMs)} / ${ms(js.medianMs)} = ${ratio(largeJs.medianMs / js.medianMs)}`, limit: '≤ 1.10×', pass: largeJs.medianMs / js.medianMs <= 1.1, where: `§1 published, daemon ${mode}` },
      { target: `cache hit ≤ 0.5 × raw Nix no-op, NixOS-sized (channel, daemon ${mode}, plugin as published)`, measured: `${ms(largeJs.medianMs)} / ${ms(rawLarge.medianMs)} = ${ratio(largeJs.medianMs / rawLarge.medianMs)}`, limit: '≤ 0.50×', pass: largeJs.medianMs / rawLarge.medianMs <= 0.5, where: `§1 published, daemon ${mode}` },
    );
    if (!daemon) out.push(phaseTable(w));
  } catch (e) {
    report.errors.push(`§1 plugin shapes, daemon ${mode}: ${(e as Error).message}`);
    out.push(`**Not measured:** ${errorLine(e)}`, '');
  } finally {
    if (daemon) for (const x of [ws, published, absent]) sh(x, `${NX} daemon --stop`, env);
  }
  return out.join('\n');
}

/** Nx's own phase timings (NX_PERF_LOGGING=true), one run each: where the time of a run goes. */
const PHASES: [string, RegExp][] = [
  ['start plugin workers, load Nx\'s default plugins', /^loadDefaultNxPlugins$/],
  ['load @nixiso/nx (in its worker)', /^Load Nx Plugin: @nixiso\/nx$/],
  ['project graph (plugins loaded, createNodes, createDependencies)', /^createProjectGraphAsync$/],
  ['@nixiso/nx createNodes', /^@nixiso\/nx:createNodes$/],
  ['@nixiso/nx createDependencies', /^@nixiso\/nx:createDependencies$/],
  ['hash tasks (inputs, runtime inputs)', /^hashMultipleTasks$/],
  ['run the task (fork executor, run it)', /^task-execution$/],
];

const GRAPH_PHASES: [string, RegExp][] = [
  ['start plugin workers, load Nx\'s default plugins', /^loadDefaultNxPlugins$/],
  ['load @nixiso/nx (in its worker)', /^Load Nx Plugin: @nixiso\/nx$/],
  ['createNodes of all plugins (build-project-configs)', /^build-project-configs$/],
  ['@nixiso/nx createNodes', /^@nixiso\/nx:createNodes$/],
  ['createDependencies of all plugins', /^createDependencies$/],
  ['@nixiso/nx createDependencies', /^@nixiso\/nx:createDependencies$/],
  ['project graph in all', /^createProjectGraphAsync$/],
];

function phases(ws: TestWorkspace, command: string, manifest?: string): { total: number; phases: Map<string, number>; executorMs?: number } {
  const r = mustSh(ws, command, { ...benchEnv(false), NX_PERF_LOGGING: 'true' });
  const found = new Map<string, number>();
  let executorMs: number | undefined;
  if (manifest && existsSync(join(ws.root, manifest))) executorMs = JSON.parse(readFileSync(join(ws.root, manifest), 'utf8')).durationMs;
  for (const match of r.output.matchAll(/Time taken for '([^']+)' ([\d.]+)ms/g)) {
    const [, name, value] = match;
    // Some marks are logged twice (measure and its parent); keep the largest.
    found.set(name, Math.max(found.get(name) ?? 0, Number(value)));
  }
  return { total: r.ms, phases: found, executorMs };
}

/** Each phase's median over `runs` runs of `command`. */
function medianPhases(ws: TestWorkspace, command: string, runs: number): Map<string, number> {
  const all = Array.from({ length: runs }, () => phases(ws, command).phases);
  const names = new Set(all.flatMap((m) => [...m.keys()]));
  return new Map(
    [...names].map((name) => {
      const values = all.map((m) => m.get(name)).filter((v): v is number => v !== undefined);
      return [name, summary(values).median];
    }),
  );
}

/**
 * With the daemon on, what @nixiso/nx's postTasksExecution hook costs each
 * run, from the daemon's log: Nx starts a plugin worker for it and stops the
 * worker after the hook.
 */
function daemonHookCost(ws: TestWorkspace, command: string): { hookMs?: number; workerStartMs?: number } {
  const env = benchEnv(true);
  try {
    mustSh(ws, `${NX} daemon --start`, env);
    mustSh(ws, command, env);
    mustSh(ws, command, env);
    const logFile = join(ws.root, '.nx/workspace-data/d/daemon.log');
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const last = (re: RegExp) => {
      const all = [...text.matchAll(re)];
      return all.length ? Number(all[all.length - 1][1]) : undefined;
    };
    return {
      hookMs: last(/Time taken for '@nixiso\/nx:postTasksExecution' ([\d.]+)ms/g),
      workerStartMs: last(/Time taken for 'start-plugin-worker:@nixiso\/nx' ([\d.]+)ms/g),
    };
  } finally {
    sh(ws, `${NX} daemon --stop`, env);
  }
}

function phaseTable(w: ImageWorkspaces): string {
  const large = 'iso-channel-nixos-sized';
  const runs: [string, TestWorkspace, string][] = [
    ['hit, source', w.ws, `${NX} run iso-channel:build:offline`],
    ['hit, published', w.published as TestWorkspace, `${NX} run iso-channel:build:offline`],
    ['miss, source', w.ws, `${NX} run iso-channel:build:offline --skip-nx-cache`],
    ['miss, published', w.published as TestWorkspace, `${NX} run iso-channel:build:offline --skip-nx-cache`],
    [`miss ${large}, source`, w.ws, `${NX} run ${large}:build:offline --skip-nx-cache`],
    ['trivial, published', w.published as TestWorkspace, `${NX} run bench-floor:noop`],
  ];
  const measured = runs.map(([name, ws, command]) => ({
    name,
    ...phases(ws, command, /--skip-nx-cache/.test(command) ? `dist/${/run ([\w-]+):/.exec(command)?.[1] === large ? `bench/${large}` : 'examples/iso-channel'}/manifest.json` : undefined),
    ...(/build:offline$/.test(command) ? daemonHookCost(ws, command) : {}),
  }));
  const value = (m: (typeof measured)[number], re: RegExp) => {
    const hits = [...m.phases].filter(([k]) => re.test(k)).map(([, v]) => v);
    return hits.length ? ms(Math.max(...hits)) : '–';
  };
  return [
    '',
    'Nx\'s own phase timings for iso-channel (NX_PERF_LOGGING=true, daemon off, one run each; phases overlap, plugin workers load in parallel):',
    '',
    table(
      ['phase', ...measured.map((m) => m.name)],
      [
        ...PHASES.map(([label, re]) => [label, ...measured.map((m) => value(m, re))]),
        ['executor\'s own build() incl. Nix (manifest durationMs)', ...measured.map((m) => (m.executorMs === undefined ? '–' : ms(m.executorMs)))],
        ['whole command (wall)', ...measured.map((m) => ms(m.total))],
        ['daemon on: @nixiso/nx postTasksExecution per run (daemon log)', ...measured.map((m) => ('hookMs' in m && m.hookMs !== undefined ? ms(m.hookMs) : '–'))],
        ['daemon on: of which starting its plugin worker', ...measured.map((m) => ('workerStartMs' in m && m.workerStartMs !== undefined ? ms(m.workerStartMs) : '–'))],
      ],
    ),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 2: executor overhead

function executorSection(s: Settings, w: ImageWorkspaces, report: Report): void {
  const { ws, images } = w;
  const out: string[] = [
    '## 2. Executor overhead on a miss',
    '',
    '`nx run <image>:build:offline --skip-nx-cache` against the raw Nix command the executor printed, both on a warm Nix store ' +
      '(the image is built: Nix evaluates and finds the output valid). Daemon off (the default under CI). Two trivial uncached ' +
      'targets in the same workspace (so with nixiso loaded) give Nx\'s own cost per run: `bench-floor:noop` (`nx:run-commands`, which Nx runs in its own process) and ' +
      '`bench-floor:exec` (a local executor that returns at once: Nx forks a process and loads the executor, as for nixiso\'s).',
    '',
    'Target: executor overhead ≤ 0.05 × raw Nix + 150 ms, i.e. image run − baseline ≤ 1.05 × raw + 150 ms, judged twice. ' +
      'Against the trivial executor: what nixiso\'s executor adds to Nx\'s cost of running any executor. Against the trivial ' +
      'run-commands target: that, plus Nx\'s fork of an executor (exec − noop), which counts against nixiso too in the strict ' +
      'reading, because building through a plugin executor rather than a run-commands target is nixiso\'s choice.',
    '',
  ];
  const env = benchEnv(false);
  for (const x of [ws, w.published, w.absent]) if (x) sh(x, `${NX} daemon --stop`, env);
  for (const layout of s.layouts) {
    // Whether the overhead grows with evaluation size shows in the phase table of §1 (the NixOS-sized miss); here the examples only.
    const subjects = images.filter((i) => i.layout === layout && i.size === 'example');
    const withPublished = layout === 'channel' && w.published;
    try {
      const commands: BenchCommand[] = [
        { name: 'trivial run-commands target', command: `${NX} run bench-floor:noop --skip-nx-cache` },
        { name: 'trivial executor target', command: `${NX} run bench-floor:exec --skip-nx-cache` },
      ];
      for (const i of subjects) {
        commands.push(
          { name: `nx run ${i.project}:build:offline --skip-nx-cache`, command: `${NX} run ${i.project}:build:offline --skip-nx-cache` },
          { name: `raw Nix ${i.project}`, command: `cd ${i.root} && ${i.raw}` },
        );
      }
      if (layout === 'channel') {
        commands.push({ name: 'the same nix-build as an nx:run-commands target', command: `${NX} run bench-floor:nix --skip-nx-cache` });
      }
      if (withPublished) {
        const pub = (w.published as TestWorkspace).root;
        commands.push(
          { name: 'trivial run-commands target, as published', command: `cd ${pub} && ${NX} run bench-floor:noop --skip-nx-cache` },
          { name: 'trivial executor target, as published', command: `cd ${pub} && ${NX} run bench-floor:exec --skip-nx-cache` },
          { name: 'nx run iso-channel:build:offline --skip-nx-cache, as published', command: `cd ${pub} && ${NX} run iso-channel:build:offline --skip-nx-cache` },
        );
      }
      log(`2. executor overhead, ${layout}`);
      const stats = group(report, ws, `miss-${layout}`, commands, env, s.miss);
      const rows: string[][] = [];
      const judge = (label: string, nx: Stat, raw: Stat, floor: Stat, exec: Stat, verdictLabel: string) => {
        const limit = 1.05 * raw.medianMs + 150;
        const net = nx.medianMs - floor.medianMs;
        const pass = net <= limit;
        rows.push([
          label,
          ms(raw.medianMs),
          ms(nx.medianMs),
          ms(exec.medianMs - floor.medianMs),
          ms(nx.medianMs - exec.medianMs - raw.medianMs),
          ms(net),
          ms(limit),
          passMiss(pass),
        ]);
        const own = nx.medianMs - exec.medianMs;
        report.verdicts.push(
          {
            target: `executor overhead ≤ 1.05 × raw + 150 ms (${verdictLabel}; over Nx's trivial executor)`,
            measured: `${ms(nx.medianMs)} − ${ms(exec.medianMs)} trivial executor = ${ms(own)}; raw ${ms(raw.medianMs)}`,
            limit: `≤ ${ms(limit)}`,
            pass: own <= limit,
            where: `§2 ${layout}`,
          },
          {
            target: `executor overhead ≤ 1.05 × raw + 150 ms (${verdictLabel}; over Nx's run-commands floor (nixiso loaded), Nx's fork of an executor included)`,
            measured: `${ms(nx.medianMs)} − ${ms(floor.medianMs)} floor = ${ms(net)}; raw ${ms(raw.medianMs)}`,
            limit: `≤ ${ms(limit)}`,
            pass,
            where: `§2 ${layout}`,
          },
        );
        return pass;
      };
      const floor = pick(stats, 'trivial run-commands target');
      const exec = pick(stats, 'trivial executor target');
      let missed: ImageUnderTest | undefined;
      for (const i of subjects) {
        const nx = pick(stats, `nx run ${i.project}:build:offline --skip-nx-cache`);
        const raw = pick(stats, `raw Nix ${i.project}`);
        if (!judge(`${i.project}, as source`, nx, raw, floor, exec, `${i.project}, plugin as source`) && i.size === 'example') missed = i;
      }
      if (withPublished) {
        const raw = pick(stats, 'raw Nix iso-channel');
        judge(
          'iso-channel, as published',
          pick(stats, 'nx run iso-channel:build:offline --skip-nx-cache, as published'),
          raw,
          pick(stats, 'trivial run-commands target, as published'),
          pick(stats, 'trivial executor target, as published'),
          'iso-channel, plugin as published',
        );
      }
      const runCommands = stats.find((x) => x.name === 'the same nix-build as an nx:run-commands target');
      const runCommandsNote = runCommands
        ? `The iso-channel nix-build as an \`nx:run-commands\` target (no plugin executor): ${ms(runCommands.medianMs)}, ` +
          `${ms(runCommands.medianMs - floor.medianMs)} over the trivial run-commands target (limit ${ms(1.05 * pick(stats, 'raw Nix iso-channel').medianMs + 150)}).`
        : '';
      out.push(
        `### ${layout} layout`,
        '',
        statTable(stats),
        '',
        ...(runCommandsNote ? [runCommandsNote, ''] : []),
        table(['image', 'raw Nix', 'nx run --skip-nx-cache', 'Nx fork of an executor (exec − noop)', 'nixiso executor beyond raw (nx − exec − raw)', 'nx − noop', 'limit 1.05 × raw + 150 ms', 'result'], rows),
        '',
        ...details(stats),
      );
      if (s.profile && missed) {
        profileOnce(report, ws, `uncached run of ${missed.project}, plugin as source (daemon off)`, `${NX} run ${missed.project}:build:offline --skip-nx-cache`, env);
        if (withPublished) profileOnce(report, w.published as TestWorkspace, `uncached run of iso-channel, plugin as published (daemon off)`, `${NX} run iso-channel:build:offline --skip-nx-cache`, env);
      }
    } catch (e) {
      report.errors.push(`§2 ${layout}: ${(e as Error).message}`);
      out.push(`### ${layout} layout`, '', `**Not measured:** ${errorLine(e)}`, '');
    }
  }
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// §5 and §6: one plugin against another

/** The trivial cached target and the example's cache hit: what every run of §5 and §6 measures. */
const CACHED: [string, string][] = [
  ['trivial cached target', `${NX} run bench-floor:noop`],
  ['cache hit iso-channel', `${NX} run iso-channel:build:offline`],
];

interface Side {
  label: string;
  ws: TestWorkspace;
}

/**
 * The same commands in two workspaces, measured interleaved in one group per
 * daemon mode (off, then on), each a cache hit where it should be. Per mode:
 * the stat table and a table of medians, [name, a, b, a − b, b / a], plus
 * `extraRows`; `after` adds a line under it. `median(name, side)` reads a
 * median of this group (side 0 is `a`).
 */
function compareInterleaved(
  report: Report,
  section: string,
  a: Side,
  b: Side,
  o: {
    what: (daemon: boolean) => [string, string][];
    runs: Settings['hit'];
    headers: string[];
    extraRows?: (median: (name: string, side: 0 | 1) => number, daemon: boolean) => string[][];
    after?: (median: (name: string, side: 0 | 1) => number) => string;
  },
): string[] {
  const out: string[] = [];
  for (const daemon of [false, true]) {
    const env = benchEnv(daemon);
    const mode = daemon ? 'daemon on' : 'daemon off';
    try {
      for (const x of [a.ws, b.ws]) mustSh(x, `${NX} daemon ${daemon ? '--start' : '--stop'}`, env);
      const what = o.what(daemon);
      const commands: BenchCommand[] = what.flatMap(([name, command]) =>
        [a, b].map((side) => ({ name: `${name}, ${side.label}`, command: `cd ${side.ws.root} && ${command}` })),
      );
      log(`${section}, ${mode}`);
      const stats = group(report, a.ws, `${section.replace(/\W/g, '')}-${daemon ? 'daemon' : 'no-daemon'}`, commands, env, o.runs);
      for (const side of [a, b]) assertCacheHit(side.ws, `${NX} run iso-channel:build:offline`, env);
      const median = (name: string, side: 0 | 1) => pick(stats, `${name}, ${[a, b][side].label}`).medianMs;
      const rows = what.map(([name]) => [name, ms(median(name, 0)), ms(median(name, 1)), ms(median(name, 0) - median(name, 1)), ratio(median(name, 1) / median(name, 0))]);
      out.push(
        `### ${mode}`,
        '',
        statTable(stats),
        '',
        table(o.headers, [...rows, ...(o.extraRows?.(median, daemon) ?? [])]),
        '',
        ...(o.after ? [o.after(median), ''] : []),
        ...details(stats),
      );
    } catch (e) {
      report.errors.push(`${section} ${mode}: ${(e as Error).message}`);
      out.push(`### ${mode}`, '', `**Not measured:** ${errorLine(e)}`, '');
    } finally {
      if (daemon) for (const x of [a.ws, b.ws]) sh(x, `${NX} daemon --stop`, env);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5: what the cache-hit image check costs

/** A copy of a workspace (its Nx cache included, so cache hits stay hits) with the plugin patches applied. */
function patchedCopy(ws: TestWorkspace, report: Report): { ws: TestWorkspace; applied: string[]; skipped: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'nixiso-ws-patched-'));
  rmSync(root, { recursive: true });
  cpSync(ws.root, root, { recursive: true, verbatimSymlinks: true });
  rmSync(join(root, '.nx/workspace-data'), { recursive: true, force: true });
  report.workspaces.push(root);
  const copy: TestWorkspace = { ...ws, root, git: (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@nixiso.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@nixiso.invalid' } }).stdout };
  const outcomes = applyPatches(join(root, 'packages/nixiso'));
  copy.git('commit', '-qam', 'plugin variant');
  return { ws: copy, applied: outcomes.filter((o) => o.applied).map((o) => o.patch.id), skipped: outcomes.filter((o) => !o.applied).map((o) => o.patch.id) };
}

function hookCostSection(s: Settings, w: ImageWorkspaces, report: Report): void {
  const out: string[] = [
    '## 5. What the cache-hit image check costs',
    '',
    'A cache hit restores `dist/<image>` with the out-link into /nix/store; the task hook checks that the image is there and ' +
      'brings it back when it is not (substituters, else the recorded derivation), so that a hit never leaves a dangling link. ' +
      'Nx 23 runs task hooks in a plugin worker: without the daemon, the one that computed the graph; with the daemon, a worker ' +
      'started for the hook after every `nx run` in the workspace, whatever the targets. This section measures the plugin as ' +
      'shipped against the same plugin without the hook (a text patch, tools/bench/src/variants.ts, applied to a copy of the ' +
      'workspace of §1 with its Nx cache, so hits stay hits), interleaved in one group per daemon mode.',
    '',
  ];
  try {
    const before = w.ws;
    const { ws: after, applied, skipped } = patchedCopy(before, report);
    out.push(
      table(
        ['patch', 'applied', 'what it changes'],
        PATCHES.map((p) => [p.id, applied.includes(p.id) ? 'yes' : '**no: the source changed, patch did not match**', p.description]),
      ),
      '',
    );
    if (skipped.length) report.errors.push(`§5: patches not applied (source changed): ${skipped.join(', ')}`);
    out.push(
      ...compareInterleaved(report, '§5', { label: 'as shipped', ws: before }, { label: 'without the hook', ws: after }, {
        what: () => CACHED,
        runs: { runs: 3, warmup: 1, rounds: 3 },
        headers: ['median', 'as shipped', 'without the hook', 'the hook costs', 'without / with'],
        after: (median) =>
          `Without the hook: cache hit iso-channel / Nx floor (nixiso without the hook loaded) = ${ratio(median('cache hit iso-channel', 1) / median('trivial cached target', 1))} (target ≤ 1.10).`,
      }),
    );
  } catch (e) {
    report.errors.push(`§5: ${(e as Error).message}`);
    out.push(`**Not measured:** ${errorLine(e)}`, '');
  }
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// 6: before and after

/**
 * A workspace with the floor targets and the channel example, the plugin as
 * published, compiled from this repository's packages/nixiso at `rev` (the
 * working tree when undefined); the example is built and the floor targets run.
 */
function pluginAtRevision(report: Report, rev: string | undefined): TestWorkspace {
  const w = createTestWorkspace({ examples: ['iso-channel'], files: floorProjects(REPO, 'bench/floor', 'bench-floor') });
  report.workspaces.push(w.root);
  if (rev) {
    rmSync(join(w.root, 'packages/nixiso'), { recursive: true, force: true });
    mustSh(w, `git -C ${REPO} archive ${rev} packages/nixiso | tar -x -C ${w.root}`, process.env);
    w.git('add', '-A');
    w.git('commit', '-q', '--allow-empty', '-m', `plugin at ${rev}`);
  }
  reshapePlugin(w, REPO, 'published');
  log(`plugin ${rev ? `at ${rev}` : 'of the working tree'}, as published: ${w.root}`);
  mustSh(w, `${NX} run iso-channel:build:offline && ${NX} run-many -t noop exec -p bench-floor`, benchEnv(false));
  return w;
}

function baselineSection(s: Settings, report: Report): void {
  const rev = s.baseline as string;
  const head = repoGit('rev-parse', '--short', 'HEAD');
  const dirty = repoGit('status', '--porcelain', 'packages/nixiso') ? ' plus uncommitted changes' : '';
  const out: string[] = [
    '## 6. Before and after',
    '',
    `The plugin as published, compiled from commit ${rev} (before) and from this working tree (after, HEAD ${head}${dirty}), ` +
      'each in a workspace with the same floor targets (each with its plugin loaded) and the channel example, measured interleaved in one group per daemon mode: ' +
      'what a change to the plugin saved, with the machine\'s load the same for both.',
    '',
  ];
  try {
    const before = pluginAtRevision(report, rev);
    const after = pluginAtRevision(report, undefined);
    const uncached: [string, string][] = [
      ['trivial executor target, uncached', `${NX} run bench-floor:exec --skip-nx-cache`],
      ['iso-channel uncached (warm Nix store)', `${NX} run iso-channel:build:offline --skip-nx-cache`],
    ];
    out.push(
      ...compareInterleaved(report, '§6', { label: 'before', ws: before }, { label: 'after', ws: after }, {
        what: (daemon) => (daemon ? CACHED : [...CACHED, ...uncached]),
        runs: s.hit,
        headers: ['median', `before (${rev})`, 'after', 'saved', 'after / before'],
        extraRows: (median, daemon) => {
          const rel = (name: string, base: string, label: string) => {
            const b = median(name, 0) - median(base, 0);
            const a = median(name, 1) - median(base, 1);
            return [label, ms(b), ms(a), ms(b - a), ''];
          };
          return [
            rel('cache hit iso-channel', 'trivial cached target', 'cache hit − trivial cached target'),
            ...(daemon ? [] : [rel('iso-channel uncached (warm Nix store)', 'trivial executor target, uncached', 'uncached build − trivial executor')]),
          ];
        },
      }),
    );
  } catch (e) {
    report.errors.push(`§6: ${(e as Error).message}`);
    out.push(`**Not measured:** ${errorLine(e)}`, '');
  }
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// 3: project graph

function graphSection(s: Settings, report: Report): void {
  const g = s.graph;
  const out: string[] = [
    '## 3. Project graph',
    '',
    `\`nx show projects\` with NX_DAEMON=false and \`nx reset\` before every run (hyperfine --prepare, not timed), with ` +
      `${g.modules} shared module projects (modules/mod-NN: default.nix + project.json) and N image projects ` +
      '(images/img-NNNN: the examples\' generator output, every 4th a flake, each importing 3 modules by relative path). ' +
      `N = 0 is the fixed cost (plugin and modules only).${s.published ? ' The same files in a second workspace with the plugin as published, interleaved in the same group.' : ''}`,
    '',
    'Per image the graph costs about a millisecond while one run costs seconds, so wall-clock medians cannot show the shape of the ' +
      'growth. Linearity is therefore judged on the graph work that depends on N, from Nx\'s own phase marks (NX_PERF_LOGGING, ' +
      `median of ${g.phases} runs per size, each after \`nx reset\`): createNodes of all plugins plus createDependencies of all plugins.`,
    '',
  ];
  const env = benchEnv(false);
  const layout = { modules: g.modules, flakeEvery: 4, importsPerImage: 3 };
  const shapes: { label: string; ws: TestWorkspace }[] = [];
  try {
    const source = createTestWorkspace({});
    report.workspaces.push(source.root);
    shapes.push({ label: 'as source', ws: source });
    if (s.published) {
      const published = createTestWorkspace({});
      report.workspaces.push(published.root);
      reshapePlugin(published, REPO, 'published');
      shapes.push({ label: 'as published', ws: published });
    }
    log(`graph workspaces ${shapes.map((x) => x.ws.root).join(' ')}`);
    const points: { n: number; shape: string; stat: Stat; projects: number; work?: number; own?: number; phases: Map<string, number> }[] = [];
    let written = 0;
    for (const n of g.sizes) {
      const files = graphProjects(REPO, { ...layout, images: n }, written);
      for (const { ws } of shapes) {
        for (const [path, content] of Object.entries(files)) ws.write(path, content);
        ws.git('add', '-A');
        ws.git('commit', '-qm', `${n} images`, '--allow-empty');
      }
      written = n;
      const listed = new Map<string, number>();
      for (const { label, ws } of shapes) {
        const text = mustSh(ws, `${NX} reset >/dev/null && ${NX} show projects --json`, env).output;
        const names = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(']') + 1)) as string[];
        const imageCount = names.filter((name) => name.startsWith('img-')).length;
        if (imageCount !== n) throw new Error(`nx show projects (${label}) lists ${imageCount} image projects, expected ${n}`);
        listed.set(label, names.length);
      }
      log(`3. project graph, ${n} images`);
      const stats = hyperfine(
        shapes.map(({ label, ws }) => ({ name: `${n} images, ${label}`, command: `cd ${ws.root} && ${NX} show projects`, prepare: `cd ${ws.root} && ${NX} reset` })),
        { cwd: shapes[0].ws.root, env, runs: g.runs, warmup: g.warmup, rounds: g.runs, jsonDir: report.jsonDir, id: `graph-${n}` },
      );
      shapes.forEach(({ label, ws }, k) => {
        const measured = g.phases ? medianPhases(ws, `${NX} reset >/dev/null 2>&1 && ${NX} show projects`, g.phases) : new Map<string, number>();
        const get = (name: string) => measured.get(name);
        const nodes = get('build-project-configs');
        const deps = get('createDependencies');
        const own = (get('@nixiso/nx:createNodes') ?? 0) + (get('@nixiso/nx:createDependencies') ?? 0);
        points.push({
          n,
          shape: label,
          stat: stats[k],
          projects: listed.get(label) ?? 0,
          work: nodes !== undefined && deps !== undefined ? nodes + deps : undefined,
          own: measured.size ? own : undefined,
          phases: measured,
        });
      });
    }
    out.push(statTable(points.map((p) => p.stat)), '');
    for (const { label } of shapes) {
      const own = points.filter((p) => p.shape === label);
      const base = own.find((p) => p.n === 0);
      const largest = own[own.length - 1];
      const withWork = own.filter((p) => p.work !== undefined);
      const fit = linearFit(withWork.map((p) => ({ x: p.n, y: p.work as number })));
      const previous = withWork[withWork.length - 2];
      const last = withWork[withWork.length - 1];
      const workBase = withWork.find((p) => p.n === 0)?.work ?? 0;
      const perImage = (p?: (typeof own)[number]) => (p && p.n > 0 && p.work !== undefined ? (p.work - workBase) / p.n : NaN);
      const growth = perImage(last) / perImage(previous);
      const linear = withWork.length >= 3 && fit.r2 >= 0.95 && (!Number.isFinite(growth) || growth <= 1.5);
      out.push(
        `### Plugin ${label}`,
        '',
        table(
          ['images', 'projects listed', 'wall median', 'wall ms per image above N=0', 'N-dependent graph work', 'its ms per image above N=0', 'of which @nixiso/nx createNodes + createDependencies'],
          own.map((p) => [
            p.n,
            p.projects,
            ms(p.stat.medianMs),
            base && p.n > 0 ? ((p.stat.medianMs - base.stat.medianMs) / p.n).toFixed(2) : '',
            p.work === undefined ? '–' : ms(p.work),
            p.n > 0 && p.work !== undefined ? perImage(p).toFixed(2) : '',
            p.own === undefined ? '–' : ms(p.own),
          ]),
        ),
        '',
        withWork.length >= 3
          ? `N-dependent graph work, least-squares line: ${ms(fit.intercept)} + ${fit.slope.toFixed(2)} ms × N (R² = ${fit.r2.toFixed(3)}); ` +
              `its cost per image at ${last.n} images is ${growth.toFixed(2)}× that at ${previous.n}. ` +
              `Linear means R² ≥ 0.95 and that factor ≤ 1.5: ${linear ? 'yes' : '**no**'}.`
          : '(Too few sizes with phase marks to judge linearity.)',
        '',
      );
      if (largest.n >= 500) {
        const pass = largest.stat.medianMs <= 2000;
        report.verdicts.push({ target: `graph, ${largest.n} images ≤ 2 s (daemon off, plugin ${label})`, measured: ms(largest.stat.medianMs), limit: '≤ 2 s', pass, where: '§3' });
      } else {
        out.push(`(Sizes up to ${largest.n} only in this run: the 500-image target is judged by the full run.)`, '');
      }
      if (withWork.length >= 3) {
        report.verdicts.push({
          target: `graph grows no worse than linearly (plugin ${label})`,
          measured: `R² ${fit.r2.toFixed(3)}; per image ×${growth.toFixed(2)} from ${previous.n} to ${last.n}`,
          limit: 'R² ≥ 0.95, ×≤ 1.5',
          pass: linear,
          where: '§3',
        });
      }
    }
    const biggest = points.filter((p) => p.n === g.sizes[g.sizes.length - 1] && p.phases.size);
    if (biggest.length) {
      const phaseValue = (m: Map<string, number>, re: RegExp) => {
        const hits = [...m].filter(([k]) => re.test(k)).map(([, v]) => v);
        return hits.length ? ms(Math.max(...hits)) : '–';
      };
      out.push(
        `Nx's phase marks at ${biggest[0].n} images (medians of ${g.phases} runs, each after \`nx reset\`; phases overlap):`,
        '',
        table(['phase', ...biggest.map((p) => p.shape)], GRAPH_PHASES.map(([name, re]) => [name, ...biggest.map((p) => phaseValue(p.phases, re))])),
        '',
      );
    }
  } catch (e) {
    report.errors.push(`§3: ${(e as Error).message}`);
    out.push(`**Not measured:** ${errorLine(e)}`, '');
  }
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// 4: generator

const GENERATOR_LAYOUTS = [
  { name: 'channel', flags: [] as string[] },
  { name: 'flake', flags: ['--flake'] },
  { name: 'channel + home-manager', flags: ['--homeManager'] },
  { name: 'flake + home-manager', flags: ['--flake', '--homeManager'] },
];

function summary(values: number[]): { mean: number; median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/**
 * `nx g @nixiso:image` `count` times, cycling through the layouts, each call
 * followed by one of Nx's trivial generator (`bench-noop-executor:noop`, one
 * file written): wall time of each call.
 */
function generateLoop(
  ws: TestWorkspace,
  prefix: string,
  count: number,
  env: NodeJS.ProcessEnv,
  collection = '@nixiso',
): { layout: string; ms: number; floorMs: number }[] {
  const times: { layout: string; ms: number; floorMs: number }[] = [];
  for (let i = 0; i < count; i++) {
    const layout = GENERATOR_LAYOUTS[i % GENERATOR_LAYOUTS.length];
    const name = `${prefix}-${String(i).padStart(2, '0')}`;
    const dir = `images/${name}`;
    const r = mustSh(ws, `${NX} g ${collection}:image ${dir} ${layout.flags.join(' ')} --no-interactive`, env);
    if (!existsSync(join(ws.root, dir, 'configuration.nix'))) throw new Error(`nx g wrote no ${dir}/configuration.nix:\n${r.output}`);
    const floor = mustSh(ws, `${NX} g ${NOOP_EXECUTOR}:noop ${name} --no-interactive`, env);
    if (!existsSync(join(ws.root, 'generated', `${name}.txt`))) throw new Error(`the trivial generator wrote nothing:\n${floor.output}`);
    times.push({ layout: layout.name, ms: r.ms, floorMs: floor.ms });
    if ((i + 1) % 10 === 0) log(`4. generator (${prefix}): ${i + 1}/${count} images`);
  }
  return times;
}

/**
 * §7: `nx run <image>:boot-test` of the stand-in ISO under TCG, against the
 * same command with the plugin at BOOT_BASELINE (the boot test that read
 * its verdict from the console, before it asked systemd) and the same kernel,
 * initrd and parameters booted by hand to the autologin prompt, all in the
 * same run, interleaved: what asking systemd costs, what the executor adds
 * to a raw boot, and the target that a stand-in boot test stays under 30 s.
 */
const BOOT_BASELINE = 'b796f19';

async function bootSection(s: Settings, report: Report): Promise<void> {
  const runs = s.quick ? 2 : 5;
  const out: string[] = [
    '## 7. Boot test',
    '',
    `The iso-channel example built offline, then booted ${runs} times each, interleaved: \`nx run iso-channel:boot-test:offline --skip-nx-cache\` ` +
      `(NX_DAEMON=false, accel tcg, one check \`git --version\`) with this plugin and with the plugin at ${BOOT_BASELINE} (console verdict, the ` +
      'baseline: a workspace of its own, the same ISO), timed from process start to exit, and the same ISO\'s kernel, initrd and ' +
      'APPEND line booted by hand with qemu-system-x86_64 (TCG) until the autologin prompt, then powered off: the raw boot. ' +
      'The executor\'s own boot time (QEMU start to the shell answering) is read from its report. The baseline\'s exit status is not ' +
      'judged: it reads the console until QEMU exits, so the stand-in\'s shutdown line `[FAILED] Failed unmounting /nix/store.` fails it.',
    '',
  ];
  // eslint-disable-next-line @nx/enforce-module-boundaries -- relative, as the import of ../testing/src above
  const { bootQemu, extractBootEntry } = require('../nix-fixtures/src') as typeof import('../nix-fixtures/src');
  const workspace = (pluginFrom?: string) => {
    const ws = createTestWorkspace({
      examples: ['iso-channel'],
      files: {
        'examples/iso-channel/project.json': JSON.stringify({
          name: 'iso-channel',
          projectType: 'application',
          targets: { 'boot-test': { options: { accel: 'tcg', checks: [{ run: 'git --version', expect: '^git ' }] } } },
        }),
      },
    });
    report.workspaces.push(ws.root);
    if (pluginFrom) {
      rmSync(join(ws.root, 'packages/nixiso'), { recursive: true, force: true });
      const archived = spawnSync('sh', ['-c', `git archive ${pluginFrom} packages/nixiso | tar -x -C ${JSON.stringify(ws.root)}`], { cwd: REPO, encoding: 'utf8' });
      if (archived.status !== 0) throw new Error(`git archive ${pluginFrom} failed:\n${archived.stderr}`);
      ws.git('add', '-A');
      ws.git('commit', '-qm', `plugin at ${pluginFrom}`);
    }
    const built = ws.nx(['run', 'iso-channel:build:offline']);
    if (built.status !== 0) throw new Error(`the build failed:\n${built.output}`);
    return ws;
  };
  const ws = workspace();
  const base = workspace(BOOT_BASELINE);
  const manifest = JSON.parse(ws.read('dist/examples/iso-channel/manifest.json')) as { imagePath: string };
  const entryDir = mkdtempSync(join(tmpdir(), 'nixiso-bench-boot-'));
  const entry = extractBootEntry(join(ws.root, manifest.imagePath), entryDir);
  const nxTimes: number[] = [];
  const baseTimes: number[] = [];
  const executorBoot: number[] = [];
  const rawTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    let started = Date.now();
    const r = ws.nx(['run', 'iso-channel:boot-test:offline', '--skip-nx-cache'], benchEnv(false));
    nxTimes.push(Date.now() - started);
    if (r.status !== 0) throw new Error(`boot-test failed:\n${r.output}`);
    const bootTimeMs = (JSON.parse(ws.read('dist/examples/iso-channel/boot-test.json')) as { bootTimeMs?: number }).bootTimeMs;
    if (bootTimeMs !== undefined) executorBoot.push(bootTimeMs);
    started = Date.now();
    base.nx(['run', 'iso-channel:boot-test:offline', '--skip-nx-cache'], benchEnv(false));
    baseTimes.push(Date.now() - started);
    const session = bootQemu({ kernel: entry.kernel, initrd: entry.initrd, append: `${entry.append} console=ttyS0,115200n8`, memoryMiB: 1024 });
    try {
      await session.waitFor(/\[nixos@nixos:~\]\$ /, 60_000);
      rawTimes.push(Date.now() - session.startedAt);
      session.type('poweroff');
      await session.exit(30_000);
    } finally {
      session.kill();
    }
  }
  rmSync(entryDir, { recursive: true, force: true });
  const row = (label: string, values: number[]) => {
    const st = summary(values);
    return [label, values.length, ms(st.median), ms(st.mean), ms(st.min), ms(st.max)];
  };
  out.push(
    table(['', 'runs', 'median', 'mean', 'min', 'max'], [
      row('`nx run iso-channel:boot-test:offline` (whole command)', nxTimes),
      row('  its boot, QEMU start to the shell answering (report bootTimeMs)', executorBoot),
      row(`the same command, plugin at ${BOOT_BASELINE} (baseline)`, baseTimes),
      row('raw QEMU boot to the prompt, same ISO', rawTimes),
    ]),
    '',
  );
  const whole = summary(nxTimes).median;
  const baseline = summary(baseTimes).median;
  const raw = summary(rawTimes).median;
  report.verdicts.push({
    target: 'stand-in boot test < 30 s under TCG',
    measured: `median ${ms(whole)} for the whole nx command; raw boot ${ms(raw)} (${ratio(whole / raw)})`,
    limit: '< 30 s',
    pass: whole < 30_000,
    where: '§7',
  });
  report.verdicts.push({
    target: `boot test asking systemd ≤ 1.5 × the console-only boot test (${BOOT_BASELINE})`,
    measured: `median ${ms(whole)} vs ${ms(baseline)} (${ratio(whole / baseline)})`,
    limit: '≤ 1.5×',
    pass: whole <= 1.5 * baseline,
    where: '§7',
  });
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// 9: diff with both sides built

/**
 * §9: `nx run <image>:diff` against a base whose image, and the head's, are
 * already in the store, against the build's Nx cache hit of the same image,
 * interleaved in one workspace: what answering "what changes in this image"
 * costs once both sides are built. Beside them, the diff of an image whose
 * derivation did not change (a comment only), which stops before realising.
 */
function diffSection(s: Settings, report: Report): void {
  const runs = s.quick ? 3 : 5;
  const env = benchEnv(false);
  const channelConfig = readFileSync(join(REPO, 'examples/iso-channel/configuration.nix'), 'utf8');
  const ws = createTestWorkspace({ examples: ['iso-channel'], files: { 'examples/iso-quiet/configuration.nix': channelConfig } });
  report.workspaces.push(ws.root);
  log(`diff workspace ${ws.root}`);
  ws.git('checkout', '-q', '-b', 'feature');
  ws.write('examples/iso-channel/configuration.nix', channelConfig.replace('    neovim\n', '    neovim\n    htop\n'));
  ws.write('examples/iso-quiet/configuration.nix', channelConfig.replace('  environment.systemPackages', '  # A comment only.\n  environment.systemPackages'));
  ws.git('commit', '-qam', 'htop on iso-channel, a comment on iso-quiet');

  const build = `${NX} run iso-channel:build -c offline`;
  const diff = (project: string) => `${NX} run ${project}:diff -c offline --base=main --skip-nx-cache`;
  const firstBuild = mustSh(ws, build, env);
  // The first diff builds the base's image; from then on both sides are in the store.
  const firstDiff = mustSh(ws, diff('iso-channel'), env);
  mustSh(ws, diff('iso-quiet'), env);
  const statusOf = (project: string) => (JSON.parse(ws.read(`dist/examples/${project}/diff.json`)) as { status: string }).status;
  if (statusOf('iso-channel') !== 'changed' || statusOf('iso-quiet') !== 'unchanged') {
    throw new Error(`expected iso-channel "changed" and iso-quiet "unchanged", got "${statusOf('iso-channel')}" and "${statusOf('iso-quiet')}" in ${ws.root}`);
  }
  assertCacheHit(ws, build, env);

  const commands: BenchCommand[] = [
    { name: 'build cache hit iso-channel', command: build },
    { name: 'diff iso-channel, both sides built', command: diff('iso-channel') },
    { name: 'diff iso-quiet, derivation unchanged', command: diff('iso-quiet') },
  ];
  log('9. diff');
  const stats = group(report, ws, 'diff', commands, env, { runs, warmup: 1, rounds: runs });
  assertCacheHit(ws, build, env);
  const [hit, changed, unchanged] = commands.map((c) => pick(stats, c.name));
  const r = changed.medianMs / hit.medianMs;
  const out = [
    '## 9. Diff with both sides built',
    '',
    'A workspace with the iso-channel example on `main`, then a branch `feature` that adds `htop` to it and a comment to ' +
      'iso-quiet (the same configuration, another project). The image was built (`nx run iso-channel:build -c offline`) and ' +
      `the diff run once (which built the base's image), so both sides are in the store; then one group of ${runs} runs each ` +
      '(1 warm-up), alternating the order every run: the build\'s Nx cache hit, the diff of iso-channel with `--skip-nx-cache` ' +
      '(it evaluates both sides, the base in a git worktree of `main`, finds both images valid in the store and compares the ' +
      'closures) and the diff of iso-quiet (both sides evaluate to the same derivation: it stops there).',
    '',
    table(
      ['', ''],
      [
        ['first build of iso-channel (miss)', ms(firstBuild.ms)],
        ['first diff of iso-channel (builds the base)', ms(firstDiff.ms)],
      ],
    ),
    '',
    statTable(stats),
    '',
    table(
      ['ratio of medians', 'value', 'target', 'result'],
      [
        ['diff, both sides built / build cache hit', ratio(r), '≤ 2.00', passMiss(r <= 2)],
        ['diff, derivation unchanged / build cache hit', ratio(unchanged.medianMs / hit.medianMs), '', ''],
      ],
    ),
    '',
    ...details(stats),
  ];
  report.verdicts.push({
    target: 'diff with both sides built ≤ 2 × an Nx cache hit of the build',
    measured: `median ${ms(changed.medianMs)} / ${ms(hit.medianMs)} = ${ratio(r)}`,
    limit: '≤ 2×',
    pass: r <= 2,
    where: '§9',
  });
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// 8: what registering a plugin costs an unrelated `nx run`

const PRESENCE_VARIANTS: PresenceVariant[] = ['none', 'jest', 'nixiso', 'hook'];

/**
 * §8: `nx run noop:noop` (a cached `true`) in fresh npm workspaces that
 * differ only in the plugin they register (src/presence.ts), on Nx 23.2.1
 * and the newest Nx 24, daemon off and on, one interleaved group per Nx line
 * and daemon mode: what a user pays on every unrelated command for having
 * nixiso in nx.json, against no plugin and against Nx's own @nx/jest/plugin.
 */
function presenceSection(s: Settings, report: Report): void {
  const p = s.presence;
  const out: string[] = [
    '## 8. What registering a plugin costs an unrelated `nx run`',
    '',
    'Fresh npm workspaces (`npm install` from the registry; no tsconfig paths, no packages/nixiso, not this repository\'s ' +
      'node_modules), each a git repository with a project `noop` whose cached `nx:run-commands` target runs `true`, and ' +
      'otherwise: (a) no plugin; (b) `@nx/jest/plugin` registered, inferring one jest project; (c) @nixiso/nx installed from ' +
      'its `npm pack` tarball (compiled from the commit named below) and registered, with one image project (the iso-channel ' +
      'example), which exports no task hook since no remote cache is configured; (d) the same install with the plugin option ' +
      '`restoreCacheHits: true`, so that it registers its `postTasksExecution` hook as it does where a remote cache is configured. Measured: `nx run noop:noop`, a cache hit, in each workspace; per Nx line and daemon mode one ' +
      `hyperfine group, ${p.warmup} warm-up + ${p.runs} runs per workspace in ${p.rounds} invocations alternating the order. ` +
      'Ratios and added times are against (a) of the same group. With the daemon on, each workspace has its own daemon, ' +
      'started before the group. The baseline (a) loads no plugin at all.',
    '',
  ];
  const lines: string[] = [versions(REPO).nx];
  const newest24 = newestVersion('nx', '24', REPO);
  if (newest24) lines.push(newest24);
  else report.errors.push('§8: no nx 24.x on the npm registry');
  const rev = repoGit('rev-parse', '--short', 'HEAD');
  const packed = packPlugin(REPO, rev);
  out.push(`Plugin: \`npm pack\` of @nixiso/nx compiled from commit ${rev} (committed tree only; \`${basename(packed.tarball)}\`).`, '');
  for (const nx of lines) {
    const title = `### Nx ${nx}`;
    try {
      const line = nxLine(nx, REPO);
      const roots = presenceWorkspaces(line, packed, REPO, PRESENCE_VARIANTS, log);
      for (const root of roots.values()) report.workspaces.push(root);
      const wsOf = (v: PresenceVariant) => ({ root: roots.get(v) as string }) as TestWorkspace;
      const expected: Record<PresenceVariant, string[]> = { none: ['noop'], jest: ['noop', 'jestproj'], nixiso: ['noop', 'iso-channel'], hook: ['noop', 'iso-channel'] };
      const offEnv = benchEnv(false);
      for (const v of PRESENCE_VARIANTS) {
        const ws = wsOf(v);
        const listed = mustSh(ws, `${NX} show projects`, offEnv).output.split('\n').map((l) => l.trim()).filter(Boolean);
        for (const name of expected[v]) if (!listed.includes(name)) throw new Error(`${PRESENCE_LABEL[v]} (${ws.root}): nx show projects lists no ${name}:\n${listed.join('\n')}`);
        mustSh(ws, `${NX} run noop:noop`, offEnv);
        assertCacheHit(ws, `${NX} run noop:noop`, offEnv);
      }
      const jestTargets = JSON.parse(mustSh(wsOf('jest'), `${NX} show project jestproj --json 2>/dev/null`, offEnv).output.trim()).targets ?? {};
      if (!jestTargets.test) throw new Error(`@nx/jest/plugin inferred no test target for jestproj (${wsOf('jest').root})`);
      out.push(
        title,
        '',
        `nx ${line.nx}, @nx/devkit ${line.devkit} (with @nixiso/nx), @nx/jest ${line.jest} with jest 30.5.2` + (line.jestNote ? ` (${line.jestNote})` : '') + '.',
        '',
      );
      const medians = new Map<string, number>();
      const groups: Stat[][] = [];
      for (const daemon of [false, true]) {
        const env = benchEnv(daemon);
        const mode = daemon ? 'on' : 'off';
        try {
          for (const v of PRESENCE_VARIANTS) mustSh(wsOf(v), `${NX} daemon ${daemon ? '--start' : '--stop'}`, env);
          const commands: BenchCommand[] = PRESENCE_VARIANTS.map((v) => ({ name: `${PRESENCE_LABEL[v]}, daemon ${mode}`, command: `cd ${roots.get(v)} && ${NX} run noop:noop` }));
          log(`8. nx ${nx}, daemon ${mode}`);
          const stats = hyperfine(commands, { cwd: tmpdir(), env, ...p, jsonDir: report.jsonDir, id: `presence-nx${nx}-${daemon ? 'daemon' : 'no-daemon'}` });
          for (const v of PRESENCE_VARIANTS) assertCacheHit(wsOf(v), `${NX} run noop:noop`, env);
          for (const v of PRESENCE_VARIANTS) medians.set(`${v} ${mode}`, pick(stats, `${PRESENCE_LABEL[v]}, daemon ${mode}`).medianMs);
          groups.push(stats);
        } finally {
          if (daemon) for (const v of PRESENCE_VARIANTS) sh(wsOf(v), `${NX} daemon --stop`, env);
        }
      }
      const m = (v: PresenceVariant, mode: 'on' | 'off') => medians.get(`${v} ${mode}`) as number;
      const added = (v: PresenceVariant, mode: 'on' | 'off') => m(v, mode) - m('none', mode);
      const signed = (value: number) => `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
      out.push(
        table(
          ['workspace', 'daemon off: median', '/ (a)', 'added over (a)', 'daemon on: median', '/ (a)', 'added over (a)'],
          PRESENCE_VARIANTS.map((v) => [
            PRESENCE_LABEL[v],
            ms(m(v, 'off')),
            ratio(m(v, 'off') / m('none', 'off')),
            v === 'none' ? '' : signed(added(v, 'off')),
            ms(m(v, 'on')),
            ratio(m(v, 'on') / m('none', 'on')),
            v === 'none' ? '' : signed(added(v, 'on')),
          ]),
        ),
        '',
      );
      const checks: [string, string, string, boolean][] = [
        ['daemon off: (c) nixiso adds no more than (b) @nx/jest/plugin', `${signed(added('nixiso', 'off'))} vs ${signed(added('jest', 'off'))}`, '(c) − (a) ≤ (b) − (a)', added('nixiso', 'off') <= added('jest', 'off')],
        ['daemon on: (c) nixiso ≤ 1.05 × no plugin', `${ms(m('nixiso', 'on'))} / ${ms(m('none', 'on'))} = ${ratio(m('nixiso', 'on') / m('none', 'on'))}`, '≤ 1.05×', m('nixiso', 'on') <= 1.05 * m('none', 'on')],
        ['daemon on: what the task hook costs where it is registered, (d) − (c)', signed(m('hook', 'on') - m('nixiso', 'on')), '', true],
      ];
      out.push(table(['check (medians)', 'measured', 'limit', 'result'], checks.map(([what, measured, limit, pass]) => [what, measured, limit, limit ? passMiss(pass) : ''])), '');
      for (const [what, measured, limit, pass] of checks.slice(0, 2)) report.verdicts.push({ target: `${what} (Nx ${nx})`, measured, limit, pass, where: `§8 Nx ${nx}` });
      for (const stats of groups) out.push(statTable(stats), '');
      out.push(...details(groups[0]));
    } catch (e) {
      report.errors.push(`§8 Nx ${nx}: ${(e as Error).message}`);
      out.push(title, '', `**Not measured:** ${errorLine(e)}`, '');
    }
  }
  if (s.keep) console.log(`packed plugin: ${packed.tarball}`);
  else rmSync(packed.dir, { recursive: true, force: true });
  report.sections.push(out.join('\n'));
}

async function generatorSection(s: Settings, report: Report): Promise<void> {
  const n = s.generator.images;
  const m = s.generator.otherModes;
  const primary = s.published ? 'as published' : 'as source';
  const out: string[] = [
    '## 4. Generator',
    '',
    `${n} images generated one \`nx g\` at a time in a fresh workspace (plugin ${primary}, NX_DAEMON=false), cycling through the ` +
      `four layouts: \`nx g ${s.published ? '@nixiso/nx' : '@nixiso'}:image images/gen-NN [--flake] [--homeManager] --no-interactive\`, each call timed from process ` +
      'start to exit (a timed loop: hyperfine cannot give every run its own directory). Each call is followed by one of a trivial ' +
      'local generator that writes one file (`nx g bench-noop-executor:noop gen-NN`): Nx\'s own floor for `nx g`, in the same workspace (nixiso loaded).' +
      (m ? ` Then ${m} more of each with the daemon on${s.published ? `, and ${m} with the plugin as source (daemon off)` : ''}.` : '') +
      ' The in-process rows call the generator function on an in-memory tree (no Nx start, nothing written): the plugin\'s own share.',
    '',
  ];
  try {
    const floorFiles = floorProjects(REPO, 'bench/floor', 'bench-floor');
    const ws = createTestWorkspace({ files: floorFiles });
    report.workspaces.push(ws.root);
    let main = ws;
    let collection = '@nixiso';
    if (s.published) {
      main = createTestWorkspace({ files: floorFiles });
      report.workspaces.push(main.root);
      reshapePlugin(main, REPO, 'published');
      // `@nixiso` is this repository's tsconfig alias for the collection; users name the package.
      collection = '@nixiso/nx';
    }
    log(`generator workspaces ${[...new Set([main.root, ws.root])].join(' ')}`);
    const rows: (string | number)[][] = [];
    const row = (label: string, values: number[]) => {
      const st = summary(values);
      return [label, values.length, ms(st.median), ms(st.mean), ms(st.min), ms(st.max)];
    };
    const measureMode = (label: string, times: { ms: number; floorMs: number }[]) => {
      const image = summary(times.map((t) => t.ms));
      const floor = summary(times.map((t) => t.floorMs));
      rows.push(row(label, times.map((t) => t.ms)), row(`  Nx's trivial generator, same calls`, times.map((t) => t.floorMs)));
      report.verdicts.push({
        target: `generator ≤ 1 s per image (${label})`,
        measured: `mean ${ms(image.mean)} per \`nx g\`; Nx's trivial generator ${ms(floor.mean)} (${ratio(image.mean / floor.mean)})`,
        limit: '≤ 1 s',
        pass: image.mean <= 1000,
        where: '§4',
      });
    };
    const times = generateLoop(main, 'gen', n, benchEnv(false), collection);
    measureMode(`daemon off, ${primary}`, times);
    for (const layout of GENERATOR_LAYOUTS) rows.push(row(`  ${layout.name}`, times.filter((t) => t.layout === layout.name).map((t) => t.ms)));
    const fifth = Math.max(1, Math.floor(n / 5));
    rows.push(row(`  first ${fifth}`, times.slice(0, fifth).map((t) => t.ms)), row(`  last ${fifth} (workspace has ${n - fifth}+ images)`, times.slice(-fifth).map((t) => t.ms)));
    if (m) {
      const daemonEnv = benchEnv(true);
      mustSh(main, `${NX} daemon --start`, daemonEnv);
      try {
        measureMode(`daemon on, ${primary}`, generateLoop(main, 'gen-daemon', m, daemonEnv, collection));
      } finally {
        sh(main, `${NX} daemon --stop`, daemonEnv);
      }
      if (main !== ws) measureMode('daemon off, as source', generateLoop(ws, 'gen', m, benchEnv(false)));
    }

    // In process: the generator function alone, on the workspace as it now is.
    const { FsTree } = require('nx/src/generators/tree') as typeof import('nx/src/generators/tree');
    const { imageGenerator } = require(join(ws.root, 'packages/nixiso/src/generators/image/image')) as typeof import('../../packages/nixiso/src/generators/image/image');
    const tree = new FsTree(ws.root, false);
    const inProcess: number[] = [];
    const previousCwd = process.cwd();
    process.chdir(ws.root);
    try {
      for (let i = 0; i < n; i++) {
        const layout = GENERATOR_LAYOUTS[i % GENERATOR_LAYOUTS.length];
        const started = process.hrtime.bigint();
        await imageGenerator(tree, { directory: `images/mem-${String(i).padStart(2, '0')}`, flake: layout.flags.includes('--flake'), homeManager: layout.flags.includes('--homeManager') });
        inProcess.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    } finally {
      process.chdir(previousCwd);
    }
    const later = summary(inProcess.slice(1));
    rows.push(['in process, first call', 1, `${inProcess[0].toFixed(1)} ms`, '', '', '']);
    rows.push(['in process, later calls', n - 1, `${later.median.toFixed(1)} ms`, `${later.mean.toFixed(1)} ms`, `${later.min.toFixed(1)} ms`, `${later.max.toFixed(1)} ms`]);
    out.push(table(['per image', 'calls', 'median', 'mean', 'min', 'max'], rows), '');
  } catch (e) {
    report.errors.push(`§4: ${(e as Error).message}`);
    out.push(`**Not measured:** ${errorLine(e)}`, '');
  }
  report.sections.push(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------

function profileOnce(report: Report, ws: TestWorkspace, title: string, command: string, env: NodeJS.ProcessEnv, noWarmUp = false): void {
  try {
    if (!noWarmUp) sh(ws, command, env); // the profiled run is a repeat, like the measured ones
    const dir = mkdtempSync(join(tmpdir(), 'nixiso-bench-prof-'));
    report.profiles.push(profileCommand(title, command, ws.root, env, dir));
    log(`profiled: ${title} (${dir})`);
  } catch (e) {
    report.errors.push(`profile of ${title}: ${(e as Error).message}`);
  }
}

const sectionNumber = (markdown: string) => Number(/^## (\d+)\./.exec(markdown)?.[1] ?? 99);

function render(report: Report): string {
  const s = report.settings;
  const durationMs = report.durationMs ?? 0;
  const m = machine();
  const v = versions(REPO);
  const findingsFile = join(__dirname, 'findings.md');
  const findings = existsSync(findingsFile) && !s.quick ? readFileSync(findingsFile, 'utf8').trim() : '';
  const lines = [
    '# nixiso benchmarks',
    '',
    `Generated by \`npm run bench\` (tools/bench/run.sh → tools/bench/bench.ts${s.quick ? ' --quick' : ''}) on ${report.started.toISOString()}, ` +
      `in ${ms(durationMs)}. Numbers and verdicts are regenerated by every run; the findings after the targets (tools/bench/findings.md) ` +
      'is written by hand against a particular run. This report lives in tools/bench/ beside the code that writes it.',
    '',
    '## Machine and versions',
    '',
    table(
      ['', ''],
      [
        ['cores (nproc)', m.cores],
        ['CPU', m.cpu],
        ['memory', m.memory],
        ['kernel', m.kernel],
        ['load average (1/5/15 min) at start', report.loadBefore],
        ['load average at end', report.loadAfter ?? load()],
        ['node', v.node],
        ['nx', v.nx],
        ['nix', v.nix],
        ['hyperfine', v.hyperfine],
        ['git', v.git],
        ['nixiso (this repository)', v.nixiso],
      ],
    ),
    '',
    '## Method',
    '',
    [
      '- Workspaces come from `createTestWorkspace()` (tools/testing): a git repository with a copy of the plugin source resolved ' +
        'through a tsconfig path — so Nx loads the plugin as TypeScript, transpiled by @swc-node in every process that loads it — ' +
        'this repository\'s node_modules, the offline Nix stand-ins (tools/nix-fixtures) and the examples. ' +
        (s.published
          ? 'Key groups are repeated with the plugin "as published": compiled by tsc into node_modules/@nixiso/nx of a workspace without packages/nixiso, which is what users install.'
          : 'The quick run does not measure the plugin as published.'),
      '- Nx runs as `node_modules/.bin/nx` (what `npx nx` ends up running, without npx\'s own start-up), with NX_NO_CLOUD=true, ' +
        'NX_TUI=false and NX_DAEMON set per group; the daemon is started with `nx daemon --start` and stopped after its group.',
      '- Image builds use the `offline` configuration (stand-in nixpkgs and home-manager, `substituters = ""`). Raw baselines are ' +
        'exactly the command lines the build executor printed (`> nix-build …` / `> nix …`), run from the project directory as the executor runs them.',
      `- hyperfine: cache hits ${s.hit.warmup} warm-up + ${s.hit.runs} timed runs per command in ${s.hit.rounds} invocations that alternate ` +
        `the order of the commands (a change of machine load then hits every command of a group alike); misses ${s.miss.warmup} + ${s.miss.runs} ` +
        `in ${s.miss.rounds}; graph ${s.graph.warmup} + ${s.graph.runs} per size. Ratios divide medians of one group. ` +
        `hyperfine's JSON exports: \`${report.jsonDir}\`.`,
      '- user/sys columns are CPU time of the command and the children it waited for: Nx\'s detached plugin workers and the daemon ' +
        'are not in them, so compare wall-clock times.',
      `- The NixOS-sized configuration is the example plus ${s.modules} generated modules (tools/bench/src/synthetic.ts), each ` +
        'declaring 12 typed options (bool, str, port, nullOr, enum, listOf, attrsOf, lines, and attrsOf submodule) under its own ' +
        'prefix, setting an option of the next module, and under mkIf setting environment.variables, a systemd service and two ' +
        'assertions, all of which the stand-in forces when it evaluates the image — about 22,000 options, as many as real NixOS declares. ' +
        'The modules live inside that image project, so its cache hit also hashes that many more input files (the harder case for Nx).',
      '- The machine\'s 2 cores are shared with whatever else runs on it; the load averages above say how quiet it was. Ratios ' +
        'within a group are more trustworthy than absolute times.',
    ].join('\n'),
    '',
    '## Targets',
    '',
    report.verdicts.length ? verdictTable(report.verdicts) : '(no target measured)',
    '',
    ...(findings ? [findings, ''] : []),
    ...[...report.sections]
      .sort((a, b) => sectionNumber(a) - sectionNumber(b))
      .flatMap((section) => [section, '']),
  ];
  if (report.profiles.length) {
    lines.push(
      '## CPU profiles',
      '',
      'One run of the command with a V8 CPU profile from every Node process it starts (tools/bench/src/cpu-prof-hook.js, preloaded ' +
        'through NODE_OPTIONS, since Node 20 refuses --cpu-prof there and Nx starts plugin workers with explicit arguments). ' +
        '"JS/V8 busy" is sampled time not idle; Nx\'s native (Rust) threads are not sampled.',
      '',
      ...report.profiles.map(profileMarkdown),
      '',
    );
  }
  if (report.errors.length) {
    lines.push('## Errors in this run', '', ...report.errors.map((e) => ['```', e.slice(0, 3000), '```'].join('\n')), '');
  }
  lines.push('## Duration of this run', '', ...report.timings.map((t) => `- ${t}`), '');
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    console.log(usage());
    return;
  }
  const rerender = argv.indexOf('--rerender');
  if (rerender >= 0) {
    // Render a finished run again (e.g. after editing findings.md): --rerender <its JSON directory> [--out FILE]
    const state = JSON.parse(readFileSync(join(argv[rerender + 1], 'report-state.json'), 'utf8'));
    const report: Report = { ...state, started: new Date(state.started), settings: { ...state.settings, sections: new Set(state.settings.sections) } };
    const outIndex = argv.indexOf('--out');
    const out = outIndex >= 0 ? resolve(argv[outIndex + 1]) : report.settings.out;
    writeFileSync(out, render(report));
    console.log(`report: ${out}`);
    return;
  }
  const s = parseArgs(argv);
  if (!fixturesReady(REPO)) {
    throw new Error('the offline stand-ins or the examples are missing (tools/nix-fixtures/nixpkgs/nixos/default.nix, examples/iso-channel, examples/iso-flake)');
  }
  requireNix();
  const started = Date.now();
  const report: Report = {
    jsonDir: mkdtempSync(join(tmpdir(), 'nixiso-bench-json-')),
    started: new Date(),
    settings: s,
    loadBefore: load(),
    sections: [],
    verdicts: [],
    profiles: [],
    errors: [],
    timings: [],
    workspaces: [],
  };
  const timed = async (name: string, body: () => void | Promise<void>) => {
    const t = Date.now();
    try {
      await body();
    } catch (e) {
      report.errors.push(`${name}: ${(e as Error).stack ?? e}`);
      report.sections.push(`## ${name}\n\n**Not measured:** ${errorLine(e)}`);
    }
    report.timings.push(`${name}: ${ms(Date.now() - t)}`);
    log(`${name} done in ${ms(Date.now() - t)}`);
  };
  try {
    if (s.sections.has(1) || s.sections.has(2) || s.sections.has(5)) {
      let w: ImageWorkspaces | undefined;
      await timed('setup: image workspaces and first builds', () => {
        w = setUpImageWorkspaces(s, report);
      });
      if (w) {
        const ready = w;
        if (s.sections.has(1)) await timed('1. cache hit', () => cacheHitSection(s, ready, report));
        if (s.sections.has(2)) await timed('2. executor overhead', () => executorSection(s, ready, report));
        if (s.sections.has(5)) await timed('5. cost of the cache-hit image check', () => hookCostSection(s, ready, report));
        for (const x of [ready.ws, ready.published, ready.absent]) if (x) sh(x, `${NX} daemon --stop`, benchEnv(false));
      }
    }
    if (s.sections.has(3)) await timed('3. project graph', () => graphSection(s, report));
    if (s.sections.has(4)) await timed('4. generator', () => generatorSection(s, report));
    if (s.sections.has(6)) await timed('6. before and after', () => baselineSection(s, report));
    if (s.sections.has(7)) await timed('7. boot test', () => bootSection(s, report));
    if (s.sections.has(8)) await timed('8. what registering a plugin costs', () => presenceSection(s, report));
    if (s.sections.has(9)) await timed('9. diff', () => diffSection(s, report));
  } finally {
    report.durationMs = Date.now() - started;
    report.loadAfter = load();
    writeFileSync(join(report.jsonDir, 'report-state.json'), JSON.stringify({ ...report, settings: { ...s, sections: [...s.sections] } }, null, 2));
    writeFileSync(s.out, render(report));
    if (s.keep) console.log(`kept workspaces:\n${report.workspaces.join('\n')}`);
    else for (const root of report.workspaces) cleanUp(root);
  }
  console.log(`\n${report.verdicts.map((v) => `${v.pass ? 'PASS' : 'MISS'}  ${v.target}: ${v.measured} (limit ${v.limit})`).join('\n')}`);
  console.log(`\nreport: ${s.out} (${ms(Date.now() - started)})`);
  if (report.errors.length) {
    console.error(`\n${report.errors.length} error(s):\n${report.errors.map((e) => e.split('\n').slice(0, 8).join('\n')).join('\n---\n')}`);
    process.exitCode = 1;
  }
}

function cleanUp(root: string): void {
  const real = realpathSync(root);
  if (!real.startsWith(realpathSync(tmpdir()))) return;
  sh({ root: real } as TestWorkspace, `${NX} daemon --stop`, benchEnv(false));
  rmSync(real, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
