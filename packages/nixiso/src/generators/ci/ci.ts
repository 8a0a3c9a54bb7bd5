import {
  detectPackageManager,
  formatFiles,
  generateFiles,
  getPackageManagerCommand,
  readJson,
  readNxJson,
  type PackageManager,
  type Tree,
} from '@nx/devkit';
import { join, posix } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, YAMLSeq, type Document, type YAMLMap } from 'yaml';
import { DEFAULT_TARGET_NAMES, type TargetNameOption } from '../../plugin/options';
import { PLUGIN_PACKAGE } from '../init/init';
import type { CiGeneratorSchema } from './schema';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;
const TARGET = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DIR = /^[A-Za-z0-9._/-]+$/;
const PACKAGE_MANAGERS: readonly PackageManager[] = ['npm', 'pnpm', 'yarn', 'bun'];

/** First line of every file this generator writes: a file without it is the user's and is never overwritten. */
export const MARKER = '# Written by the @nixiso/nx:ci generator';
/** The GitLab pipeline part; the user's .gitlab-ci.yml only gains an include of it. */
export const GITLAB_INCLUDE = '.gitlab/nixiso.yml';

/** Pinned tools. Bump them here (and in the spec); the templates only interpolate. */
export const VERSIONS = {
  checkout: 'actions/checkout@v6',
  setupNode: 'actions/setup-node@v6',
  setupBun: 'oven-sh/setup-bun@v2',
  installNix: 'cachix/install-nix-action@v31',
  cacheNix: 'nix-community/cache-nix-action@v7',
  nxSetShas: 'nrwl/nx-set-shas@v5',
  uploadArtifact: 'actions/upload-artifact@v7',
  /** GitLab job image: Nix preinstalled, single-user, running as root. */
  nixImage: 'nixos/nix:2.33.0',
  /** Where the GitLab job takes Node (and bun) from: a stable NixOS release branch, which receives security updates. */
  nixpkgs: 'github:NixOS/nixpkgs/nixos-26.05',
} as const;

const LOCKFILES: Record<PackageManager, string[]> = {
  npm: ['package-lock.json'],
  pnpm: ['pnpm-lock.yaml'],
  yarn: ['yarn.lock'],
  bun: ['bun.lock', 'bun.lockb'],
};

/** The plugin options naming the targets the pipeline runs, by role. */
const TARGET_OPTIONS = {
  build: 'buildTargetName',
  eval: 'evalTargetName',
  push: 'pushTargetName',
  bootTest: 'bootTestTargetName',
  diff: 'diffTargetName',
} as const satisfies Record<string, TargetNameOption>;

type TargetNames = Record<keyof typeof TARGET_OPTIONS, string[]>;

/**
 * Writes a CI pipeline that builds, boots and compares with their base only the
 * affected NixOS images: GitHub Actions (.github/workflows/<name>.yml) or GitLab
 * CI (.gitlab/nixiso.yml, included from .gitlab-ci.yml). Everything is validated
 * before anything is written.
 */
export async function ciGenerator(tree: Tree, schema: CiGeneratorSchema): Promise<void> {
  const options = {
    provider: schema.provider ?? 'github',
    name: schema.name ?? 'images',
    mainBranch: schema.mainBranch ?? 'main',
    uploadImages: schema.uploadImages ?? false,
    imagesDir: schema.imagesDir ?? 'dist/nixiso-images',
    nodeVersion: Number(schema.nodeVersion ?? 24),
    nixStoreCache: schema.nixStoreCache ?? false,
    timeoutMinutes: schema.timeoutMinutes ?? 180,
    retentionDays: schema.retentionDays ?? 7,
    stage: schema.stage ?? 'test',
    bootTest: schema.bootTest ?? true,
  };
  if (options.provider !== 'github' && options.provider !== 'gitlab') {
    throw new Error(`option "provider": unknown CI provider "${options.provider}" (expected github or gitlab)`);
  }
  if (!NAME.test(options.name)) throw new Error(`option "name": "${options.name}" is not a valid workflow name (letters, digits, _ and -)`);
  if (!BRANCH.test(options.mainBranch)) throw new Error(`option "mainBranch": "${options.mainBranch}" is not a valid branch name`);
  const imagesDir = checkImagesDir(options.imagesDir);
  if (options.nodeVersion !== 22 && options.nodeVersion !== 24) {
    throw new Error(`option "nodeVersion": "${schema.nodeVersion}" is not a Node LTS release Nx supports here (expected 22 or 24)`);
  }
  checkInteger('timeoutMinutes', options.timeoutMinutes, 10, 360);
  checkInteger('retentionDays', options.retentionDays, 1, 90);
  if (!NAME.test(options.stage)) throw new Error(`option "stage": "${options.stage}" is not a valid GitLab stage name`);
  if (options.nixStoreCache && options.provider !== 'github') {
    throw new Error('option "nixStoreCache": only the GitHub workflow can cache the Nix store (GitLab jobs run in a fresh nixos/nix container)');
  }

  const targets = targetNames(tree);
  const packageManager = packageManagerOf(tree);
  const pm = getPackageManagerCommand(packageManager, tree.root);
  const nx = `${packageManager === 'bun' ? pm.dlx : pm.exec} nx`;
  const copyTo = options.uploadImages ? ` --copyTo=${imagesDir}` : '';
  const vars = {
    ...options,
    imagesDir,
    versions: VERSIONS,
    marker: MARKER,
    packageManager,
    install: pm.ciInstall,
    lockfile: LOCKFILES[packageManager].find((f) => tree.exists(f)) ?? LOCKFILES[packageManager][0],
    // Eval is cheap; every build is CPU-, memory- and disk-heavy (a squashfs of the whole closure), so one at a time.
    buildCommand: `${nx} affected -t ${[...targets.eval, ...targets.build].join(' ')} --parallel=1${copyTo}`,
    pushCommand: `${nx} affected -t ${targets.push.join(' ')} --parallel=1`,
    // One QEMU at a time: each boots a whole image with its own memory and CPUs.
    bootTestCommand: `${nx} affected -t ${targets.bootTest.join(' ')} --parallel=1`,
    // One at a time, like the builds: a diff may build the base image.
    diffCommand: `${nx} affected -t ${targets.diff.join(' ')} --parallel=1`,
    tmpl: '',
  };

  if (options.provider === 'github') {
    refuseForeignFile(tree, `.github/workflows/${options.name}.yml`);
    generateFiles(tree, join(__dirname, 'files', 'github'), '.', vars);
  } else {
    refuseForeignFile(tree, GITLAB_INCLUDE);
    const pipeline = withInclude(tree.exists('.gitlab-ci.yml') ? tree.read('.gitlab-ci.yml', 'utf8') : null, options.name, options.stage);
    generateFiles(tree, join(__dirname, 'files', 'gitlab'), '.', vars);
    if (pipeline !== undefined) tree.write('.gitlab-ci.yml', pipeline);
  }
  if (!schema.skipFormat) await formatFiles(tree);
}

function checkInteger(option: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`option "${option}": "${value}" is not a whole number from ${min} to ${max}`);
  }
}

/** The copyTo directory: relative, inside the workspace, not the workspace or dist itself. */
function checkImagesDir(dir: string): string {
  const normalized = posix.normalize(dir).replace(/\/+$/, '');
  if (!DIR.test(dir) || dir.startsWith('/') || normalized === '.' || normalized === 'dist' || normalized.split('/').includes('..')) {
    throw new Error(`option "imagesDir": "${dir}" must be a directory relative to the workspace root, inside it, e.g. dist/nixiso-images`);
  }
  return normalized;
}

/** The inferred target names, from every @nixiso/nx entry in nx.json `plugins` (default build, eval, push, boot-test, diff). */
function targetNames(tree: Tree): TargetNames {
  const names: TargetNames = { build: [], eval: [], push: [], bootTest: [], diff: [] };
  const entries = (readNxJson(tree)?.plugins ?? []).filter((p) => {
    const plugin = typeof p === 'string' ? p : p.plugin;
    return plugin === PLUGIN_PACKAGE || plugin === '@nixiso';
  });
  const optionsOf = (entry: (typeof entries)[number]) =>
    (typeof entry === 'string' ? {} : ((entry.options ?? {}) as Record<string, unknown>));
  for (const [role, option] of Object.entries(TARGET_OPTIONS) as [keyof TargetNames, TargetNameOption][]) {
    for (const entry of entries.length ? entries : ['' as const]) {
      const value = entry === '' ? undefined : optionsOf(entry)[option];
      const name = value ?? DEFAULT_TARGET_NAMES[option];
      if (typeof name !== 'string' || !TARGET.test(name)) {
        throw new Error(`nx.json: the ${PLUGIN_PACKAGE} plugin option "${option}" is ${JSON.stringify(name)}, not a target name (letters, digits, _ . -)`);
      }
      if (!names[role].includes(name)) names[role].push(name);
    }
  }
  return names;
}

/** nx.json `cli.packageManager`, else the lock file or package.json `packageManager` in the tree, else @nx/devkit's detection on disk. */
function packageManagerOf(tree: Tree): PackageManager {
  const configured = readNxJson(tree)?.cli?.packageManager;
  if (configured !== undefined) {
    if (!PACKAGE_MANAGERS.includes(configured)) {
      throw new Error(`nx.json: "cli.packageManager" is "${configured}" (expected one of ${PACKAGE_MANAGERS.join(', ')})`);
    }
    return configured;
  }
  for (const pm of ['bun', 'yarn', 'pnpm', 'npm'] as const) {
    if (LOCKFILES[pm].some((f) => tree.exists(f))) return pm;
  }
  if (tree.exists('package.json')) {
    const field = readJson<{ packageManager?: unknown }>(tree, 'package.json').packageManager;
    const name = typeof field === 'string' ? field.split('@')[0] : undefined;
    if (name && (PACKAGE_MANAGERS as readonly string[]).includes(name)) return name as PackageManager;
  }
  return detectPackageManager(tree.root);
}

function refuseForeignFile(tree: Tree, path: string): void {
  if (tree.exists(path) && !tree.read(path, 'utf8')?.startsWith(MARKER)) {
    throw new Error(`${path} exists and was not written by this generator; remove it or choose another --name`);
  }
}

const isOurs = (value: unknown) => typeof value === 'string' && value.replace(/^\.?\//, '') === GITLAB_INCLUDE;

/**
 * .gitlab-ci.yml with an include of .gitlab/nixiso.yml: every other key, job and
 * comment kept; `include:` as a string, list or map is extended. Undefined when
 * the include is already there.
 */
export function withInclude(source: string | null, jobName: string, stage: string): string | undefined {
  const entry = { local: GITLAB_INCLUDE };
  if (source === null || !source.trim()) return `include:\n  - local: ${GITLAB_INCLUDE}\n`;
  const doc = parseDocument(source);
  const hint = `add "include: [{ local: ${GITLAB_INCLUDE} }]" to it by hand`;
  if (doc.errors.length) throw new Error(`.gitlab-ci.yml is not valid YAML (${doc.errors[0].message.split('\n')[0]}); fix it, or ${hint}`);
  if (!isMap(doc.contents)) throw new Error(`.gitlab-ci.yml: its top level is not a map of keys and jobs; ${hint}`);
  const top = doc.contents as YAMLMap;
  if (top.has(jobName)) {
    throw new Error(`.gitlab-ci.yml already has a key "${jobName}", which would replace the included job; choose another --name`);
  }
  const stages = doc.toJS().stages as unknown;
  if (Array.isArray(stages) && !stages.includes(stage) && stage !== '.pre' && stage !== '.post') {
    throw new Error(`option "stage": "${stage}" is not one of the stages .gitlab-ci.yml declares (${stages.join(', ')}); pass --stage=<one of them>`);
  }

  const include = top.get('include', true);
  if (!top.has('include')) {
    // At the end: GitLab does not mind the order, and the user's lines and comments stay where they are.
    top.set('include', doc.createNode([entry]));
  } else if (include === null || (isScalar(include) && include.value === null)) {
    top.set('include', doc.createNode([entry]));
  } else if (isScalar(include) && typeof include.value === 'string') {
    if (isOurs(include.value)) return undefined;
    top.set('include', doc.createNode([include.value, entry]));
  } else if (isMap(include)) {
    if (isOurs(include.get('local'))) return undefined;
    // The user's map node itself, so its comments and formatting stay.
    const list = new YAMLSeq();
    list.items.push(include, doc.createNode(entry));
    top.set('include', list);
  } else if (isSeq(include)) {
    if (include.items.some((item) => (isScalar(item) ? isOurs(item.value) : isMap(item) && isOurs(item.get('local'))))) return undefined;
    include.items.push(doc.createNode(entry));
  } else {
    throw new Error(`.gitlab-ci.yml: "include" is neither a string, a list nor a map; ${hint}`);
  }
  return render(doc);
}

function render(doc: Document): string {
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export default ciGenerator;
