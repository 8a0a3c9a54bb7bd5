import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyLogLine, initialProgress, readLog } from './log';
import {
  createProgressReporter,
  doneLine,
  failureSummary,
  formatBytes,
  formatDuration,
  interruptedSummary,
  type ReporterOptions,
  statusLine,
} from './progress';

/** Logs Nix 2.8 wrote with --log-format internal-json (recorded by __fixtures__/record.sh). */
function recorded(name: string): string {
  return readFileSync(join(__dirname, '__fixtures__', `${name}.log`), 'utf8');
}

/** The nonce record.sh put into package names, so expectations read like the output. */
function unnonce(text: string): string {
  return text.replace(/-\d{10}\b/g, '-N');
}

function statusLines(name: string, elapsedMs = 42_000, width?: number): string[] {
  let state = initialProgress();
  const lines: string[] = [];
  for (const line of recorded(name).split('\n')) {
    state = applyLogLine(state, line);
    const status = unnonce(statusLine(state, elapsedMs, width));
    if (lines[lines.length - 1] !== status) lines.push(status);
  }
  return lines;
}

describe('formatting', () => {
  it('bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(6908)).toBe('6.7 KiB');
    expect(formatBytes(3.5 * 1024 ** 3)).toBe('3.5 GiB');
  });

  it('elapsed time as m:ss or h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(42_900)).toBe('0:42');
    expect(formatDuration(12 * 60_000 + 3000)).toBe('12:03');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
});

describe('statusLine over recorded logs', () => {
  it('evaluating, then derivations, the running one with its phase, downloads and bytes', () => {
    const lines = statusLines('success');
    expect(lines[0]).toBe('[evaluating]  0:42');
    expect(lines).toContain('[0/5 built] 0/4 downloads 0 B/6.7 KiB  0:42');
    expect(lines).toContain('[0/5 built, 1 running: hello-N (buildPhase)] 1/1 downloads 6.7 KiB/6.7 KiB  0:42');
    expect(lines).toContain('[4/5 built, 1 running: nixos-24.05pre-git-x86_64-linux.iso] 1/1 downloads 6.7 KiB/6.7 KiB  0:42');
    expect(lines[lines.length - 1]).toBe('[5/5 built] 1/1 downloads 6.7 KiB/6.7 KiB  0:42');
  });

  it('shows no downloads when nothing is fetched, and failures when a builder fails', () => {
    const lines = statusLines('builder-failure');
    expect(lines.some((l) => l.includes('downloads'))).toBe(false);
    expect(lines).toContain('[0/4 built, 1 running: broken-N]  0:42');
    expect(lines[lines.length - 1]).toBe('[0/0 built, 1 failed]  0:42');
  });

  it('fits the terminal width, so that \\r can rewrite it', () => {
    for (const line of statusLines('success', 3_723_000, 40)) expect(line.length).toBeLessThanOrEqual(40);
    expect(statusLines('success', 0, 72)).toContain('[4/5 built, 1 running: nixos-24.05…] 1/1 downloads 6.7 KiB/6.7 KiB  0:00');
    expect(statusLines('success', 0, 50)).toContain('[4/5 built, 1 running: nixos-24.05pre-git-…]  0:00');
    expect(statusLines('success', 0, 30)).toContain('[4/5 built, 1 running: nixos-…');
  });

  it('says what a successful build did', () => {
    expect(doneLine(readLog(recorded('success')), 83_000)).toBe('5 built, 1 downloaded (6.7 KiB) in 1:23');
    expect(doneLine(readLog(recorded('success-flake')), 1000)).toBe('4 built in 0:01');
  });
});

describe('failureSummary', () => {
  it('a failing builder: the derivation, the last 30 lines of its log, how to see all of it, Nix’s errors', () => {
    const summary = failureSummary(readLog(recorded('builder-failure')), { exitCode: 100 }) as string;
    const lines = summary.split('\n');
    expect(lines[0]).toMatch(/^the build of \/nix\/store\/\w{32}-broken-\d+\.drv failed \(exit 100\); last 30 lines of its log:$/);
    expect(lines.slice(1, 31)).toEqual([...Array.from({ length: 29 }, (_, i) => `    log line ${i + 12}`), '    boom']);
    const drv = /\/nix\/store\/\S+\.drv/.exec(lines[0])?.[0];
    expect(lines[31]).toBe(`  full log: nix log ${drv}`);
    expect(lines[32]).toBe(`        or: nix-store --read-log ${drv}   (when nix-command is not enabled)`);
    expect(lines.slice(33)).toEqual([
      'Nix reported:',
      `error: builder for '${drv}' failed with exit code 3`,
      expect.stringMatching(/^error: 1 dependencies of derivation '.*-x86_64-linux\.iso\.drv' failed to build$/),
    ]);
  });

  it('an undeclared option: Nix’s message, which names the file that defines it', () => {
    const summary = failureSummary(readLog(recorded('eval-undeclared-option')), { exitCode: 1 });
    expect(summary).toMatch(/^Nix reported:\nerror: The option `environment\.systemPackage' does not exist\. Definition values:\n\s+- In `\/.*\/configuration\.nix'/);
    expect(summary).toMatch(/\(use '--show-trace' to show detailed location information\)$/);
  });

  it('a syntax error: file and line first, the flake’s store copy mapped back to the work tree', () => {
    const state = readLog(recorded('eval-syntax-error'));
    const summary = failureSummary(state, { exitCode: 1, localSource: '/repo/images/rescue/' }) as string;
    expect(summary.split('\n').slice(0, 3)).toEqual([
      'evaluation failed at /repo/images/rescue/configuration.nix:19:30',
      'Nix reported:',
      "error: syntax error, unexpected '=', expecting ';'",
    ]);
    expect(summary).toContain('19|   environment.systemPackages');
    expect(failureSummary(state, { exitCode: 1 })).toMatch(/^evaluation failed at \/nix\/store\/\w{32}-source\/configuration\.nix:19:30\n/);
  });

  it('Ctrl-C is no failure to summarise; how far it got is', () => {
    const state = readLog(recorded('interrupted'));
    expect(failureSummary(state, { exitCode: 1 })).toBeUndefined();
    expect(interruptedSummary(state)).toBe('0/4 built');
    expect(interruptedSummary(initialProgress())).toBe('stopped while evaluating');
  });
});

/** Replays a recorded log through a reporter, the clock advancing `stepMs` per line. */
function replay(name: string, options: Partial<ReporterOptions> & Pick<ReporterOptions, 'tty'>, stepMs = 50) {
  let clock = 1_000_000;
  const writes: string[] = [];
  const reporter = createProgressReporter({
    write: (text) => writes.push(text),
    now: () => clock,
    printBuildLogs: false,
    columns: 120,
    ...options,
  });
  for (const line of recorded(name).split('\n')) {
    clock += stepMs;
    reporter.line(line);
    if (clock % 1000 === 0) reporter.tick();
  }
  return { reporter, writes, advance: (ms: number) => (clock += ms) };
}

describe('the reporter on a TTY', () => {
  it('rewrites one status line in place, never wider than the terminal', () => {
    const { reporter, writes } = replay('success', { tty: true, columns: 60 });
    // Lines 200 ms apart: more than the redraw interval, so every state is drawn.
    const wide = replay('success', { tty: true, columns: 120 }, 200).writes;
    expect(unnonce(wide.join('\n'))).toContain('\r\u001b[K[0/5 built, 1 running: hello-N (buildPhase)] 1/1 downloads 6.7 KiB/6.7 KiB  1:');
    const statuses = writes.filter((w) => w.startsWith('\r\u001b[K['));
    expect(statuses.length).toBeGreaterThan(5);
    for (const s of statuses) {
      expect(s).not.toContain('\n');
      expect(s.length - 4).toBeLessThanOrEqual(59);
    }
    reporter.finish(true);
    expect(writes.slice(-2)).toEqual(['\r\u001b[K', expect.stringMatching(/^nixiso: 5 built, 1 downloaded \(6\.7 KiB\) in 0:\d\d\n$/)]);
  });

  it('assumes 80 columns when the terminal does not say (0 under `script`)', () => {
    const { writes } = replay('success', { tty: true, columns: 0 }, 200);
    const statuses = writes.filter((w) => w.startsWith('\r\u001b[K['));
    expect(Math.max(...statuses.map((s) => s.length - 4))).toBe(79);
    // eslint-disable-next-line no-control-regex -- the status line starts with the terminal's erase-line escape
    expect(statuses).toContainEqual(expect.stringMatching(/^\r\u001b\[K\[3\/5 built, 1 running: nixos-system-nixos…\] 1\/1 downloads 6\.7 KiB\/6\.7 KiB {2}1:\d\d$/));
  });

  it('prints Nix’s warnings above the status line, and no errors (they go to the summary)', () => {
    const { writes } = replay('builder-failure-flake', { tty: true });
    const text = writes.join('');
    expect(text).toContain("\r\u001b[Kwarning: the flag '--override-input home-manager");
    expect(text).not.toMatch(/error: builder for/);
    expect(text).not.toMatch(/log line 1\b/);
  });

  it('with printBuildLogs, streams each build log line as `name> line`', () => {
    const { writes } = replay('builder-failure', { tty: false, printBuildLogs: true });
    const text = unnonce(writes.join(''));
    expect(text).toContain('broken-N> log line 1\n');
    expect(text).toContain('broken-N> boom\n');
    expect(text).toContain('these 4 derivations will be built:\n');
  });
});

describe('the reporter without a TTY (CI logs)', () => {
  it('writes plain lines: one when a derivation finishes, at most every minIntervalMs', () => {
    const { writes, reporter } = replay('success', { tty: false, minIntervalMs: 0 });
    expect(writes.join('')).not.toContain('\r');
    // The first tick (evaluating), the download finishes, then each of the 5 builds.
    expect(writes.map((w) => w.replace(/ {2}\d:\d\d\n$/, ''))).toEqual([
      'nixiso: [evaluating]',
      'nixiso: [0/8 built] 0/1 downloads 6.7 KiB/6.7 KiB',
      ...[1, 2, 3, 4, 5].map((n) => `nixiso: [${n}/5 built] 1/1 downloads 6.7 KiB/6.7 KiB`),
    ]);
    reporter.finish(true);
    expect(writes[writes.length - 1]).toMatch(/^nixiso: 5 built, 1 downloaded/);
  });

  it('throttles: with lines 50 ms apart and a 5 s minimum, a 19 s build writes a handful of lines', () => {
    const { writes } = replay('success', { tty: false });
    const statuses = writes.filter((w) => w.startsWith('nixiso: ['));
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.length).toBeLessThanOrEqual(6);
  });

  it('a heartbeat when nothing happens for intervalMs', () => {
    const { reporter, writes, advance } = replay('interrupted', { tty: false, intervalMs: 30_000 });
    const before = writes.length;
    advance(29_000);
    reporter.tick();
    expect(writes.length).toBe(before);
    advance(31_000);
    reporter.tick();
    expect(writes.slice(before)).toEqual([expect.stringMatching(/^nixiso: \[0\/4 built\] {2}\d:\d\d\n$/)]);
  });
});
