/**
 * Whether Nix sources describe an image, read by meaning rather than by
 * text: Nix's own lexer (scan-imports.ts) tells code from comments and
 * strings, so a comment that mentions `nixosConfigurations` or an option
 * description that names the installer does not make a project an image.
 * Pure: the caller reads the files (the graph plugin from disk, generators
 * from their Tree).
 */
import { posix } from 'node:path';
import { lexNix, scanPathReferences } from './scan-imports';

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
      if (!comments.has(start) && /modulesPath\s*\}|nixos\/modules\//.test(body)) modulePaths.push(body);
      blank(start, end);
    },
  });
  const references = scanPathReferences(source, file)
    .map((r) => r.target)
    .filter((target) => !target.startsWith('/nix/store/'));
  return { code: code.join(''), modulePaths, references };
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

const IDENT = /[A-Za-z_][A-Za-z0-9_'-]*/y;

/**
 * The entries of `nixosConfigurations` in a flake's code (comments and
 * strings blanked): `nixosConfigurations.<name> = …;`,
 * `nixosConfigurations = { <name> = …; … };` and `nixosConfigurations."<name>"`.
 * The value runs to the `;` at its own nesting depth. Entries made by a
 * function (`lib.genAttrs`, `mapAttrs`) have no literal name and are not found.
 */
export function configurationEntries(code: string, source: string): ConfigurationEntry[] {
  const entries: ConfigurationEntry[] = [];
  const skipSpace = (i: number) => {
    while (i < code.length && /\s/.test(code[i])) i++;
    return i;
  };
  /** A name at `i`: an identifier, or a quoted string (its body was blanked in `code`, so read it from `source`). */
  const nameAt = (i: number): { name: string; end: number } | undefined => {
    if (code[i] === '"') {
      const close = code.indexOf('"', i + 1);
      return close < 0 ? undefined : { name: source.slice(i + 1, close), end: close + 1 };
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(code);
    return m ? { name: m[0], end: i + m[0].length } : undefined;
  };
  /** Where the value starting at `i` ends: the `;` at depth 0 (or the closing bracket of the enclosing set). */
  const valueEnd = (i: number): number => {
    let depth = 0;
    for (; i < code.length; i++) {
      const c = code[i];
      if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') {
        if (depth === 0) return i;
        depth--;
      } else if (c === ';' && depth === 0) return i;
    }
    return code.length;
  };
  /** The `}` that closes the `{` at `i`. */
  const closingBracket = (i: number): number => {
    let depth = 0;
    for (; i < code.length; i++) {
      if (code[i] === '{' || code[i] === '[' || code[i] === '(') depth++;
      else if (code[i] === '}' || code[i] === ']' || code[i] === ')') {
        depth--;
        if (depth === 0) return i;
      }
    }
    return code.length;
  };
  const keyword = /\bnixosConfigurations\b/g;
  for (let m = keyword.exec(code); m; m = keyword.exec(code)) {
    let i = skipSpace(m.index + m[0].length);
    if (code[i] === '.') {
      const named = nameAt(skipSpace(i + 1));
      if (!named) continue;
      i = skipSpace(named.end);
      if (code[i] !== '=') continue;
      const start = i + 1;
      entries.push({ name: named.name, start, end: valueEnd(start), form: 'dotted' });
    } else if (code[i] === '=') {
      i = skipSpace(i + 1);
      if (code[i] !== '{') continue;
      const close = closingBracket(i);
      let j = skipSpace(i + 1);
      while (j < close) {
        const named = nameAt(j);
        if (!named) break;
        let k = skipSpace(named.end);
        if (code[k] !== '=') break;
        const start = k + 1;
        const end = valueEnd(start);
        entries.push({ name: named.name, start, end, form: 'set' });
        k = end + 1;
        j = skipSpace(k);
      }
    }
  }
  return entries;
}

/**
 * The names of a flake's configurations that are images: those whose value
 * (its inline modules, or the local files it names) reaches an image module.
 */
export function imageConfigurations(flakeFile: string, source: string, read: ReadSource): string[] {
  const { code } = nixMeaning(source, flakeFile);
  return configurationEntries(code, source)
    .filter(({ start, end }) => {
      // Padded so that offsets, and with them the directory paths resolve against, stay those of the flake.
      const slice = ' '.repeat(start) + source.slice(start, end);
      return reachesImageModule(flakeFile, slice, read);
    })
    .map((e) => e.name);
}

/**
 * A target-name and directory-safe form of a configuration name (Nx splits
 * task ids at `:`; a Nix path literal cannot hold `'`); the configuration itself is passed as it is.
 */
export function configurationSlug(configuration: string): string {
  return configuration.replace(/[^A-Za-z0-9._-]/g, '-');
}
