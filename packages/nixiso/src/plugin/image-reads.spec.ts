import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempTree } from '@nixiso/testing';
import { imageReads, inputPatterns, literalGlob, readNixSource } from './image-reads';

const workspace = (files: Record<string, string>): string => tempTree(files, 'nixiso-reads-');

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
