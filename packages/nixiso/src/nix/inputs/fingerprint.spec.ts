import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describeWithNix, fixtures, tempDir } from '@nixiso/testing';
import {
  fingerprint,
  fingerprintArgs,
  fingerprintCommand,
  FingerprintError,
  type FingerprintInputs,
  fingerprintNodeArgs,
  hasFingerprintInputs,
  unfingerprintable,
} from './fingerprint';

/** Runs the command as Nx runs a runtime input: through a shell, in the workspace root. */
const run = (command: string, env: NodeJS.ProcessEnv = process.env, cwd = tempDir()): string => execSync(command, { cwd, env, encoding: 'utf8' });

/** Runs the command and returns its exit status and stderr, for the cases where it must fail. */
const failing = (inputs: FingerprintInputs, cwd = tempDir()) => {
  const r = spawnSync('sh', ['-c', fingerprintCommand(inputs)], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rewrites a file with content of the same length and puts its times back: only a content hash sees the change. */
const sameSizeEdit = (file: string, content: string) => {
  writeFileSync(file, content);
  utimesSync(file, new Date(1_000_000), new Date(1_000_000));
};

describe('fingerprintCommand', () => {
  it('changes when a file below a local path changes, added or edited, and names a missing path', () => {
    const dir = join(tempDir('nixiso-fp-'), "a b'c");
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub/x.nix'), '{ }');
    const command = fingerprintCommand({ paths: [dir, '/nonexistent/nixpkgs'] });
    const first = run(command);
    expect(first).toMatch(new RegExp(`^${process.arch}\\n${escape(realpathSync(dir))} [0-9a-f]{64}\\n/nonexistent/nixpkgs missing\\n$`));
    expect(run(command)).toBe(first);
    writeFileSync(join(dir, 'sub/x.nix'), '{ a = 1; }');
    utimesSync(join(dir, 'sub/x.nix'), new Date(0), new Date(1000));
    const edited = run(command);
    expect(edited).not.toBe(first);
    writeFileSync(join(dir, 'new.nix'), '{ }');
    expect(run(command)).not.toBe(edited);
  });

  it('a single file by the sha256 of its content, a store path as it is', () => {
    const dir = tempDir('nixiso-fp-file-');
    writeFileSync(join(dir, 'k.pub'), 'ssh-ed25519 A');
    sameSizeEdit(join(dir, 'k.pub'), 'ssh-ed25519 A');
    const store = `/nix/store/${readdirSync('/nix/store').find((n) => !n.startsWith('.'))}`;
    const command = fingerprintCommand({ paths: [join(dir, 'k.pub'), store] });
    const first = run(command);
    expect(first.split('\n')[1]).toBe(`${realpathSync(join(dir, 'k.pub'))} ${createHash('sha256').update('ssh-ed25519 A').digest('hex')}`);
    expect(first.split('\n')[2]).toBe(store);
    sameSizeEdit(join(dir, 'k.pub'), 'ssh-ed25519 B');
    expect(run(command)).not.toBe(first);
  });

  it('~ is the HOME of the process that runs it, as Nix resolves it; the line names ~/…, not the machine’s home', () => {
    const homeA = tempDir('nixiso-home-');
    const homeB = tempDir('nixiso-home-');
    mkdirSync(join(homeA, '.ssh'));
    writeFileSync(join(homeA, '.ssh/id.pub'), 'ssh-ed25519 A');
    const command = fingerprintCommand({ home: ['.ssh/id.pub'] });
    const first = run(command, { ...process.env, HOME: homeA });
    expect(first).toMatch(/^\S+\n~\/\.ssh\/id\.pub [0-9a-f]{64}\n$/);
    expect(first).not.toContain(homeA);
    sameSizeEdit(join(homeA, '.ssh/id.pub'), 'ssh-ed25519 B');
    const edited = run(command, { ...process.env, HOME: homeA });
    expect(edited).not.toBe(first);
    expect(run(command, { ...process.env, HOME: homeB })).toBe(`${process.arch}\n~/.ssh/id.pub missing\n`);
  });

  it('git-ignored paths by content, relative to the workspace root it runs in, a tree included', () => {
    const ws = tempDir('nixiso-fp-ws-');
    mkdirSync(join(ws, 'images/a/local'), { recursive: true });
    writeFileSync(join(ws, 'images/a/secrets.nix'), '{ a = 1; }');
    writeFileSync(join(ws, 'images/a/local/k.pub'), 'key A');
    symlinkSync('k.pub', join(ws, 'images/a/local/link'));
    const command = fingerprintCommand({ ignored: ['images/a/secrets.nix', 'images/a/local', 'images/a/gone'] });
    const first = run(command, process.env, ws);
    expect(first).toMatch(/^\S+\nimages\/a\/secrets\.nix [0-9a-f]{64}\nimages\/a\/local [0-9a-f]{64}\nimages\/a\/gone missing\n$/);
    sameSizeEdit(join(ws, 'images/a/local/k.pub'), 'key B');
    const edited = run(command, process.env, ws);
    expect(edited.split('\n')[2]).not.toBe(first.split('\n')[2]);
    expect(edited.split('\n')[1]).toBe(first.split('\n')[1]);
    // Another checkout of the same files prints the same: nothing of the workspace's place is in it.
    const other = tempDir('nixiso-fp-ws-');
    execSync(`cp -a ${ws}/. ${other}/`);
    expect(run(command, process.env, other)).toBe(edited);
  });

  it('refuses /, the Nix store, system roots and pseudo file systems: non-zero, the path named', () => {
    for (const path of ['/', '/nix/store', '/etc', '/proc/self/status', '/sys/kernel']) {
      const r = failing({ paths: [path] });
      expect({ path, status: r.status, stdout: r.stdout }).toEqual({ path, status: 1, stdout: '' });
      expect(r.stderr).toContain(`nixiso fingerprint: ${path}: refusing to walk a system directory`);
    }
    // Also when a path only resolves to one (a link to /etc).
    const dir = tempDir('nixiso-fp-link-');
    symlinkSync('/etc', join(dir, 'etc'));
    expect(failing({ paths: [join(dir, 'etc')] }).stderr).toContain('nixiso fingerprint: /etc: refusing');
    expect(unfingerprintable('/')).toBe('the file system root');
    expect(unfingerprintable('/tmp')).toBe('a system directory');
    expect(unfingerprintable('/proc/cpuinfo')).toBe('in a pseudo file system');
    expect(unfingerprintable('/etc/nixos/hardware.nix')).toBeUndefined();
    expect(unfingerprintable('/tmp/ws/keys')).toBeUndefined();
  });

  describe('a path it cannot read', () => {
    let server: Server;
    let socket: string;
    beforeAll(async () => {
      socket = join(tempDir('nixiso-fp-sock-'), 'agent.sock');
      server = createServer();
      await new Promise<void>((resolve) => server.listen(socket, resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('fails naming the path, never hashing the error (a socket cannot be read: ENXIO)', () => {
      const r = failing({ paths: [socket] });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`nixiso fingerprint: ${escape(socket)}: cannot be read \\(E[A-Z]+\\)`));
      expect(() => fingerprint({ paths: [socket] }, { cwd: tempDir() })).toThrow(FingerprintError);
      expect(() => fingerprint({ paths: [socket] }, { cwd: tempDir() })).toThrow(socket);
    });
  });

  it('runs the same in-process and as node without a shell; arguments say what each path is', () => {
    const dir = tempDir('nixiso-fp-same-');
    writeFileSync(join(dir, 'x'), 'x');
    const inputs: FingerprintInputs = { paths: [join(dir, 'x')], home: ['nope'], ignored: ['x'] };
    expect(fingerprintArgs({ lookups: ['mymods'], ...inputs })).toEqual(['find:mymods', `path:${join(dir, 'x')}`, 'home:nope', 'ignored:x']);
    const env = { ...process.env, HOME: dir };
    const shell = run(fingerprintCommand(inputs), env, dir);
    expect(fingerprint(inputs, { cwd: dir, env })).toBe(shell);
    expect(execFileSync(process.execPath, fingerprintNodeArgs(inputs), { cwd: dir, env, encoding: 'utf8' })).toBe(shell);
    expect(hasFingerprintInputs({})).toBe(false);
    expect(hasFingerprintInputs({ lookups: [], ignored: ['x'] })).toBe(true);
  });
});

describeWithNix('fingerprintCommand with search-path lookups', (nix) => {
  it('resolves <nixpkgs> and <home-manager> through NIX_PATH as nix-build does', () => {
    const command = fingerprintCommand({ lookups: ['nixpkgs', 'home-manager'] });
    const out = run(command, nix.env).trim().split('\n');
    expect(out[0]).toBe(process.arch);
    expect(out[1]).toMatch(new RegExp(`^nixpkgs ${escape(realpathSync(fixtures.nixpkgs))} [0-9a-f]{64}$`));
    expect(out[2]).toMatch(new RegExp(`^home-manager ${escape(realpathSync(fixtures.homeManager))} [0-9a-f]{64}$`));
    const other = run(command, { ...nix.env, NIX_PATH: `nixpkgs=${fixtures.homeManager}` });
    expect(other.trim().split('\n')).toEqual([process.arch, out[2].replace(/^home-manager/, 'nixpkgs'), 'home-manager missing']);
  });

  it('any name: <mymods/…> with NIX_PATH=mymods=<dir> changes when a file in that directory changes; names not found print missing', () => {
    const mymods = tempDir('nixiso-mymods-');
    writeFileSync(join(mymods, 'extra.nix'), '{ v = 1; }');
    const env = { ...nix.env, NIX_PATH: `mymods=${mymods}` };
    const command = fingerprintCommand({ lookups: ['absent', 'mymods', 'also-absent'] });
    const first = run(command, env);
    expect(first).toMatch(new RegExp(`^\\S+\\nabsent missing\\nmymods ${escape(realpathSync(mymods))} [0-9a-f]{64}\\nalso-absent missing\\n$`));
    writeFileSync(join(mymods, 'extra.nix'), '{ v = 22; }');
    expect(run(command, env)).not.toBe(first);
  });
});
