/**
 * What discovery costs graph construction: the plugin's createNodes over a
 * workspace of 10 flakes with 50 configurations in all (images beside
 * hosts, helpers, mapAttrs, a readDir flake that only Nix can classify),
 * each run in a fresh Node process as Nx without the daemon runs it.
 * Cold: the first run, with an empty discovery cache (the Nix evaluation
 * included). Warm: later runs, nothing changed. Baseline: the plugin at
 * another revision (default: the last one before discovery read every
 * `.nix` file), on the same workspace in the same run; the ratio is printed.
 *
 *   node -r @swc-node/register tools/bench/discovery.ts [--baseline REV] [--runs N] [--out FILE]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- relative on purpose: run under @swc-node/register, which resolves no tsconfig paths
import { createTestWorkspace } from '../testing/src';

const root = join(__dirname, '../..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

/** One measurement: load the plugin at `pluginDir`, run its createNodes once over the workspace, print the milliseconds. */
if (args[0] === '--once') {
  const [, pluginDir, workspace] = args;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !['.git', '.nx', 'node_modules', 'dist'].includes(e.name)) walk(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.nix')) files.push(relative(workspace, join(dir, e.name)));
    }
  };
  walk(workspace);
  const plugin = require(join(pluginDir, 'src/plugin/nodes.ts'));
  // What Nx's plugin worker has loaded before it calls createNodes.
  require('nx/src/utils/cache-directory');
  require('@nx/devkit');
  const [glob, create] = plugin.createNodesV2 as [string, (files: string[], o: unknown, c: unknown) => Promise<unknown[]>];
  // Each plugin sees the files its own glob matches, as Nx gives them.
  const matched = glob === '**/*.nix' ? files : files.filter((f) => /(^|\/)(flake|configuration)\.nix$/.test(f));
  const context = { workspaceRoot: workspace, nxJsonConfiguration: JSON.parse(require('node:fs').readFileSync(join(workspace, 'nx.json'), 'utf8')) };
  const started = process.hrtime.bigint();
  void create(matched, {}, context).then((results) => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(JSON.stringify({ ms, projects: results.length }));
  });
} else {
  main();
}

/** 10 flakes, 50 configurations: per flake 5, of which 1 or 2 images, written in the shapes users write them. */
function workspaceFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const installer = '{ modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ../../modules/common.nix ]; }';
  const host = (name: string) => `{ ... }: { imports = [ ../../modules/common.nix ]; networking.hostName = "${name}"; }`;
  files['modules/common.nix'] = '{ ... }: { nixpkgs.hostPlatform = "x86_64-linux"; system.stateVersion = "24.05"; }';
  for (let f = 0; f < 10; f++) {
    const dir = `infra/site${f}`;
    const names = [0, 1, 2, 3, 4].map((i) => `${i < (f % 2) + 1 ? 'iso' : 'host'}${f}x${i}`);
    for (const name of names) files[`${dir}/hosts/${name}/default.nix`] = name.startsWith('iso') ? installer.replace(/\.\.\/\.\.\//g, '../../../../') : host(name).replace(/\.\.\/\.\.\//g, '../../../../');
    const inputs = 'inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";';
    if (f === 9) {
      // Names from readDir and a computed path: only Nix can classify these.
      files[`${dir}/flake.nix`] = `{ ${inputs} outputs = { nixpkgs, ... }: { nixosConfigurations = builtins.mapAttrs (name: _: nixpkgs.lib.nixosSystem { modules = [ ./hosts/\${name} ]; }) (builtins.readDir ./hosts); }; }\n`;
    } else if (f % 3 === 0) {
      files[`${dir}/flake.nix`] = `{ ${inputs} outputs = { nixpkgs, ... }: { nixosConfigurations = nixpkgs.lib.mapAttrs (name: modules: nixpkgs.lib.nixosSystem { inherit modules; }) {\n${names.map((n) => `    ${n} = [ ./hosts/${n} ];`).join('\n')}\n  }; }; }\n`;
    } else if (f % 3 === 1) {
      files[`${dir}/lib.nix`] = '{ nixpkgs }: { mkHost = name: nixpkgs.lib.nixosSystem { modules = [ (./hosts + "/${name}") ]; }; }';
      files[`${dir}/flake.nix`] = `{ ${inputs} outputs = { nixpkgs, ... }: let lib = import ./lib.nix { inherit nixpkgs; }; in { nixosConfigurations = {\n${names.map((n) => `    ${n} = nixpkgs.lib.nixosSystem { modules = [ ./hosts/${n} ]; };`).join('\n')}\n  }; }; }\n`;
    } else {
      files[`${dir}/flake.nix`] = `{ ${inputs} outputs = { nixpkgs, ... }: {\n${names.map((n) => `  nixosConfigurations.${n} = nixpkgs.lib.nixosSystem { modules = [ ./hosts/${n} ]; };`).join('\n')}\n}; }\n`;
    }
  }
  return files;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const baseline = option('--baseline', '4ad24dc');
  const runs = Number(option('--runs', '9'));
  const out = option('--out', join(root, 'tools/bench/discovery.md'));
  const scratch = join(root, 'tmp/bench-discovery');
  rmSync(scratch, { recursive: true, force: true });
  const workspace = join(scratch, 'workspace');
  for (const [path, content] of Object.entries(workspaceFiles())) {
    mkdirSync(posix.dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), content);
  }
  const offline = { overrideInputs: { nixpkgs: join(root, 'tools/nix-fixtures/nixpkgs') }, nixOptions: { substituters: '' } };
  writeFileSync(
    join(workspace, 'nx.json'),
    JSON.stringify({ targetDefaults: { '@nixiso/nx:build': { options: offline }, '@nixiso/nx:eval': { options: offline } } }),
  );
  execFileSync('git', ['init', '-q'], { cwd: workspace });
  execFileSync('git', ['add', '-A'], { cwd: workspace });
  // The baseline plugin, from git, beside this one (inside the repository, so that it resolves the same node_modules).
  const baselineDir = join(scratch, 'baseline');
  mkdirSync(baselineDir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${baseline} packages/nixiso | tar -x -C ${baselineDir}`], { cwd: root });
  const plugins = { current: join(root, 'packages/nixiso'), baseline: join(baselineDir, 'packages/nixiso') };

  const once = (pluginDir: string) => {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', __filename, '--once', pluginDir, workspace], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NX_WORKSPACE_DATA_DIRECTORY: join(scratch, 'workspace-data') },
    });
    if (r.status !== 0) throw new Error(`createNodes failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { ms: number; projects: number };
  };
  const results: Record<string, { cold: number; warm: number[]; projects: number }> = {};
  for (const [name, dir] of Object.entries(plugins)) {
    rmSync(join(scratch, 'workspace-data'), { recursive: true, force: true });
    const cold = once(dir);
    const warm = Array.from({ length: runs }, () => once(dir).ms);
    results[name] = { cold: cold.ms, warm, projects: cold.projects };
    process.stderr.write(`${name}: cold ${cold.ms.toFixed(0)} ms, warm median ${median(warm).toFixed(1)} ms, ${cold.projects} projects\n`);
  }
  const ratio = median(results.current.warm) / median(results.baseline.warm);

  // What a user waits for: Nx computing the graph (`nx show projects`, no daemon), the plugin among Nx's own work.
  const graph: Record<string, { cold: number; warm: number[] }> = {};
  const showProjects: Record<string, () => number> = {};
  for (const [name, dir] of Object.entries(plugins)) {
    const ws = createTestWorkspace({
      files: workspaceFiles(),
      nxJson(json) {
        json.targetDefaults = { '@nixiso/nx:build': { options: offline }, '@nixiso/nx:eval': { options: offline } };
      },
    });
    if (name === 'baseline') {
      rmSync(join(ws.root, 'packages/nixiso'), { recursive: true, force: true });
      execFileSync('cp', ['-r', dir, join(ws.root, 'packages/nixiso')]);
    }
    showProjects[name] = () => {
      const started = process.hrtime.bigint();
      const r = ws.nx(['show', 'projects'], { NX_DAEMON: 'false' });
      if (r.status !== 0) throw new Error(`nx show projects failed:\n${r.output}`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    graph[name] = { cold: showProjects[name](), warm: [] };
  }
  // Alternating, so that whatever else the machine does weighs on both alike.
  for (let i = 0; i < runs; i++) for (const name of Object.keys(plugins)) graph[name].warm.push(showProjects[name]());
  for (const [name, r] of Object.entries(graph)) {
    process.stderr.write(`${name}: nx show projects cold ${r.cold.toFixed(0)} ms, warm median ${median(r.warm).toFixed(0)} ms\n`);
  }
  const graphRatio = median(graph.current.warm) / median(graph.baseline.warm);
  const lines = [
    '# Discovery: what it costs graph construction',
    '',
    `\`node -r @swc-node/register tools/bench/discovery.ts --baseline ${baseline} --runs ${runs}\`, ${new Date().toISOString().slice(0, 10)}, ${require('node:os').cpus().length} cores.`,
    'The plugin\'s createNodes over 10 flakes with 50 configurations (images beside hosts; mapAttrs, helpers, dotted and set forms; one flake',
    'whose names come from readDir, which only Nix can classify), each run in a fresh Node process as Nx without the daemon runs it;',
    'the time of the createNodes call (the plugin and the Nx modules a plugin worker has loaded already are loaded first). Cold: the first run with an empty discovery cache (the current plugin',
    'asks Nix about the readDir flake). Warm: the median of later runs, nothing changed.',
    '',
    '| plugin | projects | cold | warm (median) |',
    '|---|---|---|---|',
    ...Object.entries(results).map(([name, r]) => `| ${name === 'baseline' ? `baseline (${baseline})` : 'current'} | ${r.projects} | ${r.cold.toFixed(0)} ms | ${median(r.warm).toFixed(1)} ms |`),
    '',
    `Warm, current / baseline: **${ratio.toFixed(2)}×** (${(median(results.current.warm) - median(results.baseline.warm)).toFixed(1)} ms).`,
    '',
    'What a user waits for: `nx show projects` without the daemon in the same workspace (the plugin as local TypeScript source, as in',
    'this repository), cold (Nx\'s first graph computation, discovery\'s first) and warm (median of later runs).',
    '',
    '| plugin | cold | warm (median) |',
    '|---|---|---|',
    ...Object.entries(graph).map(([name, r]) => `| ${name === 'baseline' ? `baseline (${baseline})` : 'current'} | ${r.cold.toFixed(0)} ms | ${median(r.warm).toFixed(0)} ms |`),
    '',
    `Warm graph construction, current / baseline: **${graphRatio.toFixed(2)}×** (${(median(graph.current.warm) - median(graph.baseline.warm)).toFixed(0)} ms).`,
    '',
  ];
  writeFileSync(out, lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
}
