import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx/runtime';
import { commandLine, nixEvalCommand } from '../../nix/building/command';
import { parseNixFailure } from '../../nix/building/errors';
import { runCommand } from '../../nix/process/run';
import { executorResult, NixisoError } from '../executor-result';
import { requireBackendTools, resolveImageTarget } from '../image-request';
import { checkSources } from '../source-checks';
import type { EvalExecutorSchema } from './schema';

/** Evaluates the image derivation; prints its .drv path. Nothing is built. */
export default async function evalExecutor(
  options: EvalExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return executorResult(async () => {
    const target = await resolveImageTarget({ ...options, backend: 'nix' }, context);
    requireBackendTools(target.request);
    await checkSources(target, context);
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
      throw new NixisoError(
        failure.errorLines.length ? `evaluation failed:\n${failure.errorLines.join('\n')}` : `Nix exited with code ${result.exitCode}`,
      );
    }
    logger.info(result.stdout.trim());
  });
}
