import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir, tempTree } from '@nixiso/testing';
import { flakeSelfRoot, imageReads, inputPatterns, literalGlob, readNixSource } from './image-reads';
import { gitIgnored } from '../nix/process/run';

const workspace = (files: Record<string, string>): string => tempTree(files, 'nixiso-reads-');

/** Makes `path` (workspace-relative) a symlink to `target` (relative to the link's directory). */
const link = (root: string, path: string, target: string): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  symlinkSync(target, join(root, path));
};

const git = (root: string, ...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

/** No git process: the tests of the other classes do not depend on one. */
const noGit = { ignoredOf: () => [] };

const writeBytes = (root: string, path: string, bytes: Uint8Array): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), bytes);
};

/** A git-crypt-encrypted file as a locked checkout has it: header, nonce, ciphertext that lexes as paths (`/usr`, `/YcF`, `../x`). */
const gitCryptBytes = (): Buffer =>
  Buffer.concat([
    Buffer.from('\0GITCRYPT\0', 'latin1'),
    Buffer.from('4afaa6178c176057e8d46983', 'hex'),
    Buffer.from([0xa8, 0x24, 0xcf, 0x20]),
    Buffer.from(' /YcF ../../keys/k ', 'latin1'),
    Buffer.from([0xe1, 0x17, 0x3e, 0x0a]),
    Buffer.from('x = /usr;\n/M ./sub ', 'latin1'),
    Buffer.from([0xd8, 0x73, 0x60, 0x7c, 0xc3, 0x0f, 0xdc, 0x21, 0x90, 0x2f, 0x61, 0x9e]),
  ]);

describe('imageReads', () => {
  it('follows references through Nix files outside every project, to files of any kind', () => {
    const root = workspace({
      'images/rescue/configuration.nix': '{ ... }: { imports = [ ../../nix/common.nix ]; x = builtins.readFile ./alice.pub; }',
      'images/rescue/alice.pub': 'ssh-ed25519 A',
      'nix/common.nix': '{ ... }: { imports = [ ./users.nix ]; y = builtins.readFile ../keys/team.pub; }',
      'nix/users.nix': '{ ... }: { z = ../modules/users; }',
      'keys/team.pub': 'ssh-ed25519 B',
      'modules/users/default.nix': '{ ... }: { keyFiles = [ ./keys/carol.pub ]; }',
      'modules/users/keys/carol.pub': 'ssh-ed25519 C',
    });
    const reads = imageReads(root, 'images/rescue');
    expect(reads.reads).toEqual([
      { path: 'keys/team.pub', kind: 'file', from: 'nix/common.nix' },
      { path: 'modules/users', kind: 'directory', from: 'nix/users.nix' },
      { path: 'nix/common.nix', kind: 'file', from: 'images/rescue/configuration.nix' },
      { path: 'nix/users.nix', kind: 'file', from: 'nix/common.nix' },
    ]);
    expect(reads.external).toEqual([]);
    expect(reads.computed).toEqual([]);
    expect(reads.opaque).toEqual([]);
  });

  it('counts a computed path as its directory, with a note, and follows every Nix file in it', () => {
    const root = workspace({
      'images/kiosk/configuration.nix': [
        '{ name, ... }: {',
        '  a = builtins.readFile (./. + "/motd-${name}.txt");',
        '  b = import ../../hosts/${name}.nix;',
        '}',
      ].join('\n'),
      'hosts/one.nix': '{ c = ../data/one.json; }',
      'hosts/two.nix': '{ }',
      'data/one.json': '{}',
    });
    const reads = imageReads(root, 'images/kiosk');
    expect(reads.reads).toEqual([
      { path: 'data/one.json', kind: 'file', from: 'hosts/one.nix' },
      { path: 'hosts', kind: 'directory', from: 'images/kiosk/configuration.nix' },
    ]);
    expect(reads.computed).toEqual([
      'images/kiosk/configuration.nix:2: ./. is computed; the image counts all of images/kiosk',
      'images/kiosk/configuration.nix:3: ../../hosts/ is computed; the image counts all of hosts',
    ]);
  });

  it('keeps missing paths (creating them must count), leaves store paths out, and lists paths outside the workspace', () => {
    const root = workspace({
      'images/lab/configuration.nix': '{ a = ../../secrets/wifi.nix; b = /nix/store/abc-x/y; c = /etc/nixos/hardware.nix; d = ../../keys; e = ../../keys/a.pub; }',
      'keys/a.pub': 'x',
    });
    const reads = imageReads(root, 'images/lab');
    expect(reads.reads.map(({ path, kind }) => ({ path, kind }))).toEqual([
      { path: 'keys', kind: 'directory' },
      { path: 'secrets/wifi.nix', kind: 'missing' },
    ]);
    expect(reads.external).toEqual(['/etc/nixos/hardware.nix']);
  });

  it('ignores comments and strings, and references inside the project itself', () => {
    const root = workspace({
      'images/a/configuration.nix': '# ../../x.nix\n{ a = "../../y.nix"; b = ./sub/file.nix; }',
      'images/a/sub/file.nix': '{ c = ../home.nix; }',
      'images/a/home.nix': '{ }',
    });
    expect(imageReads(root, 'images/a').reads).toEqual([]);
  });
  it('counts a git-crypt-encrypted Nix file as an input but never scans it: its bytes add no reads', () => {
    const root = workspace({
      'images/vault/configuration.nix': '{ ... }: { imports = [ ./secrets.nix ../../secrets/wifi.nix ]; }',
      'images/vault/sub/a.nix': '{ }',
      'keys/k': 'x',
    });
    writeBytes(root, 'images/vault/secrets.nix', gitCryptBytes());
    writeBytes(root, 'secrets/wifi.nix', gitCryptBytes());
    expect(readNixSource(join(root, 'images/vault/secrets.nix'))).toEqual({ opaque: 'git-crypt' });
    expect(readNixSource(join(root, 'images/vault/missing.nix'))).toBeUndefined();
    const reads = imageReads(root, 'images/vault');
    // secrets.nix is a file of the project, an input already; wifi.nix, outside it, a read file.
    expect(reads.reads).toEqual([{ path: 'secrets/wifi.nix', kind: 'file', from: 'images/vault/configuration.nix' }]);
    expect(reads.external).toEqual([]);
    expect(reads.computed).toEqual([]);
    expect(reads.opaque).toEqual([
      'images/vault/secrets.nix is git-crypt-encrypted: an input as a file, its references not followed',
      'secrets/wifi.nix is git-crypt-encrypted: an input as a file, its references not followed',
    ]);
    expect(inputPatterns(reads.reads[0])).toEqual(['{workspaceRoot}/secrets/wifi.nix']);
  });

  it('follows a secrets file once git-crypt unlocks it, and stops when it is locked again (the cache is keyed by content)', () => {
    const root = workspace({ 'images/vault/configuration.nix': '{ imports = [ ./secrets.nix ]; }' });
    writeBytes(root, 'images/vault/secrets.nix', Buffer.from('# unlocked: ü\n{ k = ../../keys/k; }\n'));
    expect(imageReads(root, 'images/vault').reads).toEqual([{ path: 'keys/k', kind: 'missing', from: 'images/vault/secrets.nix' }]);
    writeBytes(root, 'images/vault/secrets.nix', gitCryptBytes());
    const locked = imageReads(root, 'images/vault');
    expect(locked.reads).toEqual([]);
    expect(locked.opaque).toHaveLength(1);
  });
});

describe('imageReads: symlinks are read where they point', () => {
  it('a linked file and a linked module folder in the project, a path through a link, a link in a folder read, outside, dangling', () => {
    const outside = tempTree({ 'k.pub': 'outside' }, 'nixiso-outside-');
    const root = workspace({
      'examples/x/configuration.nix': '{ imports = [ ./shared ../../modules/users ]; k = builtins.readFile ./keys/carol.pub; d = ./shared/default.nix; }',
      'keys/carol.pub': 'carol',
      'nix/shared/default.nix': '{ m = ./motd.txt; n = ../up.txt; }',
      'nix/shared/motd.txt': 'motd',
      'modules/users/default.nix': '{ }',
    });
    link(root, 'examples/x/keys/carol.pub', '../../../keys/carol.pub');
    link(root, 'examples/x/shared', '../../nix/shared');
    link(root, 'examples/x/team', '../../team-keys');
    link(root, 'modules/users/ext.pub', join(outside, 'k.pub'));
    // A link to the folder it is in: read already, and walked once.
    link(root, 'modules/users/loop', '.');
    const reads = imageReads(root, 'examples/x', noGit);
    expect(reads.reads).toEqual([
      { path: 'keys/carol.pub', kind: 'file', from: 'examples/x/keys/carol.pub' },
      { path: 'modules/users', kind: 'directory', from: 'examples/x/configuration.nix' },
      { path: 'nix/shared', kind: 'directory', from: 'examples/x/shared' },
      // Nix resolves `../up.txt` of `import ./shared` from the link's target (of `./shared/default.nix`, from the link: in the project).
      { path: 'nix/up.txt', kind: 'missing', from: 'nix/shared/default.nix' },
      // Dangling: where it points, so creating it counts.
      { path: 'team-keys', kind: 'missing', from: 'examples/x/team' },
    ]);
    expect(reads.external).toEqual([realpathSync(join(outside, 'k.pub'))]);
  });

  it('a Nix path whose way passes through a link counts the real target, in a folder the project links to', () => {
    const root = workspace({
      'images/a/configuration.nix': '{ imports = [ ./lib/common.nix ]; }',
      'shared/lib/common.nix': '{ k = ./k.pub; }',
      'shared/lib/k.pub': 'k',
    });
    link(root, 'images/a/lib', '../../shared/lib');
    expect(imageReads(root, 'images/a', noGit).reads).toEqual([{ path: 'shared/lib', kind: 'directory', from: 'images/a/lib' }]);
  });
});

describe('imageReads: a project nested in the image project', () => {
  it('is read whole (its files are its own, not {projectRoot}/**/*), project.json or package.json alike', () => {
    const root = workspace({
      'examples/x/configuration.nix': '{ imports = [ ./modules/extra ]; k = ./modules/extra/data.txt; }',
      'examples/x/modules/extra/project.json': '{ "name": "extra" }',
      'examples/x/modules/extra/default.nix': '{ d = builtins.readFile ./data.txt; }',
      'examples/x/modules/extra/data.txt': 'v1',
      'examples/x/tools/package.json': '{ "name": "tools" }',
      'examples/x/plain/a.txt': 'a',
    });
    const reads = imageReads(root, 'examples/x', noGit);
    expect(reads.reads).toEqual([
      { path: 'examples/x/modules/extra', kind: 'directory', from: 'examples/x/modules/extra/project.json' },
      { path: 'examples/x/tools', kind: 'directory', from: 'examples/x/tools/package.json' },
    ]);
    expect(reads.reads.flatMap(inputPatterns)).toEqual(['{workspaceRoot}/examples/x/modules/extra/**/*', '{workspaceRoot}/examples/x/tools/**/*']);
  });
});

describe("imageReads: a flake's self", () => {
  const flake = {
    'examples/f/flake.nix': '{ outputs = { self, nixpkgs, ... }: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs = { inherit self; }; modules = [ ./configuration.nix ]; }; }; }',
    'examples/f/configuration.nix': '{ self, ... }: { a = builtins.readFile "${self}/keys/alice.pub"; h = import "${self}/hosts/${n}.nix"; }',
    'keys/alice.pub': 'alice',
    'hosts/one.nix': '{ x = ../data/x.json; }',
  };

  it('is the git work tree nixiso builds the flake from: "${self}/keys/alice.pub" is that file, a computed suffix its directory', () => {
    const root = workspace(flake);
    mkdirSync(join(root, '.git'));
    expect(flakeSelfRoot(root, 'examples/f')).toBe(root);
    const reads = imageReads(root, 'examples/f', { ...noGit, selfRoot: flakeSelfRoot(root, 'examples/f') });
    expect(reads.reads).toEqual([
      { path: 'data/x.json', kind: 'missing', from: 'hosts/one.nix' },
      { path: 'hosts', kind: 'directory', from: 'examples/f/configuration.nix' },
      { path: 'keys/alice.pub', kind: 'file', from: 'examples/f/configuration.nix' },
    ]);
    expect(reads.computed).toEqual(['examples/f/configuration.nix:1: "${self}/hosts/ is computed; the image counts all of hosts']);
  });

  it('outside git it is the flake directory; a channel image has no self', () => {
    const root = workspace(flake);
    expect(flakeSelfRoot(root, 'examples/f')).toBe(join(root, 'examples/f'));
    const reads = imageReads(root, 'examples/f', { ...noGit, selfRoot: flakeSelfRoot(root, 'examples/f') });
    expect(reads.reads).toEqual([]); // examples/f/keys/alice.pub: a file of the project
    expect(imageReads(root, 'examples/f', noGit).reads).toEqual([]);
  });
});

describe('imageReads: computed paths that climb', () => {
  it('reads the file a climb names, not the workspace, also through a binding; a copy of the binding counts it whole', () => {
    const root = workspace({
      'examples/x/configuration.nix': [
        '{ ... }: let repo = ./. + "/../.."; in {',
        '  d = builtins.readFile (./. + "/../../keys/dave.pub");',
        '  e = builtins.readFile (repo + "/keys/erin.pub");',
        '  f = let root = ../..; in builtins.readFile (root + "/keys/frank.pub");',
        '}',
      ].join('\n'),
      'keys/dave.pub': 'd',
      'keys/erin.pub': 'e',
      'keys/frank.pub': 'f',
      'docs/NOTES.md': 'unread',
    });
    const reads = imageReads(root, 'examples/x', noGit);
    expect(reads.reads.map((r) => r.path)).toEqual(['keys/dave.pub', 'keys/erin.pub', 'keys/frank.pub']);
    expect(reads.computed).toEqual([]);
    writeFileSync(join(root, 'examples/x/configuration.nix'), '{ ... }: let repo = ./. + "/../.."; in { e = builtins.readFile "${repo}/keys/erin.pub"; }');
    expect(imageReads(root, 'examples/x', noGit).reads).toEqual([{ path: '.', kind: 'directory', from: 'examples/x/configuration.nix' }]);
  });
});

describe('imageReads: what only a fingerprint can cover', () => {
  it('home paths (followed through their Nix files), every search-path name, getEnv names', () => {
    const home = tempTree({ '.ssh/id_ed25519.pub': 'k', 'nixos/common.nix': '{ imports = [ ./users.nix ]; k = /srv/abs.pub; }', 'nixos/users.nix': '{ }' });
    const root = workspace({
      'images/a/configuration.nix': '{ imports = [ ~/nixos/common.nix <mymods/x.nix> <nixpkgs/nixos> ]; k = ~/.ssh/id_ed25519.pub; v = builtins.getEnv "SECRET"; }',
    });
    const reads = imageReads(root, 'images/a', { ...noGit, homeDir: home });
    expect(reads.home).toEqual(['.ssh/id_ed25519.pub', 'nixos/common.nix', 'nixos/users.nix']);
    expect(reads.external).toEqual(['/srv/abs.pub']);
    expect(reads.lookups).toEqual(['mymods', 'nixpkgs']);
    expect(reads.env).toEqual(['SECRET']);
  });

  it('/. + builtins.getEnv "X", the store and system roots are neither walked nor fingerprinted; the line names file, line and text (once per file)', () => {
    const root = workspace({
      'images/a/configuration.nix': [
        '{ ... }: let extra = builtins.getEnv "EXTRA"; in {',
        '  imports = [ (/. + builtins.getEnv "X") (/. + extra) ];',
        '  a = /etc; b = /nix/store; c = /proc/cpuinfo; d = /etc/nixos/hardware.nix; e = /nix + "/${x}";',
        '  f = builtins.getEnv name;',
        '}',
      ].join('\n'),
    });
    const reads = imageReads(root, 'images/a', noGit);
    expect(reads.reads).toEqual([]);
    expect(reads.external).toEqual(['/etc/nixos/hardware.nix']);
    expect(reads.env).toEqual(['EXTRA', 'X']);
    expect(reads.computed).toEqual([
      'images/a/configuration.nix:2: /. + builtins.getEnv "X" is built at evaluation time; only Nix\'s record of what it read covers it',
      'images/a/configuration.nix:3: /etc is a system directory: neither walked nor fingerprinted; only Nix\'s record of what it read covers it',
      'images/a/configuration.nix:3: /nix/store is a system directory: neither walked nor fingerprinted; only Nix\'s record of what it read covers it',
      'images/a/configuration.nix:3: /proc/cpuinfo is in a pseudo file system: neither walked nor fingerprinted; only Nix\'s record of what it read covers it',
      'images/a/configuration.nix:3: /nix + "/${x}" is built at evaluation time; only Nix\'s record of what it read covers it',
      'images/a/configuration.nix:4: builtins.getEnv name reads an environment variable whose name is computed: which one cannot be known',
    ]);
  });

  it('git-ignored paths read, inside the project too: Nix files, files named, files in folders read; one git process', () => {
    const root = workspace({
      '.gitignore': 'local.nix\n*.local.pub\ncache/\ntracked-ignored.txt\n',
      'images/a/configuration.nix': '{ imports = [ ./local.nix ]; k = ./keys/me.local.pub; d = ./data; t = ../../shared/tracked-ignored.txt; }',
      'images/a/local.nix': '{ x = ../../keys/team.pub; }',
      'images/a/keys/me.local.pub': 'me',
      'images/a/keys/ok.pub': 'ok',
      'images/a/data/cache/blob': 'blob',
      'images/a/data/readme.txt': 'readme',
      'images/a/unread/cache/other': 'not read',
      'images/a/sub/local.nix': '{ }',
      'shared/tracked-ignored.txt': 't',
      'keys/team.pub': 'team',
    });
    git(root, 'init', '-q');
    git(root, 'add', '-f', 'shared/tracked-ignored.txt');
    const calls: string[][] = [];
    const reads = imageReads(root, 'images/a', {
      ignoredOf: (ws, paths) => {
        calls.push([...paths]);
        return gitIgnored(ws, paths);
      },
    });
    expect(calls).toHaveLength(1);
    expect(reads.ignored).toEqual([
      'images/a/data/cache',
      'images/a/keys/me.local.pub',
      'images/a/local.nix',
      'images/a/sub/local.nix',
      'shared/tracked-ignored.txt',
    ]);
    // What the ignored Nix file reads is followed like any other.
    expect(reads.reads.map((r) => r.path)).toEqual(['keys/team.pub', 'shared/tracked-ignored.txt']);
  });

  it('nothing ignored outside git, or when git ignores none of the paths', () => {
    const files = { 'images/a/configuration.nix': '{ k = ./k.pub; }', 'images/a/k.pub': 'k' };
    expect(imageReads(workspace(files), 'images/a').ignored).toEqual([]);
    const root = workspace({ ...files, '.gitignore': 'other\n' });
    git(root, 'init', '-q');
    expect(imageReads(root, 'images/a').ignored).toEqual([]);
    expect(gitIgnored(tempDir(), ['a', 'b'])).toEqual([]);
  });
});

describe('inputPatterns', () => {
  it('a file, a whole directory, and both for a path that does not exist yet', () => {
    expect(inputPatterns({ path: 'keys/team.pub', kind: 'file' })).toEqual(['{workspaceRoot}/keys/team.pub']);
    expect(inputPatterns({ path: 'modules/users', kind: 'directory' })).toEqual(['{workspaceRoot}/modules/users/**/*']);
    expect(inputPatterns({ path: 'secrets/wifi.nix', kind: 'missing' })).toEqual([
      '{workspaceRoot}/secrets/wifi.nix',
      '{workspaceRoot}/secrets/wifi.nix/**/*',
    ]);
    expect(inputPatterns({ path: '.', kind: 'directory' })).toEqual(['{workspaceRoot}/**/*']);
  });

  it('makes glob characters in names literal', () => {
    expect(literalGlob('keys/[old]*.pub')).toBe('keys/[[]old[]][*].pub');
    expect(literalGlob('a b/ü.nix')).toBe('a b/ü.nix');
  });
});
