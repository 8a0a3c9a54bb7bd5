/**
 * The boot entry of a NixOS ISO, read from the boot loader configuration
 * that nixos/modules/installer/cd-dvd/iso-image.nix writes into it:
 *
 *   /isolinux/isolinux.cfg (BIOS, x86 only)     /EFI/boot/grub.cfg (UEFI, every platform)
 *     DEFAULT boot                                menuentry 'NixOS 24.05 …' --class installer {
 *     LABEL boot                                    linux /boot/bzImage ${isoboot} init=/nix/store/…/init root=LABEL=… …
 *     LINUX /boot/bzImage                           initrd /boot/initrd
 *     APPEND init=/nix/store/…/init root=LABEL=…  }
 *     INITRD /boot/initrd
 *
 * Pure: text in, entry out. boot-test extracts the kernel and initrd it
 * names and boots them directly (qemu.ts).
 */

export interface BootEntry {
  /** Path inside the ISO: `/boot/bzImage` (x86_64) or `/boot/Image` (aarch64). */
  kernel: string;
  initrd: string;
  /** Kernel parameters in order (`init=…/init`, `root=LABEL=…`, `boot.shell_on_fail`, …). */
  params: string[];
  /** Which file and entry it came from, for messages: `/isolinux/isolinux.cfg LABEL boot`. */
  source: string;
}

export const ISOLINUX_CFG = '/isolinux/isolinux.cfg';
export const GRUB_CFG = '/EFI/boot/grub.cfg';

/** Splits kernel parameters on blanks; a double-quoted value (`foo="a b"`) stays one parameter. */
export function splitKernelParams(text: string): string[] {
  return [...text.matchAll(/(?:[^\s"]+|"[^"]*")+/g)].map((m) => m[0]);
}

interface SyslinuxLabel {
  name: string;
  kernel?: string;
  initrd?: string;
  append?: string;
}

/**
 * The DEFAULT label of an isolinux.cfg (keywords are case-insensitive in
 * syslinux; `KERNEL` is the older spelling of `LINUX`; `initrd=` inside APPEND
 * is the older spelling of INITRD). Undefined when the file names no kernel.
 */
export function parseIsolinuxConfig(text: string): BootEntry | undefined {
  const labels: SyslinuxLabel[] = [];
  let defaultName: string | undefined;
  let current: SyslinuxLabel | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^([A-Za-z]+)\s*(.*)$/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const keyword = m[1].toUpperCase();
    const value = m[2].trim();
    if (keyword === 'DEFAULT') defaultName = value.split(/\s+/)[0];
    else if (keyword === 'LABEL') labels.push((current = { name: value }));
    else if (!current) continue;
    else if (keyword === 'LINUX' || keyword === 'KERNEL') current.kernel = value;
    else if (keyword === 'INITRD') current.initrd = value;
    else if (keyword === 'APPEND') current.append = value;
  }
  const chosen = labels.find((l) => l.name === defaultName) ?? labels.find((l) => l.kernel);
  if (!chosen?.kernel) return undefined;
  let params = splitKernelParams(chosen.append ?? '');
  let initrd = chosen.initrd;
  const initrdParam = params.find((p) => p.startsWith('initrd='));
  if (!initrd && initrdParam) initrd = initrdParam.slice('initrd='.length).split(',')[0];
  params = params.filter((p) => !p.startsWith('initrd='));
  if (!initrd) return undefined;
  return { kernel: chosen.kernel, initrd, params, source: `${ISOLINUX_CFG} LABEL ${chosen.name}` };
}

/**
 * The first top-level `menuentry` of a grub.cfg that boots a kernel (entries
 * inside a `submenu` are variants: nomodeset, serial console, copytoram;
 * entries without `linux` are firmware setup or reboot). GRUB variables in the
 * kernel line (`${isoboot}`, which is set only when the ISO is loop-mounted
 * from another disk) are dropped: a direct boot has none of them.
 */
export function parseGrubConfig(text: string): BootEntry | undefined {
  let depth = 0;
  let entry: { title: string; depth: number; linux?: string; initrd?: string } | undefined;
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const opens = /\{\s*$/.test(line);
    const menuentry = /^menuentry\s+(?:'([^']*)'|"([^"]*)"|(\S+))/.exec(line);
    if (menuentry && opens && depth === 0) {
      entry = { title: menuentry[1] ?? menuentry[2] ?? menuentry[3], depth: depth + 1 };
    } else if (entry && depth === entry.depth) {
      const linux = /^linux(?:efi|16)?\s+(.*)$/.exec(line);
      const initrd = /^initrd(?:efi|16)?\s+(\S+)/.exec(line);
      if (linux) entry.linux = linux[1];
      if (initrd) entry.initrd = initrd[1];
    }
    if (opens) depth++;
    if (/^\}/.test(line)) {
      depth = Math.max(0, depth - 1);
      if (entry && depth < entry.depth) {
        if (entry.linux && entry.initrd) {
          const [kernel, ...rest] = splitKernelParams(withoutGrubVariables(entry.linux));
          return { kernel, initrd: entry.initrd, params: rest, source: `${GRUB_CFG} menuentry '${entry.title}'` };
        }
        entry = undefined;
      }
    }
  }
  return undefined;
}

function withoutGrubVariables(text: string): string {
  return text.replace(/\\?['"]?\$\{[A-Za-z_][A-Za-z0-9_]*\}['"]?/g, ' ').replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, ' ');
}

/**
 * The entry a BIOS boot would take (isolinux.cfg), else the UEFI one
 * (grub.cfg: aarch64 ISOs have only that). Undefined when neither file
 * yields one.
 */
export function bootEntryOf(files: { isolinux?: string; grub?: string }): BootEntry | undefined {
  return (files.isolinux !== undefined ? parseIsolinuxConfig(files.isolinux) : undefined) ??
    (files.grub !== undefined ? parseGrubConfig(files.grub) : undefined);
}

/** The parameter a kernel takes the root file system from, `root=LABEL=nixos-24.05-x86_64`, as NixOS's stage 1 reads it. */
export function rootLabelOf(params: readonly string[]): string | undefined {
  return params.find((p) => p.startsWith('root=LABEL='))?.slice('root=LABEL='.length);
}

export type KernelArch = 'x86_64' | 'aarch64';

/**
 * The architecture of a kernel image from its first bytes: an x86 bzImage
 * has the boot protocol magic `HdrS` at 0x202, an arm64 `Image` the magic
 * `ARM\x64` at 0x38 (Documentation/arch/arm64/booting.rst). An EFI-zboot
 * arm64 kernel (`MZ` … `zimg`) is reported as aarch64 too.
 */
export function kernelArchOf(header: Uint8Array): KernelArch | undefined {
  const ascii = (offset: number, length: number) => String.fromCharCode(...header.subarray(offset, offset + length));
  if (header.length >= 0x206 && ascii(0x202, 4) === 'HdrS') return 'x86_64';
  if (header.length >= 0x3c && ascii(0x38, 4) === 'ARM\x64') return 'aarch64';
  if (header.length >= 8 && ascii(0, 2) === 'MZ' && ascii(4, 4) === 'zimg') return 'aarch64';
  return undefined;
}

/** `x86_64-linux` → `x86_64`; undefined for systems nixiso does not boot. */
export function archOfSystem(system: string): KernelArch | undefined {
  const arch = system.split('-')[0];
  return arch === 'x86_64' || arch === 'aarch64' ? arch : undefined;
}
