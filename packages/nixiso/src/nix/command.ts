/**
 * Pure construction of the Nix command lines nixiso runs: what the build and
 * eval executors start is exactly what these functions return, so unit tests
 * here pin the commands users would type by hand.
 */
import { posix } from 'node:path';
import type { BackendId, Format } from './backends';
import { systemBuildAttr } from './backends';
import { nixAttrName } from './escape';
import type { Release } from './releases';

export interface Command {
  command: string;
  args: string[];
}

export type ImageSource =
  /** `flakeRef` as Nix takes it: `git+file:///repo?dir=images/x` or `path:/abs/dir`. */
  | { kind: 'flake'; flakeRef: string; configurationName: string }
  /** Absolute path of the image's configuration.nix. */
  | { kind: 'channel'; configurationFile: string };

export interface NixRequest {
  source: ImageSource;
  format: Format;
  /** The release the image targets, when known (decides isoImage vs images.<variant>). */
  release?: Release;
  /** Absolute out-link path. */
  outLink: string;
  system?: string;
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

export interface BuildRequest extends NixRequest {
  backend: BackendId;
  /** `nixos-generate` to run; undefined → `nix run nixpkgs#nixos-generators --`. */
  nixosGenerate?: string;
}

export const FLAKE_FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

/** A local path given for an input becomes a `path:` flake ref; refs with a scheme stay as they are. */
export function inputRef(value: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(value) ? value : `path:${value}`;
}

function optionArgs(req: NixRequest): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(req.nixOptions)) args.push('--option', name, value);
  return args;
}

function includeArgs(req: NixRequest): string[] {
  return req.nixPath.flatMap((entry) => ['-I', entry]);
}

function overrideArgs(req: NixRequest): string[] {
  return Object.entries(req.overrideInputs).flatMap(([name, value]) => ['--override-input', name, inputRef(value)]);
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

function commonTail(req: NixRequest, systemFlag: 'nix' | 'legacy' = 'nix'): string[] {
  const system = !req.system ? [] : systemFlag === 'nix' ? ['--system', req.system] : ['--option', 'system', req.system];
  return [
    ...system,
    ...optionArgs(req),
    ...(req.showTrace ? ['--show-trace'] : []),
    ...req.extraArgs,
  ];
}

/** The plain-Nix build: `nix build <ref>#…` for flakes, `nix-build '<nixpkgs/nixos>' -A …` for channels. */
export function nixBuildCommand(req: NixRequest): Command {
  const attr = imageAttr(req);
  if (req.source.kind === 'flake') {
    return {
      command: 'nix',
      args: [
        ...FLAKE_FEATURES,
        'build',
        `${req.source.flakeRef}#${nixosConfigurationAttr(req.source.configurationName)}.${attr}`,
        '--out-link', req.outLink,
        '--json',
        ...(req.printBuildLogs ? ['--print-build-logs'] : []),
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
      '-A', attr,
      '-I', `nixos-config=${req.source.configurationFile}`,
      ...includeArgs(req),
      '--out-link', req.outLink,
      ...commonTail(req, 'legacy'),
    ],
  };
}

/** Evaluation only: the derivation path of the image, nothing built. */
export function nixEvalCommand(req: NixRequest): Command {
  const attr = imageAttr(req);
  if (req.source.kind === 'flake') {
    return {
      command: 'nix',
      args: [
        ...FLAKE_FEATURES,
        'eval', '--raw',
        `${req.source.flakeRef}#${nixosConfigurationAttr(req.source.configurationName)}.${attr}.drvPath`,
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
      '-A', attr,
      '-I', `nixos-config=${req.source.configurationFile}`,
      ...includeArgs(req),
      ...commonTail(req, 'legacy'),
    ],
  };
}

/**
 * nixos-generators: `nixos-generate --format <f> (--configuration <file> | --flake <ref>#<name>) -o <link>`,
 * or through `nix run nixpkgs#nixos-generators --` when it is not on PATH.
 */
export function nixosGenerateCommand(req: BuildRequest): Command {
  if (!req.format.generatorsFormat) {
    throw new Error(`format "${req.format.id}" is not a nixos-generators format`);
  }
  const args = [
    '--format', req.format.generatorsFormat,
    ...(req.source.kind === 'flake'
      ? ['--flake', `${req.source.flakeRef}#${req.source.configurationName}`]
      : ['--configuration', req.source.configurationFile]),
    '-o', req.outLink,
    ...includeArgs(req),
    ...overrideArgs(req),
    ...commonTail(req),
  ];
  if (req.nixosGenerate) return { command: req.nixosGenerate, args };
  return { command: 'nix', args: [...FLAKE_FEATURES, 'run', 'nixpkgs#nixos-generators', '--', ...args] };
}

/** `nixos-rebuild build-image --image-variant <variant>` (NixOS ≥ 25.05). */
export function buildImageCommand(req: BuildRequest): Command {
  if (req.release && !req.release.hasImageVariants) {
    throw new Error(
      `backend "build-image" needs NixOS ≥ 25.05 (nixos-rebuild build-image) but the image targets NixOS ${req.release.id}; ` +
        'use backend "nix" or "nixos-generators"',
    );
  }
  if (!req.format.variant) throw new Error(`format "${req.format.id}" has no image variant for nixos-rebuild build-image`);
  const args = ['build-image', '--image-variant', req.format.variant];
  if (req.source.kind === 'flake') {
    args.push('--flake', `${req.source.flakeRef}#${req.source.configurationName}`, ...overrideArgs(req));
  } else {
    args.push('-I', `nixos-config=${req.source.configurationFile}`);
  }
  args.push(...includeArgs(req), ...commonTail(req));
  return { command: 'nixos-rebuild', args };
}

export function buildCommand(req: BuildRequest): Command {
  switch (req.backend) {
    case 'nix':
      return nixBuildCommand(req);
    case 'nixos-generators':
      return nixosGenerateCommand(req);
    case 'build-image':
      return buildImageCommand(req);
  }
}

/** A command as one shell line, for logs and the manifest. */
export function commandLine(cmd: Command): string {
  const quote = (a: string) => (/^[A-Za-z0-9_@%+=:,./#-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [cmd.command, ...cmd.args].map(quote).join(' ');
}

/** The flake reference of a project directory inside a git work tree: the whole repository is visible to Nix. */
export function gitFlakeRef(gitRoot: string, projectRoot: string): string {
  const dir = posix.relative(gitRoot, projectRoot);
  return `git+file://${gitRoot}${dir ? `?dir=${encodeURIComponent(dir).replace(/%2F/g, '/')}` : ''}`;
}
