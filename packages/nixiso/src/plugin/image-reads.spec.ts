import { tempTree } from '@nixiso/testing';
import { imageReads, inputPatterns, literalGlob } from './image-reads';

const workspace = (files: Record<string, string>): string => tempTree(files, 'nixiso-reads-');

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
