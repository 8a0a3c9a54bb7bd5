/**
 * Whether a flake's inputs are pinned by its flake.lock, decided before Nix
 * runs: builds never write flake.lock (they pass --no-write-lock-file), so a
 * missing or outdated lock either fails the build (`require`) or is reported
 * while the inputs float (`warn`).
 */

/** The `lockFile` option of the build and eval executors. */
export type LockFileOption = 'auto' | 'require' | 'warn';
export type LockFilePolicy = 'require' | 'warn';
export const LOCK_FILE_OPTIONS: readonly LockFileOption[] = ['auto', 'require', 'warn'];

/** `auto`: `require` in CI (CI=true or CI=1), `warn` elsewhere. */
export function lockFilePolicy(option: string | undefined, env: Readonly<Record<string, string | undefined>>): LockFilePolicy | { error: string } {
  const value = option ?? 'auto';
  if (!LOCK_FILE_OPTIONS.includes(value as LockFileOption)) {
    return { error: `option "lockFile": unknown value "${value}" (expected one of ${LOCK_FILE_OPTIONS.join(', ')})` };
  }
  if (value !== 'auto') return value as LockFilePolicy;
  return env.CI === 'true' || env.CI === '1' ? 'require' : 'warn';
}

/** What flake.nix declares, as FLAKE_INPUTS_COMMAND prints it. */
export type DeclaredInputs = Readonly<Record<string, { follows: boolean }>>;

export type LockProblem =
  /** No flake.lock, and these inputs are not overridden either. */
  | { kind: 'missing'; inputs: string[] }
  /** flake.lock does not match flake.nix: inputs added (not locked) or removed (still locked). */
  | { kind: 'outdated'; added: string[]; removed: string[] }
  | { kind: 'unreadable'; reason: string };

interface LockJson {
  root?: string;
  nodes?: Record<string, { inputs?: Record<string, unknown> }>;
}

/**
 * The problem with `lockText` (flake.lock's content, undefined when there is
 * none) for the inputs flake.nix declares. An input given with
 * `--override-input` needs no lock entry. Only the names are compared here;
 * whether each entry still matches its URL is Nix's check (lockCheckCommand).
 */
export function lockFileProblem(
  declared: DeclaredInputs,
  lockText: string | undefined,
  overridden: readonly string[],
): LockProblem | undefined {
  const needsLock = (name: string) => !overridden.includes(name);
  if (lockText === undefined) {
    // A top-level `follows` resolves to another input; only real inputs need pinning.
    const inputs = Object.keys(declared).filter((name) => !declared[name].follows && needsLock(name));
    return inputs.length ? { kind: 'missing', inputs } : undefined;
  }
  let lock: LockJson;
  try {
    lock = JSON.parse(lockText) as LockJson;
  } catch (e) {
    return { kind: 'unreadable', reason: (e as Error).message };
  }
  const root = lock.nodes?.[lock.root ?? 'root'];
  if (!root) return { kind: 'unreadable', reason: 'it has no root node' };
  const locked = Object.keys(root.inputs ?? {});
  const added = Object.keys(declared).filter((name) => !locked.includes(name) && needsLock(name));
  const removed = locked.filter((name) => !(name in declared));
  return added.length || removed.length ? { kind: 'outdated', added, removed } : undefined;
}

/** Whether Nix's `--no-update-lock-file` check (lockCheckCommand) can run without fetching an input that is not locked. */
export function lockCoversInputs(declared: DeclaredInputs, lockText: string): boolean {
  try {
    const lock = JSON.parse(lockText) as LockJson;
    const locked = Object.keys(lock.nodes?.[lock.root ?? 'root']?.inputs ?? {});
    return Object.keys(declared).every((name) => locked.includes(name));
  } catch {
    return false;
  }
}

/** Nix's own words when `--no-update-lock-file` refuses a change. */
export function isLockChangeRefusal(stderr: string): boolean {
  return /requires lock file changes but they're not allowed/.test(stderr);
}

const names = (list: string[]) => list.map((n) => `"${n}"`).join(', ');

/** What is wrong, in a sentence that ends before the remedy. */
export function describeLockProblem(problem: LockProblem, projectRoot: string): string {
  const file = `${projectRoot}/flake.lock`;
  switch (problem.kind) {
    case 'missing':
      return `${file} is missing, so the flake's inputs (${names(problem.inputs)}) are not pinned`;
    case 'outdated': {
      const parts = [
        ...(problem.added.length ? [`flake.nix declares ${names(problem.added)}, which it does not lock`] : []),
        ...(problem.removed.length ? [`it still locks ${names(problem.removed)}, which flake.nix no longer declares`] : []),
      ];
      return `${file} is out of date: ${parts.join('; ')}`;
    }
    case 'unreadable':
      return `${file} cannot be read (${problem.reason})`;
  }
}

/** The message of a `require` failure: what is wrong and the command that fixes it. */
export function lockRequiredMessage(what: string, lockCommand: string): string {
  return (
    `${what}; option "lockFile" is "require" (the default when CI=true), so nixiso stopped before Nix built or evaluated anything. ` +
    `Run \`${lockCommand}\` and commit flake.lock, or override the inputs (option "overrideInputs")`
  );
}

/** The warning when inputs float (`warn`). */
export function lockFloatingWarning(what: string, lockCommand: string): string {
  return (
    `${what}; building anyway with --no-write-lock-file, so the inputs float to whatever their URLs point at now. ` +
    `Run \`${lockCommand}\` and commit flake.lock to pin them (under CI=true this fails the build)`
  );
}
