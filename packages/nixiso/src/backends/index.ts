/**
 * The backends: every `<id>.backend.ts` module of this folder, found by its
 * file name, so that adding a backend is adding its module (and its spec)
 * and nothing else. The executors, doctor and the image generator ask these
 * functions rather than comparing ids; the schemas' enums are written from
 * BACKEND_IDS (tools/scripts/sync-schemas.ts).
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { type Command, describeSource } from '../nix/building/command';
import { findFormat, FORMATS, type Format } from '../nix/building/formats';
import type { Release } from '../nix/building/releases';
import type { Backend, BuildRequest } from './types';

export type { Backend, BackendId, BuildFailure, BuildRequest, Requirement } from './types';
export { requirementMessage } from './requirements';

/** `.backend.ts` under ts-jest and the TypeScript runners, `.backend.js` once built. */
const MODULE_SUFFIX = `.backend${extname(__filename)}`;

function discoverBackends(): Backend[] {
  const found = readdirSync(__dirname)
    .filter((name) => name.endsWith(MODULE_SUFFIX))
    .map((name) => {
      const id = name.slice(0, -MODULE_SUFFIX.length);
      const { backend } = require(join(__dirname, name)) as { backend?: Backend };
      // The file name is what a reader greps for: it must be the id users write.
      if (backend?.id !== id) throw new Error(`${join(__dirname, name)} must export \`backend\`, a Backend with id "${id}"`);
      return backend;
    });
  return found.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

export const BACKENDS: readonly Backend[] = discoverBackends();

/** The values of the `backend` option, in the schemas' order. */
export const BACKEND_IDS: readonly string[] = BACKENDS.map((b) => b.id);

export function findBackend(id: string): Backend | undefined {
  return BACKENDS.find((b) => b.id === id);
}

/** The backend of an id already checked (a resolved request, a manifest). */
export function backendById(id: string): Backend {
  const backend = findBackend(id);
  if (!backend) throw new Error(`unknown backend "${id}" (expected one of ${BACKEND_IDS.join(', ')})`);
  return backend;
}

const quoted = (backends: readonly Backend[]) => backends.map((b) => `"${b.id}"`).join(' or ');

/** The format option `id` names for a backend, or an error message naming what the backends build instead. */
export function formatFor(id: string, backend: Backend): Format | { error: string } {
  if (backend.formatFor) return backend.formatFor(id);
  const known = findFormat(id);
  if (known) return known;
  const beyond = BACKENDS.filter((b) => b.formatsBeyondTable).map((b) => `; backend "${b.id}" also builds ${b.formatsBeyondTable}`);
  return { error: `option "format": unknown format "${id}" (expected one of ${FORMATS.map((f) => f.id).join(', ')}${beyond.join('')})` };
}

/** Why `backend` cannot build an image of `release`, naming the backends that can, or undefined. */
export function releaseProblem(backend: Backend, release: Release | undefined): string | undefined {
  if (!release || !backend.releases || backend.releases.supports(release)) return undefined;
  const others = BACKENDS.filter((b) => !b.releases || b.releases.supports(release));
  return (
    `backend "${backend.id}" needs ${backend.releases.needs} but the image targets NixOS ${release.id}` +
    (others.length ? `; use backend ${quoted(others)}` : '')
  );
}

/** The command line that builds the request's image with its backend; throws when the backend cannot build it. */
export function buildCommand(req: BuildRequest): Command {
  const backend = backendById(req.backend);
  const { source } = req;
  if (backend.configurationOnly && (source.kind === 'expression' || (source.kind === 'flake' && source.attribute))) {
    throw new Error(
      `backend "${backend.id}" builds a NixOS configuration, but this image is ${describeSource(source)}, which Nix builds as it is; ` +
        `use backend ${quoted(BACKENDS.filter((b) => !b.configurationOnly))}`,
    );
  }
  const unsupported = releaseProblem(backend, req.release);
  if (unsupported) throw new Error(unsupported);
  return backend.command(req);
}
