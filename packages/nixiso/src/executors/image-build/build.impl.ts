import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx/runtime';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { generatorsDeprecationNote } from '../../backends/backends';
import { buildCommand, commandLine, usesJsonLog } from '../../nix/building/command';
import { parseNixFailure, refusedImageVariants } from '../../nix/building/errors';
import { type BuildProgress, buildCounts, plainErrorText, substitutionCounts } from '../../nix/building/log';
import { createProgressReporter, failureSummary, interruptedSummary } from '../../nix/building/progress';
import {
  type BuildManifest,
  lastStorePath,
  IMAGE_IDENTITY_FILE,
  imageIdentityJson,
  manifestJson,
  manifestProblems,
  manifestScope,
  type ManifestScope,
  outputPathProblem,
  parseBuildJson,
  problemLines,
  storePathOf,
} from '../../built-image/manifest';
import { rootForCacheEntry } from '../../built-image/cache-root';
import { rootOutLink, sha256File } from '../../built-image/out-link';
import { capture, runCommand } from '../../nix/process/run';
import { recordFileIn, workspaceRecordPath } from '../../built-image/read-record';
import { prepareTrace, recordConfiguration, recordReads, type TraceRun } from './read-recording';
import { executorResult, NixisoError, report } from '../executor-result';
import { assertTracked, assertConfigurationDefined, checkFlakeLock, requireNix, resolveImageTarget } from '../image-request';
import { buildMachineWarning } from './build-machine';
import { assertRuntimeInputsReadable } from './runtime-input';
import type { BuildExecutorSchema } from './schema';

/**
 * Image files under an out path, largest first (an ISO output also holds
 * small metadata files); every file when the extension is unknown ('').
 */
export function findImageFiles(outPath: string, extension: string): string[] {
  const found: { path: string; size: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(extension)) found.push({ path, size: statSync(path).size });
    }
  };
  if (statSync(outPath).isDirectory()) walk(outPath);
  else found.push({ path: outPath, size: statSync(outPath).size });
  return found.sort((a, b) => b.size - a.size).map((f) => f.path);
}

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
    report(`\nnixiso: ${manifest.imagePath}\n  ${manifest.sizeBytes} bytes, sha256 ${manifest.sha256}`);
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
  const { request } = target;
  // Before Nix runs: nix build would otherwise leave its out-link (a GC root) outside dist/ first.
  const outLinkProblem = outputPathProblem(request.outLink, scopeOf(target));
  if (outLinkProblem) throw new NixisoError(outLinkOptionMessage(options.outLink ?? request.outLink, outLinkProblem, scopeOf(target)));
  requireNix(request.backend, request.nixosGenerate);

  await assertTracked(target, context.projectGraph);
  await checkFlakeLock(target);
  await assertConfigurationDefined(target, context);
  await assertRuntimeInputsReadable(context);

  let cmd;
  try {
    cmd = buildCommand(request);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
  const deprecation = request.backend === 'nixos-generators' ? generatorsDeprecationNote(request.release) : undefined;
  if (deprecation) logger.warn(`nixiso: warning: ${deprecation}`);
  const machineWarning = await buildMachineWarning(target);
  if (machineWarning) logger.warn(`nixiso: warning: ${machineWarning}`);
  // A stale manifest must never describe this build, whatever happens next.
  rmSync(target.manifestPath, { force: true });
  rmSync(join(target.distDir, IMAGE_IDENTITY_FILE), { force: true });
  // Nor a stale record of what it read (built-image/read-record.ts).
  rmSync(recordFileIn(target.distDir), { force: true });
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
    const variants = request.backend === 'build-image' ? refusedImageVariants(result.stdout, result.stderr) : undefined;
    if (variants) throw new NixisoError(unknownVariantMessage(request.format.variant ?? request.format.id, variants, target.projectRoot));
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
  if (request.backend !== 'nix') await relink(request.outLink, storePath, target, options.outLink);
  if (request.backend === 'build-image') removeResultLink(join(target.absRoot, 'result'), storePath);

  const images = findImageFiles(outPath, request.format.extension);
  if (!images.length) throw new NixisoError(`no ${request.format.extension || 'image'} file in ${outPath}`);
  const imagePath = images[0];
  const [sha256, drvPath, unrooted] = await Promise.all([
    sha256File(imagePath),
    built.drvPath ?? deriverOf(storePath, target.absRoot),
    // So that a later local cache hit finds this image even after dist/ is gone (built-image/cache-root.ts).
    rootForCacheEntry(storePath, target.workspaceRoot),
  ]);
  if (unrooted) logger.warn(`nixiso: warning: ${unrooted}`);

  let copiedTo: string | undefined;
  if (options.copyTo) {
    const dir = resolve(target.workspaceRoot, options.copyTo);
    mkdirSync(dir, { recursive: true });
    copiedTo = join(dir, basename(imagePath));
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
    sizeBytes: statSync(imagePath).size,
    sha256,
    nixVersion: await version,
    durationMs: Date.now() - started,
    ...(log ? { derivationsBuilt: buildCounts(log).done, derivationsSubstituted: substitutionCounts(log).done } : {}),
    builtAt: new Date().toISOString(),
    copiedTo,
  };
  assertValidManifest(manifest, scopeOf(target), options.outLink);
  mkdirSync(target.distDir, { recursive: true });
  writeFileSync(target.manifestPath, manifestJson(manifest));
  writeFileSync(join(target.distDir, IMAGE_IDENTITY_FILE), imageIdentityJson(manifest));
  if (trace) await recordReads(trace, cmd, target, context);
  return manifest;
}

function unknownVariantMessage(variant: string, declared: string[], projectRoot: string): string {
  return (
    `option "format": the configuration of ${projectRoot} declares no image variant "${variant}" ` +
    `(nixos-rebuild build-image --image-variant ${variant} refused it); it declares: ${declared.join(', ')}. ` +
    `Set format to one of them, or declare image.modules.${variant} in the configuration`
  );
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
 * nixos-rebuild leaves ./result in the directory it runs in, the image's:
 * an untracked file there would fail the next flake build and change the
 * project's hash. The out-link replaces it; a link to anything else stays.
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

type ManifestTarget = Pick<Awaited<ReturnType<typeof resolveImageTarget>>, 'workspaceRoot' | 'projectRoot' | 'distDir' | 'absRoot'>;

function scopeOf(target: ManifestTarget): ManifestScope {
  return manifestScope(target.workspaceRoot, target.projectRoot);
}

/**
 * A build writes only manifests that a cache hit may act on (validManifest);
 * an out-link outside dist/<projectRoot> is the outLink option's doing, so
 * the message names it.
 */
function assertValidManifest(manifest: BuildManifest, scope: ManifestScope, outLinkOption: string | undefined): void {
  const problems = manifestProblems(manifest, scope);
  const outLink = problems.find((p) => p.field === 'outLink');
  if (outLink && outLinkOption !== undefined) throw new NixisoError(outLinkOptionMessage(outLinkOption, outLink.why, scope));
  if (problems.length) throw new NixisoError(`the build produced a manifest a cache hit could not use:\n${problemLines(problems).join('\n')}`);
}

function outLinkOptionMessage(value: string, why: string, scope: ManifestScope): string {
  const dist = join('dist', scope.projectRoot);
  return (
    `option "outLink" (${JSON.stringify(value)}) ${why}: Nx would neither cache nor restore the link, ` +
    `and nixiso acts only on out-links inside ${dist}. Leave outLink unset (${join(dist, 'result')}) or name a path inside ${dist}`
  );
}

/**
 * nixos-generate and nixos-rebuild do not always leave the out-link we asked
 * for, nor one Nix knows as a GC root: make it point at the result and
 * register it (nix-store --add-root), as nix build's own out-link is.
 */
async function relink(outLink: string, storeRoot: string, target: ManifestTarget, outLinkOption: string | undefined): Promise<void> {
  // Before anything is replaced: the link must be one a manifest may name.
  const scope = scopeOf(target);
  const problem = outputPathProblem(outLink, scope);
  if (problem) throw new NixisoError(outLinkOptionMessage(outLinkOption ?? outLink, problem, scope));
  try {
    const { warning } = await rootOutLink(outLink, storeRoot, target.distDir, target.absRoot);
    if (warning) logger.warn(`nixiso: warning: ${warning}`);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
}
