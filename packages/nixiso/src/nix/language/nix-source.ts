/**
 * Whether a `.nix` file's bytes are Nix source at all. Repositories keep
 * secrets in `.nix` files encrypted with git-crypt or age; lexed as Nix, their
 * random bytes turn into path literals (`/YcF`, `/usr`) that would become
 * reads of every image reaching them, and graph edges. Pure: callers read the
 * bytes.
 */

/** Why a file is not lexed: encrypted (which tool), or not text at all. */
export type OpaqueReason = 'git-crypt' | 'age' | 'binary';

/** The file's text when it is Nix source to lex, else why it is not. */
export type NixSourceText = { text: string } | { opaque: OpaqueReason };

/** git-crypt's header, followed by a 12-byte nonce and the AES-CTR ciphertext. */
const GIT_CRYPT_MAGIC = new TextEncoder().encode('\0GITCRYPT\0');
/** The first line of age's binary format. */
const AGE_BINARY_MAGIC = new TextEncoder().encode('age-encryption.org/v1\n');
/** age's ASCII armor (`age -a`): valid text, and its base64 lines would lex as paths (`a/b+c`). */
const AGE_ARMOR_MAGIC = new TextEncoder().encode('-----BEGIN AGE ENCRYPTED FILE-----');
/** Git's own binary heuristic looks for a NUL this far in; Nix cannot read a file with a NUL at all. */
const NUL_PREFIX = 8000;

const startsWith = (bytes: Uint8Array, magic: Uint8Array, at = 0): boolean =>
  bytes.length >= at + magic.length && magic.every((byte, i) => bytes[at + i] === byte);

/** Where text starts after leading ASCII whitespace, which age's armor reader accepts before the armor. */
function afterWhitespace(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return i;
}

// Fatal: one invalid sequence anywhere makes the file binary. ignoreBOM keeps a BOM in the text, as readFileSync(…, 'utf8') does.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a `.nix` file to lex, or why it is opaque: git-crypt or age
 * ciphertext, a NUL byte near the start, or bytes that are not UTF-8
 * anywhere in the file (a partial scan would let a binary tail through).
 */
export function nixSourceText(bytes: Uint8Array): NixSourceText {
  if (startsWith(bytes, GIT_CRYPT_MAGIC)) return { opaque: 'git-crypt' };
  if (startsWith(bytes, AGE_BINARY_MAGIC)) return { opaque: 'age' };
  if (startsWith(bytes, AGE_ARMOR_MAGIC, afterWhitespace(bytes))) return { opaque: 'age' };
  if (bytes.subarray(0, NUL_PREFIX).includes(0)) return { opaque: 'binary' };
  try {
    return { text: UTF8.decode(bytes) };
  } catch {
    return { opaque: 'binary' };
  }
}

/** How an opaque file is described to a user, e.g. in `nx show project`. */
export function opaqueDescription(reason: OpaqueReason): string {
  switch (reason) {
    case 'git-crypt':
      return 'git-crypt-encrypted';
    case 'age':
      return 'age-encrypted';
    case 'binary':
      return 'binary (a NUL byte, or not UTF-8)';
  }
}
