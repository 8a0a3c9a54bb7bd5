/**
 * Adding an import to a NixOS module's `imports = [ … ]` list, as text: the
 * rest of the file (comments, layout) stays as the user wrote it.
 */
import { posix } from 'node:path';
import { lexNix, scanImports } from './scan-imports';

export type AddImportResult =
  | { status: 'added'; source: string }
  /** The file already refers to the target (in any form: `./x`, `./x/default.nix`, `"${./x}"`). */
  | { status: 'present' }
  | { status: 'error'; message: string };

const RELATIVE_PATH_LITERAL = /^\.\.?(\/[a-zA-Z0-9._+-]+)+$/;

/** `source` with comments and string bodies blanked (newlines kept): what is left is code. */
export function codeOnly(source: string): string {
  const chars = source.split('');
  lexNix(source, {
    opaque(start, end) {
      for (let i = start; i < end; i++) if (chars[i] !== '\n') chars[i] = ' ';
    },
  });
  return chars.join('');
}

function matching(code: string, open: number, openChar: string, closeChar: string): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === openChar) depth++;
    else if (code[i] === closeChar && --depth === 0) return i;
  }
  return -1;
}

/** The spaces and tabs that start the line holding `index`. */
export function indentOf(source: string, index: number): string {
  const lineStart = source.lastIndexOf('\n', index - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart))?.[0] ?? '';
}

/** The `[` of the outermost `imports = [` (the module's own, not one of a nested module). */
function findImportsList(code: string): number {
  const pattern = /(?<![A-Za-z0-9_'.-])imports\s*=\s*\[/g;
  let best = -1;
  let bestDepth = Infinity;
  let depth = 0;
  let counted = 0;
  for (let match = pattern.exec(code); match; match = pattern.exec(code)) {
    for (; counted < match.index; counted++) {
      if (code[counted] === '{') depth++;
      else if (code[counted] === '}') depth--;
    }
    if (depth < bestDepth) {
      bestDepth = depth;
      best = match.index + match[0].length - 1;
    }
  }
  return best;
}

/** The `{` opening the module's attribute set in `{ … }: {`, `args@{ … }: {` or a bare `{ … }`; -1 otherwise. */
function findModuleBody(code: string): number {
  const head = /^\s*(?:[A-Za-z_][A-Za-z0-9_'-]*\s*@\s*)?/.exec(code)?.[0] ?? '';
  const open = head.length;
  if (code[open] !== '{') return -1;
  const close = matching(code, open, '{', '}');
  if (close < 0) return -1;
  const rest = code.slice(close + 1);
  const lambda = /^\s*(?:@\s*[A-Za-z_][A-Za-z0-9_'-]*\s*)?:\s*\{/.exec(rest);
  if (lambda) return close + lambda[0].length;
  return !head.includes('@') && /^\s*$/.test(rest) ? open : -1;
}

/**
 * Adds `importPath` (a relative path literal such as `../../modules/users`)
 * to the module in `source` (the text of `file`), with `comment` lines above
 * it. Does nothing when the file already refers to that path.
 */
export function addImport(source: string, file: string, importPath: string, comment = ''): AddImportResult {
  if (!RELATIVE_PATH_LITERAL.test(importPath)) {
    return { status: 'error', message: `"${importPath}" is not a relative Nix path literal (./x or ../x, characters a-z A-Z 0-9 . _ + -)` };
  }
  const target = posix.join(posix.dirname(file), importPath);
  const referenced = scanImports(source, file);
  if (referenced.includes(target) || referenced.includes(`${target}/default.nix`)) return { status: 'present' };

  const entry = [...comment.split('\n').filter(Boolean).map((line) => `# ${line}`), importPath];
  const code = codeOnly(source);
  const open = findImportsList(code);
  if (open >= 0) {
    const close = matching(code, open, '[', ']');
    if (close < 0) return { status: 'error', message: `${file}: the imports list is not closed` };
    const closeLineStart = source.lastIndexOf('\n', close - 1) + 1;
    if (closeLineStart > open && /^[ \t]*$/.test(source.slice(closeLineStart, close))) {
      // `]` on its own line: add the entry as the last line(s), aligned with the items.
      const items = source.slice(open + 1, closeLineStart).split('\n').slice(1).filter((line) => line.trim());
      const indent = items.length ? indentOf(items[items.length - 1], 0) : `${indentOf(source, close)}  `;
      const lines = entry.map((line) => `${indent}${line}\n`).join('');
      return { status: 'added', source: source.slice(0, closeLineStart) + lines + source.slice(closeLineStart) };
    }
    // `imports = [ ./a.nix ];` on one line: the list becomes multi-line.
    const outer = indentOf(source, open);
    const lines = entry.map((line) => `${outer}  ${line}\n`).join('');
    return { status: 'added', source: `${source.slice(0, close).trimEnd()}\n${lines}${outer}${source.slice(close)}` };
  }

  const body = findModuleBody(code);
  if (body < 0) {
    return {
      status: 'error',
      message: `${file} has no \`imports = [ … ]\` list and is not of the form \`{ … }: { … }\`; add \`imports = [ ${importPath} ];\` to it by hand`,
    };
  }
  const lines = entry.map((line) => `    ${line}\n`).join('');
  return { status: 'added', source: `${source.slice(0, body + 1)}\n  imports = [\n${lines}  ];\n${source.slice(body + 1).replace(/^[ \t]*\n/, '')}` };
}
