/**
 * Test-side helpers for the offline Nix stand-ins in tools/nix-fixtures:
 * the flake registry that makes `nixpkgs#…` resolve to them, per-release
 * copies of the nixpkgs stand-in, and reading files back out of built ISOs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** tools/nix-fixtures, wherever this file is run from. */
export const fixturesDir = resolve(__dirname, '..');
export const defaultRegistryPath = join(fixturesDir, 'registry.json');

/** The release the committed nixpkgs stand-in models (its .version file). */
export function fixtureRelease(nixpkgsDir = join(fixturesDir, 'nixpkgs')): string {
  return readFileSync(join(nixpkgsDir, '.version'), 'utf8').trim();
}

/** A version-2 flake registry mapping `nixpkgs`, `home-manager`, `nixos-generators`, `flake-parts` and `flake-utils-plus` to the stand-ins. */
export function fixtureRegistry(root = fixturesDir): object {
  const entry = (id: string, dir: string) => ({
    from: { type: 'indirect', id },
    to: { type: 'path', path: join(root, dir) },
  });
  return {
    version: 2,
    flakes: [
      entry('nixpkgs', 'nixpkgs'),
      entry('home-manager', 'home-manager'),
      entry('nixos-generators', 'nixos-generators'),
      entry('flake-parts', 'flake-parts'),
      entry('flake-utils-plus', 'flake-utils-plus'),
    ],
  };
}

/**
 * Writes the registry (absolute paths, so it is generated per clone and git-ignored)
 * unless it is already up to date; safe to call from parallel jest workers.
 * Returns its path, for `flake-registry = <path>` in NIX_CONFIG.
 */
export function ensureFixtureRegistry(target = defaultRegistryPath, root = fixturesDir): string {
  const content = `${JSON.stringify(fixtureRegistry(root), null, 2)}\n`;
  if (existsSync(target) && readFileSync(target, 'utf8') === content) return target;
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, target);
  return target;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The nixpkgs stand-in as another release models it (ISO naming, image
 * variants and defaults follow `.version`): a copy under the OS temp dir
 * whose `.version` says `release`, reused while the sources are unchanged.
 * Use it like the committed one: `-I nixpkgs=<dir>` or
 * `--override-input nixpkgs path:<dir>`.
 */
export function nixpkgsForRelease(release: string): string {
  return standInForRelease('nixpkgs', release, fixtureRelease, (dir) => writeFileSync(join(dir, '.version'), release));
}

/** The release the committed home-manager stand-in models (its release.json, as in home-manager). */
export function fixtureHomeManagerRelease(homeManagerDir = join(fixturesDir, 'home-manager')): string {
  return JSON.parse(readFileSync(join(homeManagerDir, 'release.json'), 'utf8')).release;
}

/**
 * The home-manager stand-in as branch release-`release` models it (the
 * `home.stateVersion` values it accepts follow release.json), like
 * nixpkgsForRelease: `-I home-manager=<dir>` or
 * `--override-input home-manager path:<dir>`. For master pass the release in
 * development with `isReleaseBranch: false`.
 */
export function homeManagerForRelease(release: string, isReleaseBranch = true): string {
  const json = JSON.stringify({ release, isReleaseBranch }, null, 2) + '\n';
  return standInForRelease(`home-manager${isReleaseBranch ? '' : '-master'}`, release,
    (dir) => (isReleaseBranch ? fixtureHomeManagerRelease(dir) : ''),
    (dir) => writeFileSync(join(dir, 'release.json'), json), 'home-manager');
}

function standInForRelease(
  name: string,
  release: string,
  releaseOf: (dir: string) => string,
  writeRelease: (dir: string) => void,
  sourceName = name,
): string {
  if (!/^\d\d\.\d\d$/.test(release)) throw new Error(`not a NixOS release: ${release} (expected YY.MM)`);
  const source = join(fixturesDir, sourceName);
  if (releaseOf(source) === release) return source;
  const hash = createHash('sha256').update(release);
  for (const file of filesUnder(source).sort()) {
    hash.update(relative(source, file)).update('\0');
    if (!statSync(file).isSymbolicLink()) hash.update(readFileSync(file)).update('\0');
  }
  const prefix = `nixiso-fixture-${name}-${release}-`;
  const target = join(tmpdir(), `${prefix}${hash.digest('hex').slice(0, 16)}`);
  const done = join(target, '.nixiso-copy-complete');
  if (existsSync(done)) return target;
  // Copies of older fixture sources are stale: drop them.
  for (const old of readdirSync(tmpdir()).filter((n) => n.startsWith(prefix) && !n.includes('.staging-'))) {
    rmSync(join(tmpdir(), old), { recursive: true, force: true });
  }
  const staging = mkdtempSync(`${target}.staging-`);
  cpSync(source, staging, { recursive: true });
  writeRelease(staging);
  writeFileSync(join(staging, '.nixiso-copy-complete'), '');
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another worker won the race; its copy is identical.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(done)) throw error;
  }
  return target;
}

/** Extracts one file from an ISO 9660 image (with the host's xorriso) and returns its content. */
export function readIsoFile(isoFile: string, inner: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nixiso-iso-'));
  try {
    const out = join(dir, 'file');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', isoFile, '-extract', inner, out], { stdio: 'pipe' });
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Paths of all files in an ISO, like `/nixiso.json` and `/home-manager/nixos/activate`. */
export function listIso(isoFile: string): string[] {
  const out = execFileSync('xorriso', ['-indev', isoFile, '-find', '/', '-type', 'f'], { stdio: 'pipe', encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.startsWith("'/"))
    .map((line) => line.slice(1, -1))
    .sort();
}

/** The shape of /nixiso.json, the stand-in's description of what an image contains. */
export interface NixisoDescription {
  fixture: 'nixiso-nix-fixtures';
  release: string;
  label: string;
  hostPlatform: string;
  stateVersion: string;
  systemPackages: string[];
  systemPackagePaths: string[];
  users: Record<
    string,
    {
      name: string;
      isNormalUser: boolean;
      isSystemUser: boolean;
      uid: number | null;
      group: string;
      extraGroups: string[];
      home: string;
      description: string;
      shell: string | null;
      packages: string[];
      authorizedKeys: string[];
      passwordOptions: string[];
    }
  >;
  groups: Record<string, { gid: number | null; members: string[] }>;
  /** Targets of environment.etc entries. */
  etc: string[];
  hostName: string;
  timeZone: string | null;
  xkb: { layout: string; variant: string; options: string; model: string };
  defaultLocale: string;
  kernelParams: string[];
  openssh: { enable: boolean; ports: number[]; settings: Record<string, unknown>; startsAtBoot: boolean };
  networkmanager: boolean;
  console: { enable: boolean; keyMap: string; font: string | null; colors: string[]; useXkbConfig: boolean; earlySetup: boolean };
  i18n: { defaultLocale: string; extraLocaleSettings: Record<string, string>; supportedLocales: string[] };
  networking: {
    useDHCP: boolean;
    nameservers: string[];
    networkmanager: boolean;
    wireless: boolean;
    firewall: { enable: boolean; allowedTCPPorts: number[]; allowedUDPPorts: number[]; allowPing: boolean };
  };
  boot: {
    kernel: string;
    kernelModules: string[];
    initrdAvailableKernelModules: string[];
    /** boot.supportedFilesystems as NixOS has it: a list becomes { name = true; }. */
    supportedFilesystems: Record<string, boolean>;
    loaderTimeout: number | null;
  };
  getty: { autologinUser: string | null; helpLine: string };
  sudo: { enable: boolean; wheelNeedsPassword: boolean };
  /** environment.shellAliases without the null ones (NixOS's ls/ll/l defaults included). */
  shellAliases: Record<string, string>;
  systemdUnits: Record<
    string,
    { enable: boolean; description: string; wantedBy: string[]; after: string[]; script: string; serviceConfig: Record<string, unknown> }
  >;
  enableRedistributableFirmware: boolean;
  mutableUsers: boolean;
  services: string[];
  programs: string[];
  systemdServices: string[];
  environmentVariables: Record<string, unknown>;
  /** What /etc would hold: a file's text, or the store path its source was copied to. */
  etcFiles: Record<string, string | null>;
  nixSettings: Record<string, unknown>;
  homeManager: null | {
    useGlobalPkgs: boolean;
    useUserPackages: boolean;
    backupFileExtension: string | null;
    users: Record<
      string,
      {
        username: string;
        homeDirectory: string;
        stateVersion: string;
        packages: string[];
        files: string[];
        programs: string[];
        services: string[];
        sessionVariables: Record<string, unknown>;
        activation: { name: string; text: string }[];
        activationPackage: string;
      }
    >;
  };
  formatAttr: string | null;
  fileExtension: string | null;
  /** ISO images only. */
  iso?: {
    name: string;
    volumeID: string;
    edition: string;
    squashfsCompression: string | null;
    compressImage: boolean;
    makeEfiBootable: boolean;
    makeUsbBootable: boolean;
    makeBiosBootable: boolean;
    contents: string[];
    /** 25.05+ only. */
    baseName?: string;
    fileName?: string;
    filePath?: string;
  };
  /** Disk images (raw, qcow2, vmdk) only. */
  image?: { format: string; name: string; partitionTableType: string; diskSize: string };
}

/** /nixiso.json of a built ISO. */
export function readIsoDescription(isoFile: string): NixisoDescription {
  return JSON.parse(readIsoFile(isoFile, '/nixiso.json')) as NixisoDescription;
}

/** The description inside a disk image built by the stand-in (raw, qcow2, vmdk: a marker line, then JSON). */
export function readDiskImageDescription(imageFile: string): NixisoDescription {
  const text = readFileSync(imageFile, 'utf8');
  if (!text.startsWith('NIXISO-FIXTURE-DISK-IMAGE ')) throw new Error(`${imageFile} is not a stand-in disk image`);
  return JSON.parse(text.slice(text.indexOf('\n') + 1)) as NixisoDescription;
}

export * from './boot';
