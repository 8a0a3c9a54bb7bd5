/**
 * Entry of @nixiso/nx as an Nx plugin: the graph plugin (inferred image
 * projects and their targets, Nix import dependencies) and the task hook that
 * makes cache hits yield an image. Generators and executors are listed in
 * generators.json / executors.json.
 */
export { createNodes, createNodesV2 } from './plugin/nodes';
export type { NixisoPluginOptions } from './plugin/nodes';
export { createDependencies } from './plugin/dependencies';
export { postTasksExecution } from './plugin/post-tasks';
