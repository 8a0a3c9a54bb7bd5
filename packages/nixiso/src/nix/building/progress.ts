/**
 * What a build shows while Nix runs and after it failed, rendered from the
 * state log.ts reads out of Nix's JSON log. Rendering is pure; the reporter
 * at the end only decides when to write, through the `write` it is given.
 *
 *   TTY, one line rewritten in place:
 *     [3/7 built, 1 running: nixos.iso (buildPhase)] 1/2 downloads 6.7 KiB  0:42
 *   not a TTY (CI logs), a line when a derivation finishes (at most every 5 s) and every 30 s:
 *     nixiso: [3/7 built, 1 running: nixos.iso (buildPhase)] 1/2 downloads 6.7 KiB  0:42
 */
import {
  applyLogEvent,
  type BuildProgress,
  buildCounts,
  derivationName,
  downloadBytes,
  failedDerivations,
  initialProgress,
  type LogEvent,
  logTail,
  type NixError,
  parseLogLine,
  ResultType,
  runningBuilds,
  substitutionCounts,
  Verbosity,
} from './log';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A byte count in binary units with `digits` decimals (`1.1 GiB`); below 1 KiB the count itself, followed by `byteUnit`. */
export function binarySize(bytes: number, digits: number, byteUnit: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} ${byteUnit}` : `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatBytes(bytes: number): string {
  return binarySize(bytes, 1, 'B');
}

/** `0:42`, `12:03`, `1:02:03`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function truncate(text: string, width: number | undefined): string {
  if (!width || width < 10 || text.length <= width) return text;
  return `${text.slice(0, width - 1)}…`;
}

/** The one-line status: derivations, running builds, downloads, elapsed time; at most `width` long when given. */
export function statusLine(state: BuildProgress, elapsedMs: number, width?: number): string {
  const elapsed = formatDuration(elapsedMs);
  if (!state.realising) return truncate(`[evaluating]  ${elapsed}`, width);
  const builds = buildCounts(state);
  const running = runningBuilds(state);
  const counts = [`${builds.done}/${builds.expected} built`, ...(builds.failed ? [`${builds.failed} failed`] : [])].join(', ');
  let downloads = '';
  const copies = substitutionCounts(state);
  const bytes = downloadBytes(state);
  // Nix counts a substitution goal per missing path before it knows whether any cache has it: show
  // downloads once something is to be fetched (expected bytes) or was fetched.
  if (bytes.expected || bytes.done || copies.done) {
    const size = bytes.expected ? `${formatBytes(bytes.done)}/${formatBytes(bytes.expected)}` : formatBytes(bytes.done);
    downloads = ` ${copies.done}/${copies.expected} downloads ${size}`;
  }
  const render = (name: string, tail: string) =>
    `[${counts}${running.length ? `, ${running.length} running: ${name}` : ''}]${tail}  ${elapsed}`;
  const [first, ...others] = running;
  const name = first ? `${first.name}${first.phase ? ` (${first.phase})` : ''}${others.length ? ` +${others.length}` : ''}` : '';
  const line = render(name, downloads);
  if (!width || line.length <= width) return line;
  // Too wide: shorten the derivation's name, then leave out the downloads, so that counts and time stay.
  for (const tail of [downloads, '']) {
    const room = name.length - (render(name, tail).length - width);
    if (room >= MIN_NAME) return render(ellipsis(name, room), tail);
  }
  return truncate(render(ellipsis(name, MIN_NAME), ''), width);
}

const MIN_NAME = 12;

function ellipsis(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** After a successful build: what was built and fetched, and how long it took. */
export function doneLine(state: BuildProgress, elapsedMs: number): string {
  const builds = buildCounts(state);
  const copies = substitutionCounts(state);
  const fetched = copies.done ? `, ${copies.done} downloaded (${formatBytes(downloadBytes(state).done)})` : '';
  return `${builds.done} built${fetched} in ${formatDuration(elapsedMs)}`;
}

function indent(lines: readonly string[], prefix = '    '): string[] {
  return lines.map((l) => (l ? prefix + l : l));
}

/** A flake's files are evaluated from their store copy; name the file in the work tree instead. */
function positionOf(error: NixError, localSource: string | undefined): string | undefined {
  if (!error.position) return undefined;
  const { line, column } = error.position;
  const copied = /^\/nix\/store\/[0-9a-z]{32}-source\/(.+)$/.exec(error.position.file);
  const file = copied && localSource ? `${localSource.replace(/\/$/, '')}/${copied[1]}` : error.position.file;
  return `${file}:${line}${column ? `:${column}` : ''}`;
}

export interface FailureContext {
  /** Nix's exit code. */
  exitCode: number;
  /** The directory a flake's `/nix/store/…-source` copy was made from (the git work tree, or the image directory). */
  localSource?: string;
}

/**
 * The summary printed when Nix failed: each failing derivation with the last
 * lines of its log and the command that shows all of it, then Nix's own
 * errors (for an evaluation error: where it is, and the message with its
 * code frame). Undefined when the log holds no error at all.
 */
export function failureSummary(state: BuildProgress, context: FailureContext): string | undefined {
  const failed = failedDerivations(state);
  const errors = state.errors.filter((e) => !/^error: interrupted by the user/.test(e.text));
  if (!failed.length && !errors.length) return undefined;
  const out: string[] = [];
  for (const drv of failed) {
    const tail = logTail(state, drv);
    out.push(
      `the build of ${drv} failed (exit ${context.exitCode}); ` +
        (tail.length ? `last ${tail.length} lines of its log:` : 'it wrote no log'),
      ...indent(tail),
      `  full log: nix log ${drv}`,
      `        or: nix-store --read-log ${drv}   (when nix-command is not enabled)`,
    );
  }
  const evalError = !failed.length ? errors.find((e) => e.position) : undefined;
  if (evalError) out.push(`evaluation failed at ${positionOf(evalError, context.localSource)}`);
  out.push('Nix reported:', ...errors.map((e) => e.text));
  return out.join('\n');
}

/** How far a build got before it was stopped: `0/4 built`, or `stopped while evaluating`. */
export function interruptedSummary(state: BuildProgress): string {
  if (!state.realising) return 'stopped while evaluating';
  const builds = buildCounts(state);
  return `${builds.done}/${builds.expected} built`;
}

// --- The reporter: feeds lines to the reducer and writes what the user sees.

export interface ReporterOptions {
  write: (text: string) => void;
  /** One line rewritten in place (a terminal) or plain lines (CI logs, files). */
  tty: boolean;
  /** Terminal width: the status line is cut to it so that `\r` can rewrite it. */
  columns?: number;
  now: () => number;
  /** Show every build log line (`name> line`), like `nix build -L`. */
  printBuildLogs: boolean;
  /** Not a TTY: a line at least this often while something runs (default 30 s). */
  intervalMs?: number;
  /** Not a TTY: at most one line per derivation finish this often (default 5 s). */
  minIntervalMs?: number;
}

export interface ProgressReporter {
  /** One stderr line of Nix. */
  line(raw: string): void;
  /** Call about once a second: refreshes the elapsed time and writes periodic lines. */
  tick(): void;
  /** Nix exited: removes the status line; on success writes what was done. */
  finish(success: boolean): void;
  state(): BuildProgress;
  elapsedMs(): number;
}

const CLEAR_LINE = '\r\u001b[K';
const TTY_REDRAW_MS = 100;

export function createProgressReporter(options: ReporterOptions): ProgressReporter {
  const { write, tty, now } = options;
  const intervalMs = options.intervalMs ?? 30_000;
  const minIntervalMs = options.minIntervalMs ?? 5_000;
  const started = now();
  let state = initialProgress();
  let shown = '';
  let lastWrite = -Infinity;
  let pendingStep = false;

  // A terminal that does not say its width (0 under `script`, some CI runners) gets 80 columns.
  const columns = options.columns && options.columns >= 20 ? options.columns : 80;
  const status = () => statusLine(state, now() - started, tty ? columns - 1 : undefined);

  const redraw = (force = false) => {
    if (!tty) return;
    const line = status();
    if (line === shown || (!force && now() - lastWrite < TTY_REDRAW_MS)) return;
    write(`${CLEAR_LINE}${line}`);
    shown = line;
    lastWrite = now();
  };

  const plainStatus = () => {
    write(`nixiso: ${status()}\n`);
    lastWrite = now();
    pendingStep = false;
  };

  /** Text above the status line: clear it, write, draw it again. */
  const print = (text: string) => {
    if (tty && shown) write(CLEAR_LINE);
    write(`${text}\n`);
    if (tty) {
      shown = '';
      redraw(true);
    }
  };

  const show = (event: LogEvent, before: BuildProgress): void => {
    switch (event.action) {
      case 'text':
        if (event.text) print(event.text);
        return;
      case 'msg':
        // Errors go into the failure summary; warnings and notices are shown as they come.
        if (event.level === Verbosity.Error && /^error:|^\(use '--show-trace'/.test(event.text)) return;
        if (event.level <= Verbosity.Notice || (options.printBuildLogs && event.level <= Verbosity.Info)) print(event.text);
        return;
      case 'result':
        if (options.printBuildLogs && (event.type === ResultType.BuildLogLine || event.type === ResultType.PostBuildLogLine)) {
          const path = before.activities[event.id]?.path;
          if (path) print(`${derivationName(path)}> ${String(event.fields[0] ?? '')}`);
        }
        return;
      default:
        return;
    }
  };

  return {
    line(raw) {
      const event = parseLogLine(raw);
      const before = state;
      state = applyLogEvent(state, event);
      show(event, before);
      if (tty) {
        redraw();
      } else if (state.finishedSteps !== before.finishedSteps) {
        pendingStep = true;
        if (now() - lastWrite >= minIntervalMs) plainStatus();
      }
    },
    tick() {
      if (tty) redraw(true);
      else if ((pendingStep && now() - lastWrite >= minIntervalMs) || now() - lastWrite >= intervalMs) plainStatus();
    },
    finish(success) {
      if (tty && shown) write(CLEAR_LINE);
      shown = '';
      if (success) write(`nixiso: ${doneLine(state, now() - started)}\n`);
    },
    state: () => state,
    elapsedMs: () => now() - started,
  };
}
