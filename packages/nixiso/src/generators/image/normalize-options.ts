/**
 * The image generator's options, normalised once: defaults filled in from the
 * tables, every value validated, and every problem reported as a message that
 * names the option and the value. Pure: the generator checks the tree (existing
 * directory, name taken) itself.
 */
import { isAbsolute, posix, relative } from 'node:path';
import type { ImageGeneratorSchema } from './schema';
import { BACKEND_IDS, type BackendId, findBackend } from '../../backends';
import { isNixAttrPath, isNixIdentifier } from '../../nix/language/escape';
import { layoutFor, type Layout } from './layouts';
import { BUILD_OPTION_DEFAULTS } from '../../executors/build-options';
import { sizeInBytes } from '../../executors/image-build/size-budget';
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
} from '../../nix/building/releases';

/** The article's values: what an image gets when an option is left out. */
export const IMAGE_DEFAULTS = {
  configurationName: BUILD_OPTION_DEFAULTS.configurationName,
  packages: ['git', 'neovim'],
  homePackages: ['jq', 'fzf', 'curl'],
  /** The user the installer profiles define. */
  username: 'nixos',
  backend: BUILD_OPTION_DEFAULTS.backend,
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
  /** As given (`1.5GiB` reads better in project.json than its bytes), checked to be a size. */
  maxImageSize?: number | string;
  maxClosureSize?: number | string;
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
const STATE_VERSION = /^\d\d\.(?:0[1-9]|1[0-2])$/;
/**
 * The type of networking.hostName in nixos/modules/tasks/network-interfaces.nix:
 * strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$" (a DNS label,
 * so no domain part; "_" is accepted for legacy reasons). '' is "not set" here.
 */
const NIXOS_HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
/**
 * A tz database name: Area/Location[/Sublocation], or a legacy single name
 * (UTC, EST5EDT, Etc/GMT+1). Stricter than time.timeZone's type in NixOS,
 * "null or string without spaces", which lets any typo through to a dangling
 * /etc/localtime at boot.
 */
const TZ_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z][A-Za-z0-9_+-]*)*$/;
/** The key types OpenSSH's sshd accepts in authorized_keys. */
export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
/** `type base64 [comment]` on one line; authorized_keys options before the type are not supported. */
const SSH_PUBLIC_KEY = /^(\S+) +([A-Za-z0-9+/]+={0,2})(?: +[^\r\n]*)?$/;
const FILE_NAME = /^[A-Za-z0-9._+-]+$/;

/** One problem with one option; the generator throws them all at once. */
function problem(option: string, value: unknown, why: string): string {
  return `--${option}=${JSON.stringify(value)}: ${why}`;
}

/** Why `key` is not one OpenSSH public key line `type base64 [comment]`, or undefined when it is. */
function sshKeyProblem(key: string): string | undefined {
  if (/[\r\n]/.test(key)) return 'an SSH key is one line; give one key per entry';
  if (key.includes('\0')) return 'a Nix string cannot contain a NUL character';
  const match = SSH_PUBLIC_KEY.exec(key);
  const rule = `must be one OpenSSH public key "<type> <base64> [comment]" (as in ~/.ssh/id_ed25519.pub), type one of ${SSH_KEY_TYPES.join(', ')}`;
  if (!match) return `${rule}; authorized_keys options before the type are not supported`;
  if (!(SSH_KEY_TYPES as readonly string[]).includes(match[1])) return `unknown key type "${match[1]}": ${rule}`;
  return undefined;
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
  if (!STATE_VERSION.test(stateVersion)) {
    problems.push(problem('stateVersion', stateVersion, 'must be a NixOS release number YY.MM such as "24.05"'));
  } else if (release && stateVersion > release.stateVersion) {
    problems.push(
      problem(
        'stateVersion',
        stateVersion,
        `is newer than the image's release, ${release.id} (--release), whose newest stateVersion is ${release.stateVersion}; ` +
          'system.stateVersion names a release the system was first installed with, so it cannot be a later one',
      ),
    );
  }

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
      check(
        isNixAttrPath(path),
        option,
        path,
        "is not a Nix attribute path in pkgs: identifiers [a-zA-Z_][a-zA-Z0-9_'-]* that are not keywords (if, with, or, …), " +
          'joined by dots, e.g. python3Packages.requests; quoted segments are not supported',
      );
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
  check(
    hostName === undefined || NIXOS_HOST_NAME.test(hostName),
    'hostName',
    hostName,
    'is not a host name NixOS accepts (networking.hostName must be a DNS label, RFC 1035 2.3.1 / RFC 1123 2.1: ' +
      'letters, digits and "-", starting and ending with a letter or digit, at most 63 characters, no dots and so no domain part)',
  );
  check(
    timeZone === undefined || TZ_NAME.test(timeZone),
    'timeZone',
    timeZone,
    'is not a tz database name such as "Europe/Berlin", "UTC" or "Etc/GMT+1" (letters, digits, "_", "-", "+", parts separated by "/", ' +
      'no spaces); NixOS\'s time.timeZone only requires a string without spaces, nixiso checks the stricter tz shape',
  );
  // Keys given as a list are taken verbatim; a string is read like an authorized_keys file, one key a line.
  const keys = schema.sshAuthorizedKeys;
  const sshAuthorizedKeys = Array.isArray(keys) ? keys.filter((key) => key !== '') : (list(keys, /\r?\n/) ?? []);
  for (const key of sshAuthorizedKeys) {
    const why = sshKeyProblem(key);
    if (why) problems.push(problem('sshAuthorizedKeys', key, why));
  }

  const isoBaseName = text(schema.isoBaseName);
  check(isoBaseName === undefined || FILE_NAME.test(isoBaseName), 'isoBaseName', isoBaseName, 'must be a file name (letters, digits, ".", "_", "+", "-")');

  const backend = schema.backend ?? IMAGE_DEFAULTS.backend;
  const known = findBackend(backend);
  check(known !== undefined, 'backend', backend, `must be one of ${BACKEND_IDS.join(', ')}`);
  if (known?.releases && release && !known.releases.supports(release)) {
    problems.push(problem('backend', backend, `needs ${known.releases.needs} but --release is ${release.id}`));
  }

  const budget = (option: 'maxImageSize' | 'maxClosureSize'): number | string | undefined => {
    const value = schema[option];
    if (value === undefined || value === '') return undefined;
    const bytes = sizeInBytes(value);
    if (typeof bytes !== 'number') problems.push(problem(option, value, bytes.why));
    return value;
  };
  const maxImageSize = budget('maxImageSize');
  const maxClosureSize = budget('maxClosureSize');

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
    ...(maxImageSize !== undefined ? { maxImageSize } : {}),
    ...(maxClosureSize !== undefined ? { maxClosureSize } : {}),
    tags: list(schema.tags, ',') ?? [],
    skipFormat: !!schema.skipFormat,
    skipLock: !!schema.skipLock,
  };
}
