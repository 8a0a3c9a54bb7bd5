import { type ExecutorContext, logger } from '@nx/devkit';
import { commandLine, nixEvalCommand } from '../../nix/command';
import { parseNixFailure } from '../../nix/errors';
import { runCommand } from '../../nix/run';
import { NixisoError, requireNix, resolveImageTarget, untrackedFiles } from '../image-request';
import type { EvalExecutorSchema } from './schema';

/** Evaluates the image derivation; prints its .drv path. Nothing is built. */
export default async function evalExecutor(
  options: EvalExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  try {
    const target = await resolveImageTarget({ ...options, backend: 'nix' }, context);
    requireNix('nix', undefined);
    const untracked = await untrackedFiles(target, context.projectGraph);
    if (untracked.length) {
      throw new NixisoError(`these files are not tracked by git, so Nix cannot see them:\n  ${untracked.join('\n  ')}`);
    }
    let cmd;
    try {
      cmd = nixEvalCommand(target.request);
    } catch (e) {
      throw new NixisoError((e as Error).message);
    }
    logger.info(`> ${commandLine(cmd)}`);
    const result = await runCommand(cmd, { cwd: target.absRoot, env: process.env });
    if (result.interruptedBy) throw new NixisoError(`interrupted by ${result.interruptedBy}`);
    if (result.exitCode !== 0) {
      const failure = parseNixFailure(result.stderr);
      throw new NixisoError(failure.errorLines.length ? `evaluation failed:\n${failure.errorLines.join('\n')}` : `Nix exited with code ${result.exitCode}`);
    }
    logger.info(result.stdout.trim());
    return { success: true };
  } catch (e) {
    if (e instanceof NixisoError) {
      logger.error(`nixiso: ${e.message}`);
      return { success: false };
    }
    throw e;
  }
}
