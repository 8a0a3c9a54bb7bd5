/**
 * The graph plugin's entry: which files make image projects (every `.nix`
 * file, read by discover.ts, Nix asked where the sources leave it open) and,
 * per image, its project (image-project.ts) with targets built under
 * targets/. Discovery's answer is kept across graph computations
 * (discovery-cache.ts).
 */
import { join } from 'node:path';
import type { CreateNodes } from '@nx/devkit';
import { createNodesFromFiles } from '../nx/runtime';
import { findExecutable } from '../nix/process/run';
import { configuredTargets, defaultOptions } from './configured-targets';
import { type DiscoveredImage, discoverImages, diskTree } from './discover';
import { cachedDiscovery } from './discovery-cache';
import { askNixAboutFlake, nixIdentity } from './evaluate-images';
import { imageProject } from './image-project';
import { normalizeOptions, type NixisoPluginOptions } from './options';
import { nixisoMetadata, parseProjectJson } from './project-json';
import { packageManagerExec } from './targets/help';

export { DEFAULT_TARGET_NAMES, type NixisoPluginOptions, type TargetNameOption } from './options';

export const createNodes: CreateNodes<NixisoPluginOptions> = [
  '**/*.nix',
  async (files, options, context) => {
    let exec: string | undefined;
    const execOnce = () => (exec ??= packageManagerExec(context.workspaceRoot));
    const normalized = normalizeOptions(options);
    const nix = findExecutable('nix');
    // Everything the answer depends on that the content of the deciding files does not say.
    const key = {
      files: [...files].sort(),
      options: normalized,
      targetDefaults: context.nxJsonConfiguration.targetDefaults ?? {},
      nix: normalized.evaluateConfigurations && nix ? nixIdentity(nix) : null,
    };
    const images = await cachedDiscovery(context.workspaceRoot, key, diskTree(), async (tree) => {
      let complete = true;
      // Read through the tree, so that the kept answer knows every file it depends on.
      const projectJsonOf = (root: string) => parseProjectJson(tree.read(join(context.workspaceRoot, root, 'project.json')));
      const value = await discoverImages(
        files,
        {
          workspaceRoot: context.workspaceRoot,
          metadataOf: (root) => nixisoMetadata(projectJsonOf(root)),
          evaluate: normalized.evaluateConfigurations
            ? async (root, reading) => {
                const build = defaultOptions(configuredTargets(projectJsonOf(root), normalized, context).build);
                tree.read(join(context.workspaceRoot, root, 'flake.lock'));
                const answer = await askNixAboutFlake(root, reading, build, context.workspaceRoot);
                // Unavailable (offline, no Nix): asked again next time rather than kept.
                if (answer.status === 'unavailable') complete = false;
                return answer;
              }
            : undefined,
        },
        tree,
      );
      return { value, keep: complete };
    });
    const byEntry = new Map(images.map((image) => [image.entryFile, image]));
    return createNodesFromFiles<NixisoPluginOptions | undefined>(
      (file, o, c) => imageProject(byEntry.get(file) as DiscoveredImage, o, c, execOnce),
      [...byEntry.keys()],
      options,
      context,
    );
  },
];
/** The same pair under its earlier name, which Nx 23 and 24 read as well. */
export const createNodesV2 = createNodes;
