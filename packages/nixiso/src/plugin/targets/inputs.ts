/**
 * The Nx inputs of an image's targets: every file Nix may read when it
 * evaluates the image (build and eval), and boot-test's options file, which
 * is an input of build and eval only when the image's Nix code may see it.
 */
import { CHANNEL_LOOKUPS, fingerprintCommand, type FingerprintInputs, hasFingerprintInputs } from '../../nix/inputs/fingerprint';
import type { ImageKind } from '../../nix/language/image-detect';
import { BOOT_TEST_OPTIONS_FILE } from '../../executors/boot-test/options-file';
import type { ReadRecord } from '../../built-image/read-record';
import { type ImageReads, inputPatterns } from '../image-reads';

export type TargetInput = string | Record<string, unknown>;

/** What the inputs of an image's build and eval targets are made of. */
export interface ImageInputModel {
  kind: ImageKind;
  /** What its Nix files read outside the project, and what Nx cannot hash as workspace files (image-reads.ts). */
  reads: ImageReads;
  /** Local directories that nixPath / overrideInputs of its targets point at, workspace-relative or absolute outside it. */
  localSources: { inWorkspace: string[]; external: string[] };
}

/** What the runtime input fingerprints for an image: what Nx cannot hash as workspace files. */
export function imageFingerprint(model: ImageInputModel): FingerprintInputs {
  return {
    // A channel build looks up `<nixpkgs/nixos>` (and home-manager's module) whatever its files say.
    lookups: [...new Set([...(model.kind === 'channel' ? CHANNEL_LOOKUPS : []), ...model.reads.lookups])],
    paths: [...new Set([...model.reads.external, ...model.localSources.external])].sort(),
    home: model.reads.home,
    ignored: model.reads.ignored,
  };
}

/**
 * The build and eval inputs: every file Nix may read when it evaluates the
 * image. Nx hashes them for the cache and matches changed files against the
 * `{workspaceRoot}/…` ones for `nx affected`, whether or not a project owns
 * them; the options of the target are hashed by Nx itself. What is not a
 * workspace file Nx hashes (search paths, home paths, paths outside the
 * workspace, git-ignored files) is the runtime input, only when there is
 * some; the variables the image reads with `getEnv` are env inputs.
 */
export function imageInputs(
  model: ImageInputModel,
  extraInputs: readonly TargetInput[],
  /** Files of the project that Nix cannot see (boot-test.json, unless its Nix code may read it): `{projectRoot}/…` patterns. */
  excluded: readonly string[] = [],
): TargetInput[] {
  const patterns = new Set<string>();
  for (const read of model.reads.reads) inputPatterns(read).forEach((p) => patterns.add(p));
  for (const dir of model.localSources.inWorkspace) inputPatterns({ path: dir, kind: 'directory' }).forEach((p) => patterns.add(p));
  const fingerprint = imageFingerprint(model);
  const env = [...(model.kind === 'channel' ? ['NIX_PATH'] : []), ...model.reads.env.filter((name) => name !== 'NIX_PATH')];
  return [
    // Every file of the project, Nix or not (flake.lock included), but the out-links `nix build` leaves by default.
    '{projectRoot}/**/*',
    '!{projectRoot}/result',
    '!{projectRoot}/result-*',
    ...excluded.map((pattern) => `!${pattern}`),
    ...[...patterns].sort(),
    ...env.map((name) => ({ env: name })),
    ...(hasFingerprintInputs(fingerprint) ? [{ runtime: fingerprintCommand(fingerprint) }] : []),
    ...extraInputs,
  ];
}

/** boot-test's options file (executors/boot-test/options-file.ts), as an Nx input. */
export const BOOT_TEST_OPTIONS_INPUT = `{projectRoot}/${BOOT_TEST_OPTIONS_FILE}`;

/** metadata.nixiso.bootTestOptions: where boot-test's options file is, and whether the image's build must count it too. */
export interface BootTestOptionsInput {
  file: string;
  /** True when the image's Nix code may see the file: then it stays an input of build and eval, and an edit rebuilds. */
  buildInput: boolean;
  /** Why it is a build input: the `<file>:<line>` (or the record, or the option) that settles it. */
  because?: string;
}

/**
 * Whether boot-test.json (workspace-relative `file`) must stay an input of
 * the image's build and eval: when the static model says its Nix code may
 * see it (imageReads' `sees`), a traced build saw Nix read it or list a
 * directory holding it, or nixPath / overrideInputs point at a directory
 * holding it.
 */
export function bootTestOptionsInput(
  file: string,
  reads: Pick<ImageReads, 'sees'>,
  records: readonly Pick<ReadRecord, 'files' | 'listed' | 'target' | 'configuration' | 'recordedAt'>[],
  localSources: ImageInputModel['localSources'],
): BootTestOptionsInput {
  const holds = (dir: string) => dir === '.' || file === dir || file.startsWith(`${dir.replace(/\/$/, '')}/`);
  const buildOf = (r: (typeof records)[number]) => `${[r.target, r.configuration].filter(Boolean).join(':') || 'build'} at ${r.recordedAt}`;
  const read = records.find((r) => r.files.includes(file));
  const listed = records.map((r) => ({ r, dir: r.listed.find((dir) => dir !== file && holds(dir)) })).find(({ dir }) => dir);
  const local = localSources.inWorkspace.find(holds);
  const because =
    reads.sees?.[file] ??
    (read ? `a traced build (${buildOf(read)}) saw Nix read it` : undefined) ??
    (listed ? `a traced build (${buildOf(listed.r)}) saw Nix list ${listed.dir}` : undefined) ??
    (local ? `nixPath or overrideInputs point at ${local}, which holds it` : undefined);
  return { file: BOOT_TEST_OPTIONS_INPUT, buildInput: !!because, ...(because ? { because } : {}) };
}
