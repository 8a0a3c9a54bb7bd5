/**
 * `dist/<projectRoot>/boot-test.json`, what boot-test found: written on
 * success and on failure alike (it is the target's output), and the message
 * a failed boot test ends with. Pure.
 */
import type { Accel } from './qemu';
import type { CheckOutput, FailedUnit, SerialState } from './serial';

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

export interface BootReport {
  project: string;
  result: 'passed' | 'failed';
  /** booting: QEMU exited before the system came up. */
  state: SerialState['state'] | 'exited';
  /** The first reason the test failed, as printed. */
  failure?: string;
  failedUnits: FailedUnit[];
  checks: CheckResult[];
  /** Milliseconds from QEMU's start to the autologin shell (or multi-user.target). */
  bootTimeMs?: number;
  durationMs: number;
  qemuCommand: string;
  accel: Accel;
  accelReason: string;
  storePath: string;
  imagePath: string;
  bootEntry: { source: string; kernel: string; initrd: string; params: string[] };
  /** The last console lines: always kept for a failed test. */
  serialTail: string[];
  testedAt: string;
}

export function bootReportJson(report: BootReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** A check's outcome from what the console showed between its markers. */
export function checkResult(check: BootCheck, output: CheckOutput | undefined): CheckResult {
  const base = { command: check.run, ...(check.expect !== undefined ? { expect: check.expect } : {}) };
  if (!output) return { ...base, output: '', passed: false, reason: 'it did not finish' };
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

export function failedUnitText(failed: FailedUnit): string[] {
  const name = failed.unit ?? failed.message;
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

/** Pass or fail, and the message: failed units first, then the boot not coming up, then the checks. */
export function verdict(state: SerialState, checks: readonly CheckResult[], exited: boolean, timeoutSeconds: number): Verdict {
  if (state.failedUnits.length) {
    return { passed: false, failure: ['the boot failed:', ...state.failedUnits.flatMap(failedUnitText)].join('\n') };
  }
  const tail = ['last console lines:', ...indent(state.tail)];
  if (state.upAfterMs === undefined) {
    const what = exited ? 'QEMU exited before the system came up' : `the system was not up after ${timeoutSeconds} s (option timeoutSeconds)`;
    return { passed: false, failure: [`${what}; ${upCondition(state)}`, ...tail].join('\n') };
  }
  const failedCheck = checks.find((c) => !c.passed);
  if (failedCheck) {
    return {
      passed: false,
      failure: [
        `check \`${failedCheck.command}\` failed: ${failedCheck.reason}` + (failedCheck.output ? '; its output:' : ''),
        ...indent(failedCheck.output ? failedCheck.output.split('\n') : []),
      ].join('\n'),
    };
  }
  return { passed: true };
}

function upCondition(state: SerialState): string {
  if (state.autologin && !state.shellReady) return `the autologin of ${state.autologin.user} was seen, but no shell prompt after it`;
  if (state.multiUser) return 'multi-user.target was reached, but no autologin shell prompt was seen (set expectAutologin false for images without one)';
  return 'multi-user.target was never reached';
}
