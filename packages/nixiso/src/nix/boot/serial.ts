/**
 * Reads a NixOS boot from its serial console. Pure: bytes in (as QEMU
 * forwards them from ttyS0), state out; the time comes from `now`.
 *
 * What it recognises, and where the text comes from:
 * - systemd's console status lines (src/core/job.c job_emit_done_message,
 *   src/core/show-status.c status_vprintf): `[  OK  ] Started <unit>.`,
 *   `[  OK  ] Reached target <unit>.` (targets' own finished_start_job format),
 *   `[FAILED] Failed to start <unit>.` (also `Failed to mount …`, `Failed to
 *   listen on …`: unit types' own formats), `[ TIME ] Timed out …`,
 *   `[DEPEND] Dependency failed for <unit>.`. <unit> is what
 *   unit_status_string() returns for StatusUnitFormat=: the description
 *   (`Home Manager environment for nixos`, the upstream default), the name
 *   (`home-manager-nixos.service`) or, since systemd 250, `combined`
 *   (`home-manager-nixos.service - Home Manager environment for nixos`). After
 *   a failed start job systemd prints `See 'systemctl status <name>' for
 *   details.`, which names the unit whatever the format. The status word is
 *   coloured (ANSI_HIGHLIGHT_RED …) and an ephemeral `A start job is running`
 *   line is erased with a reverse line feed and `\r`: terminal codes and
 *   carriage returns are removed first.
 * - `Reached target Multi-User System.` / `multi-user.target`: the system is up.
 * - agetty's autologin (util-linux; NixOS installer: services.getty.autologinUser
 *   = "nixos"): `<host> login: nixos (automatic login)`: the shell is coming;
 *   boot-test then drives it with the markers of boot-shell.ts, whatever its
 *   prompt looks like.
 * - `A start job is running for <unit> (12s / no limit)`: what the boot waits for.
 * - NixOS's activation: `Activation script snippet '<name>' failed (<status>)`.
 * - Kernel panics (`Kernel panic - not syncing: <cause>`, once: the `---[ end
 *   Kernel panic` line repeats it) and NixOS's stage 1 giving up (`An error
 *   occurred in stage 1 of the boot process`, after the line that says why):
 *   fatal, nothing more will come.
 * - The markers boot-shell.ts's scripts print (READY, BEGIN, END).
 *
 * Once boot-test has its verdict it stops the reader: what a shutdown prints
 * (`[FAILED] Failed unmounting /nix/store.` on live images) is not the boot's.
 */
import { activationFailureOf } from './boot-shell';

export type BootState = 'booting' | 'up' | 'failed' | 'timed-out';

export interface FailedUnit {
  /** The unit's name when the console or systemd said it (`home-manager-nixos.service`). */
  unit?: string;
  /** What systemd printed after the status word (`Failed to start Home Manager environment for nixos.`), or what `systemctl --failed` says. */
  message: string;
  /** Console lines logged after it (at most FAILED_UNIT_LOG_LINES). */
  logLines: string[];
  /** Milliseconds since the boot started. */
  atMs: number;
  /** Where the failure was seen: the console's status line, or systemd asked in the booted system. */
  source?: 'console' | 'systemd';
  /** `journalctl -b -u <unit>` from the booted system, when it was asked. */
  journal?: string[];
}

/** The kernel or stage 1 gave up: nothing more will come. */
export interface FatalFailure {
  kind: 'panic' | 'stage-1';
  /** `Attempted to kill init! exitcode=0x00000100`; for stage 1 the line before its message (`stage 2 init script (…) not found`). */
  cause: string;
  line: string;
  atMs: number;
}

export interface CheckOutput {
  id: string;
  output: string[];
  exitStatus: number;
}

export interface SerialState {
  state: BootState;
  /** A handshake marker came back: the shell runs what is typed. */
  shellReady: boolean;
  /** The handshake ids that came back. */
  ready: string[];
  multiUser: boolean;
  /** `<host> login: <user> (automatic login)` was seen. */
  autologin?: { host: string; user: string };
  failedUnits: FailedUnit[];
  fatal?: FatalFailure;
  /** `Activation script snippet '<name>' failed (<status>)` lines. */
  activationFailures: { snippet: string; status: number; line: string }[];
  /** The last `A start job is running for <unit> (…)` the console showed, while no later status line replaced it. */
  startJob?: { unit: string; line: string };
  /** Milliseconds from the start until the system was up (the shell answered, or multi-user without autologin). */
  upAfterMs?: number;
  elapsedMs: number;
  /** The last non-empty line (or the prompt being shown), for progress. */
  lastLine: string;
  /** The last SERIAL_TAIL_LINES console lines. */
  tail: string[];
  checks: CheckOutput[];
}

export const FAILED_UNIT_LOG_LINES = 10;
export const SERIAL_TAIL_LINES = 30;
const MAX_CHECK_OUTPUT_LINES = 200;

/** CSI (`\e[0;1;31m`, `\e[?2004h`), OSC (`\e]0;title\a`) and two-byte escapes (`\eM`, reverse line feed). */
// eslint-disable-next-line no-control-regex
const TERMINAL_CODES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]/g;

/** A kernel message (`[    2.281769] tsc: …`) that the kernel wrote into the middle of another line on the same console. */
const INTERLEAVED_PRINTK = /(?<=\S)\[\s*\d+\.\d{6}\] .*$/;

/**
 * A console line as a terminal would show it: no colours or titles, of a
 * `\r`-rewritten line its last text, and without a kernel message the
 * kernel appended to it (systemd and the kernel share the serial console).
 */
export function plainSerialLine(raw: string): string {
  const text = raw.replace(TERMINAL_CODES, '').replace(/\r+$/, '');
  const parts = text.split('\r').filter((p) => p.trim());
  return (parts.length ? parts[parts.length - 1] : '').replace(INTERLEAVED_PRINTK, '').replace(/\s+$/, '');
}

const STATUS_LINE = /^\[\s*(OK|FAILED|DEPEND|TIME|INFO|ASSERT|UNSUPP|ONCE)\s*\]\s(.*)$/;
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(?:service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;
const SEE_STATUS = /^See 'systemctl status "?([^"']+)"?' for details\.$/;
const AUTOLOGIN = /^(\S+) login: (\S+) \(automatic login\)$/;
const MULTI_USER = /^Reached target (?:Multi-User System|multi-user\.target(?: - .*)?)\.$/;
const PANIC = /Kernel panic - not syncing: ?(.*)$/;
const PANIC_END = /---\[ end Kernel panic/;
const STAGE_1_FAILED = /An error occurred in stage 1 of the boot process/;
const START_JOB = /A (?:start|stop) job is running for (.+?) \((?:\d+min )?\d+s \/ [^)]*\)/;
const MARKER = /@@NIXISO-(BEGIN|END|READY)-([A-Za-z0-9-]+?)(?::(\d+))?@@/;

/** What a status line says: `Failed to start X - Y.` → the unit X when it is a unit name. */
export function parseStatusLine(line: string): { word: string; text: string; unit?: string } | undefined {
  const m = STATUS_LINE.exec(line);
  if (!m) return undefined;
  const text = m[2];
  const subject = /^(?:Failed to (?:start|stop|mount|unmount|listen on|activate swap|deactivate swap)|Timed out (?:starting|waiting for device)|Dependency failed for|Started|Finished|Reached target|Stopped|Mounted|Listening on)\s+(.+?)\.?$/.exec(text)?.[1];
  const first = subject?.split(' - ')[0];
  return { word: m[1], text, ...(first && UNIT_NAME.test(first) ? { unit: first } : {}) };
}

export interface SerialReaderOptions {
  now: () => number;
  /** The system counts as up once its shell answers the handshake (default), else at multi-user.target. */
  expectAutologin: boolean;
}

export interface SerialReader {
  /** Bytes from the console, in any chunks. */
  feed(chunk: string): void;
  /** The deadline passed: the state becomes timed-out unless the boot already failed or came up. */
  timeOut(): void;
  /** The verdict is in: what the console prints from now on (the shutdown) is not read. */
  stop(): void;
  state(): SerialState;
}

export function createSerialReader(options: SerialReaderOptions): SerialReader {
  const started = options.now();
  let pending = '';
  let stopped = false;
  let multiUser = false;
  let autologin: SerialState['autologin'];
  let upAfterMs: number | undefined;
  let timedOut = false;
  let lastLine = '';
  let fatal: FatalFailure | undefined;
  let startJob: SerialState['startJob'];
  const ready: string[] = [];
  const failedUnits: FailedUnit[] = [];
  const activationFailures: SerialState['activationFailures'] = [];
  const tail: string[] = [];
  const checks: CheckOutput[] = [];
  let collecting: { id: string; output: string[] } | undefined;

  const elapsed = () => options.now() - started;
  const markUp = () => {
    if (upAfterMs === undefined) upAfterMs = elapsed();
  };

  const marker = (line: string): boolean => {
    const m = MARKER.exec(line);
    if (!m) return false;
    const [, kind, id, status] = m;
    if (kind === 'READY') {
      if (!ready.includes(id)) ready.push(id);
      if (options.expectAutologin) markUp();
    } else if (kind === 'BEGIN') {
      collecting = { id, output: [] };
    } else if (collecting?.id === id) {
      const before = line.slice(0, m.index);
      if (before) collecting.output.push(before);
      checks.push({ id, output: collecting.output, exitStatus: Number(status ?? 255) });
      collecting = undefined;
    }
    return true;
  };

  /** The last console line with text before the current one: what stage 1 said went wrong. */
  const lineBefore = (): string => [...tail].reverse().slice(1).find((l) => l.trim() && !STAGE_1_FAILED.test(l))?.trim() ?? '';

  const complete = (line: string) => {
    if (line.trim()) lastLine = line;
    tail.push(line);
    if (tail.length > SERIAL_TAIL_LINES) tail.shift();
    if (marker(line)) return;
    if (collecting) {
      if (collecting.output.length < MAX_CHECK_OUTPUT_LINES) collecting.output.push(line);
      return;
    }
    const job = START_JOB.exec(line);
    if (job) {
      startJob = { unit: job[1], line: line.trim() };
      return;
    }
    const last = failedUnits[failedUnits.length - 1];
    const see = SEE_STATUS.exec(line);
    if (see && last) {
      if (!last.unit) last.unit = see[1];
      return;
    }
    const status = parseStatusLine(line);
    if (status) startJob = undefined;
    if (status && (status.word === 'FAILED' || status.word === 'TIME')) {
      failedUnits.push({ ...(status.unit ? { unit: status.unit } : {}), message: status.text, logLines: [], atMs: elapsed(), source: 'console' });
      return;
    }
    const panic = PANIC.exec(line);
    if (panic || STAGE_1_FAILED.test(line)) {
      if (!fatal && !PANIC_END.test(line)) {
        fatal = panic
          ? { kind: 'panic', cause: panic[1].trim(), line: line.trim(), atMs: elapsed() }
          : { kind: 'stage-1', cause: lineBefore(), line: line.trim(), atMs: elapsed() };
      }
      return;
    }
    const activation = activationFailureOf(line);
    if (activation) {
      activationFailures.push(activation);
      return;
    }
    if (last && last.logLines.length < FAILED_UNIT_LOG_LINES && line.trim()) last.logLines.push(line);
    if (status && MULTI_USER.test(status.text)) {
      multiUser = true;
      if (!options.expectAutologin) markUp();
      return;
    }
    const login = AUTOLOGIN.exec(line.trim());
    if (login) autologin = { host: login[1], user: login[2] };
  };

  return {
    feed(chunk) {
      if (stopped) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) complete(plainSerialLine(raw));
      // What is shown so far of a line without its newline: a prompt, a rewritten `A start job is running` line.
      const partial = plainSerialLine(pending);
      if (partial.trim()) lastLine = partial;
      const job = START_JOB.exec(partial);
      if (job && !collecting) startJob = { unit: job[1], line: partial.trim() };
    },
    timeOut() {
      timedOut = true;
    },
    stop() {
      stopped = true;
    },
    state() {
      const up = upAfterMs !== undefined;
      const state: BootState = failedUnits.length || fatal || activationFailures.length ? 'failed' : up ? 'up' : timedOut ? 'timed-out' : 'booting';
      return {
        state,
        shellReady: ready.length > 0,
        ready: [...ready],
        multiUser,
        ...(autologin ? { autologin } : {}),
        failedUnits: failedUnits.map((f) => ({ ...f, logLines: [...f.logLines] })),
        ...(fatal ? { fatal: { ...fatal } } : {}),
        activationFailures: activationFailures.map((a) => ({ ...a })),
        ...(startJob ? { startJob: { ...startJob } } : {}),
        ...(up ? { upAfterMs } : {}),
        elapsedMs: elapsed(),
        lastLine,
        tail: [...tail, ...(plainSerialLine(pending).trim() ? [plainSerialLine(pending)] : [])].slice(-SERIAL_TAIL_LINES),
        checks: checks.map((c) => ({ ...c, output: [...c.output] })),
      };
    },
  };
}
