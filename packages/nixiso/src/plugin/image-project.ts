/**
 * The Nx project of one discovered image: its name, its targets (built under
 * targets/) on inputs that are every file Nix may read for it, and
 * metadata.nixiso, which tells `nx show project` where those inputs come
 * from and what the plugin could not settle.
 */
import { posix } from 'node:path';
import type { CreateNodesContext, CreateNodesResult } from '@nx/devkit';
import { BOOT_TEST_OPTIONS_FILE } from '../executors/boot-test/options-file';
import { type ReadRecord, readRecordsFor } from '../built-image/read-record';
import { configuredTargets, configurationNames, localSourcesOf } from './configured-targets';
import type { DiscoveredImage } from './discover';
import { flakeSelfRoot, imageReads } from './image-reads';
import { normalizeOptions, type NixisoPluginOptions } from './options';
import { projectName, readProjectJson } from './project-json';
import { type RecordedInputs, withRecordedReads } from './recorded-inputs';
import { helpFor } from './targets/help';
import { imageTargets } from './targets';
import { BOOT_TEST_OPTIONS_INPUT, bootTestOptionsInput, type BootTestOptionsInput, type ImageInputModel, imageInputs } from './targets/inputs';

/**
 * metadata.nixiso: the image's kind, what its inputs read outside the
 * project and what the runtime input fingerprints, what earlier builds
 * changed of that, and its configurations, hosts and what stayed undecided.
 */
function nixisoMetadataOf(
  image: DiscoveredImage,
  model: ImageInputModel,
  records: readonly ReadRecord[],
  recorded: RecordedInputs,
  bootTestOptions: BootTestOptionsInput,
): Record<string, unknown> {
  const { kind, configurations } = image;
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
  return nixiso;
}

export async function imageProject(
  image: DiscoveredImage,
  options: NixisoPluginOptions | undefined,
  context: CreateNodesContext,
  /** The workspace package manager's exec command (for targets' help), looked up once per graph computation. */
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
  // boot-test's options file: an input of boot-test, and of build and eval only when Nix may see it.
  const bootTestOptions = bootTestOptionsInput(bootTestFile, staticReads, records, localSources);
  const nixiso = nixisoMetadataOf(image, model, records, recorded, bootTestOptions);
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
