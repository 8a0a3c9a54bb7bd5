/**
 * Talking to the booted system through its autologin shell, whatever shell
 * and prompt the user configured (bash, zsh, fish, a custom PS1). Pure: the
 * lines to type and the parsing of what came back; boot-test types them and
 * the serial reader (serial.ts) collects the output between markers.
 *
 * Every line typed is `echo <base64> | base64 -d | sh`: valid in bash, zsh
 * and fish alike, no quoting of the user's command for any of them, and the
 * shell's echo of the typed line never contains a marker (only the script's
 * output does). The script runs in a POSIX sh with the login shell's
 * environment.
 *
 * Markers, each on a line of its own in the script's output:
 *   @@NIXISO-READY-<id>@@             the handshake: the shell runs what is typed
 *   @@NIXISO-BEGIN-<id>@@ … @@NIXISO-END-<id>:<status>@@   a script's output and exit status
 *   @@NIXISO-SECTION-<name>:<status>@@ inside a query: the output above it is <name>'s
 *
 * The verdict once a shell is up comes from systemd itself, as NixOS's test
 * driver asks it: `systemctl is-system-running --wait` (bounded) for the boot
 * to settle, `systemctl list-units --failed`, `systemctl list-jobs` for what is
 * still starting, the activation's lines in the journal (stage 2 logs them as
 * `stage-2-init`), and `journalctl -b -u <unit>` for each failed or hung unit.
 */

export const MARKER_PREFIX = '@@NIXISO-';

/** The longest script typed as one line: serial terminals and line editors cope with a few KiB. */
export const MAX_SCRIPT_BYTES = 3000;

/** The line typed into the user's shell to run `script` in sh. */
export function shellLine(script: string): string {
  const encoded = Buffer.from(script.endsWith('\n') ? script : `${script}\n`, 'utf8').toString('base64');
  return `echo ${encoded} | base64 -d | sh`;
}

/** Typed until its marker comes back: the shell is there and runs what is typed. */
export function handshakeScript(id: string): string {
  return `echo '${MARKER_PREFIX}READY-${id}@@'`;
}

/**
 * A check: its output (stderr with stdout, stdin /dev/null so that it cannot
 * swallow what is typed next) between markers, then its exit status. The
 * command runs in a subshell (an `exit 3` in it is its status, not the end
 * of the script) and stands on lines of its own: a trailing comment or a
 * here-document in it ends where it should.
 */
export function checkScript(run: string, id: string): string {
  return [`echo '${MARKER_PREFIX}BEGIN-${id}@@'`, '(', run.trim(), `) </dev/null 2>&1`, `echo "${MARKER_PREFIX}END-${id}:$?@@"`].join('\n');
}

const section = (name: string) => `echo "${MARKER_PREFIX}SECTION-${name}:$?@@"`;

/** journalctl as root when the user may (the installer's nixos user is in wheel, with passwordless sudo), else as the user. */
const JOURNALCTL = 'if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then J="sudo -n journalctl"; else J=journalctl; fi';

/**
 * The boot settling: waits (at most `waitSeconds`) for systemd to finish
 * starting, then asks for the state, the failed units, the jobs still queued
 * and the activation's failure lines.
 */
export function settleScript(id: string, waitSeconds: number): string {
  const wait = Math.max(1, Math.round(waitSeconds));
  return [
    `echo '${MARKER_PREFIX}BEGIN-${id}@@'`,
    JOURNALCTL,
    `timeout ${wait} systemctl is-system-running --wait </dev/null 2>&1`,
    section('wait'),
    'systemctl is-system-running </dev/null 2>&1',
    section('state'),
    'systemctl list-units --failed --plain --no-legend --full --no-pager </dev/null 2>&1',
    section('failed'),
    'systemctl list-jobs --no-legend --full --no-pager </dev/null 2>&1',
    section('jobs'),
    `$J -b -t stage-2-init -o cat --no-pager -q </dev/null 2>&1 | grep -F 'Activation script snippet'`,
    section('activation'),
    `echo "${MARKER_PREFIX}END-${id}:0@@"`,
  ].join('\n');
}

/** The journal of each unit, `lines` lines at most. */
export function journalScript(id: string, units: readonly string[], lines: number): string {
  for (const unit of units) if (!UNIT_NAME.test(unit)) throw new Error(`not a systemd unit name: ${JSON.stringify(unit)}`);
  return [
    `echo '${MARKER_PREFIX}BEGIN-${id}@@'`,
    JOURNALCTL,
    ...units.flatMap((unit) => [`$J -b -u '${unit}' -n ${lines} -o short --no-pager -q </dev/null 2>&1`, section(`journal ${unit}`)]),
    `echo "${MARKER_PREFIX}END-${id}:0@@"`,
  ].join('\n');
}

/** The lines typed for `script`, or why it cannot be typed. */
export function typedLine(script: string): { line: string } | { error: string } {
  const line = shellLine(script);
  return line.length > MAX_SCRIPT_BYTES
    ? { error: `it is ${Buffer.byteLength(script)} bytes, and boot-test types at most about ${Math.floor((MAX_SCRIPT_BYTES * 3) / 4) - 40} bytes into the console; put the commands into a script in the image and run that` }
    : { line };
}

const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(?:service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;
const SECTION = /^@@NIXISO-SECTION-(.+):(\d+)@@$/;

/** A query's output split at its section markers: name → output lines and the exit status of the pipeline before it. */
export function parseSections(output: readonly string[]): Map<string, { lines: string[]; status: number }> {
  const sections = new Map<string, { lines: string[]; status: number }>();
  let lines: string[] = [];
  for (const line of output) {
    const m = SECTION.exec(line.trim());
    if (m) {
      sections.set(m[1], { lines, status: Number(m[2]) });
      lines = [];
    } else lines.push(line);
  }
  return sections;
}

export interface FailedUnitRow {
  unit: string;
  load: string;
  active: string;
  sub: string;
  description: string;
}

/** `systemctl list-units --failed --plain --no-legend`: `<unit> <load> <active> <sub> <description>` (older systemd: a leading ●). */
export function parseFailedUnits(lines: readonly string[]): FailedUnitRow[] {
  const rows: FailedUnitRow[] = [];
  for (const raw of lines) {
    const m = /^(?:[●*]\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(raw.trim());
    if (m && UNIT_NAME.test(m[1])) rows.push({ unit: m[1], load: m[2], active: m[3], sub: m[4], description: (m[5] ?? '').trim() });
  }
  return rows;
}

export interface JobRow {
  id: number;
  unit: string;
  type: string;
  state: string;
}

/** `systemctl list-jobs --no-legend`: `<id> <unit> <type> <state>`. */
export function parseJobs(lines: readonly string[]): JobRow[] {
  const rows: JobRow[] = [];
  for (const raw of lines) {
    const m = /^(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(raw.trim());
    if (m && UNIT_NAME.test(m[2])) rows.push({ id: Number(m[1]), unit: m[2], type: m[3], state: m[4] });
  }
  return rows;
}

const ACTIVATION_FAILED = /Activation script snippet '([^']*)' failed \((\d+)\)/;

export interface ActivationFailure {
  snippet: string;
  status: number;
  line: string;
}

/** NixOS's activation script: `Activation script snippet '<name>' failed (<status>)`. */
export function activationFailureOf(line: string): ActivationFailure | undefined {
  const m = ACTIVATION_FAILED.exec(line);
  return m ? { snippet: m[1], status: Number(m[2]), line: line.trim() } : undefined;
}

/** What systemd said once the shell was up. */
export interface SystemdAnswer {
  /** `systemctl is-system-running` after the wait: running, degraded, starting, … */
  state: string;
  /** The wait ended with the boot settled (not cut off at the limit). */
  settled: boolean;
  /** How long it was allowed to wait, seconds. */
  waitedSeconds: number;
  failed: FailedUnitRow[];
  /** Jobs still queued after the wait: `running` ones are what the boot waits for. */
  jobs: JobRow[];
  activation: ActivationFailure[];
  /** What the answer could not say, for the report (a command missing in the image, no permission). */
  notes: string[];
}

const SETTLED_STATES = new Set(['running', 'degraded', 'maintenance', 'stopping', 'offline']);

export function parseSettle(output: readonly string[], waitedSeconds: number): SystemdAnswer {
  const sections = parseSections(output);
  const text = (name: string) => sections.get(name)?.lines ?? [];
  const word = (name: string) => text(name).map((l) => l.trim()).filter(Boolean).pop() ?? '';
  const state = word('state') || word('wait');
  const notes: string[] = [];
  for (const [name, s] of sections) {
    if (s.status === 127 || s.lines.some((l) => /command not found|not found$/.test(l))) notes.push(`${name}: ${s.lines.join(' ').trim() || `exit ${s.status}`}`);
  }
  return {
    state,
    settled: SETTLED_STATES.has(word('wait')),
    waitedSeconds,
    failed: parseFailedUnits(text('failed')),
    jobs: parseJobs(text('jobs')),
    activation: text('activation').map(activationFailureOf).filter((a): a is ActivationFailure => !!a),
    notes,
  };
}

/** The journal lines of each unit from journalScript's output. */
export function parseJournals(output: readonly string[]): Map<string, string[]> {
  const journals = new Map<string, string[]>();
  for (const [name, s] of parseSections(output)) {
    if (name.startsWith('journal ')) journals.set(name.slice('journal '.length), s.lines.filter((l) => l.trim() && l.trim() !== '-- No entries --'));
  }
  return journals;
}

/** The units the boot is stuck on: jobs running (not merely waiting for another) after the wait. */
export function hungUnits(answer: SystemdAnswer): JobRow[] {
  if (answer.settled) return [];
  const running = answer.jobs.filter((j) => j.state === 'running' && !j.unit.endsWith('.target'));
  return running.length ? running : answer.jobs.filter((j) => !j.unit.endsWith('.target'));
}

/** Typed last: root may power off, the installer's nixos user through passwordless sudo. */
export const POWEROFF_SCRIPT = 'sudo -n poweroff 2>/dev/null || poweroff';
