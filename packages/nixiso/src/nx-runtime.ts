/**
 * The runtime values the plugin entry and the executors take from Nx, each
 * from its own module. `@nx/devkit`'s index loads all of
 * nx/src/devkit-exports (generators, the tree, formatting), about 170 ms in
 * every plugin worker and executor process that requires it; the graph
 * plugin, the task hook and the executors need only these three. Types still
 * come from `@nx/devkit` (erased at compile time). Generators keep using
 * `@nx/devkit`: Nx has loaded it by the time it runs one.
 *
 * `nx/src/*` is in nx's package exports; the type queries name the same
 * files under dist/, which is where they live for TypeScript's `node`
 * module resolution.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const { logger } = require('nx/src/utils/logger') as typeof import('nx/dist/src/utils/logger');
export const { createNodesFromFiles } = require('nx/src/project-graph/plugins/utils') as typeof import('nx/dist/src/project-graph/plugins/utils');
export const { DependencyType } = require('nx/src/config/project-graph') as typeof import('nx/dist/src/config/project-graph');
