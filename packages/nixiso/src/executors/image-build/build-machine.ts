/**
 * The facts crossBuildWarning decides on, gathered only when the image's
 * system differs from this machine's (a native build costs no process).
 */
import { join } from 'node:path';
import { builderSystems, crossBuildWarning, hostPlatformOf, nodeSystem } from '../../nix/building/platforms';
import { enabledBinfmt, expandBuilders, nixSettings, readIfExists } from '../doctor/facts';
import type { ImageTarget } from '../image-request';

/** A warning to print before a build that this machine cannot do as configured. */
export async function buildMachineWarning(target: ImageTarget): Promise<string | undefined> {
  const { request } = target;
  const fromSources = hostPlatformOf(readIfExists(join(target.absRoot, 'configuration.nix')));
  const flakeSystem = fromSources ? undefined : hostPlatformOf(readIfExists(join(target.absRoot, 'flake.nix')));
  const system = request.system ?? fromSources ?? flakeSystem;
  const source = request.system
    ? 'option "system"'
    : fromSources
      ? `nixpkgs.hostPlatform in ${target.projectRoot}/configuration.nix`
      : `${target.projectRoot}/flake.nix`;
  const local = nodeSystem();
  if (!system || !local || system === local) return undefined;

  const settings = (await nixSettings('nix', target.absRoot, process.env)) ?? {};
  const machineSystem = settings['system'] || local;
  const extra = (settings['extra-platforms'] ?? '').split(/\s+/).filter(Boolean);
  const configuredBuilders = settings['builders'] ? [settings['builders']] : [];
  // The options are passed as --option, which replaces the nix.conf value.
  const builders = request.builders?.length ? request.builders : configuredBuilders;
  return crossBuildWarning(
    system,
    {
      system: machineSystem,
      extraPlatforms: request.extraPlatforms?.length ? request.extraPlatforms : extra,
      builderSystems: builderSystems(expandBuilders(builders).join('\n'), machineSystem),
      binfmt: enabledBinfmt(),
    },
    source,
  );
}
