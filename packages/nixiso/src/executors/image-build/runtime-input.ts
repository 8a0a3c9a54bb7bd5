/**
 * The build runs the runtime input Nx hashed it by (the fingerprint of what
 * Nx cannot hash as workspace files: nix/inputs/fingerprint.ts) once more, before
 * Nix runs. Nx hashes whatever such a command prints and goes on when it
 * fails; a fingerprint that could not read a path must not key a cache
 * entry, so the build fails instead, naming the path.
 */
import type { ExecutorContext } from '@nx/devkit';
import { isFingerprintCommand } from '../../nix/inputs/fingerprint';
import { capture } from '../../nix/process/run';
import { NixisoError } from '../executor-result';

export async function assertRuntimeInputsReadable(context: ExecutorContext): Promise<void> {
  const project = context.projectName ? context.projectsConfigurations.projects[context.projectName] : undefined;
  const inputs = (context.targetName ? project?.targets?.[context.targetName]?.inputs : undefined) ?? [];
  for (const input of inputs) {
    const runtime = typeof input === 'object' && input && 'runtime' in input ? (input as { runtime?: unknown }).runtime : undefined;
    if (typeof runtime !== 'string' || !isFingerprintCommand(runtime)) continue;
    // As Nx runs it: through the shell, from the workspace root.
    const r = await capture({ command: 'sh', args: ['-c', runtime] }, context.root);
    if (r.exitCode !== 0) {
      const why = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ') || `exit code ${r.exitCode}`;
      throw new NixisoError(`the fingerprint of what Nx cannot hash as workspace files failed: ${why}. Nx would key the cache on that failure, so nothing was built`);
    }
  }
}
