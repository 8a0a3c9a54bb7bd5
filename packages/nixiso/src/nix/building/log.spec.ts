import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ActivityType,
  applyLogLine,
  buildCounts,
  type BuildProgress,
  derivationName,
  downloadBytes,
  failedDerivations,
  FINISHED_LOGS_KEPT,
  initialProgress,
  LOG_TAIL_LINES,
  logTail,
  parseLogLine,
  readLog,
  ResultType,
  runningBuilds,
  substitutionCounts,
} from './log';

/** Logs Nix 2.8 wrote with --log-format internal-json (recorded by __fixtures__/record.sh). */
function recorded(name: string): string {
  return readFileSync(join(__dirname, '__fixtures__', `${name}.log`), 'utf8');
}

/** Every state the reducer passes through while reading a log. */
function states(text: string): BuildProgress[] {
  const out: BuildProgress[] = [];
  let state = initialProgress();
  for (const line of text.split('\n')) {
    state = applyLogLine(state, line);
    out.push(state);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('parseLogLine', () => {
  it('reads the four actions Nix writes', () => {
    expect(parseLogLine('@nix {"action":"start","fields":["/nix/store/aaa-x.drv","",1,1],"id":42,"level":3,"text":"building","type":105}')).toEqual({
      action: 'start', id: '42', type: 105, level: 3, text: 'building', fields: ['/nix/store/aaa-x.drv', '', 1, 1],
    });
    expect(parseLogLine('@nix {"action":"stop","id":42}')).toEqual({ action: 'stop', id: '42' });
    expect(parseLogLine('@nix {"action":"result","fields":[1,3,0,0],"id":7,"type":105}')).toEqual({
      action: 'result', id: '7', type: 105, fields: [1, 3, 0, 0],
    });
    expect(parseLogLine('@nix {"action":"msg","level":1,"msg":"\\u001b[35;1mwarning:\\u001b[0m dirty"}')).toEqual({
      action: 'msg', level: 1, text: 'warning: dirty',
    });
  });

  it('keeps 64-bit activity ids exact (pid << 32 exceeds 2^53 for pids above 2^21)', () => {
    const a = parseLogLine('@nix {"action":"stop","id":18014398509481985}');
    const b = parseLogLine('@nix {"action":"stop","id":18014398509481984}');
    expect(a).toEqual({ action: 'stop', id: '18014398509481985' });
    expect(b).toEqual({ action: 'stop', id: '18014398509481984' });
  });

  it('takes the position of an evaluation error, and nothing when Nix gives null', () => {
    const [syntax] = recorded('eval-syntax-error').split('\n').filter((l) => l.includes('"level":0'));
    expect(parseLogLine(syntax)).toMatchObject({
      action: 'msg',
      level: 0,
      position: { file: expect.stringMatching(/^\/nix\/store\/\w{32}-source\/configuration\.nix$/), line: 19, column: 30 },
    });
    const [builder] = recorded('builder-failure').split('\n').filter((l) => l.includes('builder for'));
    expect(parseLogLine(builder)).not.toHaveProperty('position');
  });

  it('treats anything else as text: plain lines, broken JSON, unknown actions', () => {
    expect(parseLogLine('warning: something from a wrapper')).toEqual({ action: 'text', text: 'warning: something from a wrapper' });
    expect(parseLogLine('@nix {"action":"start",')).toEqual({ action: 'text', text: '@nix {"action":"start",' });
    expect(parseLogLine('@nix {"action":"setPhase","phase":"x"}')).toEqual({ action: 'text', text: '@nix {"action":"setPhase","phase":"x"}' });
    expect(parseLogLine('plain\r')).toEqual({ action: 'text', text: 'plain' });
  });
});

describe('activity and result types as Nix 2.8 writes them', () => {
  const events = ['success', 'builder-failure', 'interrupted'].flatMap((n) => recorded(n).split('\n').map(parseLogLine));
  const starts = (type: number) => events.filter((e) => e.action === 'start' && e.type === type) as Extract<ReturnType<typeof parseLogLine>, { action: 'start' }>[];

  it('Build (105) names the derivation it builds', () => {
    expect(starts(ActivityType.Build).length).toBeGreaterThan(5);
    for (const e of starts(ActivityType.Build)) {
      expect(e.fields[0]).toMatch(/^\/nix\/store\/\w{32}-.+\.drv$/);
      expect(e.text).toBe(`building '${e.fields[0]}'`);
    }
  });

  it('Substitute (108), CopyPath (100) and FileTransfer (101) describe a download', () => {
    const [substitute] = starts(ActivityType.Substitute);
    expect(substitute.fields).toEqual([expect.stringMatching(/-payload-\d+$/), expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    expect(starts(ActivityType.CopyPath)[0].text).toMatch(/^copying path '\/nix\/store\/\w{32}-payload-\d+' from 'http:/);
    expect(starts(ActivityType.FileTransfer).map((e) => e.text)).toContainEqual(expect.stringMatching(/^downloading 'http:.*\/nar\/\w+\.nar\.xz'$/));
    expect(starts(ActivityType.QueryPathInfo)[0].text).toMatch(/^querying info about/);
  });

  it('Realise (102), Builds (104) and CopyPaths (103) frame every realisation', () => {
    for (const type of [ActivityType.Realise, ActivityType.Builds, ActivityType.CopyPaths]) expect(starts(type)).toHaveLength(3);
    const results = events.filter((e) => e.action === 'result');
    expect(results.filter((e) => e.type === ResultType.SetExpected).map((e) => (e as { fields: unknown[] }).fields[0])).toEqual(
      expect.arrayContaining([ActivityType.FileTransfer, ActivityType.CopyPath]),
    );
    expect(results.filter((e) => e.type === ResultType.SetPhase).map((e) => (e as { fields: unknown[] }).fields[0])).toEqual([
      'unpackPhase', 'buildPhase', 'installPhase',
    ]);
  });
});

describe('applyLogLine over recorded logs', () => {
  it('success (nix-build): 5 derivations built, 1 path substituted, its NAR bytes downloaded', () => {
    const all = states(recorded('success'));
    const end = all[all.length - 1];
    expect(buildCounts(end)).toEqual({ done: 5, expected: 5, running: 0, failed: 0 });
    expect(substitutionCounts(end)).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
    expect(downloadBytes(end)).toEqual({ done: 6908, expected: 6908 });
    expect(end.errors).toEqual([]);
    expect(end.activities).toEqual({});
    expect(runningBuilds(end)).toEqual([]);
    // While it ran: one build at a time here, with stdenv-style phases.
    const seen = new Set(all.flatMap((s) => runningBuilds(s).map((b) => `${b.name}${b.phase ? ` ${b.phase}` : ''}`)));
    expect([...seen].map((s) => s.replace(/-\d{10}/, '-N'))).toEqual([
      'hello-N', 'hello-N unpackPhase', 'hello-N buildPhase', 'hello-N installPhase',
      'tool-N', 'system-path', 'nixos-system-nixos-24.05pre-git', 'nixos-24.05pre-git-x86_64-linux.iso',
    ]);
    expect(all.findIndex((s) => s.realising)).toBeGreaterThan(0);
  });

  it('success (nix build, flake): 4 built, nothing substituted', () => {
    const end = readLog(recorded('success-flake'));
    expect(buildCounts(end)).toMatchObject({ done: 4, expected: 4, failed: 0 });
    expect(substitutionCounts(end).done).toBe(0);
    expect(end.errors).toEqual([]);
  });

  it.each(['builder-failure', 'builder-failure-flake'])('%s: the failing derivation and the last 30 lines of its log', (name) => {
    const end = readLog(recorded(name));
    const [drv, ...others] = failedDerivations(end);
    expect(others).toEqual([]);
    expect(drv).toMatch(/^\/nix\/store\/\w{32}-broken(-flake)?-\d+\.drv$/);
    const tail = logTail(end, drv);
    expect(tail).toHaveLength(LOG_TAIL_LINES);
    expect(tail[0]).toBe('log line 12');
    expect(tail.slice(-2)).toEqual(['log line 40', 'boom']);
    expect(buildCounts(end).failed).toBe(1);
    expect(end.errors.map((e) => e.text)).toEqual([
      expect.stringMatching(/^error: builder for '\/nix\/store\/\w{32}-broken.*\.drv' failed with exit code 3$/),
      expect.stringMatching(/^error: 1 dependencies of derivation '.*x86_64-linux\.iso\.drv' failed to build$/),
    ]);
  });

  it('eval error, undeclared option: the message without colours, the hint kept with it', () => {
    const end = readLog(recorded('eval-undeclared-option'));
    expect(end.realising).toBe(false);
    expect(end.errors).toHaveLength(1);
    expect(end.errors[0].text).toMatch(/^error: The option `environment\.systemPackage' does not exist\. Definition values:\n\s+- In `.*\/configuration\.nix'/);
    expect(end.errors[0].text).toMatch(/\n\(use '--show-trace' to show detailed location information\)$/);
    expect(end.errors[0].text).not.toContain('\u001b');
  });

  it('eval error, syntax: file, line and column', () => {
    const end = readLog(recorded('eval-syntax-error'));
    expect(end.errors).toHaveLength(1);
    expect(end.errors[0].position).toMatchObject({ line: 19, column: 30 });
    expect(end.errors[0].text).toMatch(/^error: syntax error, unexpected '=', expecting ';'\n\n\s+at \/nix\/store\/\w{32}-source\/configuration\.nix:19:30:/);
  });

  it('interrupted: what was running, and that Nix was interrupted', () => {
    const all = states(recorded('interrupted'));
    const end = all[all.length - 1];
    expect(end.interrupted).toBe(true);
    expect(failedDerivations(end)).toEqual([]);
    const running = all.flatMap((s) => runningBuilds(s).map((b) => b.drvPath));
    expect(running[running.length - 1]).toMatch(/-slow-\d+\.drv$/);
    expect(logTail(end, running[running.length - 1])).toEqual(['starting', 'waiting for Ctrl-C']);
  });

  it('is a pure reducer: earlier states are never changed', () => {
    let state = deepFreeze(initialProgress());
    for (const line of recorded('success').split('\n')) state = deepFreeze(applyLogLine(state, line));
    expect(buildCounts(state).done).toBe(5);
  });

  it('keeps the logs of the last finished builds only, and every running one', () => {
    let state = initialProgress();
    const drv = (i: number) => `/nix/store/${'a'.repeat(32)}-pkg-${i}.drv`;
    const n = FINISHED_LOGS_KEPT + 5;
    for (let i = 0; i < n; i++) {
      state = applyLogLine(state, `@nix {"action":"start","fields":["${drv(i)}","",1,1],"id":${i},"level":3,"text":"","type":105}`);
      state = applyLogLine(state, `@nix {"action":"result","fields":["line of ${i}"],"id":${i},"type":101}`);
      if (i < n - 1) state = applyLogLine(state, `@nix {"action":"stop","id":${i}}`);
    }
    expect(logTail(state, drv(0))).toEqual([]);
    expect(logTail(state, drv(5))).toEqual(['line of 5']);
    expect(logTail(state, drv(n - 1))).toEqual([`line of ${n - 1}`]);
    expect(Object.keys(state.logs)).toHaveLength(FINISHED_LOGS_KEPT + 1);
    expect(state.finishedSteps).toBe(n - 1);
  });

  it('ignores results and stops of activities it never saw start', () => {
    const state = initialProgress();
    expect(applyLogLine(state, '@nix {"action":"result","fields":["x"],"id":9,"type":101}')).toBe(state);
    expect(applyLogLine(state, '@nix {"action":"stop","id":9}')).toBe(state);
  });
});

describe('derivationName', () => {
  it('drops the store prefix and .drv', () => {
    expect(derivationName('/nix/store/4xqhyf8lsx98bb3gfxqivs8pmv7yp6dv-nixos-24.05-x86_64-linux.iso.drv')).toBe('nixos-24.05-x86_64-linux.iso');
    expect(derivationName('/nix/store/4xqhyf8lsx98bb3gfxqivs8pmv7yp6dv-payload')).toBe('payload');
  });
});
