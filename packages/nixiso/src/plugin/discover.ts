/**
 * Which directories of a workspace hold NixOS images, and which image
 * configurations each builds, from every `.nix` file: flakes and what they
 * reach (image-detect.ts `readFlake`), channel-style files anywhere
 * (`iso.nix`, `hosts/iso/default.nix`, a `make-iso.nix` evaluating
 * `eval-config.nix`), project.json's `metadata.nixiso`, and, where the
 * sources cannot tell, what Nix says when asked. Nothing found but
 * undecided is dropped: it is reported with the line that settles it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { formatOfGenerator } from '../nix/building/formats';
import { importsImageModule, type FlakeReading, nixMeaning, reachesImageModule, readFlake, type SourceTree } from '../nix/language/image-detect';
import { nixSourceText } from '../nix/language/nix-source';

/** One image a project builds: its name (target names, output directory) and the executor options that select it. */
export interface ImageConfiguration {
  name: string;
  options: Record<string, string>;
}

export interface DiscoveredImage {
  /** Workspace-relative project root. */
  root: string;
  kind: 'flake' | 'channel';
  /** The workspace-relative file the project is keyed on: flake.nix, or the first channel entry file. */
  entryFile: string;
  configurations: ImageConfiguration[];
  /** Configurations (or names) nixiso could not classify: what, why, and how to settle it. */
  undecided: string[];
  /** Host configurations beside the images (not built). */
  hosts: string[];
  /** Configurations Nix classified, the sources having left them open. */
  evaluated: string[];
}

/** project.json's `metadata.nixiso`, as discovery reads it. */
export interface NixisoMetadata {
  image?: boolean;
  /** Names of the image configurations (or `{ name, format, attribute }`): replaces discovery's list. */
  configurations?: (string | { name: string; format?: string; attribute?: string })[];
}

/** What Nix says of a flake's configurations when asked (plugin/evaluate-images.ts). */
export type FlakeEvaluation =
  | { status: 'evaluated'; configurations: Record<string, { image?: boolean; error?: boolean }> }
  | { status: 'unavailable'; reason: string };

export interface DiscoverOptions {
  workspaceRoot: string;
  /** project.json metadata of a directory (workspace-relative). */
  metadataOf(root: string): NixisoMetadata | undefined;
  /**
   * Asks Nix about the configurations of the flake at `root` whose reading
   * is undecided; undefined when it is not to be asked (then the static
   * reading stands and says so).
   */
  evaluate?(root: string, reading: FlakeReading): Promise<FlakeEvaluation>;
}

/** The line of project.json that settles an undecided reading. */
export function settleLine(root: string, names: readonly (string | { name: string; attribute: string })[]): string {
  const list = names.length ? names.map((n) => JSON.stringify(n).replace(/^\{"name":(.*),"attribute":(.*)\}$/, '{ "name": $1, "attribute": $2 }')).join(', ') : '"<configuration>"';
  return `set "metadata": { "nixiso": { "configurations": [${list}] } } in ${posix.join(root, 'project.json')} (or "image": false)`;
}

/** The workspace's sources on disk: Nix text only (encrypted or binary files read as absent), directory listings. */
export function diskTree(): SourceTree {
  return {
    read(path) {
      try {
        const source = nixSourceText(readFileSync(path));
        return 'text' in source ? source.text : undefined;
      } catch {
        return undefined;
      }
    },
    list(dir) {
      try {
        return readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
      } catch {
        return undefined;
      }
    },
  };
}

/** NixOS's own module tree (a vendored nixpkgs): its installer profiles are not the workspace's images. */
const NIXOS_OWN = /(^|\/)nixos\/(modules|lib)\//;
/** A channel-style file that evaluates a system itself rather than being a module. */
const EVALUATES_SYSTEM = /eval-config\.nix|<nixpkgs\/nixos>|__findFile\s+__nixPath\s+"nixpkgs\/nixos"/;

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

function configurationOptions(reading: FlakeReading['configurations'][number]): Record<string, string> {
  if (reading.output.kind === 'nixosConfiguration') return { configurationName: reading.name };
  const format = formatOfGenerator(reading.output.generatorsFormat);
  return {
    attribute: `packages.${reading.output.system}.${reading.name}`,
    ...(format && format.id !== 'iso' ? { format: format.id } : {}),
  };
}

function overrideConfigurations(metadata: NixisoMetadata, kind: 'flake' | 'channel'): ImageConfiguration[] | undefined {
  if (!Array.isArray(metadata.configurations)) return undefined;
  return metadata.configurations.flatMap((c): ImageConfiguration[] => {
    const entry = typeof c === 'string' ? { name: c } : c;
    if (!entry || typeof entry.name !== 'string' || !entry.name) return [];
    const options: Record<string, string> = {};
    if (entry.attribute) options.attribute = entry.attribute;
    else if (kind === 'flake') options.configurationName = entry.name;
    else options.configurationFile = entry.name;
    if (entry.format) options.format = entry.format;
    return [{ name: kind === 'channel' ? entry.name.replace(/\.nix$/, '') : entry.name, options }];
  });
}

async function discoverFlake(file: string, options: DiscoverOptions, tree: SourceTree): Promise<{ image?: DiscoveredImage; reading: FlakeReading }> {
  const root = posix.dirname(file);
  const absolute = posix.join(options.workspaceRoot, file);
  const reading = readFlake(absolute, tree.read(absolute) ?? '', tree);
  const metadata = options.metadataOf(root) ?? {};
  const image: DiscoveredImage = {
    root,
    kind: 'flake',
    entryFile: file,
    configurations: [],
    undecided: [],
    hosts: [],
    evaluated: [],
  };
  if (metadata.image === false) return { reading };
  const overridden = overrideConfigurations(metadata, 'flake');
  if (overridden) return { image: { ...image, configurations: overridden }, reading };

  let undecided = reading.configurations.filter((c) => c.verdict === 'undecided');
  let evaluation: FlakeEvaluation | undefined;
  if ((undecided.length || reading.computedNames.length) && options.evaluate) evaluation = await options.evaluate(root, reading);
  const evaluated = evaluation?.status === 'evaluated' ? evaluation.configurations : undefined;
  for (const [name, asked] of Object.entries(evaluated ?? {})) if (!asked.error) image.evaluated.push(name);
  const systemless: { name: string; attribute: string }[] = [];
  for (const c of reading.configurations) {
    if (c.output.kind === 'package' && !c.output.system) {
      image.undecided.push(`packages.<system>.${c.name}: ${c.because} (an image built for each of several systems: name the one to build)`);
      systemless.push({ name: c.name, attribute: `packages.<system>.${c.name}` });
      continue;
    }
    const asked = c.output.kind === 'nixosConfiguration' ? evaluated?.[c.name] : undefined;
    if (c.verdict === 'image' || (c.verdict === 'undecided' && asked?.image)) {
      image.configurations.push({ name: c.name, options: configurationOptions(c) });
    } else if (c.verdict === 'host' || (asked && !asked.image && !asked.error)) image.hosts.push(c.name);
  }
  // Names only Nix could list (readDir, a function): what it says, beside what was read.
  for (const [name, asked] of Object.entries(evaluated ?? {})) {
    if (reading.configurations.some((c) => c.name === name && c.output.kind === 'nixosConfiguration')) continue;
    if (asked.image) image.configurations.push({ name, options: { configurationName: name } });
    else if (!asked.error) image.hosts.push(name);
  }
  undecided = evaluated ? undecided.filter((c) => evaluated[c.name] === undefined || evaluated[c.name].error) : undecided;
  const why =
    evaluation?.status === 'unavailable'
      ? `Nix could not be asked: ${evaluation.reason}`
      : evaluated
        ? 'Nix could not evaluate it'
        : 'Nix was not asked (plugin option evaluateConfigurations is false)';
  for (const c of undecided) image.undecided.push(`nixosConfigurations.${c.name}: ${c.because}; ${why}`);
  if (!evaluated) for (const line of reading.computedNames) image.undecided.push(`names computed at ${line}; ${why}`);
  if (metadata.image === true && !image.configurations.length) {
    // Opted in: every configuration the sources name is taken for an image.
    for (const c of reading.configurations) image.configurations.push({ name: c.name, options: configurationOptions(c) });
    if (!image.configurations.length) image.undecided.push(`metadata.nixiso.image is true, but no configuration of ${file} could be named`);
  }
  if (image.undecided.length) {
    image.undecided.push(settleLine(root, [...image.configurations.map((c) => c.name), ...undecided.map((c) => c.name), ...systemless]));
  }
  return { image: image.configurations.length || image.undecided.length ? image : undefined, reading };
}

/**
 * The image projects of a workspace from its `.nix` files (workspace-relative
 * paths): each flake.nix whose configurations include an image, and each
 * channel-style entry file that no flake reaches and that imports an
 * installer or image module itself (or evaluates a system, or is a
 * `configuration.nix`, reaching one).
 */
export async function discoverImages(nixFiles: readonly string[], options: DiscoverOptions, tree: SourceTree = diskTree()): Promise<DiscoveredImage[]> {
  const images: DiscoveredImage[] = [];
  const flakes = nixFiles.filter((f) => posix.basename(f) === 'flake.nix').sort();
  const ownedFiles = new Set<string>();
  const ownedDirs: string[] = [];
  const flakeResults = await Promise.all(flakes.map((file) => discoverFlake(file, options, tree)));
  for (const { image, reading } of flakeResults) {
    reading.files.forEach((f) => ownedFiles.add(posix.relative(options.workspaceRoot, f)));
    ownedDirs.push(...reading.directories.map((d) => posix.relative(options.workspaceRoot, d)));
    if (image) images.push(image);
  }
  const flakeDirs = new Set(flakes.map((f) => posix.dirname(f)));

  // Channel-style files: not a flake's, not NixOS's own modules, not beside a flake.nix (the flake wins).
  const candidates = nixFiles.filter(
    (f) =>
      posix.basename(f) !== 'flake.nix' &&
      !ownedFiles.has(f) &&
      !ownedDirs.some((d) => d && !d.startsWith('..') && inside(f, d)) &&
      !NIXOS_OWN.test(f) &&
      !flakeDirs.has(posix.dirname(f)),
  );
  const abs = (f: string) => posix.join(options.workspaceRoot, f);
  const meanings = new Map<string, ReturnType<typeof nixMeaning>>();
  const qualifies = new Map<string, 'module' | 'expression'>();
  for (const file of candidates) {
    const metadata = options.metadataOf(posix.dirname(file));
    if (metadata?.image === false) continue;
    const source = tree.read(abs(file));
    if (source === undefined) continue;
    const meaning = nixMeaning(source, abs(file));
    meanings.set(file, meaning);
    const evaluatesSystem = EVALUATES_SYSTEM.test(meaning.code) || meaning.modulePaths.some((p) => EVALUATES_SYSTEM.test(p));
    const reaches = () => reachesImageModule(abs(file), source, tree.read);
    const optedIn = metadata?.image === true && posix.basename(file) === 'configuration.nix';
    if (evaluatesSystem && reaches()) qualifies.set(file, 'expression');
    else if (importsImageModule(meaning) || optedIn || (posix.basename(file) === 'configuration.nix' && reaches())) qualifies.set(file, 'module');
  }
  // A qualifying file that another one reaches is part of that one's image (make-iso.nix → iso.nix).
  const reachedByEntry = new Set<string>();
  for (const [file] of qualifies) {
    for (const target of meanings.get(file)?.references ?? []) {
      const relative = posix.relative(options.workspaceRoot, target.endsWith('.nix') ? target : posix.join(target, 'default.nix'));
      if (relative !== file && qualifies.has(relative)) reachedByEntry.add(relative);
    }
  }
  const byDir = new Map<string, string[]>();
  for (const [file] of qualifies) {
    if (reachedByEntry.has(file)) continue;
    const dir = posix.dirname(file);
    byDir.set(dir, [...(byDir.get(dir) ?? []), file]);
  }
  for (const [root, entries] of [...byDir].sort(([a], [b]) => a.localeCompare(b))) {
    entries.sort((a, b) => (posix.basename(a) === 'configuration.nix' ? -1 : posix.basename(b) === 'configuration.nix' ? 1 : a.localeCompare(b)));
    const metadata = options.metadataOf(root) ?? {};
    const configurations =
      overrideConfigurations(metadata, 'channel') ??
      entries.map((file): ImageConfiguration => {
        const name = posix.basename(file);
        const kind = qualifies.get(file);
        const options: Record<string, string> =
          kind === 'expression'
            ? { expressionFile: name, ...(/\bsystem\s*\.\s*build\s*\.|\bisoImage\b/.test(meanings.get(file)?.code ?? '') ? {} : { attribute: 'config.system.build.isoImage' }) }
            : name === 'configuration.nix'
              ? {}
              : { configurationFile: name };
        return { name: name.replace(/\.nix$/, ''), options };
      });
    images.push({ root, kind: 'channel', entryFile: entries[0], configurations, undecided: [], hosts: [], evaluated: [] });
  }
  return images;
}
