/**
 * Before Nix runs, the image's sources are checked against what Nix will
 * need of them, so that a build or an evaluation fails with a message that
 * names the fix rather than with Nix's: git must track the files a flake
 * reads, flake.lock must be as the option lockFile wants it, and the
 * configuration the options name must exist.
 */
import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { logger } from '../nx/runtime';
import { commandLine, configurationNamesCommand, FLAKE_INPUTS_COMMAND, lockCheckCommand } from '../nix/building/command';
import { parseNixFailure } from '../nix/building/errors';
import {
  type DeclaredInputs,
  describeLockProblem,
  isLockChangeRefusal,
  lockCoversInputs,
  lockFileProblem,
  lockFloatingWarning,
  lockRequiredMessage,
} from '../nix/flakes/flake-lock';
import { capture } from '../nix/process/run';
import { BOOT_TEST_OPTIONS_FILE } from './boot-test/options-file';
import { NixisoError } from './executor-result';
import type { ImageTarget } from './image-request';

/** The checks, in the order their failures are worth reading: untracked files, then flake.lock, then the configuration. */
export async function checkSources(target: ImageTarget, context: ExecutorContext): Promise<void> {
  await assertTracked(target, context.projectGraph);
  await checkFlakeLock(target);
  await assertConfigurationDefined(target, context);
}

async function declaredInputs(target: ImageTarget): Promise<DeclaredInputs> {
  const r = await capture(FLAKE_INPUTS_COMMAND, target.absRoot);
  if (r.exitCode !== 0) {
    const failure = parseNixFailure(r.stderr);
    throw new NixisoError(
      `cannot read the inputs of ${target.projectRoot}/flake.nix:\n${(failure.errorLines.length ? failure.errorLines : [r.stderr.trim()]).join('\n')}`,
    );
  }
  return JSON.parse(r.stdout) as DeclaredInputs;
}

/**
 * flake.lock against flake.nix, before Nix builds: builds never write the
 * lock, so `require` fails here, naming the lock command, and `warn` says the
 * inputs float. Under `require` a lock that has every input is also checked
 * by Nix (`--no-update-lock-file`) for entries whose URL changed.
 */
async function checkFlakeLock(target: ImageTarget): Promise<void> {
  const { request } = target;
  if (request.source.kind !== 'flake') return;
  const declared = await declaredInputs(target);
  const lockPath = join(target.absRoot, 'flake.lock');
  const lockText = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined;
  const problem = lockFileProblem(declared, lockText, Object.keys(request.overrideInputs));
  if (problem) {
    const what = describeLockProblem(problem, target.projectRoot);
    if (target.lockFile === 'require') throw new NixisoError(lockRequiredMessage(what, target.lockCommand));
    logger.warn(`nixiso: warning: ${lockFloatingWarning(what, target.lockCommand)}`);
    return;
  }
  if (target.lockFile !== 'require' || lockText === undefined || !lockCoversInputs(declared, lockText)) return;
  const check = lockCheckCommand(request);
  const r = await capture(check, target.absRoot);
  if (r.exitCode === 0) return;
  const what = isLockChangeRefusal(r.stderr)
    ? `${target.projectRoot}/flake.lock is out of date: Nix would change it (an input's URL in flake.nix differs from what it locks)`
    : `${target.projectRoot}/flake.lock could not be checked (\`${commandLine(check)}\` failed:\n${parseNixFailure(r.stderr).errorLines.join('\n') || r.stderr.trim()})`;
  throw new NixisoError(lockRequiredMessage(what, target.lockCommand));
}

/**
 * A flake build names a configuration the project graph did not find
 * (a hand-written option, a stale project.json): before Nix builds, list
 * the flake's configurations and fail naming them when it is not one.
 */
async function assertConfigurationDefined(target: ImageTarget, context: ExecutorContext): Promise<void> {
  const { source } = target.request;
  if (source.kind !== 'flake' || source.attribute) return;
  const found = (context.projectsConfigurations.projects[target.projectName]?.metadata as { nixiso?: { configurations?: unknown } } | undefined)
    ?.nixiso?.configurations;
  if (Array.isArray(found) && found.includes(source.configurationName)) return;
  const r = await capture(configurationNamesCommand(target.request), target.absRoot);
  // Nix says why it cannot list them (an input it cannot fetch, a syntax error) when it builds.
  if (r.exitCode !== 0) return;
  const names = JSON.parse(r.stdout) as string[];
  if (names.includes(source.configurationName)) return;
  throw new NixisoError(
    `${join(target.projectRoot, 'flake.nix')} defines no nixosConfigurations.${source.configurationName}; ` +
      `it defines ${names.length ? names.join(', ') : 'none'}. Set the option "configurationName", ` +
      `or name the image configurations in ${join(target.projectRoot, 'project.json')}: "metadata": { "nixiso": { "configurations": [...] } }`,
  );
}

/** Roots of the projects `project` depends on, directly or not. */
function dependencyRoots(graph: ProjectGraph, project: string): string[] {
  const seen = new Set<string>([project]);
  const queue = [project];
  while (queue.length) {
    const current = queue.shift() as string;
    for (const dep of graph.dependencies[current] ?? []) {
      if (graph.nodes[dep.target] && !seen.has(dep.target)) {
        seen.add(dep.target);
        queue.push(dep.target);
      }
    }
  }
  seen.delete(project);
  return [...seen].map((name) => graph.nodes[name].data.root);
}

/**
 * A flake in git sees only tracked files. Untracked files in the image or the
 * projects it imports would make Nix fail with "path … does not exist"; name
 * them instead.
 */
async function untrackedFiles(target: ImageTarget, graph: ProjectGraph | undefined): Promise<string[]> {
  if (!target.flake || !target.gitRoot) return [];
  const roots = [target.projectRoot, ...(graph ? dependencyRoots(graph, target.projectName) : [])].map((root) =>
    relative(target.gitRoot as string, resolve(target.workspaceRoot, root)) || '.',
  );
  const r = await capture(
    { command: 'git', args: ['ls-files', '--others', '--exclude-standard', '--', ...roots] },
    target.gitRoot,
  );
  // boot-test's options file is nixiso's, not Nix's: an image whose Nix reads it anyway fails in Nix, naming it.
  const bootTestOptions = relative(target.gitRoot, resolve(target.workspaceRoot, target.projectRoot, BOOT_TEST_OPTIONS_FILE));
  return r.exitCode === 0 ? r.stdout.split('\n').filter((f) => f && f !== bootTestOptions) : [];
}

/** Fails, naming them, when files a git flake build needs are untracked. */
async function assertTracked(target: ImageTarget, graph: ProjectGraph | undefined): Promise<void> {
  const untracked = await untrackedFiles(target, graph);
  if (!untracked.length) return;
  throw new NixisoError(
    `these files are not tracked by git, so Nix cannot see them when it evaluates the flake ` +
      `(a flake in a git repository sees only tracked files):\n${untracked.map((f) => `  ${f}`).join('\n')}\n` +
      `run \`git add ${untracked.join(' ')}\` (or \`git add --intent-to-add\`) and try again`,
  );
}
