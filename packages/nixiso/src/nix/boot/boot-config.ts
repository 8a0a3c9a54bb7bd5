/**
 * The boot entry of a NixOS ISO, read from the boot loader configuration
 * that nixos/modules/installer/cd-dvd/iso-image.nix writes into it:
 *
 *   /isolinux/isolinux.cfg (BIOS, x86 only)     /EFI/BOOT/grub.cfg (UEFI; /EFI/boot/grub.cfg before 24.05)
 *     DEFAULT boot                                menuentry 'NixOS 24.05 …' --class installer {
 *     LABEL boot                                    linux /boot/bzImage ${isoboot} init=/nix/store/…/init root=LABEL=… …
 *     LINUX /boot/bzImage                           initrd /boot/initrd
 *     APPEND init=/nix/store/…/init root=LABEL=…  }
 *     INITRD /boot/initrd
 *
 * From 25.05 the kernel and initrd sit under their store paths
 * (`/boot//nix/store/…-linux-6.12.30/bzImage`, double slash as written) and
 * the variants (nomodeset, copytoram, …) moved into an "Options" submenu.
 *
 * Pure: text in, entry out. boot-test lists the ISO's files with xorriso
 * (xorrisoListArgs, parseXorrisoFind), picks the configurations it has
 * (bootConfigPaths), extracts the kernel and initrd the entry names and boots
 * them directly (qemu.ts).
 */

export interface BootEntry {
  /** Path inside the ISO: `/boot/bzImage` (x86_64) or `/boot/Image` (aarch64); repeated slashes collapsed. */
  kernel: string;
  initrd: string;
  /** Kernel parameters in order (`init=…/init`, `root=LABEL=…`, `boot.shell_on_fail`, …). */
  params: string[];
  /** Which file and entry it came from, for messages: `/isolinux/isolinux.cfg LABEL boot`. */
  source: string;
}

export const ISOLINUX_CFG = '/isolinux/isolinux.cfg';
/** grub.cfg as iso-image.nix spells it since 24.05 (nixpkgs PR #287798); BOOT_CONFIG_PLACES has the older spelling. */
export const GRUB_CFG = '/EFI/BOOT/grub.cfg';

/** A place where some release of iso-image.nix writes a boot loader configuration. */
export interface BootConfigPlace {
  loader: 'isolinux' | 'grub';
  /** The path as iso-image.nix spells it. */
  path: string;
  /** The releases that write it there: from `since` on, before `until` (open ends: every release). */
  since?: string;
  until?: string;
  /**
   * Whether the path is matched in the ISO's listing without regard to case.
   * The firmware loads GRUB from the El Torito image /boot/efi.img, a FAT
   * file system, and GRUB reads its copy of grub.cfg there: both ignore case.
   * The copy in the ISO 9660 tree is what xorriso extracts, and its Rock
   * Ridge names are exact.
   */
  anyCase: boolean;
}

/**
 * Where NixOS ISOs keep their boot configurations, current spelling first.
 * isolinux.cfg only where `isoImage.makeBiosBootable` (default: build and host
 * platform x86); grub.cfg only where `isoImage.makeEfiBootable` (set by the
 * installer profiles). Not listed: /boot/grub/loopback.cfg (`source`s
 * grub.cfg, for booting the ISO as a file from another GRUB).
 */
export const BOOT_CONFIG_PLACES: readonly BootConfigPlace[] = [
  { loader: 'isolinux', path: ISOLINUX_CFG, anyCase: false },
  { loader: 'grub', path: GRUB_CFG, since: '24.05', anyCase: true },
  { loader: 'grub', path: '/EFI/boot/grub.cfg', until: '24.05', anyCase: true },
];

/** The in-ISO paths of the boot configurations an ISO has, as its listing spells them. */
export interface BootConfigPaths {
  isolinux?: string;
  grub?: string;
}

/**
 * Which of BOOT_CONFIG_PLACES an ISO has, given its file listing (absolute
 * paths as xorriso prints them, see parseXorrisoFind): per loader the first
 * place present with its exact spelling, else (where `anyCase`) a path equal
 * to a place but for case (the first in code point order, if several).
 */
export function bootConfigPaths(listing: readonly string[]): BootConfigPaths {
  const files = new Set(listing);
  const sorted = [...listing].sort();
  const found: BootConfigPaths = {};
  for (const loader of ['isolinux', 'grub'] as const) {
    const places = BOOT_CONFIG_PLACES.filter((p) => p.loader === loader);
    const path =
      places.find((p) => files.has(p.path))?.path ??
      places
        .filter((p) => p.anyCase)
        .map((p) => sorted.find((f) => f.toLowerCase() === p.path.toLowerCase()))
        .find((f) => f !== undefined);
    if (path !== undefined) found[loader] = path;
  }
  return found;
}

/**
 * The arguments for `xorriso` that list an ISO's configuration files: every
 * regular file named `*.cfg` in any case, one quoted path a line on stdout
 * (parseXorrisoFind reads them); stderr carries xorriso's banner and notes
 * ("Drive current: -indev …", "Media summary: …"). Exit status 0 with
 * nothing listed also for a file that is no ISO or does not exist.
 * `-backslash_codes encode_output` makes xorriso encode control and 8-bit
 * characters and the backslash in what it prints (`\n`, `\303\274`, `\\`), so
 * that a name with a line break stays on one line; it leaves the program
 * arguments (the ISO's own path) as they are.
 */
export function xorrisoListArgs(iso: string): string[] {
  return ['-backslash_codes', 'encode_output', '-indev', iso, '-find', '/', '-type', 'f', '-name', '*.[cC][fF][gG]'];
}

/**
 * The paths in the stdout of xorrisoListArgs: each line is one shell word
 * quoted as xorriso quotes (`'/a b/it'"'"'s.cfg'`), with the backslash codes
 * of `encode_output` inside (`\n`, `\t`, `\\`, `\ooo` octal, `\xhh`, `\cX`);
 * octal and hex codes are bytes of the name's UTF-8. Lines that are not such a
 * word are skipped.
 */
export function parseXorrisoFind(stdout: string): string[] {
  const paths: string[] = [];
  for (const line of stdout.split('\n')) {
    const word = /^(?:'[^']*'|"[^"]*")+$/.exec(line.replace(/\r$/, ''));
    if (!word) continue;
    const quoted = [...word[0].matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]).join('');
    paths.push(decodeBackslashCodes(quoted));
  }
  return paths;
}

const NAMED_CODES: Record<string, number> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

function decodeBackslashCodes(text: string): string {
  const bytes: number[] = [];
  for (const m of text.matchAll(/\\(?:([0-7]{3})|x([0-9a-fA-F]{2})|c([\s\S])|([abefnrtv\\]))|([\s\S])/gu)) {
    if (m[1]) bytes.push(parseInt(m[1], 8));
    else if (m[2]) bytes.push(parseInt(m[2], 16));
    else if (m[3]) bytes.push(m[3].charCodeAt(0) & 0x1f);
    else if (m[4]) bytes.push(NAMED_CODES[m[4]]);
    else bytes.push(...Buffer.from(m[5], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** GRUB's device prefix of a path, `($root)` or `(cd0)`. */
const GRUB_DEVICE = /^\([^)]*\)/;

/** An in-ISO path as a boot loader may write it: a GRUB device prefix dropped, repeated slashes collapsed. */
function isoPath(path: string): string {
  return path.replace(GRUB_DEVICE, '').replace(/\/{2,}/g, '/');
}

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
 * A DEFAULT that names no label (25.05's combined graphical ISO hides the
 * base configuration and lists only its specialisations, `boot-gnome`, …)
 * falls back to the first label with a kernel, as the menu highlights it.
 * `path` is where the file was read, for `source`.
 */
export function parseIsolinuxConfig(text: string, path = ISOLINUX_CFG): BootEntry | undefined {
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
  return { kernel: isoPath(chosen.kernel), initrd: isoPath(initrd), params, source: `${path} LABEL ${chosen.name}` };
}

/**
 * The first top-level `menuentry` of a grub.cfg that boots a kernel (entries
 * inside a `submenu` are variants: nomodeset, serial console, copytoram;
 * entries without `linux` are firmware setup or reboot). GRUB variables in the
 * kernel line (`${isoboot}`, which is set only when the ISO is loop-mounted
 * from another disk) are dropped: a direct boot has none of them. `path` is
 * where the file was read, for `source`.
 */
export function parseGrubConfig(text: string, path = GRUB_CFG): BootEntry | undefined {
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
          const [kernel, ...rest] = splitKernelParams(withoutGrubVariables(entry.linux.replace(GRUB_DEVICE, '')));
          return { kernel: isoPath(kernel), initrd: isoPath(entry.initrd), params: rest, source: `${path} menuentry '${entry.title}'` };
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
 * yields one. `paths` (from bootConfigPaths) says where they were read.
 */
export function bootEntryOf(files: { isolinux?: string; grub?: string }, paths: BootConfigPaths = {}): BootEntry | undefined {
  return (files.isolinux !== undefined ? parseIsolinuxConfig(files.isolinux, paths.isolinux) : undefined) ??
    (files.grub !== undefined ? parseGrubConfig(files.grub, paths.grub) : undefined);
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
