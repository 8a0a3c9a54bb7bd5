/**
 * What the workspace configures for an image's build and eval targets
 * beyond what the plugin infers: nx.json's targetDefaults (by target name
 * and by executor) and the project's project.json. The plugin reads from
 * them the Nx configurations its own targets must offer too, and the local
 * directories (`nixPath`, `overrideInputs`) whose files Nix reads as much as
 * the image's own.
 */
import { posix } from 'node:path';
import type { CreateNodesContext } from '@nx/devkit';
import { PLUGIN_NAME, type ResolvedPluginOptions } from './options';
import type { ProjectJson } from './project-json';
import type { ImageInputModel } from './targets/inputs';

type OptionsLike = { nixPath?: unknown; overrideInputs?: unknown };

/** The option sets a target may run with: its options and each configuration. */
function optionSets(target: unknown): OptionsLike[] {
  if (!target || typeof target !== 'object') return [];
  const { options, configurations } = target as { options?: OptionsLike; configurations?: Record<string, OptionsLike> };
  return [options ?? {}, ...Object.values(configurations ?? {})];
}

/** A local path named by a nixPath entry or an override input; undefined for URLs and `<…>` lookups. */
function localPathOf(value: string): string | undefined {
  if (value.startsWith('<')) return undefined;
  const local = /^(path|git\+file):(\/\/)?/.exec(value);
  if (local) return decodeURIComponent(value.slice(local[0].length).replace(/[?#].*$/, ''));
  return /^[a-z][a-z0-9+.-]*:/i.test(value) ? undefined : value;
}

/**
 * The local directories the image's build and eval may be pointed at
 * (`nixPath`, `overrideInputs`, in the target's options or any of its
 * configurations, in project.json or nx.json's targetDefaults): their files
 * are read by Nix as much as the image's own.
 */
export function localSourcesOf(
  targets: readonly unknown[],
  workspaceRoot: string,
): ImageInputModel['localSources'] {
  const inWorkspace = new Set<string>();
  const external = new Set<string>();
  for (const set of targets.flatMap(optionSets)) {
    const nixPath = Array.isArray(set.nixPath) ? set.nixPath.filter((e): e is string => typeof e === 'string') : [];
    const overrides =
      set.overrideInputs && typeof set.overrideInputs === 'object'
        ? Object.values(set.overrideInputs).filter((e): e is string => typeof e === 'string')
        : [];
    const values = [...nixPath.map((entry) => entry.slice(entry.indexOf('=') + 1)), ...overrides];
    for (const value of values) {
      const local = localPathOf(value);
      if (!local) continue;
      // Relative to the workspace root, as the executors resolve them.
      const absolute = posix.resolve(workspaceRoot, local);
      const relative = posix.relative(workspaceRoot, absolute);
      if (absolute.startsWith('/nix/store/')) continue;
      if (relative.startsWith('..') || posix.isAbsolute(relative)) external.add(absolute);
      else inWorkspace.add(relative || '.');
    }
  }
  return { inWorkspace: [...inWorkspace].sort(), external: [...external].sort() };
}

/** Configuration names of the given target configurations. */
export function configurationNames(targets: readonly unknown[]): string[] {
  const names = new Set<string>();
  for (const target of targets) {
    const configurations = (target as { configurations?: unknown } | undefined)?.configurations;
    if (configurations && typeof configurations === 'object') Object.keys(configurations).forEach((n) => names.add(n));
  }
  return [...names].sort();
}

/**
 * The target configurations that may set nixPath / overrideInputs for an
 * image's build and for its eval: nx.json's targetDefaults by target name
 * and by executor, and the project's project.json.
 */
export function configuredTargets(
  projectJson: ProjectJson | undefined,
  options: ResolvedPluginOptions,
  context: CreateNodesContext,
): { build: unknown[]; eval: unknown[] } {
  const defaults = (context.nxJsonConfiguration.targetDefaults ?? {}) as Record<string, unknown>;
  const targets = projectJson?.targets ?? {};
  const of = (name: string, executor: string): unknown[] => [
    ...[name, executor].flatMap((key) => {
      const value = defaults[key];
      return Array.isArray(value) ? value : value ? [value] : [];
    }),
    targets[name],
  ];
  return { build: of(options.buildTargetName, `${PLUGIN_NAME}:build`), eval: of(options.evalTargetName, `${PLUGIN_NAME}:eval`) };
}

/** The options a target runs with by default (not a configuration's): the last word of targetDefaults and project.json. */
export function defaultOptions(targets: readonly unknown[]): { nixPath?: string[]; overrideInputs?: Record<string, string>; nixOptions?: Record<string, string> } {
  const merged: Record<string, unknown> = {};
  for (const target of targets) Object.assign(merged, (target as { options?: Record<string, unknown> } | undefined)?.options ?? {});
  return merged;
}
