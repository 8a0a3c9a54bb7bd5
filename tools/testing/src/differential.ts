/**
 * The oracle of the differential tests of the cache inputs: what raw Nix
 * evaluates an example image in a test workspace to now (nix-instantiate for
 * the channel example, nix eval of the git work tree for the flake one, both
 * against the offline stand-ins), and which example projects `nx affected`
 * reports for the last commit.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { NixTools } from './stand-ins';
import type { TestWorkspace } from './workspace';

export type ExampleImage = 'iso-channel' | 'iso-flake';

/** The derivation Nix evaluates `examples/<image>` to now, asked directly (not through the plugin), with `env` added to Nix's environment. */
export function rawDerivation(ws: TestWorkspace, nix: NixTools, image: ExampleImage, env: NodeJS.ProcessEnv = {}): string {
  const fixtures = join(ws.root, 'tools/nix-fixtures');
  const args =
    image === 'iso-channel'
      ? [
          '<nixpkgs/nixos>', '-A', 'config.system.build.isoImage',
          '-I', `nixos-config=${join(ws.root, 'examples/iso-channel/configuration.nix')}`,
          // As the offline configuration's nixPath: its -I entries first, then $NIX_PATH.
          '-I', `nixpkgs=${fixtures}/nixpkgs`, '-I', `home-manager=${fixtures}/home-manager`,
          ...nix.offlineArgs,
        ]
      : [
          ...nix.flakeArgs, 'eval', '--raw', '--no-write-lock-file',
          `git+file://${ws.root}?dir=examples/iso-flake#nixosConfigurations.liveImage.config.system.build.isoImage.drvPath`,
          '--override-input', 'nixpkgs', `path:${fixtures}/nixpkgs`,
          ...nix.offlineArgs,
        ];
  const out = execFileSync(image === 'iso-channel' ? nix.nixInstantiate : nix.nix, args, {
    cwd: ws.root,
    env: { ...nix.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim().split('\n').pop() as string;
}

/** Which of `projects` `nx show projects --affected` reports for the last commit, sorted. */
export function affectedOf<T extends string>(ws: TestWorkspace, projects: readonly T[], env: NodeJS.ProcessEnv = {}): T[] {
  const r = ws.nx(['show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--json'], env);
  if (r.status !== 0) throw new Error(r.output);
  const shown = JSON.parse(r.output.slice(r.output.indexOf('['), r.output.lastIndexOf(']') + 1)) as string[];
  return shown.filter((p): p is T => (projects as readonly string[]).includes(p)).sort();
}
