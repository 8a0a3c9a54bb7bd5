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

/** A Nix list of string literals, one per line at `indent`. */
export function nixStringList(values: readonly string[], indent = '  '): string {
  if (values.length === 0) return '[ ]';
  return `[\n${values.map((v) => `${indent}  ${nixString(v)}`).join('\n')}\n${indent}]`;
}
