/**
 * Entry of @nixiso/nx as an Nx plugin: the graph plugin (inferred image
 * projects and their targets, Nix import dependencies) and, in workspaces
 * that take cache hits from a remote cache, the task hook that makes such
 * hits yield an image (plugin/remote-cache.ts says when). Generators and
 * executors are listed in generators.json / executors.json.
 */
import type { PostTasksExecution } from '@nx/devkit';
import type { NixisoPluginOptions } from './plugin/nodes';
import { restoresCacheHits } from './plugin/remote-cache';
import { workspaceRoot } from './nx/runtime';

export { createNodes, createNodesV2 } from './plugin/nodes';
export type { NixisoPluginOptions } from './plugin/nodes';
export { createDependencies } from './plugin/dependencies';

/**
 * Undefined, not a hook that does nothing, where no remote cache is set up:
 * Nx then starts no plugin worker after each command for it.
 */
export const postTasksExecution: PostTasksExecution<NixisoPluginOptions> | undefined = restoresCacheHits(workspaceRoot)
  ? (options, context) => (require('./plugin/post-tasks') as typeof import('./plugin/post-tasks')).postTasksExecution(options, context)
  : undefined;
