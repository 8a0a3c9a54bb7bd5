/** The build manifest CI publishes: one JSON file per image build. */
import { posix } from 'node:path';
import type { BackendId } from '../backends';
import { type ImageProject, outputPathProblem } from './outputs';

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
  /**
   * The NixOS system the image carries (`config.system.build.toplevel` of
   * the configuration it was built from): the one nixos-system derivation of
   * the image's derivation graph that no other system there was built from,
   * so specialisations do not count. Absent when there is none or several,
   * as for an image given as a plain flake attribute or expressionFile that
   * is not built from one NixOS system; `systemNote` then says why.
   */
  toplevel?: string;
  /**
   * Bytes in the toplevel's closure (`nix path-info --closure-size`): what
   * the system installs. Absent when the toplevel is, or when it is not in
   * the local store (an image fetched from a binary cache brings only
   * itself); `systemNote` then says why.
   */
  closureSize?: number;
  /** Why toplevel or closureSize is absent. */
  systemNote?: string;
  /** Copy of the image outside the store (option copyTo). */
  copiedTo?: string;
}

export function manifestJson(manifest: BuildManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

/**
 * The image's identity: the same bytes whenever a build yields the same
 * image, however long it took or when it ran, so tasks that consume the
 * image (boot-test) are keyed on it through Nx's dependentTasksOutputFiles
 * and a rebuild to the same store path is still their cache hit.
 */
export function imageIdentityJson(manifest: Pick<BuildManifest, 'project' | 'format' | 'storePath' | 'drvPath' | 'imagePath'>): string {
  const { project, format, storePath, drvPath, imagePath } = manifest;
  return JSON.stringify({ project, format, storePath, drvPath, imagePath }, null, 2) + '\n';
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

/** Where a manifest may point: the Nix store, and the build target's outputs `dist/<projectRoot>` of the workspace. */
export interface ManifestScope extends ImageProject {
  /** The Nix store directory: NIX_STORE_DIR, else /nix/store (storeDirOf). */
  storeDir: string;
}

/** One field of a manifest that nixiso must not act on, and why. */
export interface ManifestProblem {
  field: 'storePath' | 'drvPath' | 'toplevel' | 'outLink' | 'imagePath';
  value: unknown;
  why: string;
}

declare const validated: unique symbol;
/**
 * A manifest whose paths manifestProblems accepted: its store paths are
 * directly in the store, its out-link and image inside `dist/<projectRoot>`.
 * Only such a manifest may be relinked, deleted or realised.
 */
export type ValidManifest = BuildManifest & { readonly [validated]: true };

export const DEFAULT_STORE_DIR = '/nix/store';

export function storeDirOf(env: NodeJS.ProcessEnv): string {
  return env.NIX_STORE_DIR || DEFAULT_STORE_DIR;
}

/** The scope a manifest of this project is validated against, with this process's Nix store. */
export function manifestScope(workspaceRoot: string, projectRoot: string, env: NodeJS.ProcessEnv = process.env): ManifestScope {
  return { storeDir: storeDirOf(env), workspaceRoot, projectRoot };
}

/** Nix's base32 digits (no e, o, t, u) and the characters of a store path name. */
const STORE_PATH_BASENAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]{1,211}$/;

/** Why `value` is not a store path directly in `storeDir` (`<storeDir>/<32-char hash>-<name>`), or undefined when it is. */
export function storePathProblem(value: unknown, storeDir: string): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  const dir = storeDir.replace(/\/+$/, '');
  if (!value.startsWith(`${dir}/`)) return `is not in the Nix store ${dir}`;
  const name = value.slice(dir.length + 1);
  if (name.includes('/')) return `is not a store path directly in ${dir} (it has components below one)`;
  if (!STORE_PATH_BASENAME.test(name)) return `is not a store path name (${dir}/<32-character base32 hash>-<name>)`;
  return undefined;
}

/**
 * What is wrong with a manifest's paths, none when nixiso may act on it. A
 * manifest can come from a remote Nx cache: before anything is deleted,
 * linked or realised, its store paths must be store paths and its out-link
 * and image must stay inside the outputs Nx restored.
 */
export function manifestProblems(manifest: BuildManifest, scope: ManifestScope): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const storePath = storePathProblem(manifest.storePath, scope.storeDir);
  if (storePath) problems.push({ field: 'storePath', value: manifest.storePath, why: storePath });
  if (manifest.drvPath !== undefined) {
    const drv = storePathProblem(manifest.drvPath, scope.storeDir) ?? (manifest.drvPath.endsWith('.drv') ? undefined : 'is not a .drv file');
    if (drv) problems.push({ field: 'drvPath', value: manifest.drvPath, why: drv });
  }
  if (manifest.toplevel !== undefined) {
    const toplevel = storePathProblem(manifest.toplevel, scope.storeDir);
    if (toplevel) problems.push({ field: 'toplevel', value: manifest.toplevel, why: toplevel });
  }
  const outLink = outputPathProblem(manifest.outLink, scope);
  if (outLink) problems.push({ field: 'outLink', value: manifest.outLink, why: outLink });
  const image = outputPathProblem(manifest.imagePath, scope);
  if (image) problems.push({ field: 'imagePath', value: manifest.imagePath, why: image });
  else if (!outLink) {
    const link = posix.resolve(scope.workspaceRoot, manifest.outLink);
    const path = posix.resolve(scope.workspaceRoot, manifest.imagePath);
    if (path !== link && !path.startsWith(`${link}/`)) {
      problems.push({ field: 'imagePath', value: manifest.imagePath, why: `is neither the out-link ${manifest.outLink} nor a path under it` });
    }
  }
  return problems;
}

export function problemLines(problems: ManifestProblem[]): string[] {
  return problems.map((p) => `${p.field} ${JSON.stringify(p.value)} ${p.why}`);
}

/** A manifest nixiso refuses to act on; it says which fields, with which values, and why. */
export class InvalidManifestError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ManifestProblem[],
  ) {
    super(
      `${source} was ignored (nothing deleted, linked or realised): it is not a manifest a nixiso build writes:\n` +
        problemLines(problems).map((line) => `  ${line}`).join('\n'),
    );
  }
}

/** The manifest in `text`, checked by manifestProblems; throws InvalidManifestError when a path is not where a build puts it. */
export function validManifest(text: string, source: string, scope: ManifestScope): ValidManifest {
  const manifest = parseManifest(text, source);
  const problems = manifestProblems(manifest, scope);
  if (problems.length) throw new InvalidManifestError(source, problems);
  return manifest as ValidManifest;
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
