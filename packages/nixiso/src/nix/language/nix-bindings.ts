/**
 * Attribute bindings read from Nix code whose comments and string bodies are
 * blanked (image-detect.ts's `nixMeaning`): `a.b.c = value;`, nested sets,
 * lambda bindings (`mkHost = { name }: …;`). Pure and approximate by design:
 * it reads what a person sees in the source, and callers treat what it
 * cannot read as undecided rather than as absent.
 */

/** One binding: its attribute path and where its value lies (from after `=` to its `;`). */
export interface Binding {
  path: string[];
  start: number;
  end: number;
  /** Reached through a literal set (`x = { name = …; }`) rather than written as one path (`x.name = …`). */
  viaSet: boolean;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_'-]*/y;

const skipSpace = (code: string, i: number): number => {
  while (i < code.length && /\s/.test(code[i])) i++;
  return i;
};

/** Where the value starting at `i` ends: the `;` at its own depth, or the bracket closing the enclosing one. */
export function valueEnd(code: string, i: number): number {
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
}

/** The bracket closing the one at `i` (`{`, `[` or `(`). */
export function closingBracket(code: string, i: number): number {
  let depth = 0;
  for (; i < code.length; i++) {
    const c = code[i];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return code.length;
}

/**
 * An attribute name at `i`: an identifier, a quoted string (its body is
 * blanked in `code`, so it is read from `source`), or `${…}` (interpolated:
 * returned as the text `${…}`).
 */
function nameAt(code: string, source: string, i: number): { name: string; end: number } | undefined {
  if (code[i] === '"') {
    const close = code.indexOf('"', i + 1);
    return close < 0 ? undefined : { name: source.slice(i + 1, close), end: close + 1 };
  }
  if (code[i] === '$' && code[i + 1] === '{') {
    const close = closingBracket(code, i + 1);
    return { name: source.slice(i, close + 1), end: close + 1 };
  }
  IDENT.lastIndex = i;
  const m = IDENT.exec(code);
  return m ? { name: m[0], end: i + m[0].length } : undefined;
}

/** An attribute path `a.b."c"` at `i`, and where it ends. */
function attrPathAt(code: string, source: string, i: number): { path: string[]; end: number } | undefined {
  const path: string[] = [];
  let j = i;
  for (;;) {
    const named = nameAt(code, source, j);
    if (!named) return path.length ? { path, end: j } : undefined;
    path.push(named.name);
    const k = skipSpace(code, named.end);
    if (code[k] !== '.') return { path, end: named.end };
    j = skipSpace(code, k + 1);
  }
}

/**
 * The bindings of the set body between `from` and `to` (`a = 1; b.c = { … };`),
 * top level only; `inherit …;` is skipped. Stops at the first thing that is
 * not a binding.
 */
export function setBindings(code: string, source: string, from: number, to: number): Binding[] {
  const bindings: Binding[] = [];
  let i = skipSpace(code, from);
  while (i < to) {
    if (code.startsWith('inherit', i) && !/[A-Za-z0-9_'-]/.test(code[i + 7] ?? '')) {
      i = skipSpace(code, valueEnd(code, i) + 1);
      continue;
    }
    const attr = attrPathAt(code, source, i);
    if (!attr) break;
    const eq = skipSpace(code, attr.end);
    if (code[eq] !== '=' || code[eq + 1] === '=') break;
    const start = eq + 1;
    const end = valueEnd(code, start);
    bindings.push({ path: attr.path, start, end, viaSet: false });
    i = skipSpace(code, end + 1);
  }
  return bindings;
}

/**
 * Every binding whose attribute path contains `keyword` as a whole segment
 * (`nixosConfigurations.x = …`, `flake.nixosConfigurations = { … }`), with
 * the path from the keyword on, its value expanded through literal nested
 * sets (`= { x = …; }`) up to `depth` segments after the keyword.
 */
export function bindingsOf(code: string, source: string, keyword: string, depth: number): Binding[] {
  const found: Binding[] = [];
  const expand = (path: string[], start: number, end: number, viaSet: boolean) => {
    const open = skipSpace(code, start);
    if (path.length - 1 < depth && code[open] === '{') {
      const close = closingBracket(code, open);
      // `{ … }` followed by more code (`{ … } // x`, a lambda `{ a }: …`) is not a literal set.
      if (skipSpace(code, close + 1) >= end) {
        for (const b of setBindings(code, source, open + 1, close)) expand([...path, ...b.path], b.start, b.end, true);
        return;
      }
    }
    found.push({ path, start, end, viaSet });
  };
  const re = new RegExp(`(?<![A-Za-z0-9_'-])${keyword}(?![A-Za-z0-9_'-])`, 'g');
  for (let m = re.exec(code); m; m = re.exec(code)) {
    // The start of the attribute path this keyword is part of (`flake.nixosConfigurations`).
    let s = m.index;
    for (;;) {
      let k = s - 1;
      while (k >= 0 && /[ \t]/.test(code[k])) k--;
      if (code[k] !== '.') break;
      k--;
      while (k >= 0 && /[ \t]/.test(code[k])) k--;
      const segmentEnd = k;
      while (k >= 0 && /[A-Za-z0-9_'-]/.test(code[k])) k--;
      if (k === segmentEnd) break;
      s = k + 1;
    }
    const attr = attrPathAt(code, source, s);
    if (!attr) continue;
    const at = attr.path.indexOf(keyword);
    const eq = skipSpace(code, attr.end);
    if (at < 0 || code[eq] !== '=' || code[eq + 1] === '=') continue;
    const start = eq + 1;
    expand(attr.path.slice(at), start, valueEnd(code, start), false);
    re.lastIndex = Math.max(re.lastIndex, attr.end);
  }
  return found;
}

/** A lambda binding: `name = args: body;`, with the range of its whole value. */
export interface LambdaBinding {
  name: string;
  start: number;
  end: number;
}

/** Whether the value at `i` is a function: `x: …`, `{ a, b ? 1, … }: …`, `args@{ … }: …`. */
function isLambdaAt(code: string, i: number): boolean {
  i = skipSpace(code, i);
  if (code[i] === '{') {
    const close = closingBracket(code, i);
    const after = skipSpace(code, close + 1);
    return code[after] === ':' || (code[after] === '@' && /^@\s*[A-Za-z_][\w'-]*\s*:/.test(code.slice(after, after + 64)));
  }
  return /^[A-Za-z_][A-Za-z0-9_'-]*\s*(:(?![/:])|@\s*\{)/.test(code.slice(i, i + 128));
}

/** Every binding in the code whose value is a function, by name (the last segment of its path). */
export function lambdaBindings(code: string): LambdaBinding[] {
  const found: LambdaBinding[] = [];
  const re = /(?<![A-Za-z0-9_'.-])([A-Za-z_][A-Za-z0-9_'-]*)\s*=(?!=)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const start = m.index + m[0].length;
    if (!isLambdaAt(code, start)) continue;
    found.push({ name: m[1], start, end: valueEnd(code, start) });
  }
  return found;
}

/** The names called in a range of code: `f x`, `lib.mkHost { … }`, `(mkIso "x")`: the last segment of each. */
export function calledNames(code: string, start: number, end: number): string[] {
  const names = new Set<string>();
  const re = /([A-Za-z_][A-Za-z0-9_'-]*)\s*(?=[{(["A-Za-z_.]|\.\/)/g;
  const slice = code.slice(start, end);
  for (let m = re.exec(slice); m; m = re.exec(slice)) {
    const before = slice[m.index - 1];
    // An attribute name being bound or selected further (`a.b`) is not a call of `a`.
    if (slice[m.index + m[1].length] === '.') continue;
    if (before === '.' || before === undefined || /[\s([{;=:]/.test(before)) names.add(m[1]);
  }
  return [...names];
}

/** 1-based line of an offset. */
export function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) line++;
  return line;
}
