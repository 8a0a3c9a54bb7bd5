import { createSerialReader, parseStatusLine, plainSerialLine, type SerialState } from './serial';
import { checkResult, verdict, type VerdictInput } from './boot-report';

const judge = (console: SerialState, more: Partial<VerdictInput> = {}) =>
  verdict({ console, failedUnits: console.failedUnits, hungUnits: [], checks: [], exited: false, timeoutSeconds: 600, ...more });

// Constructed, not recorded: serial console text in the shape a NixOS ISO
// prints, written from systemd's src/core/job.c (job_done_messages, the
// "Started %s." / "Failed to start %s." formats, "See 'systemctl status %s'
// for details."), src/core/show-status.c (the "[" word "] " prefix, the
// reverse line feed + \r that erases an ephemeral line), util-linux agetty's
// autologin line and nixos/modules/programs/bash/bash.nix's prompt; the
// handshake's marker as the shell prints it (boot-shell.ts).
const GREEN = '\x1b[0;32m';
const RED = '\x1b[0;1;31m';
const NORMAL = '\x1b[0m';
const ok = (text: string) => `[${GREEN}  OK  ${NORMAL}] ${text}\r\n`;
const failed = (text: string) => `[${RED}FAILED${NORMAL}] ${text}\r\n`;
const PROMPT = '\r\n\x1b[1;32m[\x1b]0;nixos@nixos: ~\x07nixos@nixos:~]$\x1b[0m ';

const BOOT_START = [
  '[    0.000000] Linux version 6.6.41 (nixbld@localhost) (gcc (GCC) 13.2.0, GNU ld (GNU Binutils) 2.41) #1-NixOS SMP PREEMPT_DYNAMIC\r\n',
  '<<< NixOS Stage 1 >>>\r\n',
  'loading module loop...\r\n',
  'mounting /dev/root on /iso...\r\n',
  '<<< NixOS Stage 2 >>>\r\n',
  'running activation script...\r\n',
  '\r\n',
  'Welcome to \x1b[1mNixOS 24.05 (Uakari)\x1b[0m!\r\n',
  '\r\n',
  ok('Created slice Slice /system/getty.'),
  ok('Reached target Local File Systems.'),
  '         Starting Journal Service...\r\n',
  ok('Started Journal Service.'),
];
const BOOT_UP = [
  ok('Started Getty on tty1.'),
  ok('Started Serial Getty on ttyS0.'),
  ok('Reached target Login Prompts.'),
  ok('Reached target Multi-User System.'),
  '\r\n',
  '<<< Welcome to NixOS 24.05.20240801.abcdef0 (x86_64) - ttyS0 >>>\r\n',
  "The \"nixos\" and \"root\" accounts have empty passwords.\r\n",
  '\r\n',
  'nixos login: nixos (automatic login)\r\n',
  '\r\n',
  PROMPT,
  // What the shell shows for the handshake typed into it: the typed line (base64), then the script's output.
  'echo ZWNobyAnQEBOSVhJU08tUkVBRFktazN4LXIxQEAnCg== | base64 -d | sh\r\n',
  '@@NIXISO-READY-k3x-r1@@\r\n',
  PROMPT,
];

function reader(expectAutologin = true) {
  let now = 1000;
  const r = createSerialReader({ now: () => now, expectAutologin });
  return { r, tick: (ms: number) => (now += ms) };
}

describe('plainSerialLine', () => {
  it('removes colours, titles, reverse line feeds and keeps what a \\r-rewritten line shows last', () => {
    expect(plainSerialLine(`[${GREEN}  OK  ${NORMAL}] Started Journal Service.\r`)).toBe('[  OK  ] Started Journal Service.');
    expect(plainSerialLine('\x1bM\r\x1b[K[  OK  ] Started Foo.')).toBe('[  OK  ] Started Foo.');
    expect(plainSerialLine('[ ***  ] A start job is running for Foo (3s / 1min 30s)\r[  OK  ] Started Foo.')).toBe('[  OK  ] Started Foo.');
    // The kernel writes to the same console: a message it appends to systemd's line is not part of it.
    expect(plainSerialLine('[  OK  ] Reached target multi-user.target.[    2.281769] tsc: Refined TSC clocksource calibration: 2596.101 MHz')).toBe(
      '[  OK  ] Reached target multi-user.target.',
    );
    expect(plainSerialLine('[    2.281769] tsc: Refined TSC clocksource calibration')).toBe('[    2.281769] tsc: Refined TSC clocksource calibration');
    expect(plainSerialLine('\x1b[1;32m[\x1b]0;nixos@nixos: ~\x07nixos@nixos:~]$\x1b[0m ')).toBe('[nixos@nixos:~]$');
  });
});

describe('parseStatusLine', () => {
  it.each([
    ['[FAILED] Failed to start home-manager-nixos.service - Home Manager environment for nixos.', 'FAILED', 'home-manager-nixos.service'],
    ['[FAILED] Failed to start home-manager-nixos.service.', 'FAILED', 'home-manager-nixos.service'],
    ['[FAILED] Failed to start Home Manager environment for nixos.', 'FAILED', undefined],
    ['[ TIME ] Timed out waiting for device dev-disk-by\\x2dlabel-data.device - /dev/disk/by-label/data.', 'TIME', 'dev-disk-by\\x2dlabel-data.device'],
    ['[DEPEND] Dependency failed for data.mount - /data.', 'DEPEND', 'data.mount'],
    ['[  OK  ] Reached target multi-user.target - Multi-User System.', 'OK', 'multi-user.target'],
  ])('%s', (line, word, unit) => {
    const parsed = parseStatusLine(line);
    expect(parsed?.word).toBe(word);
    expect(parsed?.unit).toBe(unit);
  });
});

describe('createSerialReader', () => {
  it('booting until the autologin shell answers the handshake, then up with the boot time', () => {
    const { r, tick } = reader();
    for (const chunk of BOOT_START) r.feed(chunk);
    expect(r.state()).toMatchObject({ state: 'booting', lastLine: '[  OK  ] Started Journal Service.', shellReady: false });
    tick(5000);
    // A serial port delivers text in arbitrary pieces.
    const rest = BOOT_UP.join('');
    for (let i = 0; i < rest.length; i += 7) r.feed(rest.slice(i, i + 7));
    expect(r.state()).toMatchObject({
      state: 'up',
      multiUser: true,
      shellReady: true,
      ready: ['k3x-r1'],
      autologin: { host: 'nixos', user: 'nixos' },
      upAfterMs: 5000,
      lastLine: '[nixos@nixos:~]$',
      failedUnits: [],
    });
  });

  it('any prompt: zsh, fish or a custom PS1 is not recognised, the handshake is', () => {
    const { r } = reader();
    r.feed('nixos login: nixos (automatic login)\r\n\r\nnixos@nixos ~> ');
    expect(r.state()).toMatchObject({ state: 'booting', shellReady: false, autologin: { user: 'nixos' } });
    // A systemd rewrite of its start-job line in the same chunk as the marker.
    r.feed('\r\x1b[K[ \x1b[0;31m*\x1b[0;1;31m*\x1b[0m] A start job is running for Slow (7s / no limit)@@NIXISO-READY-a-r2@@\r\n');
    expect(r.state()).toMatchObject({ shellReady: true, ready: ['a-r2'], state: 'up' });
  });

  it('a start job the boot waits for is remembered until a status line replaces it', () => {
    const { r } = reader();
    r.feed('\r[ ***  ] A start job is running for slow.service (12s / no limit)');
    expect(r.state().startJob).toEqual({ unit: 'slow.service', line: '[ ***  ] A start job is running for slow.service (12s / no limit)' });
    r.feed(`\r${ok('Finished slow.service.')}`);
    expect(r.state().startJob).toBeUndefined();
    r.timeOut();
    r.feed('\r[ ***  ] A start job is running for slow.service (2min 3s / no limit)');
    expect(judge(r.state()).failure).toMatch(/^the system was not up after 600 s \(option timeoutSeconds\); the console last showed `\[ \*\*\* {2}\] A start job is running for slow\.service \(2min 3s \/ no limit\)`: slow\.service held the boot up/);
  });

  it('once stopped, what the shutdown prints is not read', () => {
    const { r } = reader();
    BOOT_UP.forEach((c) => r.feed(c));
    r.stop();
    r.feed(failed('Failed unmounting /nix/store.'));
    r.feed('reboot: Power down\r\n');
    expect(r.state()).toMatchObject({ state: 'up', failedUnits: [] });
    expect(r.state().tail).not.toContain('reboot: Power down');
  });

  it('without expectAutologin the system is up at multi-user.target', () => {
    const { r } = reader(false);
    [...BOOT_START, ...BOOT_UP.slice(0, 4)].forEach((c) => r.feed(c));
    expect(r.state()).toMatchObject({ state: 'up', shellReady: false });
  });

  it('records a failed unit (systemd ≥ 250 combined format) with the lines logged after it', () => {
    const { r } = reader();
    [
      ...BOOT_START,
      '         Starting home-manager-nixos.service - Home Manager environment for nixos...\r\n',
      failed('Failed to start home-manager-nixos.service - Home Manager environment for nixos.'),
      "See 'systemctl status home-manager-nixos.service' for details.\r\n",
      'hm-activate-nixos: error: collision between /nix/store/…-jq-1.7/bin/jq and …\r\n',
      ...BOOT_UP,
    ].forEach((c) => r.feed(c));
    const state = r.state();
    expect(state.state).toBe('failed');
    expect(state.shellReady).toBe(true);
    expect(state.failedUnits).toEqual([
      {
        unit: 'home-manager-nixos.service',
        message: 'Failed to start home-manager-nixos.service - Home Manager environment for nixos.',
        source: 'console',
        logLines: expect.arrayContaining(['hm-activate-nixos: error: collision between /nix/store/…-jq-1.7/bin/jq and …', '[  OK  ] Started Getty on tty1.']),
        atMs: 0,
      },
    ]);
    expect(state.failedUnits[0].logLines.length).toBeLessThanOrEqual(10);
    const v = judge(state);
    expect(v.passed).toBe(false);
    expect(v.failure).toMatch(/^the boot failed:\nhome-manager-nixos\.service failed: Failed to start home-manager-nixos\.service - Home Manager/);
    expect(v.failure).toMatch(/journalctl -b -u home-manager-nixos\.service/);
  });

  it('older systemd prints the description only: the "See \'systemctl status …\'" line names the unit', () => {
    const { r } = reader();
    [failed('Failed to start Home Manager environment for nixos.'), "See 'systemctl status home-manager-nixos.service' for details.\r\n"].forEach((c) => r.feed(c));
    expect(r.state().failedUnits[0]).toMatchObject({ unit: 'home-manager-nixos.service', message: 'Failed to start Home Manager environment for nixos.' });
    const name = createSerialReader({ now: () => 0, expectAutologin: true });
    name.feed(failed('Failed to start home-manager-nixos.service.'));
    expect(name.state().failedUnits[0].unit).toBe('home-manager-nixos.service');
  });

  it('a kernel panic is one failure, with its cause, however often the kernel repeats it', () => {
    const { r } = reader();
    r.feed('[    2.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\r\n');
    r.feed('[    2.1] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0-28-cloud-amd64 #1  Debian 6.1.119-1\r\n');
    r.feed('[    2.2] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100 ]---\r\n');
    const state = r.state();
    expect(state).toMatchObject({ state: 'failed', failedUnits: [], fatal: { kind: 'panic', cause: 'Attempted to kill init! exitcode=0x00000100' } });
    const v = judge(state);
    expect(v.failure).toMatch(/^the kernel panicked: Attempted to kill init! exitcode=0x00000100\nlast console lines:\n/);
    expect(v.failure!.match(/Kernel panic - not syncing/g)).toHaveLength(2); // the console lines as they were, the verdict once
    expect(v.failure!.split('\n')[0].match(/panick/g)).toHaveLength(1);
  });

  it('stage 1 giving up is fatal at once, with the line that says why', () => {
    const { r } = reader();
    [
      '<<< NixOS Stage 1 >>>\r\n',
      'stage 2 init script (/mnt-root//nix/store/0000000000000000000000000000000a-nothing/init) not found\r\n',
      '\r\n',
      "An error occurred in stage 1 of the boot process, which must mount the\r\n",
      "root filesystem on `/mnt-root' and then start stage 2.  Press one\r\n",
    ].forEach((c) => r.feed(c));
    expect(r.state().fatal).toMatchObject({ kind: 'stage-1', cause: 'stage 2 init script (/mnt-root//nix/store/0000000000000000000000000000000a-nothing/init) not found' });
    expect(judge(r.state()).failure).toMatch(/^stage 1 of the boot failed: stage 2 init script \(\/mnt-root\/\/nix\/store\/\S+\/init\) not found\n/);
  });

  it("a failed activation snippet, in NixOS's words, fails the boot", () => {
    const { r } = reader();
    [...BOOT_START.slice(0, 6), "Activation script snippet 'seedMotd' failed (1)\r\n", ...BOOT_UP].forEach((c) => r.feed(c));
    expect(r.state()).toMatchObject({ state: 'failed', activationFailures: [{ snippet: 'seedMotd', status: 1 }] });
    expect(judge(r.state()).failure).toBe("the boot failed:\nNixOS's activation script: snippet 'seedMotd' failed (exit 1); the boot went on without what it sets up (journalctl -b -t stage-2-init)");
  });

  it('timed out with the last 30 lines', () => {
    const { r } = reader();
    for (let i = 0; i < 40; i++) r.feed(`line ${i}\r\n`);
    r.timeOut();
    const state = r.state();
    expect(state.state).toBe('timed-out');
    expect(state.tail).toHaveLength(30);
    expect(state.tail[29]).toBe('line 39');
    expect(judge(state).failure).toMatch(/^the system was not up after 600 s \(option timeoutSeconds\); multi-user\.target was never reached and no autologin was seen\nlast console lines:\n {4}line 10/);
  });
});

describe('checks read back between markers', () => {
  it("the output between a script's markers and its exit status are read back", () => {
    const { r } = reader();
    BOOT_UP.forEach((c) => r.feed(c));
    r.feed(`echo ZWNobyAn... | base64 -d | sh\r\n@@NIXISO-BEGIN-k3x-1@@\r\ngit version 2.45.2\r\n@@NIXISO-END-k3x-1:0@@\r\n${PROMPT}`);
    r.feed(`echo ZWNobyAn... | base64 -d | sh\r\n@@NIXISO-BEGIN-k3x-2@@\r\nx@@NIXISO-END-k3x-2:1@@\r\n${PROMPT}`);
    const [git, printf] = r.state().checks;
    expect(git).toEqual({ id: 'k3x-1', output: ['git version 2.45.2'], exitStatus: 0 });
    expect(printf).toEqual({ id: 'k3x-2', output: ['x'], exitStatus: 1 });
    expect(checkResult({ run: 'git --version', expect: '^git version' }, git)).toMatchObject({ passed: true, output: 'git version 2.45.2', exitStatus: 0 });
    expect(checkResult({ run: 'git --version', expect: 'jq' }, git)).toMatchObject({ passed: false, reason: 'its output does not match /jq/' });
    expect(checkResult({ run: 'printf x; false' }, printf)).toMatchObject({ passed: false, reason: 'it exited with status 1' });
    expect(checkResult({ run: 'jq --version' }, undefined)).toMatchObject({ passed: false, reason: 'it did not finish' });
  });

  it('a missing program fails naming the check’s command', () => {
    const { r } = reader();
    BOOT_UP.forEach((c) => r.feed(c));
    r.feed('@@NIXISO-BEGIN-a-1@@\r\nsh: line 3: nonexistent-tool: command not found\r\n@@NIXISO-END-a-1:127@@\r\n');
    const result = checkResult({ run: 'nonexistent-tool --help' }, r.state().checks[0]);
    const v = judge(r.state(), { checks: [result] });
    expect(v.failure).toBe('check `nonexistent-tool --help` failed: it exited with status 127; its output:\n    sh: line 3: nonexistent-tool: command not found');
  });
});
