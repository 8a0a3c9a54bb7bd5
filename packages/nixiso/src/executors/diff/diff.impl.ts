import type { ExecutorContext } from '@nx/devkit';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findImageFiles } from '../../built-image/image-files';
import { DIFF_FILE, DIFF_MARKDOWN_FILE } from '../../built-image/outputs';
import { systemClosure } from '../../built-image/system-closure';
import { commandLine, configurationNamesCommand, nixEvalCommand, realiseCommand } from '../../nix/building/command';
import { parseNixFailure } from '../../nix/building/errors';
import { capture, runCommand } from '../../nix/process/run';
import { closureInfoCommand, type ClosureEntry, diffClosures, parseClosureInfo } from '../../nix/store/closure-diff';
import { storePathLines } from '../../nix/store/system-closure';
import { logger } from '../../nx/runtime';
import { executorResult, NixisoError, report } from '../executor-result';
import type { BuildExecutorSchema } from '../image-build/schema';
import { parseBudgets } from '../image-build/size-budget';
import { type ImageTarget, requireBackendTools, resolveImageTarget } from '../image-request';
import { checkSources } from '../source-checks';
import { affectedBaseOfParent, baseRefOf, type BaseTree, checkOutBase, resolveBaseCommit } from './base-tree';
import { diffMarkdown, diffSummary, type ImageDiff } from './report';
import type { DiffExecutorSchema } from './schema';

/**
 * Compares the image at this commit with the image at a base commit: the
 * derivations first (the same one: nothing changed, nothing is built), then
 * what both systems hold, and the sizes. Writes diff.json and diff.md beside
 * the build's outputs.
 */
export default async function diffExecutor(options: DiffExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return executorResult(async () => {
    const { diff, dir } = await diffImage(options, context);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, DIFF_FILE), `${JSON.stringify(diff, null, 2)}\n`);
    writeFileSync(join(dir, DIFF_MARKDOWN_FILE), diffMarkdown(diff));
    report(`\n${diffSummary(diff)}\n  ${relative(context.root, join(dir, DIFF_MARKDOWN_FILE))}`);
  });
}

/**
 * The options of the build target this diff compares (the same Nx
 * configuration when the build has it): what `nx run <project>:build -c <c>`
 * would build is what is compared.
 */
export function buildTargetOptions(options: DiffExecutorSchema, context: ExecutorContext): BuildExecutorSchema {
  const project = context.projectName ?? '';
  const targetName = options.buildTarget ?? 'build';
  const target = context.projectsConfigurations.projects[project]?.targets?.[targetName];
  if (!target) throw new NixisoError(`option "buildTarget": ${project} has no target "${targetName}" to take the image's options from`);
  const configuration = context.configurationName ?? target.defaultConfiguration;
  const configured = configuration ? target.configurations?.[configuration] : undefined;
  return { ...(target.options ?? {}), ...(configured ?? {}), ...(options.outputPath ? { outputPath: options.outputPath } : {}) } as BuildExecutorSchema;
}

async function evaluate(target: ImageTarget, side: string): Promise<string> {
  const cmd = nixEvalCommand(target.request);
  report(`> ${commandLine(cmd)}`);
  const r = await capture(cmd, target.absRoot);
  if (r.interruptedBy) throw new NixisoError(`interrupted by ${r.interruptedBy}`);
  const drvPath = storePathLines(r.stdout).pop();
  if (r.exitCode !== 0 || !drvPath) {
    const failure = parseNixFailure(r.stderr);
    const why = failure.errorLines.length ? failure.errorLines.join('\n') : `Nix exited with code ${r.exitCode}`;
    throw new NixisoError(`evaluating the image at ${side} failed:\n${why}`);
  }
  return drvPath;
}

interface RealisedSide {
  toplevel?: string;
  closureSize?: number;
  imageSize?: number;
  closure?: ClosureEntry[];
  notes: string[];
}

/** Builds or substitutes the image of `drvPath` (a GC root in `root` while the diff runs), then reads its system's closure. */
async function realise(drvPath: string, target: ImageTarget, root: string, side: string): Promise<RealisedSide> {
  const cmd = realiseCommand(drvPath, root, target.request);
  report(`> ${commandLine(cmd)}`);
  const r = await runCommand(cmd, { cwd: target.absRoot, env: process.env });
  if (r.interruptedBy) throw new NixisoError(`interrupted by ${r.interruptedBy}`);
  const outPath = storePathLines(r.stdout)[0];
  if (r.exitCode !== 0 || !outPath) throw new NixisoError(`building the image at ${side} (${drvPath}) failed with exit code ${r.exitCode}; its log is above`);
  const notes: string[] = [];
  const image = findImageFiles(outPath, target.request.format.extension)[0];
  const system = await systemClosure(drvPath, target.absRoot);
  if (system.note) notes.push(`${side}: ${system.note}`);
  let closure: ClosureEntry[] | undefined;
  if (system.toplevel) {
    const info = await capture(closureInfoCommand(system.toplevel), target.absRoot);
    try {
      if (info.exitCode !== 0) throw new Error(info.stderr.trim().split('\n').pop() || `exit code ${info.exitCode}`);
      closure = parseClosureInfo(info.stdout);
    } catch (e) {
      notes.push(`${side}: nix path-info --recursive ${system.toplevel}: ${(e as Error).message}`);
    }
  }
  return {
    toplevel: system.toplevel,
    closureSize: system.closureSize,
    imageSize: image ? statSync(image).size : undefined,
    closure,
    notes,
  };
}

/** Why the base has no such image (its directory or source file is not there), or undefined when it may have one. */
function missingAtBase(baseWorkspace: string, projectRoot: string, options: BuildExecutorSchema): string | undefined {
  const dir = join(baseWorkspace, projectRoot);
  if (!existsSync(dir)) return `${projectRoot} does not exist`;
  const file = options.expressionFile ?? options.configurationFile;
  if (file && !existsSync(join(dir, file))) return `${join(projectRoot, file)} does not exist`;
  if (!file && !existsSync(join(dir, 'flake.nix')) && !existsSync(join(dir, 'configuration.nix'))) return `${projectRoot} holds no image`;
  return undefined;
}

/** A flake at the base that does not define the configuration yet: why the image is new there; undefined when it does define it (or cannot say). */
async function configurationMissing(base: ImageTarget): Promise<string | undefined> {
  const { source } = base.request;
  if (source.kind !== 'flake' || source.attribute) return undefined;
  const r = await capture(configurationNamesCommand(base.request), base.absRoot);
  if (r.exitCode !== 0) return undefined;
  const names = JSON.parse(r.stdout) as unknown;
  return Array.isArray(names) && !names.includes(source.configurationName)
    ? `${join(base.projectRoot, 'flake.nix')} defines no nixosConfigurations.${source.configurationName}`
    : undefined;
}

async function diffImage(options: DiffExecutorSchema, context: ExecutorContext): Promise<{ diff: ImageDiff; dir: string }> {
  const buildOptions = buildTargetOptions(options, context);
  // Evaluated and realised as Nix itself builds it, whichever backend the build uses: both sides the same way.
  const imageOptions = { ...buildOptions, backend: 'nix' };
  const head = await resolveImageTarget(imageOptions, context);
  requireBackendTools(head.request);
  await checkSources(head, context);
  if (!head.gitRoot) throw new NixisoError(`${head.projectRoot} is not in a git repository: diff compares it with a base commit`);

  const ref = baseRefOf(options.base, process.env, context.nxJsonConfiguration);
  const affectedBase = options.base ? undefined : affectedBaseOfParent();
  if (affectedBase !== undefined && affectedBase !== ref) {
    throw new NixisoError(
      `nx affected was given --base=${affectedBase}, which Nx keeps to itself (tasks and their cache keys do not see it); ` +
        `this diff would compare with ${ref}. Set the base in the environment instead, which both read: ` +
        `NX_BASE=${affectedBase} nx affected -t ${context.targetName ?? 'diff'}`,
    );
  }
  const commits = await resolveBaseCommit(ref, head.gitRoot);
  const budgets = parseBudgets(buildOptions);
  const base = { ref, commit: commits.commit };
  const configuration = head.request.source.kind === 'flake' && buildOptions.configurationName ? { configuration: buildOptions.configurationName } : {};
  const diff: Omit<ImageDiff, 'status' | 'drvPath'> = {
    project: head.projectName,
    ...configuration,
    base,
    budgets: 'error' in budgets ? {} : budgets,
    notes: [],
  };
  const at = `${ref} (${commits.commit.slice(0, 12)})`;

  const headDrv = await evaluate(head, 'HEAD');
  const tree: BaseTree = await checkOutBase(commits.commit, head.gitRoot);
  try {
    const baseWorkspace = join(tree.dir, relative(head.gitRoot, head.workspaceRoot));
    let baseTarget: ImageTarget | undefined;
    let baseDrv: string | undefined;
    let missing = missingAtBase(baseWorkspace, head.projectRoot, buildOptions);
    if (!missing) {
      baseTarget = await resolveImageTarget(imageOptions, { ...context, root: baseWorkspace });
      try {
        baseDrv = await evaluate(baseTarget, at);
      } catch (e) {
        missing = await configurationMissing(baseTarget);
        if (!missing) throw e;
      }
      if (baseDrv === headDrv) return { diff: { ...diff, status: 'unchanged', drvPath: { base: baseDrv, head: headDrv } }, dir: head.outputs.dir };
    }
    if (missing) logger.info(`${missing} at ${at}: the image is new`);

    const headSide = await realise(headDrv, head, join(tree.scratch, 'head-result'), 'HEAD');
    const baseSide = baseTarget && baseDrv ? await realise(baseDrv, baseTarget, join(tree.scratch, 'base-result'), at) : undefined;
    const notes = [...(missing ? [`${missing} at ${at}`] : []), ...(baseSide?.notes ?? []), ...headSide.notes];
    const packages = baseSide?.closure && headSide.closure ? diffClosures(baseSide.closure, headSide.closure) : undefined;
    if (baseSide && !packages) notes.push('the packages are not compared: a closure could not be read (see above)');
    return {
      diff: {
        ...diff,
        status: baseSide ? 'changed' : 'new',
        drvPath: { ...(baseDrv ? { base: baseDrv } : {}), head: headDrv },
        toplevel: { base: baseSide?.toplevel, head: headSide.toplevel },
        ...(packages ? { packages } : {}),
        closureSize: { base: baseSide?.closureSize, head: headSide.closureSize },
        imageSize: { base: baseSide?.imageSize, head: headSide.imageSize },
        notes,
      },
      dir: head.outputs.dir,
    };
  } finally {
    await tree.remove();
  }
}
