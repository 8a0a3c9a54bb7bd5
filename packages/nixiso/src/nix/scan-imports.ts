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
  const scanPath = (from: number, record: boolean): number => {
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
    if (record && handlers.path) {
      const textEnd = interpolated ? end : j;
      handlers.path({ text: source.slice(from, textEnd), start: from, end: textEnd, interpolated });
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
          const end = scanPath(i + 1, false); // home paths are outside any workspace
          i = end < 0 ? i + 1 : end;
        } else if (c === SLASH || (c < 128 && CLASS[c] & PATH_CHAR)) {
          const end = i >= noPathBefore ? scanPath(i, true) : -1;
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
    return at(j) === 0x3e /* > */ ? j + 1 : from + 1;
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

function resolveFrom(dir: string, target: string): string {
  const resolved = target.startsWith('/') ? posix.normalize(target) : posix.join(dir, target);
  return resolved.length > 1 && resolved.endsWith('/') ? resolved.slice(0, -1) : resolved;
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
}

/**
 * Every path a Nix file refers to, in source order, each target once (a
 * computed reference wins over a plain one to the same directory): path
 * literals, `path:` flake inputs, and path literals that an expression
 * extends with `+` or `${…}`, which count as their directory.
 */
export function scanPathReferences(source: string, file: string): PathReference[] {
  const dir = posix.dirname(file);
  const byTarget = new Map<string, PathReference>();
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
  const add = (target: string, computed: boolean, offset: number, text: string): void => {
    const resolved = resolveFrom(dir, target);
    const known = byTarget.get(resolved);
    if (known && (known.computed || !computed)) return;
    byTarget.set(resolved, { target: resolved, computed, line: known?.line ?? lineOf(offset), text: known?.text ?? text });
  };
  lexNix(source, {
    path({ text, interpolated, start, end }) {
      if (interpolated) {
        const slash = text.lastIndexOf('/');
        add(slash === 0 ? '/' : text.slice(0, slash), true, start, text);
      } else if (/^\s*\+(?!\+)/.test(source.slice(end, end + 64))) {
        // `./. + "/x"` or `./keys + "/${name}.pub"`: the literal is a directory prefix.
        add(text, true, start, text);
      } else {
        add(text, false, start, text);
      }
    },
    pathUrl(value, start) {
      const target = pathUrlTarget(value);
      if (target) add(target, false, start, value);
    },
  });
  return [...byTarget.values()];
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
