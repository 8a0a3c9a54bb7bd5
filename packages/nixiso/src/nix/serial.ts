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
 *   = "nixos"): `<host> login: nixos (automatic login)`.
 * - NixOS's bash prompt (nixos/modules/programs/bash/bash.nix promptInit:
 *   `\n\[\033[$PROMPT_COLOR\][\[\e]0;\u@\h: \w\a\]\u@\h:\w]\$\[\033[0m\] `),
 *   rendered `[nixos@nixos:~]$ ` with no newline after it: the shell is ready.
 * - Kernel panics and NixOS's stage 1 giving up (`An error occurred in stage 1
 *   of the boot process`): failures with no unit.
 * - The begin/end markers that boot-test's checks echo (checkLine below).
 */

export type BootState = 'booting' | 'up' | 'failed' | 'timed-out';

export interface FailedUnit {
  /** The unit's name when the console said it (`home-manager-nixos.service`). */
  unit?: string;
  /** What systemd printed after the status word: `Failed to start Home Manager environment for nixos.` */
  message: string;
  /** Console lines logged after it (at most FAILED_UNIT_LOG_LINES). */
  logLines: string[];
  /** Milliseconds since the boot started. */
  atMs: number;
}

export interface CheckOutput {
  id: string;
  output: string[];
  exitStatus: number;
}

export interface SerialState {
  state: BootState;
  /** The shell prompt was seen: commands can be typed. */
  shellReady: boolean;
  multiUser: boolean;
  /** `<host> login: <user> (automatic login)` was seen. */
  autologin?: { host: string; user: string };
  failedUnits: FailedUnit[];
  /** Milliseconds from the start until the system was up (autologin shell, or multi-user without autologin). */
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
const SHELL_PROMPT = /^\[([^@\s\]]+)@([^:\s\]]+):([^\]]*)\][$#] ?$/;
const MULTI_USER = /^Reached target (?:Multi-User System|multi-user\.target(?: - .*)?)\.$/;
const FATAL = /Kernel panic - not syncing|An error occurred in stage 1 of the boot process/;
const MARKER = /@@NIXISO-(BEGIN|END)-([A-Za-z0-9-]+?)(?::(\d+))?@@/;

/** What a status line says: `Failed to start X - Y.` → the unit X when it is a unit name. */
export function parseStatusLine(line: string): { word: string; text: string; unit?: string } | undefined {
  const m = STATUS_LINE.exec(line);
  if (!m) return undefined;
  const text = m[2];
  const subject = /^(?:Failed to (?:start|stop|mount|unmount|listen on|activate swap|deactivate swap)|Timed out (?:starting|waiting for device)|Dependency failed for|Started|Reached target|Stopped|Mounted|Listening on)\s+(.+?)\.?$/.exec(text)?.[1];
  const first = subject?.split(' - ')[0];
  return { word: m[1], text, ...(first && UNIT_NAME.test(first) ? { unit: first } : {}) };
}

export interface SerialReaderOptions {
  now: () => number;
  /** The system counts as up at its autologin shell (default), else at multi-user.target. */
  expectAutologin: boolean;
}

export interface SerialReader {
  /** Bytes from the console, in any chunks. */
  feed(chunk: string): void;
  /** The deadline passed: the state becomes timed-out unless the boot already failed or came up. */
  timeOut(): void;
  state(): SerialState;
}

export function createSerialReader(options: SerialReaderOptions): SerialReader {
  const started = options.now();
  let pending = '';
  let shellReady = false;
  let multiUser = false;
  let autologin: SerialState['autologin'];
  let upAfterMs: number | undefined;
  let timedOut = false;
  let lastLine = '';
  const failedUnits: FailedUnit[] = [];
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
    if (kind === 'BEGIN') {
      collecting = { id, output: [] };
      return true;
    }
    if (collecting?.id === id) {
      const before = line.slice(0, m.index);
      if (before) collecting.output.push(before);
      checks.push({ id, output: collecting.output, exitStatus: Number(status ?? 255) });
      collecting = undefined;
    }
    return true;
  };

  const complete = (line: string) => {
    if (line.trim()) lastLine = line;
    tail.push(line);
    if (tail.length > SERIAL_TAIL_LINES) tail.shift();
    if (marker(line)) return;
    if (collecting) {
      if (collecting.output.length < MAX_CHECK_OUTPUT_LINES) collecting.output.push(line);
      return;
    }
    const last = failedUnits[failedUnits.length - 1];
    const see = SEE_STATUS.exec(line);
    if (see && last) {
      if (!last.unit) last.unit = see[1];
      return;
    }
    const status = parseStatusLine(line);
    if (status && (status.word === 'FAILED' || status.word === 'TIME')) {
      failedUnits.push({ ...(status.unit ? { unit: status.unit } : {}), message: status.text, logLines: [], atMs: elapsed() });
      return;
    }
    if (FATAL.test(line)) {
      failedUnits.push({ message: line.trim(), logLines: [], atMs: elapsed() });
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
    if (SHELL_PROMPT.test(line.trim())) prompt();
  };

  const prompt = () => {
    shellReady = true;
    if (options.expectAutologin) markUp();
  };

  return {
    feed(chunk) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) complete(plainSerialLine(raw));
      // The prompt ends in a space and no newline: look at what is shown so far.
      const partial = plainSerialLine(pending);
      if (partial.trim()) lastLine = partial;
      if (!collecting && SHELL_PROMPT.test(partial.trim())) prompt();
    },
    timeOut() {
      timedOut = true;
    },
    state() {
      const up = upAfterMs !== undefined;
      const state: BootState = failedUnits.length ? 'failed' : up ? 'up' : timedOut ? 'timed-out' : 'booting';
      return {
        state,
        shellReady,
        multiUser,
        ...(autologin ? { autologin } : {}),
        failedUnits: failedUnits.map((f) => ({ ...f, logLines: [...f.logLines] })),
        ...(up ? { upAfterMs } : {}),
        elapsedMs: elapsed(),
        lastLine,
        tail: [...tail, ...(plainSerialLine(pending).trim() ? [plainSerialLine(pending)] : [])].slice(-SERIAL_TAIL_LINES),
        checks: checks.map((c) => ({ ...c, output: [...c.output] })),
      };
    },
  };
}

/**
 * The line typed into the shell for a check. The markers are split by an
 * empty string (`@@NIXISO""-BEGIN-…`) so that the shell's echo of the typed
 * line never contains them; only the commands' output does. stdin is
 * /dev/null (a command reading it would swallow what is typed next), stderr
 * goes with stdout, and `$?` is the command's exit status.
 */
export function checkLine(run: string, id: string): string {
  return `echo '@@NIXISO''-BEGIN-${id}@@'; { ${run.trim().replace(/;+$/, '')}; } </dev/null 2>&1; echo "@@NIXISO""-END-${id}:$?@@"`;
}

/** Typed last: root may power off, the installer's nixos user through passwordless sudo. */
export const POWEROFF_LINE = 'sudo -n poweroff 2>/dev/null || poweroff';
