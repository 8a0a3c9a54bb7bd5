/**
 * Nix garbage-collector roots for out-links. `nix build --out-link`,
 * `nix-build --out-link` and `nix-store --add-root <link> --realise <path>`
 * make `<link>` an indirect root: a symlink
 * `<state dir>/gcroots/auto/<name>` → `<link>`, `<name>` being the Nix-base32
 * SHA-1 of the link's absolute path (LocalStore::addIndirectRoot). A symlink
 * made any other way (by nixiso, or restored by Nx from its cache) is no root,
 * and `nix-store --gc` deletes the image under it.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Command } from '../building/command';

export const DEFAULT_STATE_DIR = '/nix/var/nix';

export function nixStateDirOf(env: NodeJS.ProcessEnv): string {
  return env.NIX_STATE_DIR || DEFAULT_STATE_DIR;
}

const BASE32_DIGITS = '0123456789abcdfghijklmnpqrsvwxyz';

/** Nix's base32 (printHash32): its own digits, least significant bits last. */
export function nixBase32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let text = '';
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    const c = (bytes[i] >> j) | (i + 1 < bytes.length ? bytes[i + 1] << (8 - j) : 0);
    text += BASE32_DIGITS[c & 0x1f];
  }
  return text;
}

/** The file `nix-store --add-root <link>` creates for `link` (absolute): `<stateDir>/gcroots/auto/<base32 sha1 of link>`. */
export function indirectRootPath(link: string, stateDir = DEFAULT_STATE_DIR): string {
  const name = nixBase32(createHash('sha1').update(posix.resolve(link)).digest());
  return posix.join(stateDir, 'gcroots', 'auto', name);
}

/** `nix-store --add-root <link> --realise <storePath>`: points `link` at a store path already present and registers it as an indirect root. */
export function addRootCommand(link: string, storePath: string): Command {
  return { command: 'nix-store', args: ['--add-root', link, '--realise', storePath] };
}
