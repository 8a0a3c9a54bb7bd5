import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, GIT_IDENTITY, isCI, tempDir, writeFiles } from '@nixiso/testing';
import {
  decodeCString,
  findFlakeCopy,
  linkOf,
  parseLine,
  parseTrace,
  type ParsedTrace,
  readSet,
  readTracerOf,
  tracedCommand,
  tracePid,
  TRACED_SYSCALLS,
} from './read-trace';
import { findExecutable } from '../process/run';

describe('tracedCommand', () => {
  it('runs the command under strace, one file per process, fd paths shown, only path syscalls stopped', () => {
    const cmd = tracedCommand({ command: 'nix-build', args: ['<nixpkgs/nixos>', '-A', 'x'] }, '/tmp/t');
    expect(cmd.command).toBe('strace');
    expect(cmd.args.slice(0, 9)).toEqual(['-f', '-ff', '-y', '-qq', '--seccomp-bpf', '-e', 'signal=none', '-e', `trace=${TRACED_SYSCALLS.join(',')}`]);
    expect(cmd.args.slice(9)).toEqual(['-o', '/tmp/t/trace', '--', 'nix-build', '<nixpkgs/nixos>', '-A', 'x']);
    expect(TRACED_SYSCALLS).toEqual(expect.arrayContaining(['openat', 'getdents64', 'execve', 'chdir', 'readlinkat']));
    expect(tracePid('trace.1234')).toBe(1234);
    expect(tracePid('trace')).toBeUndefined();
  });
});

describe('readTracerOf', () => {
  it('traces on Linux with strace on PATH unless NIXISO_TRACE=0, and says why not otherwise', () => {
    expect(readTracerOf('linux', {}, '/usr/bin/strace')).toEqual({ available: true, detail: 'strace at /usr/bin/strace' });
    expect(readTracerOf('linux', {}, undefined)).toEqual({ available: false, detail: 'strace is not on PATH' });
    expect(readTracerOf('linux', { NIXISO_TRACE: '0' }, '/usr/bin/strace').detail).toBe('NIXISO_TRACE=0 turns read tracing off');
    expect(readTracerOf('darwin', {}, undefined).detail).toBe('strace traces Linux processes only (this is darwin)');
  });
});

describe('parseLine', () => {
  it('decodes strace C escapes: octal UTF-8 bytes, quotes, newlines, and < > inside -y paths', () => {
    expect(decodeCString('/w/\\303\\274/\\303\\251.txt')).toBe('/w/ü/é.txt');
    expect(decodeCString('q\\"uote\\nx\\\\y\\x41')).toBe('q"uote\nx\\yA');
    const call = parseLine('openat(AT_FDCWD</tmp/rt>, "/tmp/rt/w/a>b<c", O_RDONLY|O_CLOEXEC) = 8</tmp/rt/w/a\\76b\\74c>');
    expect(call).toMatchObject({ name: 'openat', ret: 8, retPath: '/tmp/rt/w/a>b<c' });
    expect(call !== 'skip' && call?.args[0].fd).toEqual({ name: 'AT_FDCWD', path: '/tmp/rt' });
  });

  it('reads errors, stat buffers, comments and lines that carry nothing', () => {
    const missing = parseLine('newfstatat(AT_FDCWD</a>, "/x, y) = 0", 0x7ffc, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)');
    expect(missing).toMatchObject({ name: 'newfstatat', ret: -1, errno: 'ENOENT' });
    expect(missing !== 'skip' && missing?.args[1].str).toBe('/x, y) = 0');
    const dents = parseLine('getdents64(8</tmp/x/d>, 0x56124cac5770 /* 4 entries */, 32768) = 96');
    expect(dents !== 'skip' && dents?.args[0].fd?.path).toBe('/tmp/x/d');
    expect(parseLine('+++ exited with 0 +++')).toBe('skip');
    expect(parseLine('openat(AT_FDCWD</a>, "/b", O_RDONLY <unfinished ...>) = ?')).toBe('skip');
    const unknownResult = parseLine('execve("/bin/x", ["x"], 0x7ffd /* 3 vars */) = ?');
    expect(unknownResult !== 'skip' && unknownResult?.name).toBe('execve');
    expect(unknownResult !== 'skip' && unknownResult?.ret).toBeUndefined();
    expect(parseLine('garbage')).toBeUndefined();
  });
});

/** Captured from strace 6.1 -f -ff -y (one process), shortened; paths with a space, a quote, UTF-8 and a newline. */
const MAIN = String.raw`execve("/usr/bin/nix-instantiate", ["nix-instantiate", "--eval", "-E", "builtins.readFile (/ws/w + \""...], 0x7ffd150af1e0 /* 39 vars */) = 0
openat(AT_FDCWD</ws/img>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
newfstatat(AT_FDCWD</ws/img>, "/home/u/.nix-defexpr/channels", 0x7ffce0f20730, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)
getcwd("/ws/img", 4096)                 = 8
openat(AT_FDCWD</ws/img>, "/ws/w/\303\274/\303\251.txt", O_RDONLY|O_CLOEXEC) = 8</ws/w/\303\274/\303\251.txt>
newfstatat(8</ws/w/\303\274/\303\251.txt>, "", {st_mode=S_IFREG|0644, st_size=2, ...}, AT_EMPTY_PATH) = 0
openat(AT_FDCWD</ws/img>, "/ws/w/sp ace/q\"uote", O_RDONLY|O_CLOEXEC) = 8</ws/w/sp ace/q\"uote>
openat(AT_FDCWD</ws/img>, "/ws/w/nl\nx", O_RDONLY|O_CLOEXEC) = 8</ws/w/nl\nx>
openat(AT_FDCWD</ws/img>, "/ws/w", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 8</ws/w>
newfstatat(8</ws/w>, "", {st_mode=S_IFDIR|0755, st_size=4096, ...}, AT_EMPTY_PATH) = 0
getdents64(8</ws/w>, 0x55ee151689b0 /* 5 entries */, 32768) = 128
getdents64(8</ws/w>, 0x55ee151689b0 /* 0 entries */, 32768) = 0
newfstatat(AT_FDCWD</ws/img>, "configuration.nix", {st_mode=S_IFREG|0644, st_size=622, ...}, AT_SYMLINK_NOFOLLOW) = 0
newfstatat(AT_FDCWD</ws/img>, "/ws/modules", {st_mode=S_IFDIR|0755, st_size=4096, ...}, AT_SYMLINK_NOFOLLOW) = 0
newfstatat(AT_FDCWD</ws/img>, "/ws/nope", 0x7ffce0f1efd0, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)
openat(AT_FDCWD</ws/img>, "/ws/img/shared/alice.pub", O_RDONLY|O_CLOEXEC) = 8</ws/keys/alice.pub>
openat(AT_FDCWD</ws/img>, "/home/u/secret.key", O_RDONLY|O_CLOEXEC) = 8</home/u/secret.key>
openat(AT_FDCWD</ws/img>, "/home/u/.config/nix/nix.conf", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
openat(AT_FDCWD</ws/img>, "/ws/dist/img/result", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 9</ws/dist/img/result>
newfstatat(AT_FDCWD</ws/img>, "/ws/dist/img", 0x7ffc0a1363d0, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)
newfstatat(AT_FDCWD</ws/img>, "/ws/dist", 0x7ffc0a1363d0, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)
this line is not strace's
`;

/** A child (a shell script Nix runs): starts without saying where it is, then moves. */
const CHILD = String.raw`execve("/ws/tools/gen", ["gen"], 0x7ffd /* 3 vars */) = 0
access("rel.txt", R_OK)                 = 0
chdir("/ws/sub")                        = 0
readlink("link", "../x", 64)            = 4
stat("/usr/local/bin/nix-build", 0x7ffc) = -1 ENOENT (No such file or directory)
`;

describe('parseTrace', () => {
  const parsed = parseTrace(
    [
      { pid: 200, text: CHILD },
      { pid: 100, text: MAIN },
    ],
    '/ws/img',
  );
  const paths = (list: { path: string }[]) => list.map((e) => e.path);

  it('collects files opened for reading, probes, listings and absent paths, paths decoded', () => {
    expect(paths(parsed.opened)).toEqual(
      expect.arrayContaining(['/etc/ld.so.cache', '/ws/w/ü/é.txt', '/ws/w/sp ace/q"uote', '/ws/w/nl\nx', '/ws/img/shared/alice.pub']),
    );
    expect(paths(parsed.opened)).not.toContain('/ws/w');
    expect(paths(parsed.opened)).not.toContain('/ws/dist/img/result');
    expect(parsed.opened.find((o) => o.path === '/ws/img/shared/alice.pub')?.real).toBe('/ws/keys/alice.pub');
    expect(paths(parsed.listed)).toEqual(['/ws/w']);
    expect(parsed.probed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/ws/img/configuration.nix', kind: 'file' }),
        expect.objectContaining({ path: '/ws/modules', kind: 'directory' }),
        expect.objectContaining({ path: '/ws/w', kind: 'directory' }),
      ]),
    );
    expect(paths(parsed.missing)).toEqual(expect.arrayContaining(['/ws/nope', '/home/u/.nix-defexpr/channels', '/usr/local/bin/nix-build']));
    expect(paths(parsed.executed)).toEqual(['/usr/bin/nix-instantiate', '/ws/tools/gen']);
    expect(parsed.processes).toBe(2);
  });

  it('tracks each process working directory; a guess is counted, a line not understood too', () => {
    // The child's access("rel.txt") came before it said where it was: resolved against cwd, as a guess.
    expect(parsed.probed).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/ws/img/rel.txt', kind: 'unknown' })]));
    expect(parsed.unresolved).toEqual({ count: 1, example: 'access("rel.txt", R_OK)                 = 0' });
    // After chdir, relative paths are the new directory's.
    expect(parsed.probed).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/ws/sub/link', kind: 'symlink' })]));
    expect(parsed.unparsed).toEqual({ count: 1, example: "this line is not strace's" });
  });

  it('sorts the reads into workspace files, listings, absent paths and external paths', () => {
    const set = readSet(parsed, {
      workspaceRoot: '/ws',
      home: '/home/u',
      ignore: ['dist/img'],
      searchPath: ['/usr/local/bin'],
    });
    expect(set.files).toEqual([
      'img/configuration.nix',
      'img/rel.txt',
      'img/shared/alice.pub',
      'keys/alice.pub',
      'sub/link',
      'tools/gen',
      'w/nl\nx',
      'w/sp ace/q"uote',
      'w/ü/é.txt',
    ]);
    expect(set.listed).toEqual(['w']);
    // dist/ is the build's own output (ignored, and its parents looked for while creating it); modules was only stat-ed.
    expect(set.missing).toEqual(['nope']);
    expect(set.external).toEqual(['/home/u/secret.key']);
    expect(set.links).toEqual([{ path: 'keys/alice.pub', link: '/ws/img/shared', target: '/ws/keys' }]);
    expect(set.system).toBeGreaterThanOrEqual(4);
  });

  it('a file under /tmp is read like any other; the scratch directories of Nix and nixiso there are not', () => {
    const open = (path: string) => `openat(AT_FDCWD</ws>, "${path}", O_RDONLY|O_CLOEXEC) = 3<${path}>`;
    const text = [open('/tmp/mods/extra.nix'), open('/tmp/nix-build-iso-1/env-vars'), open('/tmp/nix-12-3/x'), open('/scratch/nixiso-trace-1/a'), open('/tmp/nixiso-home-1/k.pub')].join('\n');
    const set = readSet(parseTrace([{ pid: 1, text }], '/ws'), { workspaceRoot: '/ws', tempDirs: ['/scratch'] });
    expect(set.external).toEqual(['/tmp/mods/extra.nix', '/tmp/nixiso-home-1/k.pub']);
    expect(set.system).toBe(3);
  });

  it('finds the link a path went through', () => {
    expect(linkOf('/ws/img/shared/alice.pub', '/ws/keys/alice.pub')).toEqual({ link: '/ws/img/shared', target: '/ws/keys' });
    expect(linkOf('/ws/a', '/ws/a')).toBeUndefined();
    expect(linkOf('/ws/l', '/ws/t')).toEqual({ link: '/ws/l', target: '/ws/t' });
  });
});

/** A git flake's copy being made, then evaluated (shortened from a real `nix build git+file:///ws?dir=img`). */
const FLAKE = String.raw`newfstatat(AT_FDCWD</ws>, "img/flake.nix", {st_mode=S_IFREG|0644, st_size=376, ...}, AT_SYMLINK_NOFOLLOW) = 0
openat(AT_FDCWD</ws/img>, "/ws/other/big.txt", O_RDONLY|O_CLOEXEC) = 9</ws/other/big.txt>
openat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/other/big.txt", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = 13</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/other/big.txt>
newfstatat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/other/big.txt", {st_mode=S_IFREG|0644, st_size=3, ...}, AT_SYMLINK_NOFOLLOW) = 0
openat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/other", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 12</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/other>
getdents64(12</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/other>, 0x5 /* 3 entries */, 32768) = 72
openat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/img/flake.nix", O_RDONLY|O_CLOEXEC) = 12</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/img/flake.nix>
openat(AT_FDCWD</ws/img>, "/nix/store/aaaabwm9b87xhgp9bm7vrzj79hk5j4y6-source/flake.nix", O_RDONLY|O_CLOEXEC) = 12</nix/store/aaaabwm9b87xhgp9bm7vrzj79hk5j4y6-source/flake.nix>
newfstatat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/img/configuration.nix", {st_mode=S_IFREG|0444, st_size=3, ...}, AT_SYMLINK_NOFOLLOW) = 0
openat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/img/configuration.nix", O_RDONLY|O_CLOEXEC) = 12</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/img/configuration.nix>
newfstatat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/img/flake.lock", 0x7ffc, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)
openat(AT_FDCWD</ws/img>, "/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/keys", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 12</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/keys>
getdents64(12</nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source/keys>, 0x5 /* 3 entries */, 32768) = 72
`;

describe('readSet of a flake', () => {
  const parsed: ParsedTrace = parseTrace([{ pid: 7, text: FLAKE }], '/ws/img');

  it('maps reads under the store copy back to the work tree, dropping the copy being made', () => {
    const source = { dirInSource: 'img', localRoot: '/ws' };
    expect(findFlakeCopy(parsed, source)).toBe('/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source');
    const set = readSet(parsed, { workspaceRoot: '/ws', flakeSource: source });
    expect(set).toMatchObject({
      files: ['img/configuration.nix', 'img/flake.nix'],
      listed: ['keys'],
      missing: ['img/flake.lock'],
      external: [],
      flakeCopy: '/nix/store/dsv2bwm9b87xhgp9bm7vrzj79hk5j4y6-source',
    });
  });

  it('a path: flake at the root of its copy: the first flake.nix opened is the flake, its inputs come after', () => {
    expect(findFlakeCopy(parsed, { dirInSource: '', localRoot: '/ws/img' })).toBe('/nix/store/aaaabwm9b87xhgp9bm7vrzj79hk5j4y6-source');
  });
});

/** `describe` for tests that run strace: required under CI (tools/scripts/install-deps.sh installs it). */
function withStrace(name: string, body: () => void): void {
  if (findExecutable('strace') || isCI()) describe(name, body);
  else describe.skip(`${name} (strace is not installed)`, body);
}

function runTraced(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { parsed: ParsedTrace; stdout: string } {
  const dir = tempDir('nixiso-trace-spec-');
  try {
    const traced = tracedCommand({ command, args }, dir);
    const r = spawnSync(traced.command, traced.args, { cwd, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
    const files = readdirSync(dir).map((name) => ({ pid: tracePid(name) as number, text: readFileSync(join(dir, name), 'utf8') }));
    return { parsed: parseTrace(files, cwd), stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeWithNix('tracing real Nix', (nix) => {
  withStrace('with strace', () => {
    it('records what nix-instantiate read, listed and looked for, through a symlink too', () => {
      const ws = tempDir('nixiso-trace-ws-');
      writeFiles(ws, { 'x/a': 'hello', 'x/d/f1': '', 'x/d/f2': '', 'keys/alice.pub': 'ssh-ed25519 AAAA', 'x/ü name/q"uote': 'q' });
      symlinkSync('../keys', join(ws, 'x/shared'));
      const expr =
        `builtins.readFile ${ws}/x/a + builtins.toString (builtins.attrNames (builtins.readDir ${ws}/x/d))` +
        ` + builtins.toString (builtins.pathExists ${ws}/x/nope) + builtins.readFile ${ws}/x/shared/alice.pub` +
        ` + builtins.readFile (${ws}/x + "/ü name/q\\"uote")`;
      const { parsed, stdout } = runTraced(nix.nixInstantiate, ['--eval', '-E', expr], ws, nix.env);
      expect(stdout).toMatch(/hellof1 f2ssh-ed25519 AAAAq/);
      expect(parsed.unparsed.count).toBe(0);
      const set = readSet(parsed, { workspaceRoot: ws, home: process.env.HOME });
      expect(set.files).toEqual(['keys/alice.pub', 'x/a', 'x/shared/alice.pub', 'x/ü name/q"uote']);
      expect(set.listed).toEqual(['x/d']);
      expect(set.missing).toEqual(['x/nope']);
      expect(set.external).toEqual([]);
      expect(set.links).toEqual([{ path: 'keys/alice.pub', link: join(ws, 'x/shared'), target: join(ws, 'keys') }]);
      rmSync(ws, { recursive: true, force: true });
    });

    it("records a git flake's reads as the work tree's files, not the copy of every tracked file", () => {
      const ws = tempDir('nixiso-trace-flake-');
      writeFiles(ws, {
        'img/flake.nix':
          '{ outputs = { self }: { value = builtins.readFile ./data/a.txt + builtins.toString (builtins.attrNames (builtins.readDir ./dir))' +
          ' + builtins.toString (builtins.pathExists ./nope); }; }\n',
        'img/data/a.txt': 'A',
        'img/dir/one': '',
        'img/unread.txt': 'not read',
        'other/unrelated.txt': 'copied, not read',
      });
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: ws });
      execFileSync('git', ['add', '-A'], { cwd: ws });
      execFileSync('git', ['commit', '-qm', 'init'], { cwd: ws, env: { ...process.env, ...GIT_IDENTITY } });
      mkdirSync(join(ws, 'img/.untracked'), { recursive: true });
      writeFileSync(join(ws, 'img/.untracked/x'), '');
      const { parsed, stdout } = runTraced(
        nix.nix,
        [...nix.flakeArgs, 'eval', '--raw', `git+file://${ws}?dir=img#value`, '--no-write-lock-file', ...nix.offlineArgs],
        join(ws, 'img'),
        nix.env,
      );
      expect(stdout).toBe('Aone');
      const set = readSet(parsed, { workspaceRoot: ws, home: process.env.HOME, flakeSource: { dirInSource: 'img', localRoot: ws } });
      expect(set.flakeCopy).toMatch(/^\/nix\/store\/[0-9a-z]{32}-source$/);
      expect(set.files).toEqual(['img/data/a.txt', 'img/flake.nix']);
      expect(set.listed).toEqual(['img/dir']);
      expect(set.missing).toEqual(expect.arrayContaining(['img/nope']));
      expect(set.missing.filter((m) => !['img/nope', 'img/flake.lock'].includes(m))).toEqual([]);
      expect(set.external).toEqual([]);
      rmSync(ws, { recursive: true, force: true });
    });
  });
});
