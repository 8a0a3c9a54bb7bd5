/**
 * How an executor ends: a NixisoError is a problem the user can act on,
 * printed as one message; anything else is a bug.
 */
import { logger } from '../nx/runtime';

/** An error the user can act on; executors print its message and fail. */
export class NixisoError extends Error {}

/**
 * Runs an executor's work: a NixisoError becomes its message and a failed
 * result; anything else is a bug and propagates with its stack.
 */
export async function executorResult(work: () => Promise<void>): Promise<{ success: boolean }> {
  try {
    await work();
    return { success: true };
  } catch (e) {
    if (e instanceof NixisoError) {
      logger.error(`nixiso: ${e.message}`);
      return { success: false };
    }
    throw e;
  }
}

/**
 * A line of the executor's own report (the command it runs, its result).
 * On stderr, with Nix's warnings and the build progress: Nx reads a task's
 * stdout and stderr separately, so only one stream keeps them in the order
 * they were written.
 */
export function report(text: string): void {
  process.stderr.write(`${text}\n`);
}
