/**
 * What a built image leaves on disk, and where. Nx caches and restores
 * `dist/<projectRoot>` for an image project's build, so everything that
 * describes the image lives there: in that directory, or one inside it that
 * the build option outputPath names (a flake with several image
 * configurations gives each its own):
 *
 * - manifest.json: the build's record (manifest.ts), which push, boot-test
 *   and the cache-hit hook act on;
 * - image.json: the image's identity, the tasks that use the image key on it;
 * - reads.json: what Nix read while it evaluated (read-record.ts);
 * - result: the default out-link into the Nix store, a GC root (out-link.ts).
 *
 * The build also roots the image for its Nx cache entry (cache-root.ts), and
 * restore.ts brings back the image of a cache hit whose store path is gone.
 * Every reader takes these names and directories from here.
 */
import { join, posix, resolve } from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
/** Beside manifest.json: what the image is, and nothing about the run that made it. */
export const IMAGE_IDENTITY_FILE = 'image.json';
export const READ_RECORD_FILE = 'reads.json';
/** Written by the diff target beside the build's files: what changed in the image against a base commit, as data and as Markdown. */
export const DIFF_FILE = 'diff.json';
export const DIFF_MARKDOWN_FILE = 'diff.md';
/** The out-link a build leaves when the option outLink is not set. */
export const DEFAULT_OUT_LINK = 'result';

/** `dist/<projectRoot>`, workspace-relative (posix): what Nx caches and restores for the image project's build. */
export function imageDistDir(projectRoot: string): string {
  return posix.join('dist', projectRoot);
}

/** `dist/<projectRoot>` of the workspace, absolute. */
export function imageDistPath(workspaceRoot: string, projectRoot: string): string {
  return join(workspaceRoot, imageDistDir(projectRoot));
}

/** An image project of a workspace: its root, from the project graph. */
export interface ImageProject {
  workspaceRoot: string;
  projectRoot: string;
}

/** Why `value` (relative to the workspace root, or absolute) is not a path strictly inside `dist/<projectRoot>`, or undefined when it is. */
export function outputPathProblem(value: unknown, project: ImageProject): string | undefined {
  if (typeof value !== 'string' || !value) return 'is not a path';
  const dist = imageDistDir(project.projectRoot);
  const path = posix.resolve(project.workspaceRoot, value);
  const inside = posix.relative(posix.resolve(project.workspaceRoot, dist), path);
  if (!inside) return `is ${dist} itself, which holds the manifest`;
  if (inside === '..' || inside.startsWith('../')) return `resolves to ${path}, outside ${dist}, the directory Nx caches and restores`;
  return undefined;
}

/** The files a build writes into its output directory (absolute). */
export interface ImageOutputs {
  dir: string;
  manifest: string;
  identity: string;
  readRecord: string;
  /** Where the out-link goes unless the option outLink names another place. */
  defaultOutLink: string;
}

export function imageOutputsIn(dir: string): ImageOutputs {
  return {
    dir,
    manifest: join(dir, MANIFEST_FILE),
    identity: join(dir, IMAGE_IDENTITY_FILE),
    readRecord: join(dir, READ_RECORD_FILE),
    defaultOutLink: join(dir, DEFAULT_OUT_LINK),
  };
}

/** Where a build's outputs go, from its options (relative to the workspace root), checked; or what is wrong with them. */
export interface OutputOptions {
  /** The output directory: `dist/<projectRoot>` (the default) or a directory inside it. */
  outputPath?: string;
  /** The out-link: `result` in the output directory (the default), or any path strictly inside `dist/<projectRoot>`. */
  outLink?: string;
}

/**
 * Why `value` (option outputPath) is not `dist/<projectRoot>` or a directory
 * inside it, or undefined when it is: manifest.json, image.json and the
 * out-link live there, inside what Nx caches and restores for the image.
 */
function outputDirProblem(value: unknown, project: ImageProject): string | undefined {
  if (typeof value !== 'string' || !value) return 'is not a path';
  const dist = imageDistDir(project.projectRoot);
  const inside = posix.relative(posix.resolve(project.workspaceRoot, dist), posix.resolve(project.workspaceRoot, value));
  if (inside === '..' || inside.startsWith('../')) return `is outside ${dist}, the directory Nx caches and restores for the image`;
  return undefined;
}

/**
 * The outputs a build writes and its out-link, absolute, from the options
 * that place them; or an error naming the option. What lies outside
 * `dist/<projectRoot>` Nx neither caches nor restores, and an out-link there
 * would be a Nix GC root that no manifest may name: nix build would leave it
 * before anything else could object, so this is asked before Nix runs.
 */
export function placeOutputs(options: OutputOptions, project: ImageProject): { outputs: ImageOutputs; outLink: string } | { error: string } {
  const { workspaceRoot, projectRoot } = project;
  const { outputPath, outLink } = options;
  const dist = imageDistDir(projectRoot);
  const dirProblem = outputPath === undefined ? undefined : outputDirProblem(outputPath, project);
  if (dirProblem) {
    return { error: `option "outputPath" (${JSON.stringify(outputPath)}) ${dirProblem}; leave it unset (${dist}) or name a directory inside it` };
  }
  const outputs = imageOutputsIn(outputPath === undefined ? imageDistPath(workspaceRoot, projectRoot) : resolve(workspaceRoot, outputPath));
  if (!outLink) return { outputs, outLink: outputs.defaultOutLink };
  const path = resolve(workspaceRoot, outLink);
  const linkProblem = outputPathProblem(path, project);
  if (linkProblem) {
    return {
      error:
        `option "outLink" (${JSON.stringify(outLink)}) ${linkProblem}: Nx would neither cache nor restore the link, ` +
        `and nixiso acts only on out-links inside ${dist}. Leave outLink unset (${posix.join(dist, DEFAULT_OUT_LINK)}) or name a path inside ${dist}`,
    };
  }
  return { outputs, outLink: path };
}
