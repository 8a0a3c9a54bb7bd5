/**
 * Whether Nix sources describe an image, read by meaning rather than by
 * text: Nix's own lexer (scan-imports.ts) tells code from comments and
 * strings, so a comment that mentions `nixosConfigurations` or an option
 * description that names the installer does not make a project an image.
 * Pure: the caller reads the files (the graph plugin from disk, generators
 * from their Tree).
 */
import { posix } from 'node:path';
import { bindingsOf, calledNames, closingBracket, lambdaBindings, lineAt, setBindings } from './nix-bindings';
import { lexNix, type PathReference, scanPathReferences } from './scan-imports';

export type ImageKind = 'flake' | 'channel';

/** A module path that only images import: the installer profiles and the image builders. */
const IMAGE_MODULE = /installer\/cd-dvd\/|installation-cd-[\w.-]*\.nix|\/iso-image\.nix|installer\/sd-card\/|\/image\/repart\.nix/;
/** Options or module sets that only image configurations use. */
const IMAGE_CODE = /\bisoImage\s*\.|\bsdImage\s*\.|\bimage\s*\.\s*modules\b|\bnixos-generators\s*\.\s*nixosModules\b/;
const NIXOS_CONFIGURATIONS = /\bnixosConfigurations\b/;

export interface NixMeaning {
  /** The source with comments and string bodies blanked: what Nix evaluates as code. */
  code: string;
  /** String bodies that name a NixOS module path (`"${modulesPath}/…"`, `"…/nixos/modules/…"`). */
  modulePaths: string[];
  /** Local `.nix` files and directories the source refers to by path, absolute for an absolute `file`. */
  references: string[];
  /** The same references with where they are and whether they are computed (`./hosts/${name}`). */
  pathReferences: PathReference[];
}

/** What a Nix file says as code, and which module paths and local files it names. */
export function nixMeaning(source: string, file: string): NixMeaning {
  const code = source.split('');
  const blank = (start: number, end: number) => {
    for (let i = start; i < end; i++) if (code[i] !== '\n') code[i] = ' ';
  };
  const modulePaths: string[] = [];
  const comments = new Set<number>();
  lexNix(source, {
    comment: (start) => comments.add(start),
    opaque(start, end) {
      const body = source.slice(start, end);
      // `"${modulesPath}/…"`, `"${inputs.nixpkgs}/nixos/modules/…"`, and the string half of
      // `modulesPath + "/installer/cd-dvd/….nix"`: a module path, not prose that mentions one.
      const modulePath = /modulesPath\s*\}|nixos\/modules\//.test(body) || (/^\S+\.nix$/.test(body) && IMAGE_MODULE.test(body));
      if (!comments.has(start) && modulePath) modulePaths.push(body);
      blank(start, end);
    },
  });
  const pathReferences = scanPathReferences(source, file).filter((r) => !r.target.startsWith('/nix/store/'));
  return { code: code.join(''), modulePaths, references: pathReferences.map((r) => r.target), pathReferences };
}

/** Whether this file itself imports an installer or image module (setting image options is not enough). */
export function importsImageModule(meaning: NixMeaning): boolean {
  return IMAGE_MODULE.test(meaning.code) || meaning.modulePaths.some((p) => IMAGE_MODULE.test(p));
}

/** Whether this file itself imports an image module or sets image options. */
export function declaresImage(meaning: NixMeaning): boolean {
  return IMAGE_CODE.test(meaning.code) || IMAGE_MODULE.test(meaning.code) || meaning.modulePaths.some((p) => IMAGE_MODULE.test(p));
}

/** Reads a file (absolute path); undefined when it is missing or a directory. */
export type ReadSource = (path: string) => string | undefined;

/** How many local files are followed from one entry file before giving up (a workspace-wide import cycle is not an image). */
const MAX_FOLLOWED = 64;

/**
 * Whether the entry file, or a local Nix file it reaches by path (a
 * directory meaning its default.nix), imports an image module: the flake's
 * `modules = [ ./configuration.nix ]`, a configuration importing `./iso.nix`.
 */
export function reachesImageModule(entry: string, source: string, read: ReadSource): boolean {
  const seen = new Set([entry]);
  const queue: [string, string][] = [[entry, source]];
  while (queue.length && seen.size <= MAX_FOLLOWED) {
    const [file, text] = queue.shift() as [string, string];
    const meaning = nixMeaning(text, file);
    if (declaresImage(meaning)) return true;
    for (const target of meaning.references) {
      for (const candidate of target.endsWith('.nix') ? [target] : [posix.join(target, 'default.nix')]) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        const next = read(candidate);
        if (next !== undefined) queue.push([candidate, next]);
      }
    }
  }
  return false;
}

/**
 * What the directory holding `file` (absolute) is: a flake whose
 * `nixosConfigurations` (in code, not a comment) use an image module, a
 * channel configuration.nix that does, or no image. `optIn` (project.json
 * `metadata.nixiso.image`) overrides the reading either way.
 */
export function imageKindOf(file: string, content: string, read: ReadSource, optIn?: boolean): ImageKind | undefined {
  const base = posix.basename(file);
  if (base !== 'flake.nix' && base !== 'configuration.nix') return undefined;
  const kind: ImageKind = base === 'flake.nix' ? 'flake' : 'channel';
  if (optIn !== undefined) return optIn ? kind : undefined;
  if (kind === 'flake' && !NIXOS_CONFIGURATIONS.test(nixMeaning(content, file).code)) return undefined;
  return reachesImageModule(file, content, read) ? kind : undefined;
}

/** One `nixosConfigurations.<name> = …;` entry of a flake: its name and where its value lies in the source. */
export interface ConfigurationEntry {
  name: string;
  /** The value: from after the `=` to its `;` (the offset of the `;`). */
  start: number;
  end: number;
  /** How it is written: `nixosConfigurations.<name> = …;` or as an attribute of `nixosConfigurations = { … };`. */
  form: 'dotted' | 'set';
}

/**
 * The entries of `nixosConfigurations` in a flake's code (comments and
 * strings blanked): `nixosConfigurations.<name> = …;`,
 * `nixosConfigurations = { <name> = …; … };` and `nixosConfigurations."<name>"`.
 * The value runs to the `;` at its own nesting depth. Entries made by a
 * function (`lib.genAttrs`, `mapAttrs`) have no literal name and are not
 * found here (readFlake reads those).
 */
export function configurationEntries(code: string, source: string): ConfigurationEntry[] {
  return bindingsOf(code, source, 'nixosConfigurations', 1)
    .filter((b) => b.path.length === 2 && !b.path[1].startsWith('${'))
    .map((b) => ({ name: b.path[1], start: b.start, end: b.end, form: b.viaSet ? 'set' : 'dotted' }));
}

/**
 * The names of a flake's `nixosConfigurations` that its sources say are
 * images (readFlake's verdicts, without directory listings).
 */
export function imageConfigurations(flakeFile: string, source: string, read: ReadSource): string[] {
  return readFlake(flakeFile, source, { read, list: () => undefined })
    .configurations.filter((c) => c.verdict === 'image' && c.output.kind === 'nixosConfiguration')
    .map((c) => c.name);
}

/**
 * A target-name and directory-safe form of a configuration name (Nx splits
 * task ids at `:`; a Nix path literal cannot hold `'`); the configuration itself is passed as it is.
 */
export function configurationSlug(configuration: string): string {
  return configuration.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** Sources as the static reading sees them: files by absolute path, and directory listings. */
export interface SourceTree {
  read: ReadSource;
  /** Names in a directory (absolute), subdirectories ending in `/`; undefined when it is not one. */
  list(dir: string): string[] | undefined;
}

/** What the static reading says of one configuration: an image, a host, or that only Nix can tell. */
export type Verdict = 'image' | 'host' | 'undecided';

/** How Nix names a configuration's image: a NixOS system, or a nixos-generators output of a given format. */
export type ConfigurationOutput =
  | { kind: 'nixosConfiguration' }
  /** A flake output that is the image itself; its format as nixos-generators names it. */
  | { kind: 'package'; system?: string; generatorsFormat: string };

export interface FoundConfiguration {
  name: string;
  output: ConfigurationOutput;
  verdict: Verdict;
  /** The line that decided it, or why it is undecided: `<file>:<line>: <text>` (file relative to the flake). */
  because: string;
}

export interface FlakeReading {
  configurations: FoundConfiguration[];
  /** Where `nixosConfigurations` is computed in a way that hides its names: `<file>:<line>: <text>`. */
  computedNames: string[];
  /** The Nix files the flake reaches (absolute, flake.nix first): they are the flake's, never an image of their own. */
  files: string[];
  /** Directories the flake reaches as a whole (computed paths, `readDir`): every Nix file under them is the flake's too. */
  directories: string[];
}

/** A flake output that is an image: a nixos-generators output, or a system's image selected from its evaluation. */
const IMAGE_PACKAGE = /\bnixosGenerate\b|\.\s*config\s*\.\s*system\s*\.\s*build\s*\.\s*(isoImage|sdImage)\b/;

/** A Nix system name as flake outputs are keyed by (`packages.x86_64-linux`). */
const SYSTEM_NAME = /^(x86_64|aarch64|i686|armv[5-7]l|riscv64|powerpc64le)-(linux|darwin)$/;

/** How many Nix files one flake's reading follows, and how many under a directory it looks at. */
const MAX_FLAKE_FILES = 2000;
const MAX_DIRECTORY_FILES = 500;

/** Calls that build a NixOS system themselves: a configuration made by one of these is read through its arguments. */
const SYSTEM_BUILDERS = new Set(['nixosSystem', 'import', 'evalConfig', 'nixosGenerate', 'mkFlake']);
/** nixpkgs lib and builtins functions that build the set of configurations: what they apply is read, not them. */
const SET_BUILDERS = new Set(['mapAttrs', "mapAttrs'", 'genAttrs', 'listToAttrs', 'nameValuePair', 'filterAttrs', 'recursiveUpdate', 'optionalAttrs', 'foldl', "foldl'", 'map']);

interface ReadFile {
  file: string;
  source: string;
  meaning: NixMeaning;
}

/** `.nix` files below a directory, breadth first, at most `limit`. */
function nixFilesBelow(dir: string, tree: SourceTree, limit: number): string[] {
  const found: string[] = [];
  const queue = [dir];
  while (queue.length && found.length < limit) {
    const current = queue.shift() as string;
    for (const name of tree.list(current) ?? []) {
      if (name.endsWith('/')) {
        if (!/^(\.git|node_modules|\.nx|dist|result)\/$/.test(name)) queue.push(posix.join(current, name.slice(0, -1)));
      } else if (name.endsWith('.nix')) found.push(posix.join(current, name));
    }
  }
  return found;
}

/**
 * What Nix builds from a flake, read from its sources without evaluating
 * anything: every `nixosConfigurations` entry (written in flake.nix or in a
 * file it reaches, such as a flake-parts module's `flake.nixosConfigurations.x`,
 * a flake-utils-plus `hosts.<name>`, a literal set, `//`, `mapAttrs` over a
 * literal set, `genAttrs` over a literal list, `readDir` of a folder), each
 * classified by whether the modules it reaches, through local files and the
 * helper functions the flake defines (`mkIso = …`), include an installer or
 * image module; and the nixos-generators outputs (`packages.<system>.<name> =
 * nixosGenerate { format = "…"; }`). Where a computed path could bring in
 * an image module, or the configuration is built by a function the flake
 * does not define, the verdict is `undecided` and says why.
 */
export function readFlake(flakeFile: string, source: string, tree: SourceTree): FlakeReading {
  const root = posix.dirname(flakeFile);
  const relativeName = (file: string) => posix.relative(root, file) || posix.basename(file);
  const files = new Map<string, ReadFile>();
  const directories = new Set<string>();
  const queue: [string, string][] = [[flakeFile, source]];
  const seen = new Set([flakeFile]);
  while (queue.length && files.size < MAX_FLAKE_FILES) {
    const [file, text] = queue.shift() as [string, string];
    const meaning = nixMeaning(text, file);
    files.set(file, { file, source: text, meaning });
    const reached: string[] = [];
    for (const ref of meaning.pathReferences) {
      if (ref.computed || (!ref.target.endsWith('.nix') && tree.list(ref.target) && !tree.read(posix.join(ref.target, 'default.nix')))) {
        directories.add(ref.target);
        continue;
      }
      reached.push(ref.target.endsWith('.nix') ? ref.target : posix.join(ref.target, 'default.nix'));
    }
    // `builtins.readDir ./hosts`: the folder's entries are the flake's.
    for (const m of meaning.code.matchAll(/\breadDir\s+(\.{0,2}\/[^\s);]*)/g)) directories.add(posix.resolve(posix.dirname(file), m[1]));
    for (const next of reached) {
      if (seen.has(next)) continue;
      seen.add(next);
      const text = tree.read(next);
      if (text !== undefined) queue.push([next, text]);
    }
  }
  const helpers = new Map<string, { file: ReadFile; start: number; end: number }[]>();
  for (const file of files.values()) {
    for (const lambda of lambdaBindings(file.meaning.code)) {
      helpers.set(lambda.name, [...(helpers.get(lambda.name) ?? []), { file, start: lambda.start, end: lambda.end }]);
    }
  }
  const where = (file: ReadFile, offset: number, end?: number) => {
    const lineStart = file.source.lastIndexOf('\n', offset - 1) + 1;
    const lineEnd = file.source.indexOf('\n', offset);
    const text = file.source.slice(lineStart, Math.min(lineEnd < 0 ? file.source.length : lineEnd, end ?? Infinity)).trim();
    return `${relativeName(file.file)}:${lineAt(file.source, offset)}: ${text}`;
  };

  /** Whether some Nix file below a directory is an image module, once per directory. */
  const imageDirectories = new Map<string, boolean>();
  const holdsImageModule = (dir: string): boolean => {
    let holds = imageDirectories.get(dir);
    if (holds === undefined) {
      holds = nixFilesBelow(dir, tree, MAX_DIRECTORY_FILES).some((f) => {
        const t = tree.read(f);
        return t !== undefined && declaresImage(files.get(f)?.meaning ?? nixMeaning(t, f));
      });
      imageDirectories.set(dir, holds);
    }
    return holds;
  };

  /** Whether code ranges, with the helpers they call and the files they reach, include an image module. */
  const classify = (ranges: { file: ReadFile; start: number; end: number }[]): { verdict: Verdict; because: string } => {
    const texts: { file: string; text: string; origin: ReadFile | undefined }[] = [];
    const calledHelpers = new Set<string>();
    let unresolved: string | undefined;
    const addRange = (file: ReadFile, start: number, end: number) => {
      // Padded, newlines kept, so that offsets and lines stay those of the file.
      texts.push({ file: file.file, text: file.source.slice(0, start).replace(/[^\n]/g, ' ') + file.source.slice(start, end), origin: file });
      for (const name of calledNames(file.meaning.code, start, end)) {
        if (calledHelpers.has(name)) continue;
        const found = helpers.get(name);
        if (!found) continue;
        calledHelpers.add(name);
        for (const helper of found) addRange(helper.file, helper.start, helper.end);
      }
    };
    for (const range of ranges) {
      addRange(range.file, range.start, range.end);
      // The function a configuration is built by: known system builders are read through their arguments.
      const head = /^\s*\(?\s*((?:[A-Za-z_][\w'-]*\s*\.\s*)*[A-Za-z_][\w'-]*)(?![\w'-])\s*[{(["A-Za-z_.]/.exec(range.file.meaning.code.slice(range.start, range.end));
      const called = head?.[1].split('.').pop()?.trim();
      if (!unresolved && called && !SYSTEM_BUILDERS.has(called) && !SET_BUILDERS.has(called) && !helpers.has(called) && !/^(let|with|if|rec)$/.test(called)) {
        unresolved = `${where(range.file, range.start + (head?.index ?? 0))} (built by \`${head?.[1].replace(/\s+/g, '')}\`, which the flake's files do not define)`;
      }
    }
    const seenFiles = new Set<string>();
    let uncertain: string | undefined;
    const work = [...texts];
    while (work.length && seenFiles.size <= MAX_FLAKE_FILES) {
      const { file, text, origin } = work.shift() as (typeof texts)[number];
      // A whole file the flake reaches was read once already; a range of one (origin) is read here.
      const meaning = origin ? nixMeaning(text, file) : (files.get(file)?.meaning ?? nixMeaning(text, file));
      if (declaresImage(meaning)) {
        const readFile = origin ?? files.get(file);
        return { verdict: 'image', because: readFile ? where(readFile, firstImageOffset(text, meaning)) : relativeName(file) };
      }
      for (const ref of meaning.pathReferences) {
        if (ref.computed || (!ref.target.endsWith('.nix') && !tree.read(posix.join(ref.target, 'default.nix')) && tree.list(ref.target))) {
          // A computed path brings in an image only if some Nix file below the folder it names is one.
          if (!uncertain && holdsImageModule(ref.target)) {
            uncertain = `${relativeName(file)}:${ref.line}: ${ref.text} (a computed path: which file it names only Nix can tell, and one under it is an image module)`;
          }
          continue;
        }
        const target = ref.target.endsWith('.nix') ? ref.target : posix.join(ref.target, 'default.nix');
        if (seenFiles.has(target)) continue;
        seenFiles.add(target);
        const next = tree.read(target);
        if (next !== undefined) work.push({ file: target, text: next, origin: undefined });
      }
    }
    if (uncertain) return { verdict: 'undecided', because: uncertain };
    if (unresolved) return { verdict: 'undecided', because: unresolved };
    const first = ranges[0];
    return { verdict: 'host', because: first ? where(first.file, first.start) : '' };
  };

  const configurations: FoundConfiguration[] = [];
  const computedNames: string[] = [];
  const nixos: ConfigurationOutput = { kind: 'nixosConfiguration' };
  // A perSystem `packages.<name>` is built for each of the flake's `systems`: when it lists one, that is the package's.
  const systems = new Set<string>();
  for (const file of files.values()) {
    for (const m of file.meaning.code.matchAll(/\bsystems\s*=\s*\[([^\]]*)\]/g)) {
      for (const literal of file.source.slice(m.index + m[0].indexOf('['), m.index + m[0].length).matchAll(/"([\w-]+)"/g)) systems.add(literal[1]);
    }
  }
  const onlySystem = systems.size === 1 ? [...systems][0] : undefined;
  const add = (name: string, output: ConfigurationOutput, ranges: { file: ReadFile; start: number; end: number }[]) => {
    if (configurations.some((c) => c.name === name && c.output.kind === output.kind)) return;
    configurations.push({ name, output, ...classify(ranges) });
  };
  for (const file of files.values()) {
    const { code } = file.meaning;
    // `packages = mapAttrs (system: pkgs: { nixosConfigurations.x = …; }) …` nests them below another output:
    // not `nixosConfigurations.x` of the flake, and where they are only Nix can say.
    const outputs = ['packages', 'legacyPackages', 'checks'].flatMap((name) => bindingsOf(code, file.source, name, 0));
    const nested = (offset: number) => outputs.some((o) => offset > o.start && offset < o.end);
    const entries = bindingsOf(code, file.source, 'nixosConfigurations', 1).filter((entry) => {
      if (!nested(entry.start)) return true;
      computedNames.push(`${where(file, entry.start)} (nixosConfigurations inside another output: build it by its attribute)`);
      return false;
    });
    // flake-utils-plus: `hosts.<name>` of its mkFlake, with `hostDefaults` applying to each.
    const utilsPlus = /\bmkFlake\b/.test(code) ? bindingsOf(code, file.source, 'hosts', 1) : [];
    const defaults = utilsPlus.length ? bindingsOf(code, file.source, 'hostDefaults', 0) : [];
    // `hosts.desk.modules = …; hosts.desk.system = …;` are one configuration: its bindings grouped by name.
    const named = new Map<string, { file: ReadFile; start: number; end: number }[]>();
    for (const entry of [...entries, ...utilsPlus]) {
      const shared = entries.includes(entry) ? [] : defaults.map((d) => ({ file, start: d.start, end: d.end }));
      if (entry.path.length >= 2) {
        if (entry.path[1].startsWith('${')) computedNames.push(where(file, entry.start));
        else named.set(entry.path[1], [...(named.get(entry.path[1]) ?? shared), { file, start: entry.start, end: entry.end }]);
        continue;
      }
      for (const part of computedSet(file, entry.start, entry.end, tree)) {
        if ('names' in part) for (const name of part.names) named.set(name.name, [...(named.get(name.name) ?? shared), ...name.ranges.map((r) => ({ file, ...r }))]);
        else computedNames.push(where(file, part.offset));
      }
    }
    for (const [name, ranges] of named) add(name, nixos, ranges);
    if (!IMAGE_PACKAGE.test(code)) continue;
    // `packages.<system>.<name>`, `packages.<name>` (perSystem), and sets of them not written as one literal (`{ … } // …`).
    const candidates: { name: string; system?: string; ranges: { start: number; end: number }[]; at: number }[] = [];
    for (const pkg of bindingsOf(code, file.source, 'packages', 2)) {
      const systemAt1 = pkg.path.length >= 2 && (SYSTEM_NAME.test(pkg.path[1]) || pkg.path[1].startsWith('${'));
      if (pkg.path.length === 3 || (pkg.path.length === 2 && !systemAt1)) {
        candidates.push({ name: pkg.path[pkg.path.length - 1], system: pkg.path.length === 3 ? pkg.path[1] : undefined, ranges: [pkg], at: pkg.start });
        continue;
      }
      if (!IMAGE_PACKAGE.test(code.slice(pkg.start, pkg.end))) continue;
      const system = pkg.path.length === 2 ? pkg.path[1] : undefined;
      for (const part of computedSet(file, pkg.start, pkg.end, tree)) {
        if ('names' in part) for (const named of part.names) candidates.push({ name: named.name, system, ranges: named.ranges, at: named.ranges[0].start });
        else if (IMAGE_PACKAGE.test(code.slice(part.offset, part.end))) computedNames.push(`${where(file, part.offset)} (flake outputs whose names only Nix can tell)`);
      }
    }
    for (const candidate of candidates) {
      const value = candidate.ranges.map((r) => code.slice(r.start, r.end)).join(' ');
      const selected = /\.\s*config\s*\.\s*system\s*\.\s*build\s*\.\s*(isoImage|sdImage)\b/.exec(value);
      if (!/\bnixosGenerate\b/.test(value) && !selected) continue;
      const literal = (key: string) => {
        for (const r of candidate.ranges) {
          const m = new RegExp(`\\b${key}\\s*=\\s*"`).exec(code.slice(r.start, r.end));
          if (m) return file.source.slice(r.start + m.index + m[0].length).split('"')[0];
        }
        return undefined;
      };
      // A nixosSystem's own image (`(nixosSystem { … }).config.system.build.isoImage`), named as nixos-generators names its format.
      const generatorsFormat = selected ? { isoImage: 'iso', sdImage: 'sd-aarch64' }[selected[1] as 'isoImage' | 'sdImage'] : literal('format');
      const pathSystem = candidate.system && !candidate.system.startsWith('${') ? candidate.system : undefined;
      const system = pathSystem ?? literal('system') ?? (candidate.system === undefined ? onlySystem : undefined);
      if (!generatorsFormat || candidate.name.startsWith('${')) {
        computedNames.push(`${where(file, candidate.at)} (a nixos-generators output whose ${generatorsFormat ? 'name' : 'format'} only Nix can tell)`);
        continue;
      }
      configurations.push({ name: candidate.name, output: { kind: 'package', system, generatorsFormat }, verdict: 'image', because: where(file, candidate.at) });
    }
  }
  return { configurations, computedNames, files: [...files.keys()], directories: [...directories].sort() };
}

/** Offset of what makes a text an image, for the line that says so. */
function firstImageOffset(text: string, meaning: NixMeaning): number {
  for (const re of [IMAGE_MODULE, IMAGE_CODE]) {
    const m = re.exec(meaning.code);
    if (m) return m.index;
  }
  for (const path of meaning.modulePaths) {
    const i = text.indexOf(path);
    if (i >= 0 && IMAGE_MODULE.test(path)) return i;
  }
  return text.length - text.trimStart().length;
}

type ComputedPart = { names: { name: string; ranges: { start: number; end: number }[] }[] } | { offset: number; end: number };

/**
 * The names of a `nixosConfigurations = <expression>;` whose value is not a
 * literal set: each `//` operand on its own, a literal set, `mapAttrs f { … }`,
 * `genAttrs [ "a" … ] f`, or `… (readDir ./hosts)`; anything else hides its
 * names (`{ offset }`).
 */
function computedSet(file: ReadFile, start: number, end: number, tree: SourceTree): ComputedPart[] {
  const { code, source } = { code: file.meaning.code, source: file.source };
  const parts: { start: number; end: number }[] = [];
  let depth = 0;
  let from = start;
  for (let i = start; i < end; i++) {
    const c = code[i];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 0 && c === '/' && code[i + 1] === '/') {
      parts.push({ start: from, end: i });
      from = i + 2;
      i++;
    }
  }
  parts.push({ start: from, end });
  return parts.map((part): ComputedPart => {
    let s = part.start;
    while (s < part.end && /[\s(]/.test(code[s])) s++;
    const text = code.slice(s, part.end);
    if (code[s] === '{') {
      const close = closingBracket(code, s);
      if (!code.slice(close + 1, part.end).replace(/[\s)]/g, '')) {
        return { names: setBindings(code, source, s + 1, close).map((b) => ({ name: b.path[0], ranges: [{ start: b.start, end: b.end }] })) };
      }
    }
    const mapAttrs = /\bmapAttrs\b/.exec(text);
    if (mapAttrs && /\}\s*\)*\s*$/.test(text)) {
      // The last literal set is what is mapped; the function before it applies to each name.
      const close = s + text.replace(/[\s)]*$/, '').length - 1;
      let open = close;
      for (let d = 0; open > s; open--) {
        if (code[open] === '}') d++;
        else if (code[open] === '{' && --d === 0) break;
      }
      const fn = { start: s + mapAttrs.index + mapAttrs[0].length, end: open };
      return {
        names: setBindings(code, source, open + 1, close).map((b) => ({ name: b.path[0], ranges: [fn, { start: b.start, end: b.end }] })),
      };
    }
    const genAttrs = /\bgenAttrs\s*\[([^\]]*)\]/.exec(text);
    if (genAttrs) {
      const listStart = s + genAttrs.index + genAttrs[0].indexOf('[') + 1;
      const names = [...source.slice(listStart, s + genAttrs.index + genAttrs[0].length - 1).matchAll(/"([^"\\$]+)"/g)].map((m) => m[1]);
      if (names.length) return { names: names.map((name) => ({ name, ranges: [{ start: s, end: part.end }] })) };
    }
    const readDir = /\breadDir\s+(\.{0,2}\/[^\s);]*)/.exec(text);
    if (readDir) {
      const dir = posix.resolve(posix.dirname(file.file), readDir[1]);
      const entries = tree.list(dir);
      if (entries) {
        const names = entries.filter((e) => e.endsWith('/') || e.endsWith('.nix')).map((e) => e.replace(/(\/|\.nix)$/, ''));
        return { names: names.map((name) => ({ name, ranges: [{ start: s, end: part.end }] })) };
      }
    }
    return { offset: s, end: part.end };
  });
}
