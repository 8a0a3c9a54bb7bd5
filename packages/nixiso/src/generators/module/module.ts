import { join, posix } from 'node:path';
import {
  addProjectConfiguration,
  formatFiles,
  generateFiles,
  getProjects,
  logger,
  visitNotIgnoredFiles,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { addImport } from '../../nix/language/edit-imports';
import { nixAttrName, nixString } from '../../nix/language/escape';
import { imageKindOf } from '../../nix/language/image-detect';
import type { ModuleGeneratorSchema } from './schema';

/** Tag every module project carries, e.g. for `nx show projects --projects tag:nixos-module`. */
export const MODULE_TAG = 'nixos-module';

/** A directory segment that can stand in a Nix path literal (`../../modules/users`). */
const PATH_SEGMENT = /^[a-zA-Z0-9._+-]+$/;
const PROJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

interface ImageWiring {
  name: string;
  root: string;
  /** Workspace-relative path of the image's configuration.nix. */
  configuration: string;
  /** The configuration.nix with the import added (the same text when it is there already). */
  updated: string;
  changed: boolean;
  flake: boolean;
}

interface NormalizedOptions {
  name: string;
  directory: string;
  tags: string[];
  images: ImageWiring[];
  skipFormat: boolean;
}

/** Image projects by name: those with a project.json and those the plugin infers from flake.nix / configuration.nix. */
function imageProjects(tree: Tree): Map<string, string> {
  const images = new Map<string, string>();
  visitNotIgnoredFiles(tree, '.', (file) => {
    const base = posix.basename(file);
    if (base !== 'flake.nix' && base !== 'configuration.nix') return;
    const content = tree.read(file, 'utf-8') ?? '';
    const read = (path: string) => (tree.exists(path) && tree.isFile(path) ? (tree.read(path, 'utf-8') ?? undefined) : undefined);
    if (!imageKindOf(file, content, read)) return;
    const root = posix.dirname(file) || '.';
    images.set(projectNameAt(tree, root), root);
  });
  for (const [name, project] of getProjects(tree)) {
    if (tree.exists(posix.join(project.root, 'configuration.nix')) || tree.exists(posix.join(project.root, 'flake.nix'))) {
      images.set(name, project.root);
    }
  }
  return images;
}

/** The name nodes.ts gives a project at `root`: project.json, package.json, else the directory name. */
function projectNameAt(tree: Tree, root: string): string {
  for (const manifest of ['project.json', 'package.json']) {
    const path = posix.join(root, manifest);
    if (tree.exists(path)) {
      const name = JSON.parse(tree.read(path, 'utf-8') ?? '{}').name;
      if (typeof name === 'string' && name) return name;
    }
  }
  return posix.basename(root);
}

function normalizeDirectory(tree: Tree, raw: string): string {
  const directory = raw.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const fail = (why: string): never => {
    throw new Error(`--directory ${JSON.stringify(raw)}: ${why}`);
  };
  if (!directory || directory === '.') fail('give the directory of the new module, e.g. modules/users');
  if (directory.startsWith('/')) fail('must be relative to the workspace root, e.g. modules/users');
  for (const segment of directory.split('/')) {
    if (segment === '.' || segment === '..' || !PATH_SEGMENT.test(segment)) {
      fail(`"${segment}" cannot be part of a Nix path literal; use only a-z A-Z 0-9 . _ + - in each segment, and no . or ..`);
    }
  }
  if (tree.isFile(directory)) fail('is an existing file');
  if (tree.exists(directory) && tree.children(directory).length > 0) fail('exists and is not empty');
  return directory;
}

function listOf(value: string[] | string | undefined): string[] {
  const items = (Array.isArray(value) ? value : value ? [value] : []).flatMap((item) => String(item).split(','));
  return [...new Set(items.map((item) => item.trim()).filter(Boolean))];
}

/** The relative Nix path from an image directory to the module directory. */
function relativeImport(fromRoot: string, directory: string): string {
  const relative = posix.relative(fromRoot, directory);
  return relative.startsWith('.') ? relative : `./${relative}`;
}

function flakeComment(name: string, root: string): string {
  return [
    `module ${name}: this flake is built as git+file:<repo>?dir=${root}, which sees the whole`,
    'repository, so a relative path works here too (the module must be tracked: git add it).',
  ].join('\n');
}

/** Everything checked before anything is written: an error names the option and value at fault. */
function normalizeOptions(tree: Tree, options: ModuleGeneratorSchema): NormalizedOptions {
  const directory = normalizeDirectory(tree, options.directory ?? '');
  const name = options.name?.trim() || posix.basename(directory);
  if (!PROJECT_NAME.test(name)) {
    const option = options.name ? `--name ${JSON.stringify(options.name)}` : `--directory ${JSON.stringify(options.directory)}`;
    throw new Error(`${option}: "${name}" is not a valid project name; use letters, digits, . _ - (starting with a letter or digit), or pass --name`);
  }
  const existing = getProjects(tree).get(name)?.root;
  const images = imageProjects(tree);
  if (existing !== undefined || images.has(name)) {
    throw new Error(`--name ${JSON.stringify(name)}: a project with that name already exists (${existing ?? images.get(name)}); pass another --name`);
  }
  const tags = [...new Set([MODULE_TAG, ...listOf(options.tags)])];

  const wiring = listOf(options.image).map((image): ImageWiring => {
    const root = images.get(image);
    if (root === undefined) {
      const known = [...images.keys()].sort();
      throw new Error(
        `--image ${JSON.stringify(image)}: no image project of that name` +
          (known.length ? ` (image projects: ${known.join(', ')})` : ' (this workspace has no image projects yet)'),
      );
    }
    const configuration = posix.join(root, 'configuration.nix');
    const source = tree.read(configuration, 'utf-8');
    if (source === null) {
      throw new Error(`--image ${JSON.stringify(image)}: ${root} has no configuration.nix to import the module from; add ${relativeImport(root, directory)} to the image's modules by hand`);
    }
    const flake = tree.exists(posix.join(root, 'flake.nix'));
    const result = addImport(source, configuration, relativeImport(root, directory), flake ? flakeComment(name, root) : '');
    if (result.status === 'error') throw new Error(`--image ${JSON.stringify(image)}: ${result.message}`);
    return {
      name: image,
      root,
      configuration,
      flake,
      updated: result.status === 'added' ? result.source : source,
      changed: result.status === 'added',
    };
  });
  return { name, directory, tags, images: wiring, skipFormat: !!options.skipFormat };
}

export async function moduleGenerator(tree: Tree, schema: ModuleGeneratorSchema): Promise<GeneratorCallback> {
  const options = normalizeOptions(tree, schema);
  const example = options.images[0]?.root ?? 'images/rescue';
  const optionPath = `modules.${nixAttrName(options.name)}`;
  generateFiles(tree, join(__dirname, 'files'), options.directory, {
    name: options.name,
    directory: options.directory,
    exampleFrom: `${example}/configuration.nix`,
    exampleImport: relativeImport(example, options.directory),
    optionPath,
    optionLabel: nixString(options.name),
  });
  addProjectConfiguration(tree, options.name, {
    root: options.directory,
    projectType: 'library',
    tags: options.tags,
    targets: {},
  });
  for (const image of options.images) {
    if (image.changed) tree.write(image.configuration, image.updated);
  }
  if (!options.skipFormat) await formatFiles(tree);

  return () => {
    for (const image of options.images) {
      if (!image.changed) logger.info(`${image.name} already imports ${options.directory}; left unchanged.`);
      else if (image.flake) {
        logger.info(
          `${image.name} is a flake: flakes inside git only see tracked files, so run \`git add ${options.directory}\` before building it.`,
        );
      }
    }
  };
}

export default moduleGenerator;
