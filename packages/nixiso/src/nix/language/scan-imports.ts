/**
 * Which files a Nix file refers to, read straight from its source: the path
 * literals (`./x`, `../../modules/y`, `"${./x}"`, …) and flake inputs with
 * `path:` URLs. Pure and linear: the project graph runs it over every `.nix`
 * file of the workspace.
 *
 * The lexer follows Nix's own (src/libexpr/lexer.l), so it agrees with
 * `nix-instantiate --parse` (the oracle in the tests): comments, string text,
 * URIs (`github:owner/repo`, `https://…`), `<nixpkgs/…>` lookups and `~/…` home
 * paths are never taken for files, and `a'/b` is the identifier `a'` followed
 * by the absolute path `/b`, exactly as Nix reads it.
 */
import { posix } from 'node:path';

/** Where a path literal starts and what it says, before resolution. */
export interface NixPathLiteral {
  /** The literal's text; for `./a/${x}/b` only the part before the first `${`. */
  text: string;
  start: number;
  end: number;
  /** True when the literal continues with `${…}`: `text` is then only a prefix. */
  interpolated: boolean;
}

export interface NixLexHandlers {
  /** A path literal outside strings and comments (or inside a `${…}` antiquotation). */
  path?(literal: NixPathLiteral): void;
  /** A `"…"` string without antiquotations whose value starts with `path:`. */
  pathUrl?(value: string, start: number): void;
  /** Text that is not code at this level: a comment, or a string's body (antiquotations included). */
  opaque?(start: number, end: number): void;
  /** A comment (`# …` or `/* … *\/`), reported just before it is reported as opaque. */
  comment?(start: number, end: number): void;
  /** An identifier in code (`self`, `getEnv`; each part of `builtins.getEnv` on its own), keywords included. */
  identifier?(start: number, end: number): void;
  /** A search-path lookup such as `<nixpkgs/nixos>`: `path` is what is between the angle brackets. */
  searchPath?(path: string, start: number): void;
  /** A home path (`~/.ssh/id.pub`, `~/x/${y}`): `text` starts with `~/`, `start` is the offset of the `~`. */
  homePath?(literal: NixPathLiteral): void;
}

const PATH_CHAR = 1; // [a-zA-Z0-9._+-]
const ID_START = 2; // [a-zA-Z_]
const ID_CHAR = 4; // [a-zA-Z0-9_'-]
const SCHEME_CHAR = 8; // [a-zA-Z0-9+.-]
const URI_CHAR = 16; // [a-zA-Z0-9%/?:@&=+$,_.!~*'-]
const LETTER = 32;

const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const letter = /[a-zA-Z]/.test(ch);
  const alnum = letter || /[0-9]/.test(ch);
  CLASS[c] =
    (alnum || '._+-'.includes(ch) ? PATH_CHAR : 0) |
    (letter || ch === '_' ? ID_START : 0) |
    (alnum || "_'-".includes(ch) ? ID_CHAR : 0) |
    (alnum || '+.-'.includes(ch) ? SCHEME_CHAR : 0) |
    (alnum || "%/?:@&=+$,-_.!~*'".includes(ch) ? URI_CHAR : 0) |
    (letter ? LETTER : 0);
}

const enum Mode {
  /** Nix code: the file itself, `{ … }` and `${ … }`. */
  Code,
  /** `"…"` */
  String,
  /** `''…''` */
  IndentedString,
  /** The rest of a path literal after one of its `${…}`. */
  PathTail,
}

interface Frame {
  mode: Mode;
  /** String frames: offset of the first character after the opening quote. */
  start: number;
  /** String frames: a `${` was seen, so the value is not a literal. */
  interpolated: boolean;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

const SLASH = 0x2f;
const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const STAR = 0x2a;

/**
 * Walks Nix source once, reporting path literals, `path:` string literals and
 * non-code spans. Malformed input (unterminated strings or comments) is read
 * to the end without throwing: a file Nix rejects must not break the graph.
 */
export function lexNix(source: string, handlers: NixLexHandlers): void {
  const n = source.length;
  const at = (i: number): number => (i < n ? source.charCodeAt(i) : 0);
  const is = (i: number, cls: number): boolean => {
    if (i >= n) return false;
    const c = source.charCodeAt(i);
    return c < 128 && (CLASS[c] & cls) !== 0;
  };
  const stack: Frame[] = [{ mode: Mode.Code, start: 0, interpolated: false }];
  const push = (mode: Mode, start = 0): void => {
    stack.push({ mode, start, interpolated: false });
  };
  // Where a path literal / URI was already ruled out for every start before
  // this offset: keeps long runs such as `a.b.c.…` linear.
  let noPathBefore = 0;
  let noUriBefore = 0;
  let i = 0;

  /** Scans a path literal at `from` (Nix PATH, or PATH_SEG / HPATH_START before `${`); returns its end or -1. */
  const scanPath = (from: number, report: ((literal: NixPathLiteral) => void) | undefined): number => {
    let j = from;
    while (is(j, PATH_CHAR)) j++;
    const runEnd = j;
    let segments = 0;
    while (at(j) === SLASH && is(j + 1, PATH_CHAR)) {
      j += 2;
      while (is(j, PATH_CHAR)) j++;
      segments++;
    }
    let end = j;
    if (segments === 0) {
      // PATH_SEG `${`: a path such as `./${name}` or `/${x}`.
      if (!(at(j) === SLASH && at(j + 1) === DOLLAR && at(j + 2) === OPEN_BRACE)) {
        noPathBefore = runEnd;
        return -1;
      }
      end = j + 1;
    } else if (at(j) === SLASH) {
      end = j + 1; // trailing slash: only valid before `${`, Nix rejects it otherwise
    }
    const interpolated = at(end) === DOLLAR && at(end + 1) === OPEN_BRACE;
    if (report) {
      const textEnd = interpolated ? end : j;
      report({ text: source.slice(from, textEnd), start: from, end: textEnd, interpolated });
    }
    if (!interpolated) return end;
    push(Mode.PathTail);
    push(Mode.Code);
    return end + 2;
  };

  while (i < n) {
    const frame = stack[stack.length - 1];
    const c = source.charCodeAt(i);
    switch (frame.mode) {
      case Mode.Code: {
        if (isSpace(c)) {
          do i++;
          while (i < n && isSpace(source.charCodeAt(i)));
        } else if (c === 0x23 /* # */) {
          const eol = source.indexOf('\n', i);
          const end = eol < 0 ? n : eol;
          handlers.comment?.(i, end);
          handlers.opaque?.(i, end);
          i = end;
        } else if (c === SLASH && at(i + 1) === STAR) {
          const close = source.indexOf('*/', i + 2);
          const end = close < 0 ? n : close + 2;
          handlers.comment?.(i, end);
          handlers.opaque?.(i, end);
          i = end;
        } else if (c === SLASH && at(i + 1) === SLASH) {
          i += 2; // the `//` operator
        } else if (c === QUOTE) {
          push(Mode.String, i + 1);
          i++;
        } else if (c === APOSTROPHE && at(i + 1) === APOSTROPHE) {
          push(Mode.IndentedString, i + 2);
          i += 2;
        } else if (c === DOLLAR && at(i + 1) === OPEN_BRACE) {
          push(Mode.Code);
          i += 2;
        } else if (c === OPEN_BRACE) {
          push(Mode.Code);
          i++;
        } else if (c === CLOSE_BRACE) {
          if (stack.length > 1) stack.pop();
          i++;
        } else if (c === 0x3c /* < */) {
          i = skipSearchPath(i);
        } else if (c === 0x7e /* ~ */ && at(i + 1) === SLASH) {
          const home = handlers.homePath;
          const tilde = i;
          // Never a path of the file's directory: Nix resolves `~` with $HOME when it evaluates.
          const end = scanPath(i + 1, home && ((literal) => home({ ...literal, text: `~${literal.text}`, start: tilde })));
          i = end < 0 ? i + 1 : end;
        } else if (c === SLASH || (c < 128 && CLASS[c] & PATH_CHAR)) {
          const end = i >= noPathBefore ? scanPath(i, handlers.path) : -1;
          if (end >= 0) i = end;
          else if (c < 128 && CLASS[c] & LETTER) i = skipUriOrIdentifier(i);
          else if (c === 0x5f /* _ */) i = skipIdentifier(i);
          else i++;
        } else {
          i++;
        }
        break;
      }
      case Mode.String: {
        if (c === QUOTE) {
          stack.pop();
          handlers.opaque?.(frame.start, i);
          if (!frame.interpolated && handlers.pathUrl && source.startsWith('path:', frame.start)) {
            handlers.pathUrl(unescapeString(source.slice(frame.start, i)), frame.start);
          }
          i++;
        } else if (c === BACKSLASH) {
          i += 2;
        } else if (c === DOLLAR) {
          const next = at(i + 1);
          if (next === OPEN_BRACE) {
            frame.interpolated = true;
            push(Mode.Code);
            i += 2;
          } else {
            // `$${` is the literal text `$${`; `$"` ends the string, `$\x` escapes x.
            i += next === QUOTE || next === BACKSLASH ? 1 : 2;
          }
        } else {
          i++;
          while (i < n) {
            const d = source.charCodeAt(i);
            if (d === QUOTE || d === BACKSLASH || d === DOLLAR) break;
            i++;
          }
        }
        break;
      }
      case Mode.IndentedString: {
        if (c === DOLLAR) {
          const next = at(i + 1);
          if (next === OPEN_BRACE) {
            frame.interpolated = true;
            push(Mode.Code);
            i += 2;
          } else {
            i += next === APOSTROPHE ? 1 : 2;
          }
        } else if (c === APOSTROPHE && at(i + 1) === APOSTROPHE) {
          const next = at(i + 2);
          if (next === APOSTROPHE || next === DOLLAR) i += 3; // `'''` and `''$` escapes
          else if (next === BACKSLASH) i += 4; // `''\n` and friends
          else {
            stack.pop();
            handlers.opaque?.(frame.start, i);
            i += 2;
          }
        } else {
          i++;
          while (i < n) {
            const d = source.charCodeAt(i);
            if (d === DOLLAR || d === APOSTROPHE) break;
            i++;
          }
        }
        break;
      }
      case Mode.PathTail: {
        let j = i;
        while (at(j) === SLASH || is(j, PATH_CHAR)) j++;
        if (at(j) === DOLLAR && at(j + 1) === OPEN_BRACE) {
          push(Mode.Code);
          i = j + 2;
        } else {
          stack.pop();
          i = j;
        }
        break;
      }
    }
  }

  /** `<nixpkgs/nixos>` as a whole, so that `/nixos` is not read as a path; else the `<` operator. */
  function skipSearchPath(from: number): number {
    let j = from + 1;
    if (!is(j, PATH_CHAR)) return from + 1;
    while (is(j, PATH_CHAR)) j++;
    while (at(j) === SLASH && is(j + 1, PATH_CHAR)) {
      j += 2;
      while (is(j, PATH_CHAR)) j++;
    }
    if (at(j) !== 0x3e /* > */) return from + 1;
    handlers.searchPath?.(source.slice(from + 1, j), from);
    return j + 1;
  }

  /** A URI (`github:owner/repo`, `https://…`) or an identifier (which may contain `'`). */
  function skipUriOrIdentifier(from: number): number {
    if (from >= noUriBefore) {
      let j = from + 1;
      while (is(j, SCHEME_CHAR)) j++;
      if (at(j) === 0x3a /* : */ && is(j + 1, URI_CHAR)) {
        j++;
        while (is(j, URI_CHAR)) j++;
        return j;
      }
      noUriBefore = j;
    }
    return skipIdentifier(from);
  }

  function skipIdentifier(from: number): number {
    let j = from + 1;
    while (is(j, ID_CHAR)) j++;
    handlers.identifier?.(from, j);
    return j;
  }
}

/** The value of the text between the quotes of a `"…"` literal. */
function unescapeString(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 === raw.length) {
      out += c;
      continue;
    }
    const next = raw[++i];
    out += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
  }
  return out;
}

/** The directory a `path:` flake URL names, without `?query` / `#fragment`. */
function pathUrlTarget(value: string): string | undefined {
  let target = value.slice('path:'.length);
  const cut = target.search(/[?#]/);
  if (cut >= 0) target = target.slice(0, cut);
  return target ? target : undefined;
}

/** A path as Nix keeps it: no trailing slash, but on `/` itself. */
function clean(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function resolveFrom(dir: string, target: string): string {
  return clean(target.startsWith('/') ? posix.normalize(target) : posix.join(dir, target));
}

/** One path a Nix file refers to, resolved against the file's directory. */
export interface PathReference {
  /** Absolute (for an absolute `file`) path of the file or directory named. */
  target: string;
  /**
   * The path is computed (`./modules/${name}.nix`, `./. + "/motd-${n}.txt"`):
   * `target` is the directory its fixed part names, and the file Nix reads
   * is somewhere below it.
   */
  computed: boolean;
  /** 1-based line of the reference in the file. */
  line: number;
  /** The reference as written (its fixed part, for a computed path). */
  text: string;
  /** The expression the reference starts, as written on its line (`/. + builtins.getEnv "X"`), for messages. */
  expression: string;
}

/** A path of a flake's own source tree: `"${self}/keys/a.pub"`, `self + "/x"`, `inputs.self + "/x"`. */
export interface SelfReference {
  /** Where in the source tree, `/`-rooted (`/keys/a.pub`; `/hosts` for a computed `"${self}/hosts/${n}.nix"`). */
  path: string;
  computed: boolean;
  line: number;
  text: string;
}

/** A path below the home directory (`~/.ssh/id.pub`), which Nix resolves with $HOME when it evaluates. */
export interface HomeReference {
  /** Relative to the home directory, normalised (`.ssh/id.pub`; `''` for the home directory itself). */
  path: string;
  computed: boolean;
  line: number;
  text: string;
}

/** A `builtins.getEnv`: the variable's name, or none when the name is only known at evaluation time. */
export interface EnvironmentReference {
  name?: string;
  line: number;
  text: string;
}

/**
 * A use of a flake's `self` that may take its source tree as a whole into
 * the image: copied into a derivation (`"${self}"`, `self.outPath`,
 * `toString self`, `src = self;`, and `"${self}/x"` / `self + "/x"`, which
 * carry the whole store copy in their context unless only read:
 * `builtins.readFile`, `import`), its hash, or its commit (`self.rev`). A
 * bare `self` passed on (`{ self, ... }:`, `inherit self;`, `self.packages`)
 * is none.
 */
export interface WholeSelfReference {
  line: number;
  text: string;
  /** The commit's identity (`self.rev`, `self.lastModified`): changes with any commit, not with the files. */
  commit: boolean;
}

/** What one Nix file reads besides Nix code, as far as its source says. */
export interface NixReads {
  /** Files and directories named by path (see scanPathReferences). */
  paths: PathReference[];
  /** Paths of the flake's source tree through `self`; what `self` is, the caller knows. */
  self: SelfReference[];
  /** Uses of `self` that take the flake's whole source tree (or its commit) into the image, in source order. */
  wholeSelf: WholeSelfReference[];
  /** Paths below the home directory. */
  home: HomeReference[];
  /** Names looked up in the search path (`nixpkgs` for `<nixpkgs/nixos>`), each once, in source order. */
  lookups: string[];
  /** Environment variables read with `getEnv`. */
  env: EnvironmentReference[];
}

/** Sticky patterns, matched in place (no slicing per identifier: a file can hold a million of them). */
const PLUS = /\s*\+(?!\+)\s*/y;
const BINDS = /\s*=(?!=)\s*/y;
const CLOSE_ANTIQUOTE = /\s*\}/y;
const STATEMENT_END = /\s*;/y;
const SPACES = /\s*/y;
const OPENS_ANTIQUOTED_STRING = /"\$\{\s*$/;

/** Where `pattern` matching at `at` ends, or -1. */
function matchAt(pattern: RegExp, source: string, at: number): number {
  pattern.lastIndex = at;
  const m = pattern.exec(source);
  return m ? at + m[0].length : -1;
}

/** The fixed text of a `"…"` string from `from` (after the quote) to its end or its first `${`. */
function readStringBody(source: string, from: number): { fixed: string; complete: boolean; end: number } {
  let fixed = '';
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '"') return { fixed, complete: true, end: i + 1 };
    if (c === '\\') {
      const next = source[++i] ?? '';
      fixed += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
    } else if (c === '$' && source[i + 1] === '$') {
      fixed += '$$'; // `$${` is literal text
      i++;
    } else if (c === '$' && source[i + 1] === '{') {
      return { fixed, complete: false, end: i };
    } else {
      fixed += c;
    }
  }
  return { fixed, complete: false, end: source.length };
}

interface Extended {
  /** What the expression names: a file, or the directory a computed path lies in. */
  target: string;
  computed: boolean;
  /** True when something was appended to the base. */
  extended: boolean;
  /** Where the part that was read ends. */
  end: number;
}

/**
 * What a path `base` becomes when the code at `from` appends to it, as Nix
 * computes `path + string`: the strings are concatenated and the result
 * normalised, so `./. + "/../../keys/a.pub"` is exactly that file, and only
 * a part Nix computes (`${…}`, a variable) makes the path computed. A
 * computed path is the directory its fixed part names (`./. + "/motd-${n}"`
 * is `./.`, `./. + "/../hosts/${n}"` is `../hosts`). `initial` is text
 * already appended (the rest of `"${self}/…"`).
 */
function extendPath(source: string, from: number, base: string, initial?: { fixed: string; complete: boolean }): Extended {
  let fixed = initial?.fixed ?? '';
  let computed = initial ? !initial.complete : false;
  let extended = !!initial;
  let end = from;
  while (!computed) {
    const at = matchAt(PLUS, source, end);
    if (at < 0) break;
    extended = true;
    if (source.charCodeAt(at) !== QUOTE) {
      computed = true;
      break;
    }
    const string = readStringBody(source, at + 1);
    fixed += string.fixed;
    end = string.end;
    computed = !string.complete;
  }
  if (!computed) return { target: clean(posix.normalize(base + fixed)), computed, extended, end };
  const cut = fixed.lastIndexOf('/');
  // No directory in the fixed part: the convention for `./keys + name` is the base, as for a plain `+`.
  const target = cut < 0 ? base : clean(posix.normalize(base + fixed.slice(0, cut) || '/'));
  return { target, computed, extended, end };
}

/** The expression starting at `start` up to its line's end, a `;` or an unmatched closer, for messages. */
function expressionAt(source: string, start: number): string {
  const limit = 120;
  let depth = 0;
  let i = start;
  for (; i < source.length && i - start < limit; i++) {
    const c = source[i];
    if (c === '\n' || (c === ';' && depth === 0)) break;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === '"') {
      for (i++; i < source.length && source[i] !== '"' && source[i] !== '\n'; i++) if (source[i] === '\\') i++;
    }
  }
  return source.slice(start, i).replace(/\s+/g, ' ').trim() + (i - start >= limit ? '…' : '');
}

/** Whether the identifier at `at` is a name of an `inherit` (`inherit (builtins) getEnv;`), not a use. */
function inInherit(source: string, at: number): boolean {
  const before = source.slice(Math.max(0, at - 200), at);
  const statement = before.slice(Math.max(before.lastIndexOf(';'), before.lastIndexOf('{'), before.lastIndexOf('}')) + 1);
  return /(^|[^A-Za-z0-9_'-])inherit([^A-Za-z0-9_'-]|$)/.test(statement);
}

type Pending =
  | { kind: 'path'; anchor: number; target: string; computed: boolean; text: string }
  | { kind: 'self'; anchor: number; target: string; computed: boolean; text: string }
  | { kind: 'home'; anchor: number; target: string; computed: boolean; text: string }
  | { kind: 'env'; anchor: number; name?: string; text: string }
  | { kind: 'wholeSelf'; anchor: number; text: string; commit: boolean };

/** Attributes of a flake's `self` that stand for its whole source tree (its store copy, its hash) or its commit. */
const SELF_SOURCE_ATTRIBUTES = new Set(['outPath', 'narHash', 'sourceInfo']);
const SELF_COMMIT_ATTRIBUTES = new Set(['rev', 'shortRev', 'dirtyRev', 'dirtyShortRev', 'lastModified', 'lastModifiedDate', 'revCount']);
/** Functions that read a path without putting it into their result: `"${self}/x"` as their argument copies nothing. */
const READS_ONLY = /(?:^|[^A-Za-z0-9_'.-]|builtins\.|lib\.)(?:readFile|import|pathExists|readDir|importJSON|importTOML|fileContents)\s*\(*\s*$/;
const ATTRIBUTE = /\s*\.\s*([A-Za-z_][A-Za-z0-9_'-]*)/y;

/** A binding whose value is a path Nix knows exactly (`repo = ./. + "/../..";`, `keys = "${self}/keys";`). */
interface Binding {
  kind: 'path' | 'self';
  target: string;
  /** Where its value starts and ends: the references there are the binding's own. */
  valueStart: number;
  valueEnd: number;
}

/**
 * Everything a Nix file reads that its source names: paths (with `+`
 * concatenations of string literals worked out, and through `let` / attribute
 * bindings of the same file: `repo = ./. + "/../..";` then
 * `repo + "/keys/a.pub"` reads that file, not the whole repository), paths
 * of a flake's `self`, home paths, search-path lookups and `getEnv`s. A
 * binding used in any other way (bare, `"${repo}/…"`, which copies the whole
 * of it to the store, or defined twice) counts whole. Pure and linear.
 */
export function scanNixReads(source: string, file: string): NixReads {
  const dir = posix.dirname(file);
  const literals = new Map<number, NixPathLiteral>();
  const homes: NixPathLiteral[] = [];
  const identifiers: number[] = [];
  const lookups = new Set<string>();
  const pending: Pending[] = [];
  lexNix(source, {
    path(literal) {
      literals.set(literal.start, literal);
    },
    pathUrl(value, start) {
      const target = pathUrlTarget(value);
      if (target) pending.push({ kind: 'path', anchor: start, target: resolveFrom(dir, target), computed: false, text: value });
    },
    identifier(start, end) {
      identifiers.push(start, end);
    },
    searchPath(path) {
      lookups.add(path.split('/')[0]);
    },
    homePath(literal) {
      homes.push(literal);
    },
  });

  /** The reference a path literal makes, with what the code appends to it. */
  const literalReference = (literal: NixPathLiteral, base: string, ownDir: string) => {
    if (literal.interpolated) {
      const slash = literal.text.lastIndexOf('/');
      const prefix = slash === 0 || (slash === 1 && literal.text[0] === '~') ? '/' : literal.text.slice(0, slash);
      return { target: resolveFrom(ownDir, prefix), computed: true, text: literal.text };
    }
    const extended = extendPath(source, literal.end, base);
    const text = extended.target === base ? literal.text : source.slice(literal.start, extended.end).replace(/\s+/g, ' ');
    return { target: extended.target, computed: extended.computed, text, end: extended.end };
  };
  for (const literal of literals.values()) {
    const ref = literalReference(literal, resolveFrom(dir, literal.text), dir);
    pending.push({ kind: 'path', anchor: literal.start, ...ref });
  }
  for (const literal of homes) {
    // `~/x` is `/x` below a home directory the caller knows.
    const rooted = { ...literal, text: literal.text.slice(1) };
    const ref = literalReference(rooted, resolveFrom('/', rooted.text), '/');
    pending.push({ kind: 'home', anchor: literal.start, ...ref, text: ref.target === resolveFrom('/', rooted.text) ? literal.text : `~${ref.text}` });
  }

  /**
   * A path rooted at `base` (`self`'s tree, or a binding's path) that the
   * expression around the identifier at [start, end) names: `"${x}/keys"`,
   * `x + "/keys"`; undefined for the bare identifier.
   */
  const rootedAt = (exprStart: number, end: number, base: string): { target: string; computed: boolean; text: string; end: number } | undefined => {
    const quote = OPENS_ANTIQUOTED_STRING.exec(source.slice(Math.max(0, exprStart - 16), exprStart));
    let extended: Extended;
    let textStart = exprStart;
    if (quote) {
      const close = matchAt(CLOSE_ANTIQUOTE, source, end);
      if (close < 0) return undefined;
      const rest = readStringBody(source, close);
      extended = extendPath(source, rest.end, base, rest);
      textStart = exprStart - quote[0].length;
      if (!extended.computed && extended.target === base && rest.fixed === '') return undefined;
    } else {
      extended = extendPath(source, end, base);
      if (!extended.extended) return undefined;
    }
    return { target: extended.target, computed: extended.computed, text: source.slice(textStart, extended.end).replace(/\s+/g, ' '), end: extended.end };
  };

  /** The last character before `at` that is not white space. */
  const charBefore = (at: number): string => {
    let i = at - 1;
    while (i >= 0 && isSpace(source.charCodeAt(i))) i--;
    return i < 0 ? '' : source[i];
  };

  /**
   * Whether the `self` at [exprStart, end) takes the whole source tree into
   * the image (WholeSelfReference): the text to show, or undefined. `ref` is
   * the path below it that the expression names, if any.
   */
  const wholeSelf = (exprStart: number, end: number, ref: { text: string } | undefined): { text: string; commit: boolean } | undefined => {
    ATTRIBUTE.lastIndex = end;
    const attribute = ATTRIBUTE.exec(source);
    if (attribute) {
      const text = source.slice(exprStart, end + attribute[0].length).replace(/\s+/g, '');
      if (SELF_COMMIT_ATTRIBUTES.has(attribute[1])) return { text, commit: true };
      if (SELF_SOURCE_ATTRIBUTES.has(attribute[1])) return { text, commit: false };
      return undefined; // self.nixosModules.x, self.packages: outputs, not the source
    }
    const quote = OPENS_ANTIQUOTED_STRING.exec(source.slice(Math.max(0, exprStart - 16), exprStart));
    const outer = quote ? exprStart - quote[0].length : exprStart;
    if (ref) return READS_ONLY.test(source.slice(Math.max(0, outer - 80), outer)) ? undefined : { text: ref.text, commit: false };
    const before = charBefore(exprStart);
    const after = source[matchAt(SPACES, source, end)] ?? '';
    if (before === '{' && after === '}' && source.slice(Math.max(0, exprStart - 2), exprStart).endsWith('${')) {
      return { text: quote ? `"\${${source.slice(exprStart, end)}}"` : `\${${source.slice(exprStart, end)}}`, commit: false };
    }
    // Passed on or bound, not used: formals (`{ self, ... }:`, `self@{ … }`, `self:`), `inherit self;`, `self = …;`, `self ? x`, `with self;`.
    if ((before === '{' || before === ',') && (after === ',' || after === '}' || after === '?')) return undefined;
    if (after === '@' || before === '@' || after === ':' || after === '?' || (after === '=' && source[matchAt(SPACES, source, end) + 1] !== '=')) return undefined;
    if (inInherit(source, exprStart) || /(?:^|[^A-Za-z0-9_'-])with\s*$/.test(source.slice(Math.max(0, exprStart - 16), exprStart))) return undefined;
    // Used: `src = self;`, `toString self`, `[ self ]`: shown with the name or function before it.
    const lead = /[A-Za-z_][A-Za-z0-9_'.-]*\s*=?\s*$/.exec(source.slice(Math.max(0, exprStart - 60), exprStart));
    return { text: source.slice(exprStart - (lead?.[0].length ?? 0), end).replace(/\s+/g, ' '), commit: false };
  };

  /** Where the expression of a `self` at [start, end) starts (`inputs.self` included); -1 for another attribute named self. */
  const selfStart = (start: number): number => {
    if (source.charCodeAt(start - 1) !== 0x2e /* . */) return start;
    return source.startsWith('inputs.', start - 7) && source.charCodeAt(start - 8) !== 0x2e ? start - 7 : -1;
  };

  const occurrences = new Map<string, number[]>();
  const definitions = new Map<string, number>();
  const bindings = new Map<string, Binding>();
  for (let k = 0; k < identifiers.length; k += 2) {
    const start = identifiers[k];
    const end = identifiers[k + 1];
    const name = source.slice(start, end);
    if (name === 'self') {
      const exprStart = selfStart(start);
      const ref = exprStart < 0 ? undefined : rootedAt(exprStart, end, '/');
      if (ref) pending.push({ kind: 'self', anchor: start, target: ref.target, computed: ref.computed, text: ref.text });
      const whole = exprStart < 0 ? undefined : wholeSelf(exprStart, end, ref);
      if (whole) pending.push({ kind: 'wholeSelf', anchor: start, ...whole });
    } else if (name === 'getEnv') {
      const from = source.startsWith('builtins.', start - 9) ? start - 9 : start;
      const next = matchAt(SPACES, source, end);
      const c = source[next];
      if (c === '"') {
        const string = readStringBody(source, next + 1);
        const name = string.complete && string.fixed ? string.fixed : undefined;
        pending.push({ kind: 'env', anchor: start, name, text: source.slice(from, string.end) });
      } else if (next < source.length && !';)]},=:'.includes(c) && !inInherit(source, start)) {
        pending.push({ kind: 'env', anchor: start, text: expressionAt(source, from) });
      }
    }
    if (source.charCodeAt(start - 1) === 0x2e /* . */) continue; // an attribute of something else
    const list = occurrences.get(name);
    if (list) list.push(start, end);
    else occurrences.set(name, [start, end]);
    const value = matchAt(BINDS, source, end);
    if (value < 0) continue;
    definitions.set(name, (definitions.get(name) ?? 0) + 1);
    // The value: a path literal, or `self`'s tree, with exact appended strings, up to the `;`.
    const literal = literals.get(value);
    if (literal && !literal.interpolated) {
      const extended = extendPath(source, literal.end, resolveFrom(dir, literal.text));
      const valueEnd = matchAt(STATEMENT_END, source, extended.end);
      if (!extended.computed && valueEnd >= 0) bindings.set(name, { kind: 'path', target: extended.target, valueStart: value, valueEnd });
      continue;
    }
    const selfAt = /^(?:"\$\{\s*)?(?:inputs\.)?self(?![A-Za-z0-9_'-])/.exec(source.slice(value, value + 32));
    if (selfAt) {
      const identEnd = value + selfAt[0].length;
      const ref = rootedAt(identEnd - 4 - (selfAt[0].includes('inputs.') ? 7 : 0), identEnd, '/');
      const valueEnd = matchAt(STATEMENT_END, source, ref?.end ?? identEnd);
      if (!ref?.computed && valueEnd >= 0) bindings.set(name, { kind: 'self', target: ref?.target ?? '/', valueStart: value, valueEnd });
    }
  }
  for (const [name, binding] of bindings) {
    if (definitions.get(name) !== 1) continue; // shadowed or redefined: which one a use means, only Nix knows
    const uses: Pending[] = [];
    let resolved = true;
    const at = occurrences.get(name) ?? [];
    for (let k = 0; k < at.length; k += 2) {
      const start = at[k];
      if (matchAt(BINDS, source, at[k + 1]) >= 0) continue; // the definition, the only one
      if (binding.kind === 'path' && matchAt(PLUS, source, at[k + 1]) < 0) {
        resolved = false; // bare, or `"${repo}/…"`, which copies all of repo to the store
        continue;
      }
      const ref = rootedAt(start, at[k + 1], binding.target);
      if (ref) uses.push({ kind: binding.kind, anchor: start, target: ref.target, computed: ref.computed, text: ref.text });
      else if (binding.target !== '/') resolved = false; // the bare path of a self binding below the root
    }
    if (resolved && uses.length) {
      // Only the uses are read: drop what the definition's value made.
      for (let k = pending.length - 1; k >= 0; k--) {
        const p = pending[k];
        if (p.kind !== 'env' && p.kind !== 'wholeSelf' && p.anchor >= binding.valueStart && p.anchor < binding.valueEnd) pending.splice(k, 1);
      }
    }
    pending.push(...uses);
  }

  pending.sort((a, b) => a.anchor - b.anchor);
  let lineStart = 0;
  let line = 1;
  const lineOf = (offset: number): number => {
    // Offsets arrive in increasing order: count newlines incrementally.
    for (let i = source.indexOf('\n', lineStart); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return line;
  };
  const paths = new Map<string, PathReference>();
  const self = new Map<string, SelfReference>();
  const home = new Map<string, HomeReference>();
  const env: EnvironmentReference[] = [];
  const wholeSelfUses: WholeSelfReference[] = [];
  for (const p of pending) {
    const line = lineOf(p.anchor);
    if (p.kind === 'env') {
      env.push({ name: p.name, line, text: p.text });
      continue;
    }
    if (p.kind === 'wholeSelf') {
      wholeSelfUses.push({ line, text: p.text, commit: p.commit });
      continue;
    }
    // Each target once; a computed reference wins over a plain one to the same directory.
    const key = p.kind === 'home' ? p.target.slice(1) : p.target;
    const map: Map<string, { computed: boolean }> = p.kind === 'path' ? paths : p.kind === 'self' ? self : home;
    const known = map.get(key);
    if (known && (known.computed || !p.computed)) continue;
    if (p.kind === 'path') {
      const kept = paths.get(key);
      paths.set(key, { target: p.target, computed: p.computed, line: kept?.line ?? line, text: kept?.text ?? p.text, expression: kept?.expression ?? expressionAt(source, p.anchor) });
    } else if (p.kind === 'self') {
      const kept = self.get(key);
      self.set(key, { path: p.target, computed: p.computed, line: kept?.line ?? line, text: kept?.text ?? p.text });
    } else {
      const kept = home.get(key);
      home.set(key, { path: key, computed: p.computed, line: kept?.line ?? line, text: kept?.text ?? p.text });
    }
  }
  return { paths: [...paths.values()], self: [...self.values()], wholeSelf: wholeSelfUses, home: [...home.values()], lookups: [...lookups], env };
}

/**
 * Every path a Nix file refers to, in source order, each target once (a
 * computed reference wins over a plain one to the same directory): path
 * literals, `path:` flake inputs, and path literals that an expression
 * extends with `+` or `${…}`, which count as their directory unless the
 * appended strings are literal (`./. + "/../keys/a.pub"` is that file).
 */
export function scanPathReferences(source: string, file: string): PathReference[] {
  return scanNixReads(source, file).paths;
}

/**
 * The files and directories a Nix file refers to through path literals and
 * `path:` flake inputs, resolved against the file's directory (as Nix does;
 * an absolute `file` gives absolute results), each once, in source order.
 * For an interpolated path such as `./modules/${name}.nix` the result is the
 * directory its fixed prefix names (`./modules`): what the file may reach.
 * Whether a directory means its `default.nix` is left to the caller.
 */
export function scanImports(source: string, file: string): string[] {
  const dir = posix.dirname(file);
  const targets = new Set<string>();
  lexNix(source, {
    path({ text, interpolated }) {
      if (!interpolated) targets.add(text);
      else {
        const slash = text.lastIndexOf('/');
        targets.add(slash === 0 ? '/' : text.slice(0, slash));
      }
    },
    pathUrl(value) {
      const target = pathUrlTarget(value);
      if (target) targets.add(target);
    },
  });
  return [...new Set([...targets].map((target) => resolveFrom(dir, target)))];
}
