import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The path of the JSON file the offline nixpkgs stand-in writes into every ISO. */
export const ISO_JSON_PATH = '/nixiso.json';

/** Reads the stand-in's description of the evaluated configuration back out of a built ISO. */
export function readIsoJson<T = Record<string, unknown>>(isoFile: string, inner = ISO_JSON_PATH): T {
  const dir = mkdtempSync(join(tmpdir(), 'nixiso-iso-'));
  try {
    const out = join(dir, 'out.json');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', isoFile, '-extract', inner, out], { stdio: 'pipe' });
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
