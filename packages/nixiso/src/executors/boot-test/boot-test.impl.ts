import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../nx/runtime';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { archOfSystem, BOOT_CONFIG_PLACES, bootConfigPaths, type BootEntry, bootEntryOf, type KernelArch, kernelArchOf, parseXorrisoFind, xorrisoListArgs } from '../../nix/boot/boot-config';
import { createBootReporter, type BootPhase } from '../../nix/boot/boot-progress';
import { BOOT_REPORT_FILE, type BootCheck, type BootReport, bootReportJson, checkResult, expectProblem, type HungUnit, NOT_RUN, verdict } from '../../nix/boot/boot-report';
import { checkScript, handshakeScript, hungUnits, journalScript, parseJournals, parseSettle, POWEROFF_SCRIPT, settleScript, shellLine, type SystemdAnswer, typedLine } from '../../nix/boot/boot-shell';
import { commandLine } from '../../nix/building/command';
import { nodeSystem } from '../../nix/building/platforms';
import { type AccelOption, chooseAccel, type KvmFacts, DEFAULT_MEMORY_MIB, DEFAULT_SMP, defaultTimeoutSeconds, qemuBinaryFor, qemuCommand } from '../../nix/boot/qemu';
import { capture, findExecutable, startInteractive } from '../../nix/process/run';
import { type CheckOutput, createSerialReader, type FailedUnit, type SerialState } from '../../nix/boot/serial';
import { ensureImage } from '../../built-image/restore';
import { locateBuiltImage, readBuiltImage } from '../image-request';
import { kvmOf, probeKvm } from '../doctor/facts';
import { executorResult, NixisoError } from '../executor-result';
import { mergeBootTestOptions, readBootTestOptionsFile } from './options-file';
import type { BootTestExecutorSchema } from './schema';

const DEFAULT_CHECK_TIMEOUT_S = 120;
/** After a unit failed on the console: how long the autologin may take to come before the console is all there is. */
const FAILURE_GRACE_MS = 30_000;
/** Between handshakes typed into a shell that has not answered yet. */
const HANDSHAKE_RETRY_MS = 2_000;
/** What a query to systemd may take beyond its own wait (typing it, starting the commands under emulation). */
const QUERY_GRACE_S = 30;
/** The shortest wait for the boot to settle, however little of timeoutSeconds is left. */
const MIN_SETTLE_S = 5;
/** Journal lines fetched per failed or hung unit. */
const JOURNAL_LINES = 30;
/** After the poweroff is typed: how long the shutdown may take before QEMU is stopped (not the image's failure). */
const SHUTDOWN_GRACE_MS = 10_000;

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
    if (!check || typeof check !== 'object') throw new NixisoError(`option "checks"[${i}]: ${JSON.stringify(check)} is not an object; a check is { "run": "<command>", "expect": "<regular expression>", "timeoutSeconds": <n> }`);
    if (typeof check.run !== 'string' || !check.run.trim()) throw new NixisoError(`option "checks"[${i}] has no "run" command`);
    const typed = typedLine(checkScript(check.run, 'x'));
    if ('error' in typed) throw new NixisoError(`option "checks"[${i}] (\`${check.run.slice(0, 60)}…\`) is too long: ${typed.error}`);
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
  // The ISO's file names as xorriso sees them, so that an entry is found however its release spelled the path.
  const listed = await capture({ command: 'xorriso', args: xorrisoListArgs(iso) }, dir);
  const paths = bootConfigPaths(parseXorrisoFind(listed.stdout));
  const configs: { isolinux?: string; grub?: string } = {};
  for (const key of ['isolinux', 'grub'] as const) {
    const inner = paths[key];
    if (!inner) continue;
    const out = join(dir, `${key}.cfg`);
    if ((await extract(iso, [[inner, out]], dir)).ok) configs[key] = readFileSync(out, 'utf8');
    if (key === 'isolinux' && configs.isolinux !== undefined && bootEntryOf(configs, paths)) break;
  }
  const entry = bootEntryOf(configs, paths);
  if (entry) return entry;
  const places = [...new Set(BOOT_CONFIG_PLACES.map((p) => p.path))].join(', ');
  const found = Object.keys(configs).length
    ? `none of ${Object.keys(configs).map((k) => paths[k as 'isolinux' | 'grub']).join(' and ')} has a boot entry with a kernel and an initrd`
    : `it has none of ${places}` + (listed.exitCode === 0 ? '' : ` (xorriso: ${listed.stderr.trim().split('\n').pop()})`);
  throw new NixisoError(`cannot boot ${iso}: ${found} (NixOS's iso-image.nix writes them; is this a NixOS ISO?)`);
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
  const project = context.projectName;
  if (!project) throw new NixisoError('the boot-test executor must run as a project target');
  // boot-test.json beside project.json: options that are not part of the build's cache key.
  const fromFile = readBootTestOptionsFile(resolve(context.root, context.projectsConfigurations.projects[project].root));
  options = mergeBootTestOptions(fromFile?.options, options);
  const opts = normalize(options);
  const image = locateBuiltImage(options.outputPath, context, 'boot-test');
  const reportPath = join(image.outputs.dir, BOOT_REPORT_FILE);
  // A stale report must never describe this run, whatever happens next.
  rmSync(reportPath, { force: true });
  const manifest = readBuiltImage(image, 'boot-test', 'boots');
  try {
    const { warning } = await ensureImage(manifest, image.scope, undefined, image.buildTask);
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
    const checks = opts.checks.map((check, i) => {
      if (run.checkOutputs[i] || i < run.checkOutputs.length) return checkResult(check, run.checkOutputs[i], `it did not finish within ${check.timeoutSeconds} s (its timeoutSeconds)`);
      return checkResult(check, undefined, NOT_RUN);
    });
    const result = run.interruptedBy
      ? { passed: false, failure: `interrupted by ${run.interruptedBy}; QEMU was stopped` }
      : verdict({
          console: run.state,
          ...(run.systemd ? { systemd: run.systemd } : {}),
          failedUnits: run.failedUnits,
          hungUnits: run.hungUnits,
          checks,
          exited: run.exitedEarly,
          askedSystemd: opts.expectAutologin,
          timeoutSeconds,
          ...(run.checkTimedOut ? { checkTimedOut: { command: opts.checks[run.checkTimedOut.index].run, seconds: run.checkTimedOut.seconds } } : {}),
        });
    const report: BootReport = {
      project: manifest.project,
      result: result.passed ? 'passed' : 'failed',
      state: run.exitedEarly && run.state.state === 'booting' ? 'exited' : run.failedUnits.length || run.hungUnits.length ? 'failed' : run.state.state,
      ...(result.failure ? { failure: result.failure } : {}),
      failedUnits: run.failedUnits,
      hungUnits: run.hungUnits,
      activationFailures: run.state.activationFailures.length ? run.state.activationFailures : (run.systemd?.activation ?? []),
      ...(run.state.fatal ? { fatal: run.state.fatal } : {}),
      ...(run.systemd ? { systemd: { state: run.systemd.state, settled: run.systemd.settled, waitedSeconds: run.systemd.waitedSeconds, notes: run.systemd.notes } } : {}),
      checks,
      ...(run.state.upAfterMs !== undefined ? { bootTimeMs: run.state.upAfterMs } : {}),
      durationMs: Date.now() - started,
      shutdown: run.shutdown,
      qemuCommand: commandLine(cmd),
      accel: choice.accel,
      accelReason: choice.reason,
      storePath: manifest.storePath,
      imagePath: manifest.imagePath,
      bootEntry: { source: entry.source, kernel: entry.kernel, initrd: entry.initrd, params: entry.params },
      serialTail: run.state.tail,
      testedAt: new Date().toISOString(),
    };
    mkdirSync(image.outputs.dir, { recursive: true });
    writeReport(reportPath, report);
    if (!result.passed) throw new NixisoError(`${result.failure}\nreport: ${reportPath}`);
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface BootRun {
  state: SerialState;
  systemd?: SystemdAnswer;
  failedUnits: FailedUnit[];
  hungUnits: HungUnit[];
  /** Each check's output, in order; undefined for one that did not finish or never ran. */
  checkOutputs: (CheckOutput | undefined)[];
  /** The check that outlived its timeoutSeconds. */
  checkTimedOut?: { index: number; seconds: number };
  /** QEMU exited on its own before we were done (a panic with -no-reboot, a bad argument). */
  exitedEarly: boolean;
  shutdown: BootReport['shutdown'];
  interruptedBy?: NodeJS.Signals;
}

/**
 * QEMU from start to exit: console lines into the reader and progress out
 * until the autologin; then the shell is driven with the handshake, systemd is
 * asked whether the boot settled and what failed, each check runs, systemd is
 * asked once more; then the reader stops (the shutdown's lines are not the
 * boot's) and the system is powered off, or stopped after a grace.
 */
async function runBoot(cmd: ReturnType<typeof qemuCommand>, opts: ReturnType<typeof normalize>, accel: string, timeoutSeconds: number, cwd: string): Promise<BootRun> {
  const reader = createSerialReader({ now: Date.now, expectAutologin: opts.expectAutologin });
  const reporter = createBootReporter({ write: (t) => process.stderr.write(t), tty: !!process.stderr.isTTY, columns: process.stderr.columns, now: Date.now });
  const nonce = randomBytes(4).toString('hex');
  let phase: BootPhase = 'booting';
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
        setTimeout(r, Math.max(1, Math.min(1000, deadline - Date.now()))).unref();
      });
    }
    return true;
  };
  const state = () => reader.state();
  /**
   * A line into the shell, after Ctrl-U: bash's and zsh's line editors, fish's and
   * a plain terminal all drop what is on the line then (fish keeps a line it
   * refused, which would prefix the next one).
   */
  const type = (line: string) => qemu.write(`\u0015${line}\n`);
  let sequence = 0;
  /** Types a script into the shell; its output once its end marker came back, else undefined at the deadline. */
  const runScript = async (script: (id: string) => string, deadline: number): Promise<CheckOutput | undefined> => {
    const id = `${nonce}-${++sequence}`;
    type(shellLine(script(id)));
    const find = () => state().checks.find((c) => c.id === id);
    await waitFor(() => !!find() || !!state().fatal, deadline);
    return find();
  };
  const result: Omit<BootRun, 'state' | 'exitedEarly' | 'shutdown'> = { failedUnits: [], hungUnits: [], checkOutputs: [] };
  let scriptRunning = false;

  try {
    const bootDeadline = Date.now() + timeoutSeconds * 1000;
    // Until the autologin (or multi-user.target without one); a failure on the console
    // stops the wait when no shell follows it within the grace (its journal is asked for then).
    const reachable = () => (opts.expectAutologin ? !!state().autologin : state().multiUser);
    const givenUp = () => {
      const failedAt = state().failedUnits[0]?.atMs;
      return failedAt !== undefined && state().elapsedMs - failedAt > FAILURE_GRACE_MS;
    };
    await waitFor(() => !!state().fatal || reachable() || givenUp(), bootDeadline);
    if (opts.expectAutologin && state().autologin && !state().fatal) {
      // The shell may not read yet (getty hands over to login, login to the shell): typed again until it answers.
      for (let attempt = 1; !state().shellReady && !state().fatal && !exited && Date.now() < bootDeadline; attempt++) {
        type(shellLine(handshakeScript(`${nonce}-r${attempt}`)));
        await waitFor(() => state().shellReady || !!state().fatal, Math.min(bootDeadline, Date.now() + HANDSHAKE_RETRY_MS));
      }
    }
    if (state().upAfterMs === undefined && !state().fatal && !exited && Date.now() >= bootDeadline) reader.timeOut();

    if (state().shellReady && !state().fatal) {
      phase = 'settling';
      const ask = async (waitSeconds: number): Promise<boolean> => {
        scriptRunning = true;
        const out = await runScript((id) => settleScript(id, waitSeconds), Date.now() + (waitSeconds + QUERY_GRACE_S) * 1000);
        if (!out) return false;
        scriptRunning = false;
        const answer = parseSettle(out.output, waitSeconds);
        const hung = hungUnits(answer);
        const units = [...new Set([...answer.failed.map((f) => f.unit), ...hung.map((h) => h.unit)])];
        scriptRunning = units.length > 0;
        const journals = units.length ? await runScript((id) => journalScript(id, units, JOURNAL_LINES), Date.now() + QUERY_GRACE_S * 1000) : undefined;
        if (journals) scriptRunning = false;
        const journal = parseJournals(journals?.output ?? []);
        const consoleFailed = state().failedUnits;
        for (const f of consoleFailed) {
          if (f.unit && !answer.failed.some((a) => a.unit === f.unit)) answer.notes.push(`the console showed ${f.unit} failing (${f.message}); systemctl --failed does not list it now`);
        }
        result.systemd = answer;
        result.failedUnits = answer.failed.map((f) => ({
          unit: f.unit,
          message: f.description || f.unit,
          logLines: consoleFailed.find((c) => c.unit === f.unit)?.logLines ?? [],
          atMs: state().elapsedMs,
          source: 'systemd' as const,
          journal: journal.get(f.unit) ?? [],
        }));
        result.hungUnits = hung.map((h) => ({ unit: h.unit, job: `${h.type} ${h.state}`, journal: journal.get(h.unit) ?? [] }));
        return true;
      };
      const waitSeconds = Math.max(MIN_SETTLE_S, Math.round((bootDeadline - Date.now()) / 1000));
      const answered = await ask(waitSeconds);
      const healthy = () => answered && !result.failedUnits.length && !result.hungUnits.length && !result.systemd?.activation.length && !state().activationFailures.length;
      if (!answered) result.failedUnits = state().failedUnits;
      if (healthy() && opts.checks.length) {
        phase = 'checks';
        for (const [index, check] of opts.checks.entries()) {
          scriptRunning = true;
          const out = await runScript((id) => checkScript(check.run, id), Date.now() + check.timeoutSeconds * 1000);
          result.checkOutputs[index] = out;
          if (!out) {
            if (!state().fatal && !exited) result.checkTimedOut = { index, seconds: check.timeoutSeconds };
            break;
          }
          scriptRunning = false;
          if (out.exitStatus !== 0) break;
        }
        // What failed while the checks ran (a Type=simple service exits later than it started).
        if (!scriptRunning && !state().fatal && !exited) await ask(MIN_SETTLE_S);
      }
    } else if (!state().fatal) {
      result.failedUnits = state().failedUnits;
    }

    finishing = true;
    reader.stop();
    phase = 'powering off';
    let shutdown: BootReport['shutdown'] = exited ? 'exited before' : 'powered off';
    if (!exited) {
      if (state().shellReady && !state().fatal) {
        // Ctrl-C first when a script did not finish: it still holds the shell.
        if (scriptRunning) qemu.write('\u0003\n');
        type(shellLine(POWEROFF_SCRIPT));
        await waitFor(() => exited, Date.now() + SHUTDOWN_GRACE_MS);
      }
      if (!exited) {
        shutdown = 'stopped';
        qemu.stop();
      }
    }
    const ended = await exit;
    if (exitedEarly && qemuStderr.trim()) logger.error(`nixiso: QEMU (exit ${ended.exitCode}):\n${qemuStderr.trim()}`);
    return { ...result, state: reader.state(), exitedEarly, shutdown, ...(ended.interruptedBy ? { interruptedBy: ended.interruptedBy } : {}) };
  } finally {
    clearInterval(timer);
    reporter.finish();
  }
}
