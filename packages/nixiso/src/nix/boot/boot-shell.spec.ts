import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkScript,
  handshakeScript,
  hungUnits,
  journalScript,
  MARKER_PREFIX,
  parseFailedUnits,
  parseJobs,
  parseJournals,
  parseSettle,
  settleScript,
  shellLine,
  typedLine,
} from './boot-shell';

/** The login shells a user may have, as far as this machine has them (bash and sh always). */
const SHELLS = ['/bin/sh', '/bin/bash', '/bin/zsh', '/bin/zsh-static', '/usr/bin/fish'].filter((s) => existsSync(s));

/** Types `line` into `shell` as a terminal would (one line on stdin) and returns what it printed. */
function typeInto(shell: string, line: string): { stdout: string; status: number | null } {
  // From a file, not a pipe: fish refuses the socket Node gives a child as its stdin.
  const dir = mkdtempSync(join(tmpdir(), 'nixiso-typed-'));
  writeFileSync(join(dir, 'typed'), `${line}\n`);
  const stdin = openSync(join(dir, 'typed'), 'r');
  try {
    const r = spawnSync(shell, [], { stdio: [stdin, 'pipe', 'pipe'], encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' } });
    return { stdout: r.stdout + r.stderr, status: r.status };
  } finally {
    closeSync(stdin);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the lines typed into the user’s shell', () => {
  it('carry the script in base64 (no quoting for any shell), and the typed line holds no marker', () => {
    const line = shellLine(checkScript(`printf '%s\\n' "it's \${HOME}" \\; && echo $((1+1))`, 'k3x-1'));
    expect(line).toMatch(/^echo [A-Za-z0-9+/=]+ \| base64 -d \| sh$/);
    expect(line).not.toContain(MARKER_PREFIX);
  });

  it.each(SHELLS)('run in %s: the handshake, a check with quotes, $ and a comment, its exit status', (shell) => {
    expect(typeInto(shell, shellLine(handshakeScript('a-r1'))).stdout).toBe('@@NIXISO-READY-a-r1@@\n');
    const check = typeInto(shell, shellLine(checkScript(`echo "it's \${HOME:-none}" # a comment\necho 'two' >&2; exit 3`, 'a-2')));
    expect(check.stdout).toBe("@@NIXISO-BEGIN-a-2@@\nit's /tmp\ntwo\n@@NIXISO-END-a-2:3@@\n");
    // stdin is /dev/null: a check that reads it does not swallow what is typed next.
    expect(typeInto(shell, `${shellLine(checkScript('cat', 'a-3'))}\necho after`).stdout).toBe('@@NIXISO-BEGIN-a-3@@\n@@NIXISO-END-a-3:0@@\nafter\n');
  });

  it('refuses a script too long to type, saying what to do', () => {
    expect(typedLine(checkScript('x'.repeat(5000), 'a'))).toEqual({ error: expect.stringMatching(/put the commands into a script in the image/) });
    expect(typedLine(checkScript('true', 'a'))).toEqual({ line: expect.stringMatching(/^echo /) });
  });

  it('journal queries take unit names only', () => {
    expect(() => journalScript('a', ["x'; rm -rf /; '.service"], 10)).toThrow(/not a systemd unit name/);
    expect(journalScript('a', ['home-manager-nixos.service', 'dev-disk-by\\x2dlabel-data.device'], 10)).toContain("-u 'dev-disk-by\\x2dlabel-data.device'");
  });
});

// Constructed, not recorded: the outputs in the formats systemctl and
// journalctl print them with --plain --no-legend (src/systemctl/systemctl-list-units.c,
// systemctl-list-jobs.c; journalctl's short output).
describe('what systemd answers', () => {
  it('list-units --failed: unit, load, active, sub, description (with or without the ● of older versions)', () => {
    expect(
      parseFailedUnits([
        'broken.service          loaded failed failed Broken on purpose',
        '● data.mount loaded failed failed /data',
        'not a unit line',
      ]),
    ).toEqual([
      { unit: 'broken.service', load: 'loaded', active: 'failed', sub: 'failed', description: 'Broken on purpose' },
      { unit: 'data.mount', load: 'loaded', active: 'failed', sub: 'failed', description: '/data' },
    ]);
  });

  it('list-jobs: id, unit, type, state; the running one is what the boot waits for', () => {
    expect(parseJobs(['37  slow.service      start running', '1   multi-user.target start waiting'])).toEqual([
      { id: 37, unit: 'slow.service', type: 'start', state: 'running' },
      { id: 1, unit: 'multi-user.target', type: 'start', state: 'waiting' },
    ]);
  });

  it('a settled, degraded boot: the failed units and the activation failure', () => {
    const answer = parseSettle(
      [
        'degraded',
        '@@NIXISO-SECTION-wait:1@@',
        'degraded',
        '@@NIXISO-SECTION-state:1@@',
        'broken.service loaded failed failed Broken on purpose',
        '@@NIXISO-SECTION-failed:0@@',
        '@@NIXISO-SECTION-jobs:0@@',
        "Activation script snippet 'seedMotd' failed (1)",
        '@@NIXISO-SECTION-activation:0@@',
      ],
      30,
    );
    expect(answer).toMatchObject({ state: 'degraded', settled: true, jobs: [], activation: [{ snippet: 'seedMotd', status: 1 }] });
    expect(answer.failed.map((f) => f.unit)).toEqual(['broken.service']);
    expect(hungUnits(answer)).toEqual([]);
  });

  it('a boot cut off at the limit: nothing from --wait, and the running job is the hung unit', () => {
    const answer = parseSettle(
      ['@@NIXISO-SECTION-wait:124@@', 'starting', '@@NIXISO-SECTION-state:1@@', '@@NIXISO-SECTION-failed:0@@', '37 slow.service start running', '1 multi-user.target start waiting', '@@NIXISO-SECTION-jobs:0@@', '@@NIXISO-SECTION-activation:1@@'],
      20,
    );
    expect(answer).toMatchObject({ state: 'starting', settled: false, waitedSeconds: 20 });
    expect(hungUnits(answer).map((j) => j.unit)).toEqual(['slow.service']);
  });

  it('journals per unit, without journalctl’s "no entries" line', () => {
    const journals = parseJournals([
      'Dec 04 10:00:01 nixos broken[412]: broken-log-line',
      'Dec 04 10:00:01 nixos systemd[1]: broken.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED',
      '@@NIXISO-SECTION-journal broken.service:0@@',
      '-- No entries --',
      '@@NIXISO-SECTION-journal quiet.service:0@@',
    ]);
    expect(journals.get('broken.service')).toHaveLength(2);
    expect(journals.get('quiet.service')).toEqual([]);
  });

  it('the settle script waits at most the time given, then asks', () => {
    const script = settleScript('a-1', 42.4);
    expect(script).toContain('timeout 42 systemctl is-system-running --wait');
    expect(script).toContain('systemctl list-units --failed --plain --no-legend --full --no-pager');
    expect(script).toContain('systemctl list-jobs --no-legend --full --no-pager');
  });
});
