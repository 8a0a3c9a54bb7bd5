/**
 * The image generator's options, normalised once: defaults filled in from the
 * tables, every value validated, and every problem reported as a message that
 * names the option and the value. Pure: the generator checks the tree (existing
 * directory, name taken) itself.
 */
import { isAbsolute, posix, relative } from 'node:path';
import type { ImageGeneratorSchema } from '../generators/image/schema';
import { BACKENDS, type BackendId } from './backends';
import { isNixAttrPath, isNixIdentifier } from './escape';
import { layoutFor, type Layout } from './layouts';
import {
  DEFAULT_HOST_PLATFORM,
  DEFAULT_PROFILE,
  DEFAULT_RELEASE,
  findRelease,
  HOST_PLATFORMS,
  PROFILE_MODULES,
  RELEASES,
  type HostPlatform,
  type ProfileId,
  type Release,
} from './releases';

/** The article's values: what an image gets when an option is left out. */
export const IMAGE_DEFAULTS = {
  configurationName: 'liveImage',
  packages: ['git', 'neovim'],
  homePackages: ['jq', 'fzf', 'curl'],
  /** The user the installer profiles define. */
  username: 'nixos',
  backend: 'nix' as BackendId,
} as const;

export interface NormalizedImageOptions {
  projectName: string;
  /** Workspace-relative, posix, no trailing slash. */
  projectRoot: string;
  layout: Layout;
  release: Release;
  stateVersion: string;
  hostPlatform: HostPlatform;
  configurationName: string;
  profile: ProfileId;
  packages: string[];
  homePackages: string[];
  username: string;
  hostName?: string;
  timeZone?: string;
  sshAuthorizedKeys: string[];
  isoBaseName?: string;
  backend: BackendId;
  tags: string[];
  skipFormat: boolean;
  /** Do not run `nix flake lock` after generating a flake layout. */
  skipLock: boolean;
}

export interface NormalizeContext {
  /** Absolute workspace root (`tree.root`). */
  workspaceRoot: string;
  /**
   * The user's working directory relative to the workspace root ('' at the
   * root). As in @nx/js generators, a relative `directory` is taken from there
   * unless it already starts with it.
   */
  cwd?: string;
}

/** Nx's rule for project names, without whitespace (which breaks `nx run`). */
const PROJECT_NAME = /^(?:@[a-zA-Z0-9-*~][a-zA-Z0-9-*._~]*\/[a-zA-Z0-9-~][a-zA-Z0-9-._~]*|[a-zA-Z][^:\s]*)$/;
/** shadow-utils' default NAME_REGEX, at most 32 characters. */
const LINUX_USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const STATE_VERSION = /^\d\d\.\d\d$/;
const FILE_NAME = /^[A-Za-z0-9._+-]+$/;

/** One problem with one option; the generator throws them all at once. */
function problem(option: string, value: unknown, why: string): string {
  return `--${option}=${JSON.stringify(value)}: ${why}`;
}

function list(value: string[] | string | undefined, separator: string | RegExp): string[] | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : value.split(separator);
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** `--release 24.05` reaches the generator as the number 24.05: print it back as YY.MM. */
function version(value: string | number | undefined): string | undefined {
  return typeof value === 'number' ? value.toFixed(2) : value;
}

/** '' means "not set" for free-text options, so `--hostName=` is the same as leaving it out. */
function text(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function normalizeRoot(directory: string, context: NormalizeContext, problems: string[]): string {
  const cwd = context.cwd ?? '';
  const fromRoot = isAbsolute(directory)
    ? relative(context.workspaceRoot, directory).split('\\').join('/')
    : directory === cwd || directory.startsWith(`${cwd}/`) || cwd === ''
      ? directory
      : `${cwd}/${directory}`;
  const root = posix.normalize(fromRoot.split('\\').join('/')).replace(/\/+$/, '');
  if (root === '' || root === '.' || root === '..' || root.startsWith('../') || isAbsolute(root)) {
    problems.push(problem('directory', directory, `must be a directory inside the workspace (${context.workspaceRoot})`));
  }
  return root;
}

/** Throws an Error listing every invalid option; returns the options the templates use. */
export function normalizeImageOptions(schema: ImageGeneratorSchema, context: NormalizeContext): NormalizedImageOptions {
  const problems: string[] = [];
  const check = (ok: boolean, option: string, value: unknown, why: string) => {
    if (!ok) problems.push(problem(option, value, why));
  };
  const noNul = (option: string, value: string | undefined) =>
    check(!value?.includes('\0'), option, value, 'a Nix string cannot contain a NUL character');

  if (typeof schema.directory !== 'string' || schema.directory.trim() === '') {
    throw new Error(problem('directory', schema.directory, 'is required: the directory of the new image project'));
  }
  const projectRoot = normalizeRoot(schema.directory, context, problems);
  const projectName = schema.name ?? posix.basename(projectRoot);
  check(
    PROJECT_NAME.test(projectName),
    schema.name === undefined ? 'name (derived from --directory)' : 'name',
    projectName,
    'is not a valid Nx project name (a letter first, then no whitespace or ":"; or @scope/name)',
  );

  const releaseId = version(schema.release) ?? DEFAULT_RELEASE.id;
  const release = findRelease(releaseId);
  check(!!release, 'release', releaseId, `unknown release; known: ${RELEASES.map((r) => r.id).join(', ')}`);
  const releaseOrDefault = release ?? DEFAULT_RELEASE;

  const stateVersion = version(schema.stateVersion) ?? releaseOrDefault.stateVersion;
  check(STATE_VERSION.test(stateVersion), 'stateVersion', stateVersion, 'must be a NixOS release number such as "24.05"');

  const hostPlatform = (schema.hostPlatform ?? DEFAULT_HOST_PLATFORM) as HostPlatform;
  check(HOST_PLATFORMS.includes(hostPlatform), 'hostPlatform', hostPlatform, `must be one of ${HOST_PLATFORMS.join(', ')}`);

  const configurationName = schema.configurationName ?? IMAGE_DEFAULTS.configurationName;
  check(isNixIdentifier(configurationName), 'configurationName', configurationName, 'must be a Nix identifier (letters, digits, _, -, \')');

  const profile = (schema.profile ?? DEFAULT_PROFILE) as ProfileId;
  if (!Object.hasOwn(PROFILE_MODULES, profile)) {
    problems.push(problem('profile', profile, `unknown profile; known: ${Object.keys(PROFILE_MODULES).join(', ')}`));
  } else if (release) {
    check(release.profiles.includes(profile), 'profile', profile, `NixOS ${release.id} has no such installer; it has ${release.profiles.join(', ')}`);
  }

  const attrPaths = (option: 'packages' | 'homePackages') => {
    const paths = list(schema[option], ',') ?? [...IMAGE_DEFAULTS[option]];
    for (const path of paths) {
      check(isNixAttrPath(path), option, path, 'is not an attribute path in pkgs (letters, digits, _, -, \' and dots, e.g. python3Packages.requests)');
    }
    return paths;
  };
  const packages = attrPaths('packages');
  const homePackages = attrPaths('homePackages');

  const username = schema.username ?? IMAGE_DEFAULTS.username;
  check(LINUX_USER_NAME.test(username), 'username', username, 'is not a valid Linux user name ([a-z_][a-z0-9_-]*, at most 32 characters)');
  check(username !== 'root', 'username', username, 'must be an ordinary user (root has no home-manager home in /home)');

  const hostName = text(schema.hostName);
  const timeZone = text(schema.timeZone);
  noNul('hostName', hostName);
  noNul('timeZone', timeZone);
  // Keys given as a list are taken verbatim; a string is read like an authorized_keys file.
  const keys = schema.sshAuthorizedKeys;
  const sshAuthorizedKeys = Array.isArray(keys) ? keys.filter((key) => key !== '') : (list(keys, /\r?\n/) ?? []);
  sshAuthorizedKeys.forEach((key) => noNul('sshAuthorizedKeys', key));

  const isoBaseName = text(schema.isoBaseName);
  check(isoBaseName === undefined || FILE_NAME.test(isoBaseName), 'isoBaseName', isoBaseName, 'must be a file name (letters, digits, ".", "_", "+", "-")');

  const backend = schema.backend ?? IMAGE_DEFAULTS.backend;
  check(BACKENDS.includes(backend), 'backend', backend, `must be one of ${BACKENDS.join(', ')}`);
  if (backend === 'build-image' && release && !release.hasImageVariants) {
    problems.push(problem('backend', backend, `needs NixOS >= 25.05 (nixos-rebuild build-image) but --release is ${release.id}`));
  }

  if (problems.length > 0) {
    throw new Error(`Invalid options for @nixiso/nx:image (nothing was written):\n  ${problems.join('\n  ')}`);
  }
  return {
    projectName,
    projectRoot,
    layout: layoutFor(!!schema.flake, !!schema.homeManager),
    release: releaseOrDefault,
    stateVersion,
    hostPlatform,
    configurationName,
    profile,
    packages,
    homePackages,
    username,
    hostName,
    timeZone,
    sshAuthorizedKeys,
    isoBaseName,
    backend,
    tags: list(schema.tags, ',') ?? [],
    skipFormat: !!schema.skipFormat,
    skipLock: !!schema.skipLock,
  };
}
