import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx-runtime';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { archOfSystem, type BootEntry, bootEntryOf, GRUB_CFG, ISOLINUX_CFG, type KernelArch, kernelArchOf } from '../../nix/boot-config';
import { createBootReporter, type BootPhase } from '../../nix/boot-progress';
import { BOOT_REPORT_FILE, type BootCheck, type BootReport, bootReportJson, checkResult, expectProblem, verdict } from '../../nix/boot-report';
import { commandLine } from '../../nix/command';
import { nodeSystem } from '../../nix/platforms';
import { type AccelOption, chooseAccel, type KvmFacts, DEFAULT_MEMORY_MIB, DEFAULT_SMP, defaultTimeoutSeconds, qemuBinaryFor, qemuCommand } from '../../nix/qemu';
import { capture, findExecutable, startInteractive } from '../../nix/run';
import { checkLine, createSerialReader, POWEROFF_LINE, type SerialState } from '../../nix/serial';
import { ensureImage } from '../../built-image/restore';
import { imageOutputDir, readBuiltImage } from '../image-output';
import { kvmOf, probeKvm } from '../doctor/facts';
import { executorResult, NixisoError } from '../executor-result';
import type { BootTestExecutorSchema } from './schema';

const DEFAULT_CHECK_TIMEOUT_S = 120;
/** After a failed unit: how long more console lines are collected for the report. */
const FAILURE_GRACE_MS = 10_000;
/** After `poweroff` is typed: how long QEMU may take to exit before it is stopped. */
const POWEROFF_GRACE_MS = 30_000;

export default async function bootTestExecutor(options: BootTestExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return executorResult(async () => {
    const report = await bootTest(options, context);
    logger.info(
      `nixiso: boot test passed: up in ${((report.bootTimeMs ?? 0) / 1000).toFixed(1)} s (${report.accel.toUpperCase()})` +
        (report.checks.length ? `, ${report.checks.length} check${report.checks.length === 1 ? '' : 's'} passed` : ''),
    );
  });
}

function normalize(options: BootTestExecutorSchema) {
  const accel = options.accel ?? 'auto';
  if (!['auto', 'kvm', 'tcg'].includes(accel)) throw new NixisoError(`option "accel": "${accel}" is not one of auto, kvm, tcg`);
  const checks = (options.checks ?? []).map((check, i) => {
    if (!check || typeof check.run !== 'string' || !check.run.trim()) throw new NixisoError(`option "checks"[${i}] has no "run" command`);
    if (check.expect !== undefined) {
      const problem = expectProblem(check.expect);
      if (problem) throw new NixisoError(`option "checks"[${i}] (\`${check.run}\`): "expect" is not a regular expression: ${problem}`);
    }
    const normalized: BootCheck & { timeoutSeconds: number } = {
      run: check.run,
      ...(check.expect !== undefined ? { expect: check.expect } : {}),
      timeoutSeconds: check.timeoutSeconds ?? DEFAULT_CHECK_TIMEOUT_S,
    };
    return normalized;
  });
  const expectAutologin = options.expectAutologin ?? true;
  if (checks.length && !expectAutologin) throw new NixisoError('option "checks" needs the autologin shell: leave expectAutologin true, or remove the checks');
  return {
    accel: accel as AccelOption,
    memoryMiB: options.memoryMiB ?? DEFAULT_MEMORY_MIB,
    smp: options.smp ?? DEFAULT_SMP,
    extraQemuArgs: options.extraQemuArgs ?? [],
    checks,
    expectAutologin,
    showConsole: options.showConsole ?? false,
  };
}

const XORRISO_MISSING = 'xorriso not found on PATH: boot-test reads the boot entry, kernel and initrd out of the ISO with it; install it (`apt-get install xorriso`, or `nix profile install nixpkgs#xorriso`)';

/** Copies files out of the ISO; false when xorriso could not (a path that is not in it). */
async function extract(iso: string, files: [inner: string, outside: string][], cwd: string): Promise<{ ok: boolean; stderr: string }> {
  const args = ['-osirrox', 'on', '-indev', iso, ...files.flatMap(([inner, outside]) => ['-extract', inner, outside])];
  const r = await capture({ command: 'xorriso', args }, cwd);
  return { ok: r.exitCode === 0 && files.every(([, outside]) => existsSync(outside)), stderr: r.stderr };
}

async function readBootEntry(iso: string, dir: string): Promise<BootEntry> {
  const configs: { isolinux?: string; grub?: string } = {};
  for (const [key, inner] of [['isolinux', ISOLINUX_CFG], ['grub', GRUB_CFG]] as const) {
    const out = join(dir, basename(inner));
    if ((await extract(iso, [[inner, out]], dir)).ok) configs[key] = readFileSync(out, 'utf8');
    if (key === 'isolinux' && configs.isolinux !== undefined && bootEntryOf(configs)) break;
  }
  const entry = bootEntryOf(configs);
  if (entry) return entry;
  const found = Object.keys(configs).length
    ? `neither ${ISOLINUX_CFG} nor ${GRUB_CFG} in it has a boot entry with a kernel and an initrd`
    : `it has neither ${ISOLINUX_CFG} nor ${GRUB_CFG}`;
  throw new NixisoError(`cannot boot ${iso}: ${found} (NixOS's iso-image.nix writes both; is this a NixOS ISO?)`);
}

function kernelArch(path: string, entry: BootEntry): KernelArch {
  const header = Buffer.alloc(4096);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const arch = kernelArchOf(header) ?? (basename(entry.kernel) === 'Image' ? 'aarch64' : basename(entry.kernel) === 'bzImage' ? 'x86_64' : undefined);
  if (!arch) throw new NixisoError(`${entry.kernel} in the ISO (${entry.source}) is neither an x86_64 bzImage nor an aarch64 Image; boot-test boots only those`);
  return arch;
}

/** Written to a temporary file beside it and renamed: a reader never sees half a report. */
function writeReport(path: string, report: BootReport): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bootReportJson(report));
  renameSync(temp, path);
}

export async function bootTest(options: BootTestExecutorSchema, context: ExecutorContext): Promise<BootReport> {
  const started = Date.now();
  const opts = normalize(options);
  const project = context.projectName;
  if (!project) throw new NixisoError('the boot-test executor must run as a project target');
  const distDir = imageOutputDir(options.outputPath, context.root, context.projectsConfigurations.projects[project].root);
  const reportPath = join(distDir, BOOT_REPORT_FILE);
  // A stale report must never describe this run, whatever happens next.
  rmSync(reportPath, { force: true });
  const { manifest, scope, buildTask } = readBuiltImage(context, options.outputPath, 'boot-test', 'boots');
  try {
    const { warning } = await ensureImage(manifest, scope, undefined, buildTask);
    if (warning) logger.warn(`nixiso: warning: ${warning}`);
  } catch (e) {
    throw new NixisoError((e as Error).message);
  }
  const iso = resolve(context.root, manifest.imagePath);
  if (!existsSync(iso)) throw new NixisoError(`${manifest.imagePath} (the manifest's imagePath) does not exist`);
  if (!iso.endsWith('.iso')) throw new NixisoError(`${manifest.imagePath} is not an ISO: boot-test boots ISO images (format iso or iso-installer)`);
  if (!findExecutable('xorriso')) throw new NixisoError(XORRISO_MISSING);

  const work = mkdtempSync(join(tmpdir(), 'nixiso-boot-'));
  try {
    const entry = await readBootEntry(iso, work);
    const kernel = join(work, basename(entry.kernel));
    const initrd = join(work, `initrd-${basename(entry.initrd)}`);
    const extracted = await extract(iso, [[entry.kernel, kernel], [entry.initrd, initrd]], work);
    if (!extracted.ok) throw new NixisoError(`cannot extract ${entry.kernel} and ${entry.initrd} (${entry.source}) from ${iso}:\n${extracted.stderr.trim()}`);
    const arch = kernelArch(kernel, entry);

    const binaryName = options.qemuBinary ?? qemuBinaryFor(arch);
    const binary = findExecutable(binaryName.includes('/') ? resolve(context.root, binaryName) : binaryName);
    if (!binary) {
      throw new NixisoError(
        options.qemuBinary
          ? `option "qemuBinary": ${options.qemuBinary} does not exist`
          : `${binaryName} not found on PATH: boot-test boots the image with it; install QEMU (\`apt-get install qemu-system-${arch === 'aarch64' ? 'arm' : 'x86'}\`, or \`nix profile install nixpkgs#qemu\`) or set option qemuBinary`,
      );
    }
    const host = nodeSystem();
    const hostArch = host ? (archOfSystem(host) ?? host) : undefined;
    const kvm: KvmFacts = kvmOf('/dev/kvm');
    // /dev/kvm can open and KVM still refuse to run a CPU (nested virtualisation): ask QEMU before relying on it.
    if (opts.accel !== 'tcg' && kvm.usable && hostArch === arch) kvm.probe = await probeKvm(binary, arch, context.root);
    const choice = chooseAccel(opts.accel, { hostArch, guestArch: arch, kvm });
    if ('error' in choice) throw new NixisoError(choice.error);
    const timeoutSeconds = options.timeoutSeconds ?? defaultTimeoutSeconds(choice.accel);
    const cmd = qemuCommand({ binary, arch, accel: choice.accel, memoryMiB: opts.memoryMiB, smp: opts.smp, iso, kernel, initrd, params: entry.params, extraArgs: opts.extraQemuArgs });
    logger.info(`nixiso: booting ${manifest.storePath} with ${choice.accel.toUpperCase()} (${choice.reason})`);
    logger.info(`> ${commandLine(cmd)}`);

    const run = await runBoot(cmd, opts, choice.accel, timeoutSeconds, context.root);
    const checks = opts.checks.map((check, i) => checkResult(check, run.state.checks.find((c) => c.id === `${run.nonce}-${i + 1}`)));
    const result = run.interruptedBy
      ? { passed: false, failure: `interrupted by ${run.interruptedBy}; QEMU was stopped` }
      : verdict(run.state, run.state.failedUnits.length || run.state.upAfterMs === undefined ? [] : checks, run.exitedEarly, timeoutSeconds);
    const report: BootReport = {
      project: manifest.project,
      result: result.passed ? 'passed' : 'failed',
      state: run.exitedEarly && run.state.state === 'booting' ? 'exited' : run.state.state,
      ...(result.failure ? { failure: result.failure } : {}),
      failedUnits: run.state.failedUnits,
      checks,
      ...(run.state.upAfterMs !== undefined ? { bootTimeMs: run.state.upAfterMs } : {}),
      durationMs: Date.now() - started,
      qemuCommand: commandLine(cmd),
      accel: choice.accel,
      accelReason: choice.reason,
      storePath: manifest.storePath,
      imagePath: manifest.imagePath,
      bootEntry: { source: entry.source, kernel: entry.kernel, initrd: entry.initrd, params: entry.params },
      serialTail: run.state.tail,
      testedAt: new Date().toISOString(),
    };
    mkdirSync(distDir, { recursive: true });
    writeReport(reportPath, report);
    if (!result.passed) throw new NixisoError(`${result.failure}\nreport: ${reportPath}`);
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface BootRun {
  state: SerialState;
  nonce: string;
  /** QEMU exited on its own before we were done (a panic with -no-reboot, a bad argument). */
  exitedEarly: boolean;
  interruptedBy?: NodeJS.Signals;
}

/**
 * QEMU from start to exit: console lines into the reader, progress out, and
 * once the system is up each check typed and awaited, then poweroff.
 */
async function runBoot(cmd: ReturnType<typeof qemuCommand>, opts: ReturnType<typeof normalize>, accel: string, timeoutSeconds: number, cwd: string): Promise<BootRun> {
  const reader = createSerialReader({ now: Date.now, expectAutologin: opts.expectAutologin });
  const reporter = createBootReporter({ write: (t) => process.stderr.write(t), tty: !!process.stderr.isTTY, columns: process.stderr.columns, now: Date.now });
  const nonce = randomBytes(4).toString('hex');
  let phase: BootPhase = 'booting';
  let checksTyped = 0;
  let pendingLine = '';
  let wake: () => void = () => undefined;
  const changed = () => wake();
  let qemuStderr = '';
  const qemu = startInteractive(cmd, {
    cwd,
    onStdout(chunk) {
      reader.feed(chunk);
      if (opts.showConsole) {
        const lines = (pendingLine + chunk).split('\n');
        pendingLine = lines.pop() ?? '';
        for (const line of lines) reporter.print(`| ${line.replace(/\r$/, '')}`);
      }
      changed();
    },
    onStderr(chunk) {
      qemuStderr += chunk;
      changed();
    },
  });
  let exited = false;
  let exitedEarly = false;
  let finishing = false;
  const exit = qemu.exited.then((r) => {
    exited = true;
    exitedEarly = !finishing;
    changed();
    return r;
  });
  const timer = setInterval(() => {
    reporter.update(reader.state(), phase, accel);
    changed();
  }, 1000);
  const waitFor = async (done: () => boolean, deadline: number): Promise<boolean> => {
    while (!done()) {
      if (exited || Date.now() >= deadline) return done();
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 1000).unref();
      });
    }
    return true;
  };

  try {
    const bootDeadline = Date.now() + timeoutSeconds * 1000;
    const up = () => reader.state().upAfterMs !== undefined;
    const failed = () => reader.state().failedUnits.length > 0;
    await waitFor(() => up() || failed(), bootDeadline);
    if (failed()) {
      // The lines systemd logs after the failure, up to the shell prompt if it still comes.
      await waitFor(() => reader.state().shellReady, Math.min(bootDeadline, Date.now() + FAILURE_GRACE_MS));
    } else if (!up() && !exited) {
      reader.timeOut();
    } else if (up()) {
      phase = 'checks';
      for (const [i, check] of opts.checks.entries()) {
        const id = `${nonce}-${i + 1}`;
        // The shell echoes what is typed; the check's own output is between its markers.
        qemu.write(`${checkLine(check.run, id)}\n`);
        checksTyped++;
        const finished = await waitFor(() => reader.state().checks.some((c) => c.id === id), Date.now() + check.timeoutSeconds * 1000);
        if (!finished || reader.state().checks.find((c) => c.id === id)?.exitStatus !== 0 || failed()) break;
      }
    }
    finishing = true;
    phase = 'powering off';
    if (!exited) {
      if (reader.state().shellReady) {
        // Ctrl-C first when a check did not finish: it still holds the shell.
        if (reader.state().checks.length < checksTyped) qemu.write('\u0003\n');
        qemu.write(`${POWEROFF_LINE}\n`);
        await waitFor(() => exited, Date.now() + POWEROFF_GRACE_MS);
      }
      if (!exited) qemu.stop();
    }
    const result = await exit;
    if (exitedEarly && qemuStderr.trim()) logger.error(`nixiso: QEMU (exit ${result.exitCode}):\n${qemuStderr.trim()}`);
    return { state: reader.state(), nonce, exitedEarly, ...(result.interruptedBy ? { interruptedBy: result.interruptedBy } : {}) };
  } finally {
    clearInterval(timer);
    reporter.finish();
  }
}
