/**
 * Filesystem paths as flake references (`path:…`, `git+file:…`).
 *
 * A flake reference is a URL: a space, a non-ASCII letter, `#`, `?` or `%`
 * in a directory name makes a raw path invalid or means something else
 * (`#` starts the attribute, `?` the query). Nix ≥ 2.10 percent-decodes the
 * path of a URL (NixOS/nix#6614), but Nix 2.8, Debian's, does not: it takes
 * `path:/tmp/a%20b` for the directory `a%20b`. It does decode the query
 * (`?dir=a%20b`), and it resolves a relative `path:` / `git+file:` path against
 * the directory it runs in, in every version. So a path that needs encoding
 * is written relative to Nix's working directory when that relative path is
 * plain (`path:.`, `git+file:../..`), and percent-encoded only otherwise.
 */
import { posix } from 'node:path';

export type FlakePathKind = 'path' | 'git+file';

/**
 * Characters Nix's URL grammar takes literally in a path (unreserved,
 * sub-delims, `:`, `@`, `/`): every other byte is percent-encoded, `%` too.
 */
const LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/;

/** Whether `path` can stand in a flake URL as it is. */
export function isPlainFlakePath(path: string): boolean {
  return [...path].every((c) => LITERAL.test(c));
}

/** `path` with every character a URL path cannot hold literally percent-encoded (UTF-8), `/` kept. */
export function encodeFlakePath(path: string): string {
  return [...path].map((c) => (LITERAL.test(c) ? c : encodeURIComponent(c))).join('');
}

/** A query value (`?dir=…`), which every Nix version decodes: encoded, `/` kept for readability. */
export function encodeFlakeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/');
}

/**
 * The flake reference of the directory `absPath`: as it is when the path is
 * plain; else relative to `cwd` (the directory Nix runs in) when that is
 * plain; else percent-encoded (understood by Nix ≥ 2.10 only).
 */
export function flakePathRef(kind: FlakePathKind, absPath: string, cwd?: string): string {
  const absolute = kind === 'git+file' ? `git+file://${absPath}` : `path:${absPath}`;
  if (isPlainFlakePath(absPath)) return absolute;
  if (cwd !== undefined) {
    const rel = posix.relative(cwd, absPath) || '.';
    if (isPlainFlakePath(rel)) return `${kind}:${rel}`;
  }
  return kind === 'git+file' ? `git+file://${encodeFlakePath(absPath)}` : `path:${encodeFlakePath(absPath)}`;
}
