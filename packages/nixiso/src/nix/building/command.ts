/**
 * Pure construction of the Nix command lines nixiso runs: what the build and
 * eval executors start is exactly what these functions return, so unit tests
 * here pin the commands users would type by hand.
 */
import { posix } from 'node:path';
import { type Format, systemBuildAttr } from './formats';
import { nixAttrName } from '../language/escape';
import { encodeFlakeQueryValue, flakePathRef } from '../flakes/flake-ref';
import type { Release } from './releases';

export interface Command {
  command: string;
  args: string[];
}

export type ImageSource =
  /**
   * `flakeRef` as Nix takes it: `git+file:///repo?dir=images/x` or `path:/abs/dir`
   * (relative to the image directory, where Nix runs, when the path needs encoding: see flake-ref.ts).
   */
  | {
      kind: 'flake';
      flakeRef: string;
      configurationName: string;
      /** A flake output that is the image itself (a nixos-generators `packages.<system>.<name>`), built instead of the configuration's. */
      attribute?: string;
    }
  /** Absolute path of the image's NixOS module (configuration.nix, iso.nix, …), evaluated through `<nixpkgs/nixos>`. */
  | { kind: 'channel'; configurationFile: string }
  /**
   * A Nix file that evaluates the system itself (`import <nixpkgs/nixos/lib/eval-config.nix> { … }`):
   * built as `nix-build <file> [-A <attribute>]`.
   */
  | { kind: 'expression'; file: string; attribute?: string };

/** What a source builds, for messages: `nixosConfigurations.x`, `packages.x86_64-linux.iso`, a file. */
export function describeSource(source: ImageSource): string {
  if (source.kind === 'flake') return source.attribute ?? nixosConfigurationAttr(source.configurationName);
  if (source.kind === 'channel') return source.configurationFile;
  return source.attribute ? `${source.file} -A ${source.attribute}` : source.file;
}

export interface NixRequest {
  source: ImageSource;
  format: Format;
  /** The release the image targets, when known (decides isoImage vs images.<variant>). */
  release?: Release;
  /** Absolute out-link path. */
  outLink: string;
  system?: string;
  /** Remote builders (`builders`): machine lines (`ssh-ng://host aarch64-linux - 8`) or `@/etc/nix/machines`. */
  builders?: readonly string[];
  /** `max-jobs`: local build slots; 0 leaves every build to the builders. */
  maxJobs?: number | 'auto';
  /** `extra-platforms`: systems this machine builds for too (binfmt/QEMU emulation). */
  extraPlatforms?: readonly string[];
  /** `-I` entries, e.g. `nixpkgs=/path`. */
  nixPath: readonly string[];
  /** Passed as `--option <name> <value>`. */
  nixOptions: Readonly<Record<string, string>>;
  /** Flake input name → flake ref or local path, passed as `--override-input`. */
  overrideInputs: Readonly<Record<string, string>>;
  extraArgs: readonly string[];
  showTrace: boolean;
  printBuildLogs: boolean;
}

export const FLAKE_FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

/**
 * Nix's machine-readable log on stderr, which log.ts reads for the progress
 * line and the failure summary. No `-v`: activities and build log lines are
 * written at any verbosity, `-v` would only add "evaluating file" messages.
 */
export const JSON_LOG_ARGS = ['--log-format', 'internal-json'];

/** Whether Nix's stderr will be `@nix {…}` lines (a later `--log-format` in extraArgs wins). */
export function usesJsonLog(cmd: Command): boolean {
  const i = cmd.args.lastIndexOf('--log-format');
  return i >= 0 && cmd.args[i + 1] === 'internal-json';
}

/** Whether `value` is already a flake reference with a scheme (`github:…`, `path:…`), not a local path. */
export function hasFlakeScheme(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(value);
}

/**
 * A local path given for an input becomes a `path:` flake ref (relative to
 * `cwd`, where Nix runs, when it needs encoding); refs with a scheme stay as they are.
 */
export function inputRef(value: string, cwd?: string): string {
  return hasFlakeScheme(value) ? value : flakePathRef('path', value, cwd);
}

/**
 * Flake commands never write flake.lock into the source tree: a missing or
 * outdated lock is reported before the build (flake-lock.ts), not fixed by it.
 */
export const NO_WRITE_LOCK_FILE = '--no-write-lock-file';

function optionArgs(req: Pick<NixRequest, 'nixOptions'>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(req.nixOptions)) args.push('--option', name, value);
  return args;
}

/** The request's `-I` entries. */
export function includeArgs(req: Pick<NixRequest, 'nixPath'>): string[] {
  return req.nixPath.flatMap((entry) => ['-I', entry]);
}

/** The request's flake input overrides, as `--override-input <name> <ref>`. */
export function overrideArgs(req: Pick<NixRequest, 'overrideInputs'>): string[] {
  return Object.entries(req.overrideInputs).flatMap(([name, value]) => ['--override-input', name, inputRef(value)]);
}

/**
 * `-I` entries with a relative local path are relative to the workspace root
 * (Nix would take them relative to the image directory it runs in).
 */
export function resolveNixPathEntry(entry: string, workspaceRoot: string): string {
  const eq = entry.indexOf('=');
  const [prefix, path] = eq >= 0 ? [entry.slice(0, eq + 1), entry.slice(eq + 1)] : ['', entry];
  if (path.startsWith('/') || path.startsWith('<') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return entry;
  return prefix + posix.resolve(workspaceRoot, path);
}

/** `nixosConfigurations.<name>` as a flake output attribute path. */
export function nixosConfigurationAttr(configurationName: string): string {
  return `nixosConfigurations.${nixAttrName(configurationName)}`;
}

/** `config.system.build.<attr>` for the request's format and release. */
export function imageAttr(req: Pick<NixRequest, 'format' | 'release'>): string {
  const attr = systemBuildAttr(req.format, req.release);
  if (typeof attr !== 'string') throw new Error(attr.error);
  return `config.system.build.${attr}`;
}

/**
 * Remote and cross-architecture builds, as `--option <setting> <value>`: the
 * same as `--builders`/`--max-jobs` for nix and nix-build, and also accepted
 * by nixos-generate and nixos-rebuild. `nixOptions` come later and win.
 */
export function distributionArgs(req: Pick<NixRequest, 'builders' | 'maxJobs' | 'extraPlatforms'>): string[] {
  return [
    ...(req.builders?.length ? ['--option', 'builders', req.builders.join('; ')] : []),
    ...(req.maxJobs !== undefined ? ['--option', 'max-jobs', String(req.maxJobs)] : []),
    ...(req.extraPlatforms?.length ? ['--option', 'extra-platforms', req.extraPlatforms.join(' ')] : []),
  ];
}

/**
 * What every build command ends with: the system, remote builders, --option
 * settings, --show-trace and the extra arguments (last, so that they win).
 * `legacy`: a tool without --system (nix-build, nixos-rebuild) gets the Nix setting.
 */
export function commonTail(req: NixRequest, systemFlag: 'nix' | 'legacy' = 'nix'): string[] {
  const system = !req.system ? [] : systemFlag === 'nix' ? ['--system', req.system] : ['--option', 'system', req.system];
  return [
    ...system,
    ...distributionArgs(req),
    ...optionArgs(req),
    ...(req.showTrace ? ['--show-trace'] : []),
    ...req.extraArgs,
  ];
}

/** The flake output attribute of the image: the given attribute, or the configuration's `config.system.build.<attr>`. */
function flakeImageAttr(req: NixRequest): string {
  if (req.source.kind !== 'flake') throw new Error('not a flake');
  return req.source.attribute ?? `${nixosConfigurationAttr(req.source.configurationName)}.${imageAttr(req)}`;
}

/** The plain-Nix build: `nix build <ref>#…` for flakes, `nix-build '<nixpkgs/nixos>' -A …` for channels, `nix-build <file>` for an expression. */
export function nixBuildCommand(req: NixRequest): Command {
  if (req.source.kind === 'expression') {
    return {
      command: 'nix-build',
      args: [
        req.source.file,
        ...(req.source.attribute ? ['-A', req.source.attribute] : []),
        ...includeArgs(req),
        '--out-link', req.outLink,
        ...JSON_LOG_ARGS,
        ...commonTail(req, 'legacy'),
      ],
    };
  }
  if (req.source.kind === 'flake') {
    return {
      command: 'nix',
      args: [
        ...FLAKE_FEATURES,
        'build',
        `${req.source.flakeRef}#${flakeImageAttr(req)}`,
        '--out-link', req.outLink,
        '--json',
        ...JSON_LOG_ARGS,
        ...(req.printBuildLogs ? ['--print-build-logs'] : []),
        NO_WRITE_LOCK_FILE,
        ...overrideArgs(req),
        ...includeArgs(req),
        ...commonTail(req),
      ],
    };
  }
  return {
    command: 'nix-build',
    args: [
      '<nixpkgs/nixos>',
      '-A', imageAttr(req),
      '-I', `nixos-config=${req.source.configurationFile}`,
      ...includeArgs(req),
      '--out-link', req.outLink,
      ...JSON_LOG_ARGS,
      ...commonTail(req, 'legacy'),
    ],
  };
}

/** Evaluation only: the derivation path of the image, nothing built. */
export function nixEvalCommand(req: NixRequest): Command {
  if (req.source.kind === 'expression') {
    return {
      command: 'nix-instantiate',
      args: [req.source.file, ...(req.source.attribute ? ['-A', req.source.attribute] : []), ...includeArgs(req), ...commonTail(req, 'legacy')],
    };
  }
  if (req.source.kind === 'flake') {
    return {
      command: 'nix',
      args: [
        ...FLAKE_FEATURES,
        'eval', '--raw',
        `${req.source.flakeRef}#${flakeImageAttr(req)}.drvPath`,
        NO_WRITE_LOCK_FILE,
        ...overrideArgs(req),
        ...includeArgs(req),
        ...commonTail(req),
      ],
    };
  }
  return {
    command: 'nix-instantiate',
    args: [
      '<nixpkgs/nixos>',
      '-A', imageAttr(req),
      '-I', `nixos-config=${req.source.configurationFile}`,
      ...includeArgs(req),
      ...commonTail(req, 'legacy'),
    ],
  };
}

/**
 * Builds (or substitutes) what an evaluated derivation describes, keeping
 * `root` as a GC root of its output while the caller reads it: `nix-store
 * --realise`, with the request's builders and settings. Not the request's
 * extraArgs: they are written for the build command, whose flags differ.
 */
export function realiseCommand(drvPath: string, root: string, req: Pick<NixRequest, 'builders' | 'maxJobs' | 'extraPlatforms' | 'nixOptions'>): Command {
  return { command: 'nix-store', args: ['--realise', drvPath, '--add-root', root, ...distributionArgs(req), ...optionArgs(req)] };
}

/** A command as one shell line, for logs and the manifest. */
export function commandLine(cmd: Command): string {
  const quote = (a: string) => (/^[A-Za-z0-9_@%+=:,./#-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [cmd.command, ...cmd.args].map(quote).join(' ');
}

/**
 * The flake reference of a project directory inside a git work tree: the
 * whole repository is visible to Nix. `cwd` is where Nix runs (see flakePathRef).
 */
export function gitFlakeRef(gitRoot: string, projectRoot: string, cwd?: string): string {
  const dir = posix.relative(gitRoot, projectRoot);
  return `${flakePathRef('git+file', gitRoot, cwd)}${dir ? `?dir=${encodeFlakeQueryValue(dir)}` : ''}`;
}

/**
 * Whether flake.lock is current: `nix flake metadata --no-update-lock-file`
 * fails when the lock would change and writes nothing. No `--override-input`
 * here: Nix 2.8 skips the check under it (an override turns lock writing off,
 * and `--no-update-lock-file` only bites when writing is on).
 */
export function lockCheckCommand(req: Pick<NixRequest, 'source' | 'nixOptions'>): Command {
  if (req.source.kind !== 'flake') throw new Error('only a flake has a flake.lock');
  return {
    command: 'nix',
    args: [...FLAKE_FEATURES, 'flake', 'metadata', '--json', '--no-update-lock-file', req.source.flakeRef, ...optionArgs(req)],
  };
}

/**
 * `nix flake lock` as the image generator runs it in a new project: a path:
 * ref, since the project's files are not yet tracked by git, and one
 * download attempt, so that an offline machine fails at once instead of
 * after Nix's retries (about 5 s here).
 */
export function flakeLockCommand(flakeRef: string): Command {
  return {
    command: 'nix',
    args: [...FLAKE_FEATURES, 'flake', 'lock', flakeRef, '--option', 'download-attempts', '1', '--option', 'connect-timeout', '15'],
  };
}

/**
 * The names of a flake's `nixosConfigurations`, as JSON: listing them
 * evaluates no configuration. Runs before a build whose configuration the
 * graph did not find, so that a missing one fails naming those that exist.
 */
export function configurationNamesCommand(req: NixRequest): Command {
  if (req.source.kind !== 'flake') throw new Error('only a flake has nixosConfigurations');
  return {
    command: 'nix',
    args: [
      ...FLAKE_FEATURES,
      'eval', '--json', `${req.source.flakeRef}#nixosConfigurations`, '--apply', 'builtins.attrNames',
      NO_WRITE_LOCK_FILE,
      ...overrideArgs(req),
      ...includeArgs(req),
      ...optionArgs(req),
    ],
  };
}

/**
 * The inputs flake.nix declares, as JSON `{ "<name>": { "follows": bool } }`,
 * read without fetching or locking anything: flake.nix is an attribute set.
 * Runs in the flake's directory.
 */
export const FLAKE_INPUTS_COMMAND: Command = {
  command: 'nix-instantiate',
  args: [
    '--eval', '--strict', '--json', '--expr',
    'builtins.mapAttrs (name: input: { follows = builtins.isAttrs input && input ? follows; }) ((import ./flake.nix).inputs or { })',
  ],
};
