import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx/runtime';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { backendById, buildCommand } from '../../backends';
import { commandLine, usesJsonLog } from '../../nix/building/command';
import { parseNixFailure } from '../../nix/building/errors';
import { type BuildProgress, buildCounts, plainErrorText, substitutionCounts } from '../../nix/building/log';
import { createProgressReporter, failureSummary, interruptedSummary } from '../../nix/building/progress';
import {
  type BuildManifest,
  lastStorePath,
  imageIdentityJson,
  manifestJson,
  manifestProblems,
  type ManifestScope,
  parseBuildJson,
  problemLines,
  storePathOf,
} from '../../built-image/manifest';
import { rootForCacheEntry } from '../../built-image/cache-root';
import { rootOutLink, sha256File } from '../../built-image/out-link';
import { capture, runCommand } from '../../nix/process/run';
import { workspaceRecordPath } from '../../built-image/read-record';
import { prepareTrace, recordConfiguration, recordReads, type TraceRun } from './read-recording';
import { executorResult, NixisoError, report } from '../executor-result';
import { type ImageTarget, requireBackendTools, resolveImageTarget } from '../image-request';
import { checkSources } from '../source-checks';
import { buildMachineWarning } from './build-machine';
import { systemClosure } from '../../built-image/system-closure';
import { checkBudgets, describeSize } from './size-budget';
import { findImageFiles } from '../../built-image/image-files';
import { assertRuntimeInputsReadable } from './runtime-input';
import type { BuildExecutorSchema } from './schema';

async function nixVersion(cwd: string): Promise<string> {
  const r = await capture({ command: 'nix', args: ['--version'] }, cwd);
  return r.exitCode === 0 ? r.stdout.trim().replace(/^nix \(Nix\) /, '') : 'unknown';
}

function failureMessage(stderr: string, exitCode: number): string {
  const failure = parseNixFailure(stderr);
  if (failure.failedDerivation) {
    return `the build of ${failure.failedDerivation} failed (exit ${exitCode}); see its log above or run \`nix log ${failure.failedDerivation}\``;
  }
  if (failure.errorLines.length) return `Nix reported:\n${failure.errorLines.slice(0, 40).join('\n')}`;
  return `Nix exited with code ${exitCode}`;
}

export default async function buildExecutor(
  options: BuildExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return executorResult(async () => {
    const manifest = await build(options, context);
    const closure = manifest.closureSize !== undefined ? `\n  system ${manifest.toplevel}, closure ${describeSize(manifest.closureSize)}` : '';
    report(`\nnixiso: ${manifest.imagePath}\n  ${manifest.sizeBytes} bytes, sha256 ${manifest.sha256}${closure}`);
  });
}

export async function build(options: BuildExecutorSchema, context: ExecutorContext): Promise<BuildManifest> {
  // A trace's directory goes whatever happens.
  const traces: TraceRun[] = [];
  try {
    return await buildImage(options, context, traces);
  } finally {
    for (const trace of traces) trace.remove();
  }
}

async function buildImage(options: BuildExecutorSchema, context: ExecutorContext, traces: TraceRun[]): Promise<BuildManifest> {
  const started = Date.now();
  const target = await resolveImageTarget(options, context);
  const { request, outputs } = target;
  const backend = backendById(request.backend);
  requireBackendTools(request);

  await checkSources(target, context);
  await assertRuntimeInputsReadable(context);

  let cmd;
  try {
    cmd = buildCommand(request);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
  const deprecation = backend.deprecationNote?.(request.release);
  if (deprecation) logger.warn(`nixiso: warning: ${deprecation}`);
  const machineWarning = await buildMachineWarning(target);
  if (machineWarning) logger.warn(`nixiso: warning: ${machineWarning}`);
  // A stale manifest must never describe this build, whatever happens next.
  rmSync(outputs.manifest, { force: true });
  rmSync(outputs.identity, { force: true });
  // Nor a stale record of what it read (built-image/read-record.ts).
  rmSync(outputs.readRecord, { force: true });
  rmSync(workspaceRecordPath(target.workspaceRoot, target.projectRoot, recordConfiguration(context, cmd)), { force: true });
  mkdirSync(dirname(request.outLink), { recursive: true });
  report(`> ${commandLine(cmd)}`);

  const progress = usesJsonLog(cmd) ? showProgress(request.printBuildLogs) : undefined;
  // For the manifest; asked while the build runs rather than after it.
  const version = nixVersion(target.absRoot);
  const trace = await prepareTrace(cmd, target.absRoot);
  if (trace) traces.push(trace);
  const result = await runCommand(trace?.cmd ?? cmd, { cwd: target.absRoot, env: process.env, onStderrLine: progress?.line });
  const log = progress?.stop(result.exitCode === 0 && !result.interruptedBy);
  if (result.interruptedBy) {
    const done = log ? ` (${interruptedSummary(log)})` : '';
    throw new NixisoError(`interrupted by ${result.interruptedBy}; the Nix build was stopped${done}`);
  }
  if (result.exitCode !== 0) {
    const explained = backend.explainFailure?.({ stdout: result.stdout, stderr: result.stderr, format: request.format, projectRoot: target.projectRoot });
    if (explained) throw new NixisoError(explained);
    // A flake is evaluated from its store copy: of the git work tree, or of the image directory.
    const localSource = target.flake ? (target.gitRoot ?? target.absRoot) : undefined;
    throw new NixisoError(
      log
        ? (failureSummary(log, { exitCode: result.exitCode, localSource }) ?? failureMessage(plainErrorText(log), result.exitCode))
        : failureMessage(result.stderr, result.exitCode),
    );
  }

  const built = parseBuildJson(result.stdout);
  const outPath = built.outPath ?? lastStorePath(result.stdout) ?? realpathIfLink(request.outLink);
  if (!outPath) throw new NixisoError(`Nix succeeded but printed no store path and ${request.outLink} is missing`);
  const storePath = storePathOf(outPath);
  if (!storePath) throw new NixisoError(`Nix printed ${outPath}, which is not in the Nix store`);
  if (backend.outLink === 'relink') await relink(request.outLink, storePath, target);
  if (backend.leavesResultLink) removeResultLink(join(target.absRoot, 'result'), storePath);

  const images = findImageFiles(outPath, request.format.extension);
  if (!images.length) throw new NixisoError(`no ${request.format.extension || 'image'} file in ${outPath}`);
  const imagePath = images[0];
  const sizeBytes = statSync(imagePath).size;
  const drvPath = built.drvPath ?? (await deriverOf(storePath, target.absRoot));
  const [sha256, system, unrooted] = await Promise.all([
    sha256File(imagePath),
    // Only the manifest's record of the system: never a reason for the build to fail.
    systemClosure(drvPath, target.absRoot).catch((e: Error) => ({ note: e.message, toplevel: undefined, closureSize: undefined })),
    // So that a later local cache hit finds this image even after dist/ is gone (built-image/cache-root.ts).
    rootForCacheEntry(storePath, target.workspaceRoot),
  ]);
  if (unrooted) logger.warn(`nixiso: warning: ${unrooted}`);
  // Before the copy and the manifest: an image past its budget is recorded nowhere, as after any failed build.
  const budgets = checkBudgets(target.budgets, { imageSize: sizeBytes, closureSize: system.closureSize }, system.note);
  for (const line of budgets.unchecked) logger.warn(`nixiso: warning: ${line}`);
  // The unchecked budget's warning already gave the reason.
  if (system.note && !budgets.unchecked.length) {
    logger.info(`nixiso: the manifest records no ${system.toplevel ? 'closureSize' : 'toplevel'}: ${system.note}`);
  }
  if (budgets.exceeded.length) {
    throw new NixisoError(`${storePath} is over its size budget:\n${budgets.exceeded.map((line) => `  ${line}`).join('\n')}`);
  }

  let copiedTo: string | undefined;
  if (target.copyTo) {
    mkdirSync(target.copyTo, { recursive: true });
    copiedTo = join(target.copyTo, basename(imagePath));
    rmSync(copiedTo, { force: true });
    copyFileSync(imagePath, copiedTo);
    writeFileSync(`${copiedTo}.sha256`, `${sha256}  ${basename(imagePath)}\n`);
  }

  const manifest: BuildManifest = {
    project: target.projectName,
    backend: request.backend,
    format: request.format.id,
    command: commandLine(cmd),
    storePath,
    drvPath,
    // Relative to the workspace root: a cache hit may restore this manifest in another clone.
    outLink: relative(target.workspaceRoot, request.outLink),
    imagePath: relative(target.workspaceRoot, join(request.outLink, imagePath.slice(storePath.length))),
    imageFile: imagePath,
    sizeBytes,
    sha256,
    nixVersion: await version,
    durationMs: Date.now() - started,
    ...(log ? { derivationsBuilt: buildCounts(log).done, derivationsSubstituted: substitutionCounts(log).done } : {}),
    builtAt: new Date().toISOString(),
    ...(system.toplevel ? { toplevel: system.toplevel } : {}),
    ...(system.closureSize !== undefined ? { closureSize: system.closureSize } : {}),
    ...(system.note ? { systemNote: system.note } : {}),
    copiedTo,
  };
  assertValidManifest(manifest, target.scope);
  mkdirSync(outputs.dir, { recursive: true });
  writeFileSync(outputs.manifest, manifestJson(manifest));
  writeFileSync(outputs.identity, imageIdentityJson(manifest));
  if (trace) await recordReads(trace, cmd, target, context);
  return manifest;
}

/** Nix's JSON log rendered on stderr while it runs: one updating line on a terminal, plain lines in CI logs. */
function showProgress(printBuildLogs: boolean) {
  const reporter = createProgressReporter({
    write: (text) => process.stderr.write(text),
    tty: !!process.stderr.isTTY,
    columns: process.stderr.columns,
    now: Date.now,
    printBuildLogs,
  });
  const timer = setInterval(() => reporter.tick(), 1000);
  return {
    line: (raw: string) => reporter.line(raw),
    stop(success: boolean): BuildProgress {
      clearInterval(timer);
      reporter.finish(success);
      return reporter.state();
    },
  };
}

async function deriverOf(storePath: string, cwd: string): Promise<string | undefined> {
  const r = await capture({ command: 'nix-store', args: ['--query', '--deriver', storePath] }, cwd);
  const drv = r.stdout.trim();
  return r.exitCode === 0 && drv.endsWith('.drv') ? drv : undefined;
}

/**
 * A backend's tool may leave ./result in the directory it runs in, the
 * image's (Backend.leavesResultLink: nixos-rebuild): an untracked file there
 * would fail the next flake build and change the project's hash. The
 * out-link replaces it; a link to anything else stays.
 */
function removeResultLink(link: string, storePath: string): void {
  try {
    if (lstatSync(link).isSymbolicLink() && realpathSync(link) === storePath) rmSync(link);
  } catch {
    // No ./result, or a dangling one that is not ours.
  }
}

function realpathIfLink(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A build writes only manifests that a cache hit may act on (validManifest).
 * Its out-link was checked with the options (image-request.ts); this holds
 * the store paths Nix printed, and the image path found under the link.
 */
function assertValidManifest(manifest: BuildManifest, scope: ManifestScope): void {
  const problems = manifestProblems(manifest, scope);
  if (problems.length) throw new NixisoError(`the build produced a manifest a cache hit could not use:\n${problemLines(problems).join('\n')}`);
}

/**
 * nixos-generate and nixos-rebuild (Backend.outLink 'relink') do not always
 * leave the out-link we asked for, nor one Nix knows as a GC root: make it
 * point at the result and register it (nix-store --add-root), as nix
 * build's own out-link is.
 */
async function relink(outLink: string, storeRoot: string, target: ImageTarget): Promise<void> {
  try {
    const { warning } = await rootOutLink(outLink, storeRoot, target.outputs.dir, target.absRoot);
    if (warning) logger.warn(`nixiso: warning: ${warning}`);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
}
