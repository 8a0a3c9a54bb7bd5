/**
 * The runtime values the plugin entry and the executors take from Nx, each
 * from its own module. `@nx/devkit`'s index loads all of
 * nx/src/devkit-exports (generators, the tree, formatting), about 170 ms in
 * every plugin worker and executor process that requires it; the graph
 * plugin, the task hook and the executors need only these. Types still
 * come from `@nx/devkit` (erased at compile time). Generators keep using
 * `@nx/devkit`: Nx has loaded it by the time it runs one.
 *
 * `nx/src/*` is in nx's package exports; the type queries name the same
 * files under dist/, which is where they live for TypeScript's `node`
 * module resolution. These modules are not Nx's public API: every Nx the
 * peer range names has them (the e2e checks that each one resolves in the
 * Nx it installs), and where one is gone or no longer exports the value,
 * the value comes from `@nx/devkit`'s index, which exports each of them under
 * the same name: slower to load, but the plugin keeps working.
 */

import { isAbsolute, join } from 'node:path';

/** `name` from the nx module `internal`, else from `@nx/devkit`. */
export function fromNx<T>(internal: string, name: string, load: (id: string) => unknown = require): T {
  try {
    const value = (load(internal) as Record<string, unknown> | undefined)?.[name];
    if (value !== undefined) return value as T;
  } catch {
    // Gone from this Nx (MODULE_NOT_FOUND, ERR_PACKAGE_PATH_NOT_EXPORTED) or broken: take the public export.
  }
  const value = (load('@nx/devkit') as Record<string, unknown>)[name];
  if (value === undefined) throw new Error(`@nixiso/nx: neither ${internal} nor @nx/devkit exports ${name} in this Nx`);
  return value as T;
}

export const logger = fromNx<typeof import('nx/dist/src/utils/logger').logger>('nx/src/utils/logger', 'logger');
export const createNodesFromFiles = fromNx<typeof import('nx/dist/src/project-graph/plugins/utils').createNodesFromFiles>(
  'nx/src/project-graph/plugins/utils',
  'createNodesFromFiles',
);
export const DependencyType = fromNx<typeof import('nx/dist/src/config/project-graph').DependencyType>('nx/src/config/project-graph', 'DependencyType');
export const workspaceRoot = fromNx<typeof import('nx/dist/src/utils/workspace-root').workspaceRoot>('nx/src/utils/workspace-root', 'workspaceRoot');

/**
 * Nx's rule for its workspace data directory (`.nx/workspace-data`, or
 * NX_WORKSPACE_DATA_DIRECTORY), applied to the given workspace root rather
 * than to the one the running Nx found.
 */
export function workspaceDataDirectoryOf(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.NX_WORKSPACE_DATA_DIRECTORY ?? env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  if (configured) return isAbsolute(configured) ? configured : join(workspaceRoot, configured);
  return join(workspaceRoot, '.nx', 'workspace-data');
}
