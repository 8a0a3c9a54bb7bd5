/** The build manifest CI publishes: one JSON file per image build. */
import type { BackendId } from './backends';

export interface BuildManifest {
  project: string;
  backend: BackendId;
  format: string;
  /** The command line as run (shell-quoted). */
  command: string;
  storePath: string;
  /** The derivation that produced storePath, to realise it again after garbage collection. */
  drvPath?: string;
  outLink: string;
  imagePath: string;
  imageFile: string;
  sizeBytes: number;
  sha256: string;
  nixVersion: string;
  durationMs: number;
  /**
   * Derivations Nix built, and store paths it downloaded from a binary cache
   * instead (0 and 0: everything was in the store already). Read from Nix's
   * JSON log, so absent for the nixos-generators and build-image backends.
   */
  derivationsBuilt?: number;
  derivationsSubstituted?: number;
  builtAt: string;
  /** Copy of the image outside the store (option copyTo). */
  copiedTo?: string;
}

export function manifestJson(manifest: BuildManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

export function parseManifest(text: string, source: string): BuildManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  const m = value as Partial<BuildManifest>;
  for (const key of ['storePath', 'outLink', 'imagePath', 'sha256'] as const) {
    if (typeof m[key] !== 'string') throw new Error(`${source} has no "${key}"`);
  }
  return m as BuildManifest;
}

/** `/nix/store/<hash>-name[/…]` → `/nix/store/<hash>-name`. */
export function storePathOf(path: string, storeDir = '/nix/store'): string | undefined {
  if (!path.startsWith(storeDir + '/')) return undefined;
  const rest = path.slice(storeDir.length + 1);
  const name = rest.split('/')[0];
  return name ? `${storeDir}/${name}` : undefined;
}

/** The out path Nix printed last on stdout (nix build --print-out-paths, nix-build, nixos-generate). */
export function lastStorePath(stdout: string): string | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/nix/store/'));
  return lines.length ? lines[lines.length - 1] : undefined;
}

/** `nix build --json` output: the first derivation's path and its `out` output. */
export function parseBuildJson(stdout: string): { drvPath?: string; outPath?: string } {
  const start = stdout.indexOf('[');
  if (start < 0) return {};
  try {
    const [first] = JSON.parse(stdout.slice(start)) as { drvPath?: string; outputs?: Record<string, string> }[];
    return { drvPath: first?.drvPath, outPath: first?.outputs?.out };
  } catch {
    return {};
  }
}
