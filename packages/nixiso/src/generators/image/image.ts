import { join, posix, relative } from 'node:path';
import {
  addProjectConfiguration,
  formatFiles,
  generateFiles,
  getProjects,
  joinPathFragments,
  readJson,
  readNxJson,
  type GeneratorCallback,
  type ProjectConfiguration,
  type Tree,
} from '@nx/devkit';
import { FsTree } from 'nx/src/generators/tree';
import { flakeLockCommand } from '../../nix/building/command';
import { addFlakeConfiguration } from '../../nix/flakes/edit-flake';
import { configurationEntries, configurationSlug, nixMeaning } from '../../nix/language/image-detect';
import { parseNixFailure } from '../../nix/building/errors';
import { nixAttrName, nixString, withPkgsAttrPath } from '../../nix/language/escape';
import { flakePathRef } from '../../nix/flakes/flake-ref';
import { IMAGE_DEFAULTS, normalizeImageOptions, type NormalizedImageOptions } from './normalize-options';
import { flakeNixpkgsRelease, homeManagerUrl, nixpkgsUrl, PROFILE_MODULES, type Release } from '../../nix/building/releases';
import { capture, findExecutable } from '../../nix/process/run';
import { logger } from '../../nx/runtime';
import { addPluginToNxJson, PLUGIN_PACKAGE } from '../init/init';
import type { ImageGeneratorSchema } from './schema';

/** The option that names the ISO file on the image's release, and what the file is then called. */
function isoName(option: Release['isoNaming'], baseName: string) {
  const fileName =
    option === 'image.baseName'
      ? 'The ISO file is result/iso/<base name>.iso (image.fileName).'
      : 'The ISO file is result/iso/<base name>-<NixOS label>-<system>.iso.';
  return { option, value: nixString(baseName), fileName };
}

/**
 * The names the templates bind lexically where a `with pkgs;` list stands:
 * configuration.nix's arguments (plus the module arguments a user adds there
 * first), and in home.nix the arguments of the file (home-manager in flakes),
 * the `username` let binding and the home-manager user module's arguments.
 * A package of the same name is written pkgs.<name>.
 */
export const TEMPLATE_BINDINGS: ReadonlySet<string> = new Set([
  'pkgs', 'modulesPath', 'lib', 'config', 'options', 'home-manager', 'username', 'osConfig',
]);

/**
 * Everything the templates print, already Nix source: user strings went
 * through nixString, names through nixAttrName or were validated as such.
 */
export function templateValues(options: NormalizedImageOptions, homeFile = 'home.nix') {
  const literal = (value: string | undefined) => (value === undefined ? undefined : nixString(value));
  return {
    flake: options.layout.flake,
    homeManager: options.layout.homeManager,
    profileModule: PROFILE_MODULES[options.profile],
    hostPlatform: nixString(options.hostPlatform),
    stateVersion: nixString(options.stateVersion),
    isoName: options.isoBaseName === undefined ? undefined : isoName(options.release.isoNaming, options.isoBaseName),
    hostName: literal(options.hostName),
    timeZone: literal(options.timeZone),
    user: {
      attr: nixAttrName(options.username),
      literal: nixString(options.username),
      isDefault: options.username === IMAGE_DEFAULTS.username,
    },
    sshKeys: options.sshAuthorizedKeys.map((key) => nixString(key)),
    packages: options.packages.map((path) => withPkgsAttrPath(path, TEMPLATE_BINDINGS)),
    homePackages: options.homePackages.map((path) => withPkgsAttrPath(path, TEMPLATE_BINDINGS)),
    nixpkgsUrl: nixString(nixpkgsUrl(options.release)),
    homeManagerUrl: nixString(homeManagerUrl(options.release)),
    configurationName: nixAttrName(options.configurationName),
    homeFile,
  };
}

/** The Nix files of the image (path relative to the project root → content), rendered in memory. */
export function renderImageFiles(options: NormalizedImageOptions, homeFile?: string): Map<string, string> {
  const scratch = new FsTree('/nixiso-render', false);
  generateFiles(scratch, posix.join(__dirname, 'files'), '.', templateValues(options, homeFile));
  return new Map(options.layout.files.map((file) => [file, scratch.read(file, 'utf-8') as string]));
}

/** A file renderImageFiles wrote: every file of the layout is there, so a missing one is a bug. */
function renderedFile(rendered: Map<string, string>, file: string): string {
  const content = rendered.get(file);
  if (content === undefined) throw new Error(`the ${file} template rendered nothing`);
  return content;
}

/** The name the graph plugin gives an inferred target (nx.json plugin option `buildTargetName`, `lockTargetName`). */
function inferredTargetName(tree: Tree, option: 'buildTargetName' | 'lockTargetName', fallback: string): string {
  for (const entry of readNxJson(tree)?.plugins ?? []) {
    if (typeof entry === 'object' && entry.plugin === PLUGIN_PACKAGE) {
      const name = (entry.options as Record<string, unknown> | undefined)?.[option];
      if (typeof name === 'string') return name;
    }
  }
  return fallback;
}

/**
 * After the files are written: `nix flake lock` in a new flake project, so
 * that its first build is pinned; when Nix is missing or cannot reach the
 * inputs, a note says how to create flake.lock later.
 */
function lockNewFlake(tree: Tree, options: NormalizedImageOptions): GeneratorCallback {
  const skip = !options.layout.flake || options.skipLock || tree.exists(joinPathFragments(options.projectRoot, 'flake.lock'));
  if (skip) return () => undefined;
  const lockCommand = `nx run ${options.projectName}:${inferredTargetName(tree, 'lockTargetName', 'lock')}`;
  return async () => {
    const dir = join(tree.root, options.projectRoot);
    const notCreated = (why: string) =>
      logger.warn(
        `nixiso: ${options.projectRoot}/flake.lock was not created (${why}). ` +
          `Run \`${lockCommand}\` where Nix can reach the inputs and commit flake.lock: until then builds use whatever the input URLs point at, and fail under CI`,
      );
    if (!findExecutable('nix')) return notCreated('nix is not on PATH');
    const r = await capture(flakeLockCommand(flakePathRef('path', dir, dir)), dir);
    if (r.exitCode !== 0) {
      const error = parseNixFailure(r.stderr).errorLines[0]?.replace(/^\s*error:\s*/, '') ?? `nix flake lock exited with code ${r.exitCode}`;
      return notCreated(`nix flake lock failed: ${error}`);
    }
    logger.info(`nixiso: created ${options.projectRoot}/flake.lock; commit it to pin the image's inputs`);
  };
}

/**
 * project.json without a build target: the graph plugin infers build, eval and
 * lock. Only a non-default backend and the size budgets given are recorded,
 * as options of that target.
 */
export function imageProjectConfiguration(options: NormalizedImageOptions, buildTarget = 'build'): ProjectConfiguration {
  const buildOptions = {
    ...(options.backend === IMAGE_DEFAULTS.backend ? {} : { backend: options.backend }),
    ...(options.maxImageSize !== undefined ? { maxImageSize: options.maxImageSize } : {}),
    ...(options.maxClosureSize !== undefined ? { maxClosureSize: options.maxClosureSize } : {}),
  };
  return {
    root: options.projectRoot,
    sourceRoot: options.projectRoot,
    projectType: 'application',
    tags: options.tags,
    ...(Object.keys(buildOptions).length ? { targets: { [buildTarget]: { options: buildOptions } } } : {}),
  };
}

/** JSON equality regardless of key order. */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, canonical(v)]))
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * 'empty' when the project can be written; 'up-to-date' when the directory
 * already holds exactly what these options generate (a re-run, which changes
 * nothing; files the generator does not write, such as flake.lock, may be
 * there too). Anything else in a non-empty directory is an error.
 */
function projectRootState(tree: Tree, options: NormalizedImageOptions, files: Map<string, string>, project: ProjectConfiguration): 'empty' | 'up-to-date' {
  const root = options.projectRoot;
  const taken = getProjects(tree).get(options.projectName);
  if (taken && taken.root !== root) {
    throw new Error(`--name=${JSON.stringify(options.projectName)}: already the name of the project in ${taken.root}; choose another --name`);
  }
  if (tree.isFile(root)) throw new Error(`--directory=${JSON.stringify(root)}: is a file; the image project needs a directory`);
  if (tree.children(root).length === 0) return 'empty';

  const differing = [...files]
    .filter(([file, content]) => tree.read(joinPathFragments(root, file), 'utf-8') !== content)
    .map(([file]) => file);
  const projectJson = joinPathFragments(root, 'project.json');
  // project.json holds the name but not the root; $schema depends on the depth only.
  const { $schema: _schema, ...existing } = tree.exists(projectJson) ? readJson<Record<string, unknown>>(tree, projectJson) : {};
  const { root: _root, ...expected } = { ...project, name: options.projectName };
  if (differing.length === 0 && sameJson(existing, expected)) return 'up-to-date';

  const why = differing.length > 0 ? `${differing.join(', ')} would change` : 'its project.json differs';
  throw new Error(
    `--directory=${JSON.stringify(root)}: exists and is not empty (${why}); ` +
      'choose another --directory, or run the generator with the options that created it',
  );
}

/**
 * The user's cwd relative to the workspace root, as @nx/devkit computes it
 * (npm scripts run in the root but leave the user's cwd in INIT_CWD); '' when
 * outside the workspace, as for the virtual trees of tests.
 */
function relativeCwd(tree: Tree): string {
  const initCwd = process.env.INIT_CWD;
  const cwd = initCwd?.startsWith(tree.root) ? initCwd : process.cwd();
  const fromRoot = relative(tree.root, cwd).split('\\').join('/');
  return fromRoot.startsWith('..') || posix.isAbsolute(fromRoot) ? '' : fromRoot;
}

/**
 * Whether the generator adds a configuration to the image flake in the
 * directory: it holds a flake.nix that lacks this configuration, or one
 * added before (its module `<configuration>.nix` is there).
 */
function addsConfiguration(tree: Tree, root: string, configurationName: string): string | undefined {
  const flakeFile = joinPathFragments(root, 'flake.nix');
  const flake = tree.read(flakeFile, 'utf-8');
  if (flake === null) return undefined;
  const existing = configurationEntries(nixMeaning(flake, flakeFile).code, flake).map((e) => e.name);
  const added = tree.exists(joinPathFragments(root, `${configurationSlug(configurationName)}.nix`));
  return existing.includes(configurationName) && !added ? undefined : flake;
}

/**
 * Another image configuration for the image flake in `options.projectRoot`:
 * its module `<configuration>.nix` (and `<configuration>-home.nix`) and the
 * flake.nix with `nixosConfigurations.<configuration>` added (edit-flake.ts).
 * Nothing to write for a re-run with the same options; conflicting input is
 * an error naming it.
 */
function addedConfigurationFiles(tree: Tree, options: NormalizedImageOptions, flake: string, flakeRelease: Release | undefined): Map<string, string> {
  const root = options.projectRoot;
  const flakeFile = joinPathFragments(root, 'flake.nix');
  const slug = configurationSlug(options.configurationName);
  const moduleFile = `${slug}.nix`;
  const homeFile = `${slug}-home.nix`;
  const name = JSON.stringify(options.configurationName);
  if (flakeRelease && flakeRelease.id !== options.release.id) {
    throw new Error(
      `--release=${JSON.stringify(options.release.id)}: ${flakeFile} builds from NixOS ${flakeRelease.id} (its nixpkgs input), ` +
        `and so does a configuration added to it; leave --release out or use ${flakeRelease.id}`,
    );
  }
  const code = nixMeaning(flake, flakeFile).code;
  if (options.layout.homeManager && !/\bhome-manager\b/.test(code)) {
    throw new Error(`--homeManager: ${flakeFile} has no home-manager input for configuration ${name}; add the input first, or leave --homeManager out`);
  }
  const rendered = renderImageFiles(options, homeFile);
  const files = new Map([[moduleFile, renderedFile(rendered, 'configuration.nix')]]);
  if (options.layout.homeManager) files.set(homeFile, renderedFile(rendered, 'home.nix'));
  const differing = [...files].filter(([file, content]) => {
    const current = tree.read(joinPathFragments(root, file), 'utf-8');
    return current !== null && current !== content;
  });
  if (differing.length) {
    throw new Error(
      `--configurationName=${name}: ${differing.map(([f]) => joinPathFragments(root, f)).join(', ')} exists with other content; ` +
        'choose another --configurationName, or run the generator with the options that created it',
    );
  }
  if (configurationEntries(code, flake).some((e) => e.name === options.configurationName)) return new Map();
  const added = addFlakeConfiguration(flake, options.configurationName, moduleFile);
  if (added.status === 'error') throw new Error(`--configurationName=${name}: ${flakeFile} ${added.message}`);
  files.set('flake.nix', added.source);
  return files;
}

export async function imageGenerator(tree: Tree, schema: ImageGeneratorSchema): Promise<GeneratorCallback> {
  const context = { workspaceRoot: tree.root, cwd: relativeCwd(tree) };
  let options = normalizeImageOptions(schema, context);
  const flake = addsConfiguration(tree, options.projectRoot, options.configurationName);
  if (flake !== undefined) {
    // The flake decides the layout, and the release unless --release is given (then they must agree).
    const flakeRelease = flakeNixpkgsRelease(flake);
    options = normalizeImageOptions({ ...schema, flake: true, release: schema.release ?? flakeRelease?.id }, context);
    const files = addedConfigurationFiles(tree, options, flake, flakeRelease);
    addPluginToNxJson(tree);
    for (const [file, content] of files) tree.write(joinPathFragments(options.projectRoot, file), content);
    if (!options.skipFormat) await formatFiles(tree);
    return () => undefined;
  }
  const files = renderImageFiles(options);
  const project = imageProjectConfiguration(options, inferredTargetName(tree, 'buildTargetName', 'build'));
  const state = projectRootState(tree, options, files, project);

  addPluginToNxJson(tree);
  if (state === 'empty') {
    addProjectConfiguration(tree, options.projectName, project);
    for (const [file, content] of files) tree.write(joinPathFragments(options.projectRoot, file), content);
  }
  if (!options.skipFormat) await formatFiles(tree);
  return lockNewFlake(tree, options);
}

export default imageGenerator;
