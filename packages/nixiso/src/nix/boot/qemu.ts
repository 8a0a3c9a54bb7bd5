/**
 * The QEMU command line boot-test runs, and the accelerator it uses. Pure:
 * the executor finds the binary, probes /dev/kvm and extracts the kernel.
 *
 * Why a direct kernel boot (-kernel/-initrd/-append) of the ISO's own boot
 * entry rather than booting the ISO through its boot loader: under TCG (no
 * KVM, as on CI runners) the firmware and the boot menu's timeout cost tens
 * of seconds before Linux starts, and the menu's entries print to the VGA
 * console; appending `console=ttyS0,115200n8` to the entry's parameters puts
 * the kernel, systemd's status lines and a getty on the serial port we read,
 * without editing the ISO. The ISO stays attached as a CD-ROM: NixOS's stage 1
 * finds its root by the `root=LABEL=<volume id>` parameter and mounts the
 * squashfs store from it, exactly as when booted from the menu.
 */
import type { Command } from '../building/command';
import type { KernelArch } from './boot-config';

export type AccelOption = 'auto' | 'kvm' | 'tcg';
export type Accel = 'kvm' | 'tcg';

export const DEFAULT_MEMORY_MIB = 1024;
export const DEFAULT_SMP = 2;
/** The serial console NixOS is told to use; 115200n8 is what iso-image.nix's serial entries use. */
export const SERIAL_CONSOLE_PARAM = 'console=ttyS0,115200n8';
/** aarch64 `virt` machines have a PL011 UART, ttyAMA0. */
export const SERIAL_CONSOLE_PARAM_AARCH64 = 'console=ttyAMA0,115200n8';

export function qemuBinaryFor(arch: KernelArch): string {
  return `qemu-system-${arch}`;
}

export interface KvmFacts {
  path: string;
  exists: boolean;
  /** This user can open it read-write. */
  usable: boolean;
  /** kvmProbeCommand's outcome, when it ran: /dev/kvm can be opened and still fail to run a CPU. */
  probe?: { ok: boolean; detail: string };
}

/**
 * A VM with one CPU, paused before it runs (-S), no devices: QEMU sets the
 * virtual CPU's registers with KVM at reset, so a KVM that cannot run guests
 * (MSRs refused under nested virtualisation) makes it exit at once, while a
 * working one stays up until stopped (after a second or two).
 */
export function kvmProbeCommand(binary: string, arch: KernelArch): Command {
  return {
    command: binary,
    args: [...(arch === 'aarch64' ? ['-machine', 'virt'] : []), '-accel', 'kvm', '-cpu', 'host', '-S', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-nic', 'none'],
  };
}

export interface AccelChoice {
  accel: Accel;
  /** Why, for the log and the report: `/dev/kvm is not usable by this user`. */
  reason: string;
}

/**
 * KVM only runs guests of the host's own architecture, and only with a
 * usable /dev/kvm; `auto` falls back to TCG (full emulation, several times
 * slower), `kvm` insists and fails with the reason.
 */
export function chooseAccel(
  requested: AccelOption,
  facts: { hostArch: string | undefined; guestArch: KernelArch; kvm: KvmFacts },
): AccelChoice | { error: string } {
  const why = !facts.kvm.exists
    ? `${facts.kvm.path} does not exist`
    : !facts.kvm.usable
      ? `${facts.kvm.path} is not usable by this user (add it to the kvm group)`
      : facts.hostArch !== facts.guestArch
        ? `the image is ${facts.guestArch} and this machine ${facts.hostArch ?? 'unknown'}: KVM runs only guests of the host's architecture`
        : facts.kvm.probe && !facts.kvm.probe.ok
          ? `KVM did not start a virtual CPU here (${facts.kvm.probe.detail}), as in nested virtualisation without the host's support`
          : undefined;
  if (requested === 'tcg') return { accel: 'tcg', reason: 'option accel is tcg' };
  if (!why) return { accel: 'kvm', reason: `${facts.kvm.path} is usable` };
  if (requested === 'kvm') return { error: `option "accel" is kvm, but ${why}; use accel auto or tcg to boot with emulation (TCG)` };
  return { accel: 'tcg', reason: why };
}

export interface QemuRequest {
  binary: string;
  arch: KernelArch;
  accel: Accel;
  memoryMiB: number;
  smp: number;
  iso: string;
  kernel: string;
  initrd: string;
  /** The boot entry's parameters; the serial console is appended. */
  params: readonly string[];
  extraArgs: readonly string[];
}

/** The kernel command line: the entry's own parameters without its console=, then the serial console (the last console= is /dev/console). */
export function kernelCommandLine(params: readonly string[], arch: KernelArch): string {
  const serial = arch === 'aarch64' ? SERIAL_CONSOLE_PARAM_AARCH64 : SERIAL_CONSOLE_PARAM;
  return [...params.filter((p) => !p.startsWith('console=')), serial].join(' ');
}

export function qemuCommand(req: QemuRequest): Command {
  const machine =
    req.arch === 'aarch64'
      ? ['-machine', 'virt', '-cpu', req.accel === 'kvm' ? 'host' : 'max']
      : req.accel === 'kvm'
        ? ['-cpu', 'host']
        : [];
  return {
    command: req.binary,
    args: [
      ...machine,
      '-accel',
      req.accel,
      '-m',
      String(req.memoryMiB),
      '-smp',
      String(req.smp),
      // No display; the serial port and QEMU's monitor multiplexed on stdio (Ctrl-A c), which we read and type into.
      '-nographic',
      '-serial',
      'mon:stdio',
      '-no-reboot',
      '-kernel',
      req.kernel,
      '-initrd',
      req.initrd,
      '-append',
      kernelCommandLine(req.params, req.arch),
      // The ISO as the CD-ROM stage 1 mounts by label; read-only, as a disc is.
      '-drive',
      `file=${req.iso.replace(/,/g, ',,')},media=cdrom,readonly=on,if=${req.arch === 'aarch64' ? 'virtio' : 'ide'}`,
      // No network unless extraArgs ask for one: a boot test must not depend on it.
      ...(req.extraArgs.some((a) => /^-(nic|net|netdev)$/.test(a)) ? [] : ['-nic', 'none']),
      ...req.extraArgs,
    ],
  };
}

/** The default timeout: a NixOS ISO boots in well under a minute with KVM, and several minutes emulated. */
export function defaultTimeoutSeconds(accel: Accel): number {
  return accel === 'kvm' ? 180 : 600;
}
