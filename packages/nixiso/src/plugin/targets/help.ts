/**
 * What `nx show project` offers as a target's help (Nx's metadata.help): for
 * an executor target the command prints the executor's options
 * (`nx run <project>:<target> --help`), and the example shows options it
 * takes. The command is the workspace package manager's exec (npx,
 * pnpm exec, yarn, bun), as Nx's own plugins write it.
 */
import type { TargetConfiguration } from '@nx/devkit';

type TargetHelp = NonNullable<NonNullable<TargetConfiguration['metadata']>['help']>;
export type HelpOf = (target: string, example: Record<string, unknown>) => TargetHelp;

/** Example options of each executor's help (valid for its schema.json: nodes.spec.ts checks them with Nx's validator). */
export const HELP_EXAMPLES = {
  build: { backend: 'build-image', format: 'qcow2' },
  eval: { showTrace: true },
  push: { url: 'file:///srv/nix-cache' },
  bootTest: { memoryMiB: 2048, checks: [{ run: 'nix --version', expect: '^nix ' }] },
  doctor: { failOnWarn: true },
  diff: { base: 'origin/main' },
} satisfies Record<string, Record<string, unknown>>;

/** The package manager's exec command of the workspace (Nx's own detection); npx when it cannot be told. */
export function packageManagerExec(workspaceRoot: string): string {
  try {
    // Loaded here, not with the module: the plugin worker has it loaded already, other importers of this file need not.
    const pm = require('nx/src/utils/package-manager') as typeof import('nx/dist/src/utils/package-manager');
    return pm.getPackageManagerCommand(pm.detectPackageManager(workspaceRoot), workspaceRoot).exec;
  } catch {
    return 'npx';
  }
}

/** metadata.help for the targets of one project, the exec command looked up once per graph computation. */
export function helpFor(project: string, exec: () => string): HelpOf {
  return (target, example) => ({ command: `${exec()} nx run ${project}:${target} --help`, example: { options: example } });
}
