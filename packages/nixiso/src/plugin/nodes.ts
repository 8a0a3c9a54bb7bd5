import { readFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import type { CreateNodesContext, CreateNodesResult, CreateNodes, TargetConfiguration } from '@nx/devkit';
import { createNodesFromFiles } from '../nx/runtime';
import type { BinaryCacheConfig } from '../nix/store/binary-cache';
import { CHANNEL_LOOKUPS, fingerprintCommand, type FingerprintInputs, hasFingerprintInputs } from '../nix/inputs/fingerprint';
import { BOOT_REPORT_FILE } from '../nix/boot/boot-report';
import { BOOT_TEST_OPTIONS_FILE } from '../executors/boot-test/options-file';
import { IMAGE_IDENTITY_FILE } from '../built-image/manifest';
import { configurationSlug, type ImageKind } from '../nix/language/image-detect';
import { type DiscoveredImage, discoverImages, diskTree, type ImageConfiguration, type NixisoMetadata } from './discover';
import { cachedDiscovery } from './discovery-cache';
import { askNixAboutFlake, nixIdentity } from './evaluate-images';
import { findExecutable } from '../nix/process/run';
import { flakeSelfRoot, type ImageReads, imageReads, inputPatterns } from './image-reads';
import { type ReadRecord, readRecordsFor, READ_RECORD_FILE } from '../built-image/read-record';
import { withRecordedReads } from './recorded-inputs';

export interface NixisoPluginOptions {
  buildTargetName?: string;
  evalTargetName?: string;
  lockTargetName?: string;
  pushTargetName?: string;
  doctorTargetName?: string;
  bootTestTargetName?: string;
  /**
   * The Nix binary cache images are pushed to (the inferred push target) and
   * pulled from when a cache hit restores a manifest whose image is not in
   * the local store. NIXISO_BINARY_CACHE_URL, NIXISO_SECRET_KEY_FILE,
   * NIXISO_PUBLIC_KEYS and NIXISO_SUBSTITUTERS override it.
   */
  binaryCache?: BinaryCacheConfig;
  /**
   * Extra Nx inputs for build and eval, e.g. a local nixpkgs checkout that
   * `nixPath` or `overrideInputs` points at: `["{workspaceRoot}/nixpkgs/**\/*"]`.
   */
  extraInputs?: (string | Record<string, unknown>)[];
  /**
   * Whether the task hook runs after every command to make build cache hits
   * yield their image (registering or relinking the out-link, pulling the
   * image from the binary cache, rebuilding it). Default: only when a remote
   * cache is configured (Nx Cloud, NX_SELF_HOSTED_REMOTE_CACHE_SERVER, an Nx
   * cache plugin): local hits keep their image without it.
   */
  restoreCacheHits?: boolean;
  /**
   * Whether graph construction asks Nix about flake configurations its
   * reading of the sources cannot classify (`nix eval`, cached in Nx's
   * workspace data directory until a file the flake reads changes).
   * Default true; false keeps to the sources and reports what they leave open.
   */
  evaluateConfigurations?: boolean;
}

const PLUGIN_NAME = '@nixiso/nx';
export type { ImageKind } from '../nix/language/image-detect';

/**
 * What `nx show project` offers as a target's help (Nx's metadata.help): for
 * an executor target the command prints the executor's options
 * (`nx run <project>:<target> --help`), and the example shows options it
 * takes. The command is the workspace package manager's exec (npx,
 * pnpm exec, yarn, bun), as Nx's own plugins write it.
 */
type TargetHelp = NonNullable<NonNullable<TargetConfiguration['metadata']>['help']>;
type HelpOf = (target: string, example: Record<string, unknown>) => TargetHelp;

/** Example options of each executor's help (valid for its schema.json: nodes.spec.ts checks them with Nx's validator). */
export const HELP_EXAMPLES = {
  build: { backend: 'build-image', format: 'qcow2' },
  eval: { showTrace: true },
  push: { url: 'file:///srv/nix-cache' },
  bootTest: { memoryMiB: 2048, checks: [{ run: 'nix --version', expect: '^nix ' }] },
  doctor: { failOnWarn: true },
} satisfies Record<string, Record<string, unknown>>;

/** The package manager's exec command of the workspace (Nx's own detection); npx when it cannot be told. */
function packageManagerExec(workspaceRoot: string): string {
  try {
    // Loaded here, not with the module: the plugin worker has it loaded already, other importers of this file need not.
    const pm = require('nx/src/utils/package-manager') as typeof import('nx/dist/src/utils/package-manager');
    return pm.getPackageManagerCommand(pm.detectPackageManager(workspaceRoot), workspaceRoot).exec;
  } catch {
    return 'npx';
  }
}

/** metadata.help for the targets of one project, the exec command looked up once per graph computation. */
function helpFor(project: string, exec: () => string): HelpOf {
  return (target, example) => ({ command: `${exec()} nx run ${project}:${target} --help`, example: { options: example } });
}

/** A file of the workspace as text; undefined when it cannot be read (missing, a directory). */
function readSource(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

type ProjectJson = { name?: unknown; targets?: Record<string, unknown>; metadata?: { nixiso?: NixisoMetadata } };

/** The image directory's project.json, read once; undefined when there is none (Nx reports an unreadable one itself). */
function readProjectJson(root: string, workspaceRoot: string): ProjectJson | undefined {
  return parseProjectJson(readSource(join(workspaceRoot, root, 'project.json')));
}

function parseProjectJson(text: string | undefined): ProjectJson | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * project.json's `metadata.nixiso`: `image` (true or false) opts a directory
 * in or out, `configurations` names its image configurations.
 */
function nixisoMetadata(projectJson: ProjectJson | undefined): NixisoMetadata | undefined {
  const value = projectJson?.metadata?.nixiso;
  if (!value || typeof value !== 'object') return undefined;
  return {
    image: typeof value.image === 'boolean' ? value.image : undefined,
    configurations: Array.isArray(value.configurations) ? value.configurations : undefined,
  };
}

/** The project's name as Nx gives it: project.json's, else package.json's, else the directory's. */
function projectName(root: string, workspaceRoot: string, projectJson: ProjectJson | undefined): string {
  if (typeof projectJson?.name === 'string' && projectJson.name) return projectJson.name;
  const packageJson = readSource(join(workspaceRoot, root, 'package.json'));
  if (packageJson !== undefined) {
    const name = JSON.parse(packageJson).name;
    if (typeof name === 'string' && name) return name;
  }
  return basename(root) || 'image';
}

type TargetInput = string | Record<string, unknown>;

/** What the inputs of an image's build and eval targets are made of. */
export interface ImageInputModel {
  kind: ImageKind;
  /** What its Nix files read outside the project, and what Nx cannot hash as workspace files (image-reads.ts). */
  reads: ImageReads;
  /** Local directories that nixPath / overrideInputs of its targets point at, workspace-relative or absolute outside it. */
  localSources: { inWorkspace: string[]; external: string[] };
}

/** What the runtime input fingerprints for an image: what Nx cannot hash as workspace files. */
export function imageFingerprint(model: ImageInputModel): FingerprintInputs {
  return {
    // A channel build looks up `<nixpkgs/nixos>` (and home-manager's module) whatever its files say.
    lookups: [...new Set([...(model.kind === 'channel' ? CHANNEL_LOOKUPS : []), ...model.reads.lookups])],
    paths: [...new Set([...model.reads.external, ...model.localSources.external])].sort(),
    home: model.reads.home,
    ignored: model.reads.ignored,
  };
}

/**
 * The build and eval inputs: every file Nix may read when it evaluates the
 * image. Nx hashes them for the cache and matches changed files against the
 * `{workspaceRoot}/…` ones for `nx affected`, whether or not a project owns
 * them; the options of the target are hashed by Nx itself. What is not a
 * workspace file Nx hashes (search paths, home paths, paths outside the
 * workspace, git-ignored files) is the runtime input, only when there is
 * some; the variables the image reads with `getEnv` are env inputs.
 */
export function imageInputs(
  model: ImageInputModel,
  extraInputs: readonly TargetInput[],
  /** Files of the project that Nix cannot see (boot-test.json, unless its Nix code may read it): `{projectRoot}/…` patterns. */
  excluded: readonly string[] = [],
): TargetInput[] {
  const patterns = new Set<string>();
  for (const read of model.reads.reads) inputPatterns(read).forEach((p) => patterns.add(p));
  for (const dir of model.localSources.inWorkspace) inputPatterns({ path: dir, kind: 'directory' }).forEach((p) => patterns.add(p));
  const fingerprint = imageFingerprint(model);
  const env = [...(model.kind === 'channel' ? ['NIX_PATH'] : []), ...model.reads.env.filter((name) => name !== 'NIX_PATH')];
  return [
    // Every file of the project, Nix or not (flake.lock included), but the out-links `nix build` leaves by default.
    '{projectRoot}/**/*',
    '!{projectRoot}/result',
    '!{projectRoot}/result-*',
    ...excluded.map((pattern) => `!${pattern}`),
    ...[...patterns].sort(),
    ...env.map((name) => ({ env: name })),
    ...(hasFingerprintInputs(fingerprint) ? [{ runtime: fingerprintCommand(fingerprint) }] : []),
    ...extraInputs,
  ];
}

/** boot-test's options file (executors/boot-test/options-file.ts), as an Nx input. */
const BOOT_TEST_OPTIONS_INPUT = `{projectRoot}/${BOOT_TEST_OPTIONS_FILE}`;

/** metadata.nixiso.bootTestOptions: where boot-test's options file is, and whether the image's build must count it too. */
export interface BootTestOptionsInput {
  file: string;
  /** True when the image's Nix code may see the file: then it stays an input of build and eval, and an edit rebuilds. */
  buildInput: boolean;
  /** Why it is a build input: the `<file>:<line>` (or the record, or the option) that settles it. */
  because?: string;
}

/**
 * Whether boot-test.json (workspace-relative `file`) must stay an input of
 * the image's build and eval: when the static model says its Nix code may
 * see it (imageReads' `sees`), a traced build saw Nix read it or list a
 * directory holding it, or nixPath / overrideInputs point at a directory
 * holding it.
 */
export function bootTestOptionsInput(
  file: string,
  reads: Pick<ImageReads, 'sees'>,
  records: readonly Pick<ReadRecord, 'files' | 'listed' | 'target' | 'configuration' | 'recordedAt'>[],
  localSources: ImageInputModel['localSources'],
): BootTestOptionsInput {
  const holds = (dir: string) => dir === '.' || file === dir || file.startsWith(`${dir.replace(/\/$/, '')}/`);
  const buildOf = (r: (typeof records)[number]) => `${[r.target, r.configuration].filter(Boolean).join(':') || 'build'} at ${r.recordedAt}`;
  const read = records.find((r) => r.files.includes(file));
  const listed = records.map((r) => ({ r, dir: r.listed.find((dir) => dir !== file && holds(dir)) })).find(({ dir }) => dir);
  const local = localSources.inWorkspace.find(holds);
  const because =
    reads.sees?.[file] ??
    (read ? `a traced build (${buildOf(read)}) saw Nix read it` : undefined) ??
    (listed ? `a traced build (${buildOf(listed.r)}) saw Nix list ${listed.dir}` : undefined) ??
    (local ? `nixPath or overrideInputs point at ${local}, which holds it` : undefined);
  return { file: BOOT_TEST_OPTIONS_INPUT, buildInput: !!because, ...(because ? { because } : {}) };
}

/** The targets of one image: build, eval, push, boot-test; `suffix` and `outputPath` set for one configuration of several. */
function imageTargetSet(
  options: Required<NixisoPluginOptions>,
  inputs: TargetInput[],
  buildConfigurations: readonly string[],
  /** Options build and eval run with unless the project says otherwise (the flake's image configuration, its output directory). */
  imageOptions: Record<string, string>,
  help: HelpOf,
  split?: { suffix: string; outputPath: string; configurationName: string; selection: Record<string, string> },
): Record<string, TargetConfiguration> {
  const technologies = ['nix'];
  const targetInputs = inputs as TargetConfiguration['inputs'];
  const name = (target: string) => `${target}${split?.suffix ?? ''}`;
  const of = split ? ` ${split.configurationName}` : '';
  // Where the build records the image: the default, or the configuration's own directory (the option, so an override moves the outputs too).
  const output = (file: string) => (split ? `{options.outputPath}/${file}` : `{workspaceRoot}/dist/{projectRoot}/${file}`);
  const outputOptions = split ? { outputPath: split.outputPath } : {};
  const build = name(options.buildTargetName);
  const evaluate = name(options.evalTargetName);
  const push = name(options.pushTargetName);
  const bootTest = name(options.bootTestTargetName);
  return {
    [build]: {
      executor: `${PLUGIN_NAME}:build`,
      cache: true,
      inputs: targetInputs,
      // Named files, not the directory as a whole: other targets (boot-test) write their reports beside them.
      // reads.json: what Nix read, so that a cache hit restores the record the graph plugin unites with the static model.
      outputs: [output('manifest.json'), output(IMAGE_IDENTITY_FILE), output(READ_RECORD_FILE), output('result'), '{options.outLink}'],
      options: { ...imageOptions },
      metadata: {
        description: `Build the NixOS image${of}; ${split ? split.outputPath : 'dist/<projectRoot>'}/result links to it in the Nix store`,
        technologies,
        help: help(build, HELP_EXAMPLES.build),
      },
    },
    [evaluate]: {
      executor: `${PLUGIN_NAME}:eval`,
      cache: true,
      inputs: targetInputs,
      options: split ? { ...split.selection } : { ...imageOptions },
      metadata: { description: `Evaluate the image derivation${of} without building it`, technologies, help: help(evaluate, HELP_EXAMPLES.eval) },
    },
    [push]: {
      executor: `${PLUGIN_NAME}:push`,
      dependsOn: [build],
      cache: false,
      options: { ...options.binaryCache, ...outputOptions },
      metadata: {
        description: `Copy the built image${of} to the Nix binary cache (nix copy --to), signed when a key is set`,
        technologies,
        help: help(push, HELP_EXAMPLES.push),
      },
    },
    // Keyed on the image itself (image.json: store and derivation path), not on the sources:
    // a rebuild that yields the same image is still a hit; and on the options file the
    // executor reads. The build's configuration names, so `boot-test:offline` boots what
    // `build:offline` built.
    [bootTest]: {
      executor: `${PLUGIN_NAME}:boot-test`,
      dependsOn: [build],
      cache: true,
      inputs: [BOOT_TEST_OPTIONS_INPUT, { dependentTasksOutputFiles: `**/${IMAGE_IDENTITY_FILE}`, transitive: false }],
      outputs: [output(BOOT_REPORT_FILE)],
      options: { ...outputOptions },
      configurations: Object.fromEntries(buildConfigurations.map((c) => [c, {}])),
      metadata: {
        description:
          `Boot the built image${of} headless in QEMU (KVM, else TCG) and fail on a failed systemd unit or check. ` +
          `Its options (checks, timeoutSeconds, …) may live in ${BOOT_TEST_OPTIONS_INPUT}, an input of boot-test only: ` +
          'Nx hashes project.json into the key of every target, so checks edited there make the build miss its cache',
        technologies,
        help: help(bootTest, HELP_EXAMPLES.bootTest),
      },
    },
  };
}

/**
 * Per image configuration of a flake with several, a target set named
 * `<target>--<configuration>` with its own output directory
 * dist/<projectRoot>/<configuration>, grouped by configuration (Nx's
 * metadata.targetGroups, as Nx's own split targets are); `build`, `eval`,
 * `push` and `boot-test` run the whole set (nx:noop depending on each), so
 * `nx affected -t build` builds every image of the flake.
 */
function splitImageTargets(
  options: Required<NixisoPluginOptions>,
  inputs: TargetInput[],
  targetConfigurations: { build: readonly string[]; eval: readonly string[] },
  configurations: readonly ImageConfiguration[],
  projectRoot: string,
  help: HelpOf,
): { targets: Record<string, TargetConfiguration>; targetGroups: Record<string, string[]> } {
  const targets: Record<string, TargetConfiguration> = {};
  const targetGroups: Record<string, string[]> = {};
  const names = [options.buildTargetName, options.evalTargetName, options.pushTargetName, options.bootTestTargetName];
  const examples: Record<string, Record<string, unknown>> = {
    [options.buildTargetName]: HELP_EXAMPLES.build,
    [options.evalTargetName]: HELP_EXAMPLES.eval,
    [options.pushTargetName]: HELP_EXAMPLES.push,
    [options.bootTestTargetName]: HELP_EXAMPLES.bootTest,
  };
  for (const configuration of configurations) {
    const slug = configurationSlug(configuration.name);
    // Written out, not `dist/{projectRoot}/…`: a project at the workspace root would get `dist/./<slug>`.
    const outputPath = posix.join('dist', projectRoot, slug);
    const set = imageTargetSet(options, inputs, targetConfigurations.build, { ...configuration.options, outputPath }, help, {
      suffix: `--${slug}`,
      outputPath,
      configurationName: configuration.name,
      selection: configuration.options,
    });
    Object.assign(targets, set);
    targetGroups[`${configuration.name} image`] = Object.keys(set);
  }
  for (const target of names) {
    // The Nx configurations of what it runs (`build:offline` runs each `build--<configuration>:offline`).
    const named = target === options.evalTargetName ? targetConfigurations.eval : targetConfigurations.build;
    targets[target] = {
      executor: 'nx:noop',
      dependsOn: configurations.map((c) => ({ target: `${target}--${configurationSlug(c.name)}`, params: 'forward' as const })),
      configurations: Object.fromEntries(named.map((c) => [c, {}])),
      metadata: {
        description: `Run ${target} for every image configuration of the project (${configurations.map((c) => c.name).join(', ')})`,
        technologies: ['nix'],
        // The options it forwards are those of each configuration's target: its executor's help.
        help: help(`${target}--${configurationSlug(configurations[0].name)}`, examples[target]),
      },
    };
  }
  return { targets, targetGroups };
}

function imageTargets(
  kind: ImageKind,
  options: Required<NixisoPluginOptions>,
  inputs: TargetInput[],
  targetConfigurations: { build: readonly string[]; eval: readonly string[] },
  /** The project's image configurations: one gives the plain target set, several a set each, none only doctor (and lock). */
  configurations: readonly ImageConfiguration[],
  projectRoot: string,
  help: HelpOf,
): { targets: Record<string, TargetConfiguration>; targetGroups?: Record<string, string[]> } {
  const technologies = ['nix'];
  const split =
    configurations.length > 1 ? splitImageTargets(options, inputs, targetConfigurations, configurations, projectRoot, help) : undefined;
  const only = configurations[0];
  const targets: Record<string, TargetConfiguration> =
    split?.targets ?? (only ? imageTargetSet(options, inputs, targetConfigurations.build, withoutDefaults(only.options), help) : {});
  // Not cached: it reports on this machine (Nix, space, KVM, emulation), not on the inputs.
  targets[options.doctorTargetName] = {
    executor: `${PLUGIN_NAME}:doctor`,
    cache: false,
    // The executor reads the options of `build` unless told otherwise: the build target under its configured name.
    options: options.buildTargetName === 'build' ? {} : { buildTarget: options.buildTargetName },
    metadata: {
      description:
        'Check that this machine can build the image: Nix, flakes, free space, KVM, emulation or builders for its hostPlatform, substituters',
      technologies,
      help: help(options.doctorTargetName, HELP_EXAMPLES.doctor),
    },
  };
  if (kind === 'flake') {
    targets[options.lockTargetName] = {
      // `path:.`: a bare `.` is a git+file ref that Nix 2.8 cannot read under a path with a space, or before the project is tracked.
      command: 'nix --extra-experimental-features "nix-command flakes" flake lock path:.',
      options: { cwd: '{projectRoot}' },
      cache: false,
      metadata: { description: 'Create or update flake.lock (pins nixpkgs and home-manager)', technologies },
    };
  }
  return { targets, targetGroups: split?.targetGroups };
}

/** A configuration's executor options less those equal to the executor's defaults (`liveImage`). */
function withoutDefaults(selection: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(selection).filter(([key, value]) => !(key === 'configurationName' && value === 'liveImage')));
}

/** The plugin options that name an inferred target. */
export type TargetNameOption = Exclude<keyof NixisoPluginOptions, 'binaryCache' | 'extraInputs' | 'restoreCacheHits' | 'evaluateConfigurations'>;

/** The target names the plugin infers by default, by plugin option. */
export const DEFAULT_TARGET_NAMES: Readonly<Record<TargetNameOption, string>> = {
  buildTargetName: 'build',
  evalTargetName: 'eval',
  lockTargetName: 'lock',
  pushTargetName: 'push',
  doctorTargetName: 'doctor',
  bootTestTargetName: 'boot-test',
};

function normalizeOptions(options: NixisoPluginOptions | undefined): Required<NixisoPluginOptions> {
  return {
    ...DEFAULT_TARGET_NAMES,
    ...Object.fromEntries(Object.entries(options ?? {}).filter(([key, value]) => key in DEFAULT_TARGET_NAMES && value !== undefined)),
    binaryCache: options?.binaryCache ?? {},
    extraInputs: options?.extraInputs ?? [],
    restoreCacheHits: options?.restoreCacheHits ?? false,
    evaluateConfigurations: options?.evaluateConfigurations ?? true,
  };
}

type OptionsLike = { nixPath?: unknown; overrideInputs?: unknown };

/** The option sets a target may run with: its options and each configuration. */
function optionSets(target: unknown): OptionsLike[] {
  if (!target || typeof target !== 'object') return [];
  const { options, configurations } = target as { options?: OptionsLike; configurations?: Record<string, OptionsLike> };
  return [options ?? {}, ...Object.values(configurations ?? {})];
}

/** A local path named by a nixPath entry or an override input; undefined for URLs and `<…>` lookups. */
function localPathOf(value: string): string | undefined {
  if (value.startsWith('<')) return undefined;
  const local = /^(path|git\+file):(\/\/)?/.exec(value);
  if (local) return decodeURIComponent(value.slice(local[0].length).replace(/[?#].*$/, ''));
  return /^[a-z][a-z0-9+.-]*:/i.test(value) ? undefined : value;
}

/**
 * The local directories the image's build and eval may be pointed at
 * (`nixPath`, `overrideInputs`, in the target's options or any of its
 * configurations, in project.json or nx.json's targetDefaults): their files
 * are read by Nix as much as the image's own.
 */
export function localSourcesOf(
  targets: readonly unknown[],
  workspaceRoot: string,
): ImageInputModel['localSources'] {
  const inWorkspace = new Set<string>();
  const external = new Set<string>();
  for (const set of targets.flatMap(optionSets)) {
    const nixPath = Array.isArray(set.nixPath) ? set.nixPath.filter((e): e is string => typeof e === 'string') : [];
    const overrides =
      set.overrideInputs && typeof set.overrideInputs === 'object'
        ? Object.values(set.overrideInputs).filter((e): e is string => typeof e === 'string')
        : [];
    const values = [...nixPath.map((entry) => entry.slice(entry.indexOf('=') + 1)), ...overrides];
    for (const value of values) {
      const local = localPathOf(value);
      if (!local) continue;
      // Relative to the workspace root, as the executors resolve them.
      const absolute = posix.resolve(workspaceRoot, local);
      const relative = posix.relative(workspaceRoot, absolute);
      if (absolute.startsWith('/nix/store/')) continue;
      if (relative.startsWith('..') || posix.isAbsolute(relative)) external.add(absolute);
      else inWorkspace.add(relative || '.');
    }
  }
  return { inWorkspace: [...inWorkspace].sort(), external: [...external].sort() };
}

/** Configuration names of the given target configurations. */
function configurationNames(targets: readonly unknown[]): string[] {
  const names = new Set<string>();
  for (const target of targets) {
    const configurations = (target as { configurations?: unknown } | undefined)?.configurations;
    if (configurations && typeof configurations === 'object') Object.keys(configurations).forEach((n) => names.add(n));
  }
  return [...names].sort();
}

/**
 * The target configurations that may set nixPath / overrideInputs for an
 * image's build and for its eval: nx.json's targetDefaults by target name
 * and by executor, and the project's project.json.
 */
function configuredTargets(
  projectJson: ProjectJson | undefined,
  options: Required<NixisoPluginOptions>,
  context: CreateNodesContext,
): { build: unknown[]; eval: unknown[] } {
  const defaults = (context.nxJsonConfiguration.targetDefaults ?? {}) as Record<string, unknown>;
  const targets = projectJson?.targets ?? {};
  const of = (name: string, executor: string): unknown[] => [
    ...[name, executor].flatMap((key) => {
      const value = defaults[key];
      return Array.isArray(value) ? value : value ? [value] : [];
    }),
    targets[name],
  ];
  return { build: of(options.buildTargetName, `${PLUGIN_NAME}:build`), eval: of(options.evalTargetName, `${PLUGIN_NAME}:eval`) };
}

/** The options a target runs with by default (not a configuration's): the last word of targetDefaults and project.json. */
function defaultOptions(targets: readonly unknown[]): { nixPath?: string[]; overrideInputs?: Record<string, string>; nixOptions?: Record<string, string> } {
  const merged: Record<string, unknown> = {};
  for (const target of targets) Object.assign(merged, (target as { options?: Record<string, unknown> } | undefined)?.options ?? {});
  return merged;
}

async function createNodesInternal(
  image: DiscoveredImage,
  options: NixisoPluginOptions | undefined,
  context: CreateNodesContext,
  exec: () => string,
): Promise<CreateNodesResult> {
  const { root, kind, configurations } = image;
  const projectJson = readProjectJson(root, context.workspaceRoot);
  const normalized = normalizeOptions(options);
  const workspaceRoot = posix.resolve(context.workspaceRoot);
  const configured = configuredTargets(projectJson, normalized, context);
  const localSources = localSourcesOf([...configured.build, ...configured.eval], workspaceRoot);
  // What earlier builds saw Nix read (built-image/read-record.ts), united with what the sources say.
  const records = readRecordsFor(workspaceRoot, root);
  const bootTestFile = posix.join(root, BOOT_TEST_OPTIONS_FILE);
  const staticReads = imageReads(workspaceRoot, root, {
    // A flake's `self` is the tree nixiso builds it from; a channel image has none.
    ...(kind === 'flake' ? { selfRoot: flakeSelfRoot(workspaceRoot, root) } : {}),
    recorded: records.flatMap((r) => [...r.files, ...r.listed]),
    watch: [bootTestFile],
  });
  const recorded = withRecordedReads(staticReads, records, { workspaceRoot, projectRoot: root, kind, coveredDirectories: localSources.inWorkspace });
  const model: ImageInputModel = { kind, reads: { ...staticReads, reads: recorded.reads, external: recorded.external }, localSources };
  const nixiso: Record<string, unknown> = {
    kind,
    // What nx show project lists: the files outside the project its inputs and graph edges come from.
    reads: model.reads.reads.map(({ path, kind, from }) => ({ path: kind === 'directory' ? `${path}/` : path, from })),
  };
  // What the records changed: reads only Nix was seen making, static directories they proved too wide, or why there is no proof.
  if (records.length) {
    nixiso.recorded = {
      builds: records.map((r) => `${[r.target, r.configuration].filter(Boolean).join(':') || 'build'} at ${r.recordedAt}${r.complete ? '' : ` (incomplete: ${r.incomplete})`}`),
      ...(recorded.recordedOnly.length ? { readsOnlyNixSaw: recorded.recordedOnly } : {}),
      ...(recorded.narrowed.length ? { narrowed: recorded.narrowed } : {}),
      ...(recorded.notNarrowed ? { notNarrowed: recorded.notNarrowed } : {}),
    };
  }
  // boot-test's options file: an input of boot-test, and of build and eval only when Nix may see it.
  const bootTestOptions = bootTestOptionsInput(bootTestFile, staticReads, records, localSources);
  nixiso.bootTestOptions = bootTestOptions;
  if (model.reads.external.length) nixiso.readsOutsideWorkspace = model.reads.external;
  if (model.reads.computed.length) nixiso.computedPaths = model.reads.computed;
  if (model.reads.opaque.length) nixiso.opaqueFiles = model.reads.opaque;
  // What the runtime input fingerprints besides paths outside the workspace, and the variables it reads.
  if (model.reads.ignored.length) nixiso.ignoredReads = model.reads.ignored;
  if (model.reads.home.length) nixiso.homeReads = model.reads.home.map((path) => `~/${path}`);
  if (model.reads.lookups.length) nixiso.searchPaths = model.reads.lookups.map((name) => `<${name}>`);
  if (model.reads.env.length) nixiso.environment = model.reads.env;
  // The image configurations (hosts beside them are not images): one target set each when there are several.
  if (kind === 'flake' || configurations.some((c) => Object.keys(c.options).length)) nixiso.configurations = configurations.map((c) => c.name);
  if (image.hosts.length) nixiso.hosts = image.hosts;
  if (image.evaluated.length) nixiso.evaluated = image.evaluated;
  if (image.undecided.length) nixiso.undecided = image.undecided;
  const name = projectName(root, context.workspaceRoot, projectJson);
  const { targets, targetGroups } = imageTargets(
    kind,
    normalized,
    imageInputs(model, normalized.extraInputs, bootTestOptions.buildInput ? [] : [BOOT_TEST_OPTIONS_INPUT]),
    { build: configurationNames(configured.build), eval: configurationNames(configured.eval) },
    configurations,
    root,
    helpFor(name, exec),
  );
  return {
    projects: {
      [root]: {
        name,
        root,
        projectType: 'application' as const,
        targets,
        metadata: {
          ...(image.undecided.length ? { description: `nixiso could not tell every image of ${image.entryFile}: see metadata.nixiso.undecided` } : {}),
          nixiso,
          ...(targetGroups ? { targetGroups } : {}),
        },
      },
    },
  };
}

export const createNodes: CreateNodes<NixisoPluginOptions> = [
  '**/*.nix',
  async (files, options, context) => {
    let exec: string | undefined;
    const execOnce = () => (exec ??= packageManagerExec(context.workspaceRoot));
    const normalized = normalizeOptions(options);
    const nix = findExecutable('nix');
    // Everything the answer depends on that the content of the deciding files does not say.
    const key = {
      files: [...files].sort(),
      options: normalized,
      targetDefaults: context.nxJsonConfiguration.targetDefaults ?? {},
      nix: normalized.evaluateConfigurations && nix ? nixIdentity(nix) : null,
    };
    const images = await cachedDiscovery(context.workspaceRoot, key, diskTree(), async (tree) => {
      let complete = true;
      // Read through the tree, so that the kept answer knows every file it depends on.
      const projectJsonOf = (root: string) => parseProjectJson(tree.read(join(context.workspaceRoot, root, 'project.json')));
      const value = await discoverImages(
        files,
        {
          workspaceRoot: context.workspaceRoot,
          metadataOf: (root) => nixisoMetadata(projectJsonOf(root)),
          evaluate: normalized.evaluateConfigurations
            ? async (root, reading) => {
                const build = defaultOptions(configuredTargets(projectJsonOf(root), normalized, context).build);
                tree.read(join(context.workspaceRoot, root, 'flake.lock'));
                const answer = await askNixAboutFlake(root, reading, build, context.workspaceRoot);
                // Unavailable (offline, no Nix): asked again next time rather than kept.
                if (answer.status === 'unavailable') complete = false;
                return answer;
              }
            : undefined,
        },
        tree,
      );
      return { value, keep: complete };
    });
    const byEntry = new Map(images.map((image) => [image.entryFile, image]));
    return createNodesFromFiles<NixisoPluginOptions | undefined>(
      (file, o, c) => createNodesInternal(byEntry.get(file) as DiscoveredImage, o, c, execOnce),
      [...byEntry.keys()],
      options,
      context,
    );
  },
];
/** The same pair under its earlier name, which Nx 23 and 24 read as well. */
export const createNodesV2 = createNodes;
