/**
 * `nx run <image>:doctor`: can this machine build this image? Pure: facts
 * in (gathered by executors/doctor/facts.ts), one result per check out, each
 * ok / warn / fail with what to do about it.
 */
import { BACKEND_IDS, type Requirement } from '../../backends';
import { builderSystems, crossBuildWarning } from '../../nix/building/platforms';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  id: 'configurations' | 'nix' | 'backend' | 'flakes' | 'store-space' | 'tmp-space' | 'kvm' | 'qemu' | 'platform' | 'substituters' | 'cache-inputs' | 'read-tracing';
  title: string;
  status: CheckStatus;
  /** What was found. */
  message: string;
  /** What to do, when the status is not ok. */
  fix?: string;
}

export interface DiskSpace {
  /** The directory asked about (the nearest existing one when it does not exist yet). */
  path: string;
  freeBytes?: number;
  error?: string;
}

export interface SubstituterReach {
  url: string;
  /** undefined: not checked (ssh://, s3://, daemon, or checks were turned off). */
  reachable?: boolean;
  detail: string;
}

export interface ImageFacts {
  kind: 'flake' | 'channel';
  backend: string;
  format: string;
  /** The Nix system the image is for, when it could be read. */
  system?: string;
  /** Where `system` came from, for messages. */
  systemSource: string;
  /** Remote builders the build uses: its "builders" option, else nix.conf's; `@file` entries expanded. */
  builders: readonly string[];
  /** The build's extraPlatforms option (replaces nix.conf's). */
  extraPlatforms: readonly string[];
}

/** A tool the image's backend runs (backends/: its requirements), and where it was found on PATH. */
export interface BackendTool {
  requirement: Requirement;
  found?: string;
}

export interface DoctorFacts {
  /** `nix` on PATH and what `nix --version` said; undefined when there is none. */
  nix?: { path: string; version?: string };
  /** The tools the image's backend runs; undefined when nixiso knows no backend of that name. */
  backendTools?: readonly BackendTool[];
  /** `nix show-config`, when it ran. */
  settings?: Readonly<Record<string, string>>;
  /** Settings the build passes with --option: they win over nix.conf. */
  optionOverrides: Readonly<Record<string, string>>;
  /** The machine's Nix system when Nix did not say (from Node's process.arch). */
  nodeSystem?: string;
  store: DiskSpace;
  tmp: DiskSpace;
  kvm: { path: string; exists: boolean; usable: boolean };
  /**
   * The QEMU boot-test would run for the image's system (the machine's when
   * the image's is unknown): where it is on PATH, and when /dev/kvm is usable
   * whether KVM really started a virtual CPU (kvmProbeCommand).
   */
  qemu?: { binary: string; arch: string; path?: string; kvmProbe?: { ok: boolean; detail: string } };
  /** Enabled /proc/sys/fs/binfmt_misc entries (`qemu-aarch64`). */
  binfmt: readonly string[];
  image: ImageFacts;
  substituters: readonly SubstituterReach[];
  /** Image targets whose inferred inputs, outputs or dependsOn an nx.json targetDefaults entry replaces (target-defaults.ts). */
  overriddenTargets?: readonly { target: string; warning: string }[];
  /**
   * How a build that evaluates records what Nix read (the recorded read set
   * that completes the inputs); `detail` says why not when it cannot.
   */
  readTracer?: { available: boolean; detail: string };
  /** What the project graph found: the image configurations, and what it could not classify (its last line says how to settle it); no check without it. */
  discovery?: { configurations: readonly string[]; undecided: readonly string[] };
}

const GiB = 1024 ** 3;

/** Free space an image build needs, by kind of image; GiB below which a check warns or fails. */
export const SIZE_CLASSES = {
  iso: {
    formats: ['iso', 'iso-installer'],
    store: { fail: 4, warn: 10 },
    tmp: { fail: 1, warn: 4 },
    why: 'an ISO build keeps the system closure, its squashfs and the ISO in the store',
  },
  disk: {
    formats: ['raw', 'raw-efi', 'qcow2', 'qcow2-efi', 'vmware', 'virtualbox', 'hyperv', 'amazon', 'sd-card'],
    store: { fail: 8, warn: 20 },
    tmp: { fail: 4, warn: 10 },
    why: 'a disk image is assembled on a scratch disk in the build directory, then copied to the store',
  },
} as const;

export type SizeClass = keyof typeof SIZE_CLASSES;

export function sizeClassOf(format: string): SizeClass {
  return (SIZE_CLASSES.disk.formats as readonly string[]).includes(format) ? 'disk' : 'iso';
}

/** `nix show-config` text (`name = value` lines) as a record. */
export function parseNixConfig(text: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+) = ?(.*)$/.exec(line);
    if (m) settings[m[1]] = m[2].trim();
  }
  return settings;
}

/** Settings as the build sees them: nix.conf, then the build's --option overrides. */
export function effectiveSettings(facts: Pick<DoctorFacts, 'settings' | 'optionOverrides'>): Record<string, string> {
  const merged: Record<string, string> = { ...facts.settings };
  for (const [name, value] of Object.entries(facts.optionOverrides)) {
    const base = name.replace(/^extra-/, '');
    merged[base] = name.startsWith('extra-') ? `${merged[base] ?? ''} ${value}`.trim() : value;
  }
  return merged;
}

/** The substituters a build would use, in order. */
export function effectiveSubstituters(facts: Pick<DoctorFacts, 'settings' | 'optionOverrides'>): string[] {
  return [...new Set((effectiveSettings(facts).substituters ?? '').split(/\s+/).filter(Boolean))];
}

export function parseNixVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const atLeast = (v: readonly number[], min: readonly number[]) => {
  for (let i = 0; i < min.length; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
};

const INSTALL_NIX =
  'install Nix (https://nixos.org/download), or on Debian/Ubuntu `apt-get install nix-bin`, and make sure it is on PATH';

function nixCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'nix', title: 'Nix' } as const;
  if (!facts.nix) return { ...base, status: 'fail', message: 'nix is not on PATH', fix: INSTALL_NIX };
  const version = facts.nix.version ? parseNixVersion(facts.nix.version) : undefined;
  if (!version) {
    return { ...base, status: 'warn', message: `${facts.nix.path} did not tell its version (nix --version)`, fix: 'check that this is a working Nix: run `nix --version`' };
  }
  const found = `Nix ${version.join('.')} (${facts.nix.path})`;
  if (!atLeast(version, [2, 3])) {
    return { ...base, status: 'fail', message: `${found} is older than nixpkgs allows (2.3, lib/minver.nix)`, fix: 'upgrade Nix (https://nixos.org/download)' };
  }
  if (facts.image.kind === 'flake' && !atLeast(version, [2, 4])) {
    return { ...base, status: 'fail', message: `${found} has no flakes (Nix ≥ 2.4), and this image is a flake`, fix: 'upgrade Nix to 2.4 or later' };
  }
  return { ...base, status: 'ok', message: found };
}

/** The tools the backend declares it runs, each on PATH. */
function backendCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'backend', title: 'backend tools' } as const;
  const { backend } = facts.image;
  const tools = facts.backendTools;
  if (!tools) {
    return { ...base, status: 'fail', message: `nixiso has no backend "${backend}"`, fix: `set the build's backend option to one of ${BACKEND_IDS.join(', ')}` };
  }
  const missing = tools.filter((t) => !t.found).map((t) => t.requirement);
  if (missing.length) {
    return { ...base, status: 'fail', message: `${backend}: ${missing.map((r) => r.missing).join('; ')}`, fix: [...new Set(missing.map((r) => r.fix))].join('; ') };
  }
  return { ...base, status: 'ok', message: `${backend}: ${tools.map((t) => t.found).join(', ') || 'runs no tool of its own'}` };
}

function flakesCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'flakes', title: 'flakes' } as const;
  if (facts.image.kind === 'channel') return { ...base, status: 'ok', message: 'not needed: a channel image' };
  if (!facts.settings) {
    return { ...base, status: 'warn', message: 'could not read Nix’s configuration (nix show-config failed)', fix: 'run `nix --extra-experimental-features nix-command show-config` to see why' };
  }
  const features = (effectiveSettings(facts)['experimental-features'] ?? '').split(/\s+/);
  if (features.includes('flakes') && features.includes('nix-command')) return { ...base, status: 'ok', message: 'enabled (nix-command flakes)' };
  return {
    ...base,
    status: 'warn',
    message:
      'flakes are not enabled in nix.conf: nixiso passes --extra-experimental-features itself, ' +
      'but `nix build .#…` or `nix flake update` typed by hand will fail',
    fix:
      'add `experimental-features = nix-command flakes` to ~/.config/nix/nix.conf or /etc/nix/nix.conf ' +
      '(NixOS: `nix.settings.experimental-features = [ "nix-command" "flakes" ];`)',
  };
}

function formatGiB(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

function spaceCheck(kind: 'store' | 'tmp', disk: DiskSpace, format: string): CheckResult {
  const cls = SIZE_CLASSES[sizeClassOf(format)];
  const limits = cls[kind];
  const base = kind === 'store' ? ({ id: 'store-space', title: 'Nix store space' } as const) : ({ id: 'tmp-space', title: 'TMPDIR space' } as const);
  if (disk.freeBytes === undefined) {
    return { ...base, status: 'warn', message: `could not read the free space of ${disk.path}${disk.error ? `: ${disk.error}` : ''}`, fix: `check with \`df -h ${disk.path}\`` };
  }
  const found = `${formatGiB(disk.freeBytes)} free in ${disk.path}`;
  const need = `${format} images want ${limits.warn} GiB (${cls.why})`;
  const fix =
    kind === 'store'
      ? 'free space: `nix-collect-garbage -d` (drops old generations and unreferenced paths), or move /nix to a larger disk'
      : 'point TMPDIR at a larger disk for the build (for a Nix daemon: its TMPDIR, e.g. a systemd override of nix-daemon.service), or free space there';
  if (disk.freeBytes < limits.fail * GiB) return { ...base, status: 'fail', message: `${found}; ${need}, and fails below ${limits.fail} GiB`, fix };
  if (disk.freeBytes < limits.warn * GiB) return { ...base, status: 'warn', message: `${found}; ${need}`, fix };
  return { ...base, status: 'ok', message: found };
}

function kvmCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'kvm', title: 'KVM' } as const;
  const { kvm } = facts;
  const why = 'needed later to boot images in a VM (smoke tests, NixOS tests); image builds themselves run without it';
  if (!kvm.exists) {
    return {
      ...base,
      status: 'warn',
      message: `${kvm.path} does not exist: ${why}`,
      fix: 'enable virtualisation (VT-x / AMD-V) in the firmware and load kvm-intel or kvm-amd; in a VM, enable nested virtualisation',
    };
  }
  if (!kvm.usable) {
    return { ...base, status: 'warn', message: `${kvm.path} exists but this user cannot open it: ${why}`, fix: 'add the user to the kvm group (`usermod -aG kvm $USER`) and log in again' };
  }
  const features = effectiveSettings(facts)['system-features'];
  if (facts.settings && features !== undefined && !features.split(/\s+/).includes('kvm')) {
    return {
      ...base,
      status: 'warn',
      message: `${kvm.path} is usable but Nix's system-features lack kvm, so builds that need a VM will not be scheduled here`,
      fix: 'restart the Nix daemon (it detects /dev/kvm when it starts), or add `system-features = kvm nixos-test big-parallel benchmark` to nix.conf',
    };
  }
  return { ...base, status: 'ok', message: `${kvm.path} is usable` };
}

/** Whether boot-test can boot the image here, and with KVM or emulation (TCG). */
function qemuCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'qemu', title: 'QEMU' } as const;
  const { qemu, kvm } = facts;
  if (!qemu) return { ...base, status: 'ok', message: `not checked: the image's system is not one boot-test boots (x86_64, aarch64)` };
  if (!qemu.path) {
    return {
      ...base,
      status: 'warn',
      message: `${qemu.binary} is not on PATH: the boot-test target cannot boot the image (builds do not need it)`,
      fix: `install QEMU: \`apt-get install qemu-system-${qemu.arch === 'aarch64' ? 'arm' : 'x86'}\`, or \`nix profile install nixpkgs#qemu\``,
    };
  }
  const machineArch = (effectiveSettings(facts).system || facts.nodeSystem || '').split('-')[0];
  const tcg = (why: string) => ({
    ...base,
    status: 'ok' as const,
    message: `${qemu.path}; boot tests emulate the CPU (TCG, several times slower than KVM: boot-test's default timeout is longer): ${why}`,
  });
  if (qemu.arch !== machineArch) return tcg(`the image is ${qemu.arch}, this machine ${machineArch || 'unknown'}`);
  if (!kvm.usable) return tcg(`${kvm.path} is not usable (see the KVM check)`);
  if (qemu.kvmProbe && !qemu.kvmProbe.ok) {
    return {
      ...base,
      status: 'warn',
      message: `${qemu.path}; ${kvm.path} opens but KVM did not start a virtual CPU (${qemu.kvmProbe.detail}), so boot tests fall back to TCG`,
      fix: 'in a VM, enable nested virtualisation on its host (or accept TCG; set boot-test\'s accel to tcg to skip the probe)',
    };
  }
  return { ...base, status: 'ok', message: `${qemu.path}; boot tests use KVM` };
}

function platformCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'platform', title: 'host platform' } as const;
  const settings = effectiveSettings(facts);
  const machine = settings.system || facts.nodeSystem;
  const { image } = facts;
  if (!image.system) {
    return { ...base, status: 'ok', message: `the image's hostPlatform is not a literal in its Nix files; it builds for ${machine ?? 'this machine'} unless set otherwise` };
  }
  if (!machine) return { ...base, status: 'warn', message: `the image is for ${image.system}, and this machine's Nix system is unknown`, fix: 'run `nix show-config` to see its `system`' };
  const extraPlatforms = image.extraPlatforms.length ? image.extraPlatforms : (settings['extra-platforms'] ?? '').split(/\s+/).filter(Boolean);
  const systems = builderSystems(image.builders.join('\n'), machine);
  const warning = crossBuildWarning(image.system, { system: machine, extraPlatforms, builderSystems: systems, binfmt: facts.binfmt }, image.systemSource);
  if (warning) {
    const [message, ...fixes] = warning.split('\n');
    return {
      ...base,
      status: 'fail',
      message: message.replace(/\s*Configure one of:$/, ''),
      fix: fixes.map((f) => f.replace(/^\s*-\s*/, '')).join('; or ') || undefined,
    };
  }
  const how =
    image.system === machine
      ? 'native'
      : extraPlatforms.includes(image.system)
        ? 'extra-platforms (emulation or a compatible CPU)'
        : 'a remote builder';
  return { ...base, status: 'ok', message: `${image.system} (${image.systemSource}) on ${machine}: ${how}` };
}

function substitutersCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'substituters', title: 'substituters' } as const;
  if (!facts.settings && !facts.substituters.length) {
    return { ...base, status: 'warn', message: 'unknown: Nix’s configuration could not be read', fix: 'fix the Nix check first' };
  }
  if (!facts.substituters.length) {
    return {
      ...base,
      status: 'warn',
      message: 'no substituters: every package is built from source (for a NixOS image, hours)',
      fix: 'use `substituters = https://cache.nixos.org/` (nix.conf), or drop the "substituters" override from the build options',
    };
  }
  const lines = facts.substituters.map((s) => `${s.url}: ${s.detail}`).join('; ');
  const unreachable = facts.substituters.filter((s) => s.reachable === false);
  if (!unreachable.length) return { ...base, status: 'ok', message: lines };
  return {
    ...base,
    status: 'warn',
    message: unreachable.length === facts.substituters.length ? `none reachable: ${lines}` : lines,
    fix:
      'check the network and proxy (Nix reads http_proxy / https_proxy), or remove the unreachable ones: ' +
      'Nix waits for each before building from source',
  };
}

function cacheInputsCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'cache-inputs', title: 'cache inputs' } as const;
  const overridden = facts.overriddenTargets ?? [];
  if (!overridden.length) return { ...base, status: 'ok', message: 'the build and eval targets have the inputs nixiso infers' };
  return {
    ...base,
    status: 'warn',
    message: overridden.map((o) => o.warning.split('. Add ')[0]).join('; '),
    fix: overridden[0].warning.slice(overridden[0].warning.indexOf('Add ')),
  };
}

/** Whether builds record what Nix read, or the inputs rest on the static model alone. */
function readTracingCheck(tracer: NonNullable<DoctorFacts['readTracer']>): CheckResult {
  const base = { id: 'read-tracing', title: 'read tracing' } as const;
  if (tracer.available) return { ...base, status: 'ok', message: `builds record the files Nix reads (${tracer.detail})` };
  return {
    ...base,
    status: 'warn',
    message:
      `${tracer.detail}: the inputs are what the Nix sources say alone; ` +
      'a file Nix reads that no rule sees (a path passed between modules, built from a string) is not an input',
    fix: 'install strace (`apt-get install strace`) on Linux, and leave NIXISO_TRACE unset',
  };
}

/** Whether the graph found the project's images; what it could not tell fails, with the project.json line that settles it. */
function configurationsCheck(facts: DoctorFacts): CheckResult {
  const base = { id: 'configurations' as const, title: 'images' };
  const { configurations = [], undecided = [] } = facts.discovery ?? {};
  if (!undecided.length) {
    return { ...base, status: 'ok', message: configurations.length ? configurations.join(', ') : 'the project builds its one image' };
  }
  return {
    ...base,
    status: 'fail',
    message: `${configurations.length ? `found ${configurations.join(', ')}; ` : ''}could not tell: ${undecided.slice(0, -1).join('; ')}`,
    fix: undecided[undecided.length - 1],
  };
}

export function doctorChecks(facts: DoctorFacts): CheckResult[] {
  return [
    nixCheck(facts),
    backendCheck(facts),
    flakesCheck(facts),
    spaceCheck('store', facts.store, facts.image.format),
    spaceCheck('tmp', facts.tmp, facts.image.format),
    kvmCheck(facts),
    qemuCheck(facts),
    platformCheck(facts),
    substitutersCheck(facts),
    cacheInputsCheck(facts),
    ...(facts.readTracer ? [readTracingCheck(facts.readTracer)] : []),
    ...(facts.discovery ? [configurationsCheck(facts)] : []),
  ];
}

/** The report as printed: one line per check, the fix under it. */
export function renderDoctorReport(heading: string, results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.title.length));
  const lines = [heading];
  for (const r of results) {
    lines.push(`  ${r.status.padEnd(4)}  ${r.title.padEnd(width)}  ${r.message}`);
    if (r.fix && r.status !== 'ok') lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  → ${r.fix}`);
  }
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  const failed = count('fail');
  const warned = count('warn');
  lines.push(
    failed || warned
      ? `${failed} failed, ${warned} warning${warned === 1 ? '' : 's'}, ${count('ok')} ok`
      : `all ${results.length} checks ok`,
  );
  return lines.join('\n');
}
