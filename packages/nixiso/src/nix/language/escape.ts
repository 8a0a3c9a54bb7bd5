/**
 * Everything user-provided that lands in Nix source goes through here:
 * values as string literals, names as attribute names or attribute paths.
 */

const NIX_KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/**
 * A Nix double-quoted string literal whose value is exactly `value`:
 * `\`, `"` and `${` are escaped, and so are newline, CR and tab so that the
 * literal stays on one line. Nix strings cannot hold NUL; that is an error.
 */
export function nixString(value: string): string {
  if (value.includes('\0')) {
    throw new Error(`a Nix string cannot contain a NUL character: ${JSON.stringify(value)}`);
  }
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '$' && value[i + 1] === '{') out += '\\$';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else out += c;
  }
  return out + '"';
}

/** True when `name` can stand unquoted as a Nix identifier / attribute name. */
export function isNixIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !NIX_KEYWORDS.has(name);
}

/** An attribute name: bare when it is an identifier, else a quoted string. */
export function nixAttrName(name: string): string {
  return isNixIdentifier(name) ? name : nixString(name);
}

/** True for an attribute path such as `git` or `python3Packages.requests`. */
export function isNixAttrPath(path: string): boolean {
  return path.split('.').every(isNixIdentifier);
}

/**
 * Names in scope in every Nix file without `builtins.` (Nix's base
 * environment; checked with Nix 2.8, plus `break` of later versions). Like a
 * let or a function argument they win over `with pkgs;`, so `with pkgs; [ map ]`
 * is builtins.map, not pkgs.map. Names beginning with `__` are all base-env too.
 */
export const NIX_BASE_ENV_NAMES: ReadonlySet<string> = new Set([
  'abort', 'baseNameOf', 'break', 'builtins', 'derivation', 'derivationStrict', 'dirOf', 'false', 'fetchGit', 'fetchMercurial',
  'fetchTarball', 'fetchTree', 'fromTOML', 'import', 'isNull', 'map', 'null', 'placeholder', 'removeAttrs', 'scopedImport',
  'throw', 'toString', 'true',
]);

/**
 * An attribute path of pkgs as it is written inside `with pkgs; [ … ]`: bare,
 * unless its first name is bound lexically there (`lexical`, or the base
 * environment), in which case `pkgs.<path>` so that it still means the package.
 */
export function withPkgsAttrPath(path: string, lexical: ReadonlySet<string>): string {
  const [first] = path.split('.');
  const shadowed = lexical.has(first) || NIX_BASE_ENV_NAMES.has(first) || first.startsWith('__');
  return shadowed ? `pkgs.${path}` : path;
}

/** A Nix list of string literals, one per line at `indent`. */
export function nixStringList(values: readonly string[], indent = '  '): string {
  if (values.length === 0) return '[ ]';
  return `[\n${values.map((v) => `${indent}  ${nixString(v)}`).join('\n')}\n${indent}]`;
}
