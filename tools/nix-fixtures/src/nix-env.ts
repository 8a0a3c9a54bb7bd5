/**
 * The Nix environment tests run in: real Nix, offline, pointed at the
 * stand-ins (NIX_PATH, the flake registry, override inputs), and `describe`
 * blocks that need Nix or QEMU. Not exported from index.ts, which it builds
 * on; the stand-ins' tests import it by path, other projects' tests through
 * @nixiso/testing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ensureFixtureRegistry } from './index';

/** Repository root, whatever the cwd of the jest process. */
export const workspaceRoot = resolve(__dirname, '../../..');
export const fixturesRoot = join(workspaceRoot, 'tools/nix-fixtures');

/** Offline stand-ins that tests point Nix at; the plugin never refers to them. */
export const fixtures = {
  nixpkgs: join(fixturesRoot, 'nixpkgs'),
  homeManager: join(fixturesRoot, 'home-manager'),
  nixosGenerators: join(fixturesRoot, 'nixos-generators'),
  flakeParts: join(fixturesRoot, 'flake-parts'),
  flakeUtilsPlus: join(fixturesRoot, 'flake-utils-plus'),
  /** Directory holding the `nixos-generate` stand-in, to put on PATH. */
  nixosGenerateBin: join(fixturesRoot, 'nixos-generators/bin'),
  registry: join(fixturesRoot, 'registry.json'),
};

export interface NixTools {
  nix: string;
  nixBuild: string;
  nixInstantiate: string;
  nixStore: string;
  version: string;
  /** Environment for child processes: offline, flakes on, NIX_PATH only the stand-ins. */
  env: NodeJS.ProcessEnv;
  /** Options every Nix command in tests takes: no binary cache is reachable here. */
  offlineArgs: string[];
  /** `nix` CLI flags for flake commands on Nix 2.8. */
  flakeArgs: string[];
  /** `-I` arguments selecting the stand-in channels. */
  channelArgs: string[];
  /** `--override-input` arguments selecting the stand-in flakes. */
  overrideInputArgs: string[];
}

export const NIX_MISSING_MESSAGE =
  'Nix is not installed (nix, nix-build, nix-instantiate and nix-store must be on PATH). ' +
  'Install it with `apt-get install -y nix-bin` (Debian/Ubuntu) or from https://nixos.org/download.';

/** NIX_CONFIG for tests: flakes on, no substituters, a local flake registry so `nixpkgs#…` resolves offline. */
export function offlineNixConfig(): string {
  return [
    'experimental-features = nix-command flakes',
    'substituters =',
    `flake-registry = ${fixtures.registry}`,
    'warn-dirty = false',
  ].join('\n');
}

function which(name: string, pathValue: string): string | undefined {
  for (const dir of pathValue.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

let cached: NixTools | undefined;

/**
 * Finds Nix or explains why it cannot: every Nix-using test calls this (through
 * `describeWithNix`), so a CI machine without Nix fails loudly instead of skipping.
 */
export function findNix(pathValue = process.env.PATH ?? ''): NixTools | undefined {
  if (cached && pathValue === process.env.PATH) return cached;
  const nix = which('nix', pathValue);
  const nixBuild = which('nix-build', pathValue);
  const nixInstantiate = which('nix-instantiate', pathValue);
  const nixStore = which('nix-store', pathValue);
  if (!nix || !nixBuild || !nixInstantiate || !nixStore) return undefined;
  // Absolute paths, so generated per clone: `nixpkgs#…` resolves to the stand-ins.
  ensureFixtureRegistry(fixtures.registry);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NIX_CONFIG: offlineNixConfig(),
    NIX_PATH: `nixpkgs=${fixtures.nixpkgs}:home-manager=${fixtures.homeManager}`,
  };
  const version = execFileSync(nix, ['--version'], { env, encoding: 'utf8' }).trim().replace(/^nix \(Nix\) /, '');
  const tools: NixTools = {
    nix,
    nixBuild,
    nixInstantiate,
    nixStore,
    version,
    env,
    offlineArgs: ['--option', 'substituters', ''],
    flakeArgs: ['--extra-experimental-features', 'nix-command flakes'],
    channelArgs: ['-I', `nixpkgs=${fixtures.nixpkgs}`, '-I', `home-manager=${fixtures.homeManager}`],
    overrideInputArgs: [
      '--override-input', 'nixpkgs', `path:${fixtures.nixpkgs}`,
      '--override-input', 'home-manager', `path:${fixtures.homeManager}`,
    ],
  };
  if (pathValue === process.env.PATH) cached = tools;
  return tools;
}

/** Nix tools, or an exception when Nix is missing (always under CI=true). */
export function requireNix(): NixTools {
  const tools = findNix();
  if (!tools) throw new Error(NIX_MISSING_MESSAGE);
  return tools;
}

export function isCI(): boolean {
  return !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
}

/**
 * `describe` for tests that need a tool of the host. Without it: under CI
 * the block fails with `missing` (CI machines must have it: .ci/run installs
 * it); on a developer machine it is skipped with that reason printed.
 */
function describeNeeding<T>(name: string, found: T | undefined, what: string, missing: string, body: (found: T) => void): void {
  if (found) {
    describe(name, () => body(found));
    return;
  }
  if (isCI()) {
    describe(name, () => {
      it(`needs ${what}`, () => {
        throw new Error(missing);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${missing}`);
  describe.skip(name, () => body(undefined as unknown as T));
}

/** `describe` for tests that need real Nix (NIX_MISSING_MESSAGE when it is missing). */
export function describeWithNix(name: string, body: (nix: NixTools) => void): void {
  describeNeeding(name, findNix(), 'Nix', NIX_MISSING_MESSAGE, body);
}

export const QEMU_MISSING_MESSAGE =
  'boot tests need qemu-system-x86_64, xorriso and the stand-in kernel: run tools/scripts/install-deps.sh (apt-get install qemu-system-x86 xorriso)';

/** `describe` for tests that boot an ISO in QEMU: fails under CI when QEMU or xorriso is missing. */
export function describeWithQemu(name: string, body: () => void): void {
  const path = process.env.PATH ?? '';
  describeNeeding(name, which('qemu-system-x86_64', path) && which('xorriso', path), 'QEMU and xorriso', QEMU_MISSING_MESSAGE, () => body());
}

/** A fresh temporary directory for one test. */
export function tempDir(prefix = 'nixiso-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `files` (relative path → content) below `root`, making directories as needed. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
}

/** A fresh temporary directory holding `files`. */
export function tempTree(files: Record<string, string>, prefix = 'nixiso-tree-'): string {
  const root = tempDir(prefix);
  writeFiles(root, files);
  return root;
}

/** A PATH with everything in /usr/bin and /bin (node, npx, git, sh …) except Nix's commands. */
export function pathWithoutNix(): string {
  const dir = tempDir('nixiso-nonix-');
  for (const bin of ['/usr/local/bin', '/usr/bin', '/bin']) {
    if (!existsSync(bin)) continue;
    for (const name of readdirSync(bin)) {
      if (name.startsWith('nix') || existsSync(join(dir, name))) continue;
      symlinkSync(join(bin, name), join(dir, name));
    }
  }
  return dir;
}

