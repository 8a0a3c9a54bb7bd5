import { nixSourceText, opaqueDescription } from './nix-source';
import { scanPathReferences } from './scan-imports';

/**
 * What `git show HEAD:secrets.nix` gives for a git-crypt-encrypted file: the
 * header, a 12-byte nonce, then ciphertext. The ciphertext here is fixed and
 * holds what random bytes often do: `/` next to letters.
 */
function gitCryptBytes(): Buffer {
  return Buffer.concat([
    Buffer.from('\0GITCRYPT\0', 'latin1'),
    Buffer.from('4afaa6178c176057e8d46983', 'hex'),
    Buffer.from([0xa8, 0x24, 0xcf, 0x20]),
    Buffer.from(' /YcF ', 'latin1'),
    Buffer.from([0xe1, 0x17, 0x3e, 0x0a]),
    Buffer.from('x = /usr;\n/M ./k/q a/b ', 'latin1'),
    Buffer.from([0xd8, 0x73, 0x60, 0x7c, 0xc3, 0x0f, 0xdc, 0x21, 0x90, 0x2f, 0x61, 0x9e]),
  ]);
}

/** `age -a` output (of a throw-away key), as committed. */
const AGE_ARMOR = [
  '-----BEGIN AGE ENCRYPTED FILE-----',
  'YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB6WC9iN0ZiT0JqaytYL1E0',
  'UlJNZjdZa0l1dVdIQ2pwNzFzckZUK3c4dXdnCjlhVXZwdHYvT0pHNDM3d2JjYmxM',
  'dXBKa0s3eFNQOXVneDhLREs5OXAzVWMKLS0tIFBRdC81QitQUUw2SVVjWFVkMWF6',
  'UGVNbSswVmE0bWZGSFkyMHBFd1JmMmsK/YuuCGk5e1v+ni2R2VRLKMPyrCB/ADWi',
  'q3H7dYtf6XT/zwdJlH0LYHOOg+IdqBKUb+b+EULn1Rl8a9HCuxZPb4SsNFyPmrHe',
  '+U6P01mFDTvWERvb2+nnWctqoIS1HLkfRbiZDy4i1b3EloeFxiGqc4QJ6rQ7wTWa',
  '7jvAxgqqKCH+j4o=',
  '-----END AGE ENCRYPTED FILE-----',
  '',
].join('\n');

describe('nixSourceText', () => {
  it('git-crypt ciphertext is opaque, although its bytes would lex as absolute paths', () => {
    const bytes = gitCryptBytes();
    // What the plugin saw before: the bytes read as text, lexed as Nix.
    const lexed = scanPathReferences(bytes.toString('utf8'), '/ws/images/a/secrets.nix').map((ref) => ref.target);
    expect(lexed).toEqual(expect.arrayContaining(['/YcF', '/usr', '/M']));
    expect(nixSourceText(bytes)).toEqual({ opaque: 'git-crypt' });
    expect(nixSourceText(new Uint8Array(bytes))).toEqual({ opaque: 'git-crypt' });
  });

  it('age files are opaque, armored (valid text whose base64 would lex as paths) or binary', () => {
    expect(scanPathReferences(AGE_ARMOR, '/ws/a/secrets.nix').length).toBeGreaterThan(0);
    expect(nixSourceText(Buffer.from(AGE_ARMOR))).toEqual({ opaque: 'age' });
    expect(nixSourceText(Buffer.from(`\n  ${AGE_ARMOR}`))).toEqual({ opaque: 'age' });
    const binary = Buffer.concat([
      Buffer.from('age-encryption.org/v1\n-> X25519 zX/b7FbOBjk+X/Q4RRMf7YkIuuWHCjp71srFT+w8uwg\n9aUvptv/OJG437wbcblL\n--- Fo/o\n'),
      Buffer.from([0x8d, 0x01, 0xfe, 0x2f, 0x75, 0x73, 0x72]),
    ]);
    expect(nixSourceText(binary)).toEqual({ opaque: 'age' });
  });

  it('UTF-8 Nix with non-ASCII comments and strings is Nix source, text unchanged (a BOM kept)', () => {
    const source = '# Grüße — ключ 🔑\n{ motd = "héllo"; key = ./keys/ü.pub; note = "age-encryption.org/v1"; }\n';
    expect(nixSourceText(Buffer.from(source))).toEqual({ text: source });
    expect(nixSourceText(Buffer.from(`\uFEFF${source}`))).toEqual({ text: `\uFEFF${source}` });
    expect(nixSourceText(new Uint8Array())).toEqual({ text: '' });
  });

  it('a NUL byte makes a file binary', () => {
    expect(nixSourceText(Buffer.from('{ a = ./b.nix; }\0\n'))).toEqual({ opaque: 'binary' });
  });

  it('bytes that are not UTF-8 make a file binary, wherever they are', () => {
    expect(nixSourceText(Buffer.from('# Gr\xfc\xdfe\n{ }\n', 'latin1'))).toEqual({ opaque: 'binary' });
    const lateTail = Buffer.concat([Buffer.from(`{ a = ./b.nix; }\n${'# padding\n'.repeat(5000)}`), Buffer.from([0xc3, 0x28])]);
    expect(lateTail.length).toBeGreaterThan(50_000);
    expect(nixSourceText(lateTail)).toEqual({ opaque: 'binary' });
  });

  it('describes each reason for a user', () => {
    expect(opaqueDescription('git-crypt')).toBe('git-crypt-encrypted');
    expect(opaqueDescription('age')).toBe('age-encrypted');
    expect(opaqueDescription('binary')).toBe('binary (a NUL byte, or not UTF-8)');
  });
});
