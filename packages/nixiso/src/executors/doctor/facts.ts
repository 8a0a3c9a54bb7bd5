/**
 * What the doctor checks are decided on, read from this machine: Nix and its
 * configuration, free space, /dev/kvm, binfmt_misc, the image's hostPlatform
 * and whether its substituters answer. The only I/O of `doctor`; the
 * decisions are checks.ts's.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findBackend } from '../../backends';
import type { BackendTool, DiskSpace, DoctorFacts, ImageFacts, SubstituterReach } from './checks';
import { effectiveSettings, effectiveSubstituters, parseNixConfig } from './checks';
import { hostPlatformOf, nodeSystem } from '../../nix/building/platforms';
import { capture, findExecutable, startInteractive } from '../../nix/process/run';
import { kvmProbeCommand, qemuBinaryFor } from '../../nix/boot/qemu';
import { archOfSystem, type KernelArch } from '../../nix/boot/boot-config';
import { readTracerOf } from '../../nix/inputs/read-trace';

export interface FactsRequest {
  /** The image directory (configuration.nix / flake.nix). */
  imageRoot: string;
  /** Shown in messages: `images/rescue`. */
  projectRoot: string;
  kind: ImageFacts['kind'];
  backend: string;
  format: string;
  /** The build's "system" option, which wins over the Nix files. */
  system?: string;
  builders: readonly string[];
  extraPlatforms: readonly string[];
  /** The build's "nixOptions" (passed as --option). */
  nixOptions: Readonly<Record<string, string>>;
  /** PATH, TMPDIR, NIX_STORE_DIR and NIX_CONFIG are read from here. */
  env: NodeJS.ProcessEnv;
  /** Ask each http(s) substituter for nix-cache-info (HEAD), waiting this long. 0: do not. */
  substituterTimeoutMs: number;
  kvmDevice?: string;
  binfmtDir?: string;
}

/** The directory itself when it exists, else its nearest existing parent (where it would be created). */
function existingAncestor(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

export function freeSpace(path: string): DiskSpace {
  const dir = existingAncestor(path);
  try {
    const stats = statfsSync(dir);
    return { path: dir, freeBytes: Number(stats.bavail) * Number(stats.bsize) };
  } catch (e) {
    return { path: dir, error: (e as Error).message };
  }
}

export function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Enabled binfmt_misc interpreters (`qemu-aarch64`); none when binfmt_misc is not mounted. */
export function enabledBinfmt(dir = '/proc/sys/fs/binfmt_misc'): string[] {
  try {
    return readdirSync(dir).filter(
      (name) => name !== 'register' && name !== 'status' && /^enabled/.test(readIfExists(join(dir, name))),
    );
  } catch {
    return [];
  }
}

export function kvmOf(path: string): DoctorFacts['kvm'] {
  const exists = existsSync(path);
  let usable = false;
  if (exists) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
      usable = true;
    } catch {
      usable = false;
    }
  }
  return { path, exists, usable };
}

const KVM_PROBE_MS = 2000;

/** Whether QEMU can run a KVM virtual CPU here (kvmProbeCommand): exited within 2 s is a no, with its last error line. */
export async function probeKvm(binary: string, arch: KernelArch, cwd: string): Promise<{ ok: boolean; detail: string }> {
  let stderr = '';
  const probe = startInteractive(kvmProbeCommand(binary, arch), { cwd, onStdout: () => undefined, onStderr: (chunk) => (stderr += chunk) });
  const exited = await Promise.race([probe.exited.then((r) => r), new Promise<undefined>((done) => setTimeout(() => done(undefined), KVM_PROBE_MS).unref())]);
  if (exited) {
    const lines = stderr.trim().split('\n').filter((l) => /error|fail|assert/i.test(l));
    return { ok: false, detail: lines[0]?.replace(/^\S*qemu-system-\S+: /, '') ?? `QEMU exited with ${exited.exitCode}` };
  }
  probe.stop(500);
  await probe.exited;
  return { ok: true, detail: 'a KVM virtual CPU started' };
}

/** `@/etc/nix/machines` entries replaced by that file's lines (a missing file: no builders). */
export function expandBuilders(entries: readonly string[]): string[] {
  return entries.flatMap((entry) =>
    entry
      .split(/[;\n]/)
      .map((e) => e.trim())
      .filter(Boolean)
      .flatMap((e) => (e.startsWith('@') ? readIfExists(e.slice(1)).split('\n') : [e])),
  );
}

export async function nixSettings(nix: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Record<string, string> | undefined> {
  // nix-command is experimental up to now; Nix 2.3 knows no --extra-experimental-features and needs no flag.
  for (const args of [['--extra-experimental-features', 'nix-command', 'show-config'], ['show-config']]) {
    const r = await capture({ command: nix, args }, cwd, env);
    if (r.exitCode === 0) return parseNixConfig(r.stdout);
  }
  return undefined;
}

/** Whether a binary cache answers: HEAD <url>/nix-cache-info (http, https) or the file (file://). */
export async function reachSubstituter(url: string, timeoutMs: number): Promise<SubstituterReach> {
  if (url.startsWith('file://')) {
    const path = decodeURIComponent(url.slice('file://'.length).replace(/\?.*$/, ''));
    return existsSync(join(path, 'nix-cache-info'))
      ? { url, reachable: true, detail: 'a local binary cache' }
      : { url, reachable: false, detail: `${join(path, 'nix-cache-info')} does not exist` };
  }
  if (!/^https?:\/\//.test(url)) return { url, detail: 'not checked (only http, https and file:// are)' };
  if (timeoutMs <= 0) return { url, detail: 'not checked' };
  const started = Date.now();
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/nix-cache-info`, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    const ms = Date.now() - started;
    return res.ok
      ? { url, reachable: true, detail: `answers (${ms} ms)` }
      : { url, reachable: false, detail: `answers HTTP ${res.status} for nix-cache-info: not a binary cache there` };
  } catch (e) {
    const error = e as Error & { cause?: { code?: string; message?: string } };
    const reason =
      error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error.cause?.code ?? error.cause?.message ?? error.message);
    return { url, reachable: false, detail: `unreachable (${reason})` };
  }
}

/** Where each tool the backend runs for this kind of image is on PATH; undefined for a backend nixiso does not know. */
export function backendTools(backend: string, kind: ImageFacts['kind'], path: string): BackendTool[] | undefined {
  return findBackend(backend)
    ?.requirements({ kind })
    .map((requirement) => {
      const found = requirement.anyOf.map((name) => findExecutable(name, path)).find((at) => at !== undefined);
      return { requirement, ...(found ? { found } : {}) };
    });
}

/** The QEMU boot-test would use for `system`, and whether KVM really runs here when it could. */
async function qemuFacts(
  system: string | undefined,
  machine: string | undefined,
  kvm: DoctorFacts['kvm'],
  req: FactsRequest,
): Promise<DoctorFacts['qemu']> {
  const arch = system ? archOfSystem(system) : undefined;
  if (!arch) return undefined;
  const binary = qemuBinaryFor(arch);
  const path = findExecutable(binary, req.env.PATH ?? '');
  if (!path) return { binary, arch };
  const native = machine !== undefined && archOfSystem(machine) === arch;
  return { binary, arch, path, ...(native && kvm.usable ? { kvmProbe: await probeKvm(path, arch, req.imageRoot) } : {}) };
}

/** The image's system: the build's "system" option, else nixpkgs.hostPlatform in configuration.nix, else flake.nix. */
function imageSystem(req: FactsRequest): { system?: string; source: string } {
  if (req.system) return { system: req.system, source: 'option "system"' };
  for (const file of ['configuration.nix', 'flake.nix']) {
    const system = hostPlatformOf(readIfExists(join(req.imageRoot, file)));
    if (system) return { system, source: `${file === 'configuration.nix' ? 'nixpkgs.hostPlatform in ' : ''}${req.projectRoot}/${file}` };
  }
  return { source: 'not found' };
}

export async function gatherFacts(req: FactsRequest): Promise<DoctorFacts> {
  const { env } = req;
  const nixPath = findExecutable('nix', env.PATH ?? '');
  let nix: DoctorFacts['nix'];
  let settings: Record<string, string> | undefined;
  if (nixPath) {
    const version = await capture({ command: nixPath, args: ['--version'] }, req.imageRoot, env);
    nix = { path: nixPath, ...(version.exitCode === 0 ? { version: version.stdout.trim() } : {}) };
    settings = await nixSettings(nixPath, req.imageRoot, env);
  }
  const optionOverrides = req.nixOptions;
  const configured = effectiveSettings({ settings, optionOverrides });
  const { system, source } = imageSystem(req);
  const image: ImageFacts = {
    kind: req.kind,
    backend: req.backend,
    format: req.format,
    ...(system ? { system } : {}),
    systemSource: source,
    builders: expandBuilders(req.builders.length ? req.builders : configured.builders ? [configured.builders] : []),
    extraPlatforms: req.extraPlatforms,
  };
  const substituterUrls = effectiveSubstituters({ settings, optionOverrides });
  const kvm = kvmOf(req.kvmDevice ?? '/dev/kvm');
  const qemu = await qemuFacts(system ?? configured.system ?? nodeSystem(), configured.system ?? nodeSystem(), kvm, req);
  return {
    ...(nix ? { nix } : {}),
    backendTools: backendTools(req.backend, req.kind, env.PATH ?? ''),
    ...(settings ? { settings } : {}),
    optionOverrides,
    nodeSystem: nodeSystem(),
    store: freeSpace(env.NIX_STORE_DIR || '/nix/store'),
    tmp: freeSpace(env.TMPDIR || '/tmp'),
    kvm,
    ...(qemu ? { qemu } : {}),
    binfmt: enabledBinfmt(req.binfmtDir),
    image,
    substituters: await Promise.all(substituterUrls.map((url) => reachSubstituter(url, req.substituterTimeoutMs))),
    readTracer: readTracerOf(process.platform, env, findExecutable('strace', env.PATH ?? '')),
  };
}
