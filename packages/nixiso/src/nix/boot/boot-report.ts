/**
 * `dist/<projectRoot>/boot-test.json`, what boot-test found: written on
 * success and on failure alike (it is the target's output), and the message
 * a failed boot test ends with. Pure.
 */
import type { Accel } from './qemu';
import type { ActivationFailure, SystemdAnswer } from './boot-shell';
import type { CheckOutput, FailedUnit, FatalFailure, SerialState } from './serial';

/** The report boot-test writes beside the build's manifest.json: the boot test's cached output. */
export const BOOT_REPORT_FILE = 'boot-test.json';

export interface BootCheck {
  /** The command typed into the autologin shell. */
  run: string;
  /** Regular expression the output must match (none: only the exit status counts). */
  expect?: string;
}

export interface CheckResult {
  command: string;
  expect?: string;
  output: string;
  /** undefined: the check never finished (the boot failed or timed out first). */
  exitStatus?: number;
  passed: boolean;
  /** Why it failed, for the message. */
  reason?: string;
}

export interface HungUnit {
  unit: string;
  /** The job, as `systemctl list-jobs` lists it: `start running`. */
  job: string;
  journal: string[];
}

export interface BootReport {
  project: string;
  result: 'passed' | 'failed';
  /** booting: QEMU exited before the system came up. */
  state: SerialState['state'] | 'exited';
  /** The first reason the test failed, as printed. */
  failure?: string;
  /** Units that failed: from `systemctl --failed` once the shell was up, else from the console. */
  failedUnits: FailedUnit[];
  /** Units the boot was still waiting for when its time was up (`systemctl list-jobs`). */
  hungUnits: HungUnit[];
  /** NixOS activation snippets that failed. */
  activationFailures: ActivationFailure[];
  /** The kernel panicked, or stage 1 gave up. */
  fatal?: FatalFailure;
  /** What systemd said once the shell was up (absent: it never was). */
  systemd?: { state: string; settled: boolean; waitedSeconds: number; notes: string[] };
  checks: CheckResult[];
  /** Milliseconds from QEMU's start to the autologin shell answering (or multi-user.target). */
  bootTimeMs?: number;
  durationMs: number;
  /** How QEMU ended after the verdict: powered off, or stopped when the shutdown took longer than its grace. */
  shutdown: 'powered off' | 'stopped' | 'exited before';
  qemuCommand: string;
  accel: Accel;
  accelReason: string;
  storePath: string;
  imagePath: string;
  bootEntry: { source: string; kernel: string; initrd: string; params: string[] };
  /** The last console lines up to the verdict: always kept for a failed test. */
  serialTail: string[];
  testedAt: string;
}

export function bootReportJson(report: BootReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** A check's outcome from what the console showed between its markers. */
export function checkResult(check: BootCheck, output: CheckOutput | undefined, notFinished = 'it did not finish'): CheckResult {
  const base = { command: check.run, ...(check.expect !== undefined ? { expect: check.expect } : {}) };
  if (!output) return { ...base, output: '', passed: false, reason: notFinished };
  const text = output.output.join('\n');
  if (output.exitStatus !== 0) return { ...base, output: text, exitStatus: output.exitStatus, passed: false, reason: `it exited with status ${output.exitStatus}` };
  if (check.expect !== undefined && !new RegExp(check.expect, 'm').test(text)) {
    return { ...base, output: text, exitStatus: 0, passed: false, reason: `its output does not match /${check.expect}/` };
  }
  return { ...base, output: text, exitStatus: 0, passed: true };
}

/** An `expect` that is not a regular expression, or undefined. */
export function expectProblem(expect: string): string | undefined {
  try {
    new RegExp(expect, 'm');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `    ${l}`);
}

/** Journal lines shown in the message; the report keeps all that were fetched. */
const MESSAGE_JOURNAL_LINES = 15;

export function failedUnitText(failed: FailedUnit): string[] {
  const name = failed.unit ?? failed.message;
  if (failed.source === 'systemd') {
    const journal = (failed.journal ?? []).slice(-MESSAGE_JOURNAL_LINES);
    return [
      `${name} failed (systemctl --failed: ${failed.message})` + (journal.length ? `; journalctl -b -u ${name}:` : '; its journal is empty'),
      ...indent(journal),
    ];
  }
  return [
    `${name} failed: ${failed.message}` + (failed.logLines.length ? `; the console after it:` : ''),
    ...indent(failed.logLines),
    ...(failed.unit ? [`  see it in the VM: systemctl status ${failed.unit}; journalctl -b -u ${failed.unit}`] : []),
  ];
}

export interface Verdict {
  passed: boolean;
  failure?: string;
}

/** Everything the verdict is made of. */
export interface VerdictInput {
  console: SerialState;
  /** systemd's answer once the shell was up; undefined when it never was (the console is all there is). */
  systemd?: SystemdAnswer;
  failedUnits: FailedUnit[];
  hungUnits: HungUnit[];
  checks: readonly CheckResult[];
  /** QEMU exited on its own before the verdict. */
  exited: boolean;
  timeoutSeconds: number;
  /** systemd was to be asked (the image has a shell): no answer is then a failure, not a pass. */
  askedSystemd?: boolean;
  /** The check that outlived its timeoutSeconds, and its limit. */
  checkTimedOut?: { command: string; seconds: number };
}

/**
 * Pass or fail, and the message: the kernel or stage 1 giving up first, then
 * failed units, a failed activation, units the boot still waited for, the
 * system not coming up, and the checks.
 */
export function verdict(input: VerdictInput): Verdict {
  const { console: state } = input;
  const tail = ['last console lines:', ...indent(state.tail)];
  const fail = (lines: string[]): Verdict => ({ passed: false, failure: lines.join('\n') });
  if (state.fatal) {
    const what = state.fatal.kind === 'panic' ? `the kernel panicked: ${state.fatal.cause || state.fatal.line}` : `stage 1 of the boot failed: ${state.fatal.cause || state.fatal.line}`;
    return fail([what, ...tail.slice(0, 1), ...indent(state.tail.slice(-12))]);
  }
  const problems: string[] = [];
  for (const unit of input.failedUnits) problems.push(...failedUnitText(unit));
  for (const a of state.activationFailures.length ? state.activationFailures : (input.systemd?.activation ?? [])) {
    problems.push(`NixOS's activation script: snippet '${a.snippet}' failed (exit ${a.status}); the boot went on without what it sets up (journalctl -b -t stage-2-init)`);
  }
  for (const hung of input.hungUnits) {
    const journal = hung.journal.slice(-MESSAGE_JOURNAL_LINES);
    problems.push(
      `${hung.unit} was still starting when the time was up (systemctl list-jobs: ${hung.job}; the boot waits for it)` + (journal.length ? `; journalctl -b -u ${hung.unit}:` : '; its journal is empty'),
      ...indent(journal),
    );
  }
  const systemd = input.systemd;
  if (!problems.length && systemd && !systemd.settled) {
    problems.push(
      `systemctl is-system-running says ${systemd.state ? `"${systemd.state}"` : 'nothing'} after ${systemd.waitedSeconds} s, and systemctl list-jobs names no job it waits for` +
        (systemd.notes.length ? ` (${systemd.notes.join('; ')})` : ''),
    );
  }
  if (problems.length) {
    const settle = input.hungUnits.length || (systemd && !systemd.settled) ? ` did not finish within ${input.timeoutSeconds} s (option timeoutSeconds)` : ' failed';
    return fail([`the boot${settle}:`, ...problems]);
  }
  if (state.shellReady && !systemd && input.exited === false && state.upAfterMs !== undefined && input.askedSystemd) {
    return fail([`the autologin shell answered the handshake, but not the query to systemd (systemctl is-system-running --wait, systemctl --failed) within its time`, ...tail]);
  }
  if (state.upAfterMs === undefined) {
    const what = input.exited ? 'QEMU exited before the system came up' : `the system was not up after ${input.timeoutSeconds} s (option timeoutSeconds)`;
    return fail([`${what}; ${upCondition(state)}`, ...tail]);
  }
  if (input.checkTimedOut) {
    const notRun = input.checks.filter((c) => c.reason === NOT_RUN).map((c) => `\`${c.command}\``);
    return fail([
      `check \`${input.checkTimedOut.command}\` did not finish within ${input.checkTimedOut.seconds} s (its timeoutSeconds)` + (notRun.length ? `; not run: ${notRun.join(', ')}` : ''),
    ]);
  }
  const failedCheck = input.checks.find((c) => !c.passed);
  if (failedCheck) {
    return fail([
      `check \`${failedCheck.command}\` failed: ${failedCheck.reason}` + (failedCheck.output ? '; its output:' : ''),
      ...indent(failedCheck.output ? failedCheck.output.split('\n') : []),
    ]);
  }
  return { passed: true };
}

/** The reason of a check that never ran because an earlier one failed or timed out, or the boot failed. */
export const NOT_RUN = 'not run';

function upCondition(state: SerialState): string {
  if (state.startJob) return `the console last showed \`${state.startJob.line}\`: ${state.startJob.unit} held the boot up`;
  if (state.autologin && !state.shellReady) {
    return `the autologin of ${state.autologin.user} was seen, but its shell never ran the handshake typed into it (\`echo … | base64 -d | sh\`; is base64 from coreutils in the image?)`;
  }
  if (state.multiUser) return 'multi-user.target was reached, but no autologin was seen (set expectAutologin false for images without one)';
  return 'multi-user.target was never reached and no autologin was seen';
}
