/**
 * What boot-test shows while QEMU runs: elapsed time, the phase and the last
 * console line; one line rewritten in place on a terminal, a plain line every
 * `intervalMs` (default 15 s) in CI logs, like the build's progress.ts.
 *
 *   [booting, TCG] 1:23  [  OK  ] Started Journal Service.
 */
import { formatDuration } from '../building/progress';
import type { SerialState } from './serial';

export type BootPhase = 'booting' | 'settling' | 'checks' | 'powering off';

export function bootStatusLine(state: SerialState, phase: BootPhase, accel: string, width?: number): string {
  const failed = state.failedUnits.length ? `, ${state.failedUnits.length} failed` : '';
  const line = `[${phase}, ${accel.toUpperCase()}${failed}] ${formatDuration(state.elapsedMs)}  ${state.lastLine.trim()}`;
  if (!width || width < 10 || line.length <= width) return line;
  return `${line.slice(0, width - 1)}…`;
}

export interface BootReporterOptions {
  write: (text: string) => void;
  tty: boolean;
  columns?: number;
  now: () => number;
  intervalMs?: number;
}

const CLEAR_LINE = '\r\u001b[K';

export function createBootReporter(options: BootReporterOptions) {
  const intervalMs = options.intervalMs ?? 15_000;
  const columns = options.columns && options.columns >= 20 ? options.columns : 80;
  let lastWrite = -Infinity;
  let shown = false;
  return {
    /** About once a second, and when a console line arrives (a terminal only redraws). */
    update(state: SerialState, phase: BootPhase, accel: string) {
      if (options.tty) {
        options.write(`${CLEAR_LINE}${bootStatusLine(state, phase, accel, columns - 1)}`);
        shown = true;
      } else if (options.now() - lastWrite >= intervalMs) {
        options.write(`nixiso: ${bootStatusLine(state, phase, accel)}\n`);
        lastWrite = options.now();
      }
    },
    /** Text above the status line (console lines when shown). */
    print(text: string) {
      if (options.tty && shown) options.write(CLEAR_LINE);
      shown = false;
      options.write(`${text}\n`);
    },
    finish() {
      if (options.tty && shown) options.write(CLEAR_LINE);
      shown = false;
    },
  };
}
