import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  archOfSystem,
  BOOT_CONFIG_PLACES,
  type BootEntry,
  bootConfigPaths,
  bootEntryOf,
  kernelArchOf,
  parseGrubConfig,
  parseIsolinuxConfig,
  parseXorrisoFind,
  rootLabelOf,
  splitKernelParams,
  xorrisoListArgs,
} from './boot-config';

// Constructed, not recorded: the shape nixos/modules/installer/cd-dvd/iso-image.nix
// writes (isolinuxCfg and menuBuilderGrub2), with made-up store hashes.
const TOPLEVEL = '/nix/store/0ffa6gj9k7lhb3ldmv5j2ir3w8rg3czv-nixos-system-nixos-24.05.20240801.abcdef0';

const ISOLINUX_CFG = `SERIAL 0 115200
TIMEOUT 100
UI vesamenu.c32
MENU BACKGROUND /isolinux/background.png

MENU TITLE NixOS
DEFAULT boot

LABEL boot-nomodeset
MENU LABEL NixOS 24.05.20240801.abcdef0 Installer (nomodeset)
LINUX /boot/bzImage
APPEND init=${TOPLEVEL}/init root=LABEL=nixos-minimal-24.05-x86_64 boot.shell_on_fail nomodeset
INITRD /boot/initrd

LABEL boot
MENU LABEL NixOS 24.05.20240801.abcdef0 Installer
LINUX /boot/bzImage
APPEND init=${TOPLEVEL}/init root=LABEL=nixos-minimal-24.05-x86_64 boot.shell_on_fail
INITRD /boot/initrd

LABEL boot-serial
MENU LABEL NixOS 24.05.20240801.abcdef0 Installer (serial console=ttyS0,115200n8)
LINUX /boot/bzImage
APPEND init=${TOPLEVEL}/init root=LABEL=nixos-minimal-24.05-x86_64 boot.shell_on_fail console=ttyS0,115200n8
INITRD /boot/initrd
`;

const GRUB_CFG = `set with_fonts=false
set textmode=false
if [ "$textmode" == "false" ]; then
  terminal_output gfxterm
  terminal_input  console
fi

hiddenentry 'Text mode' --hotkey 't' {
  loadfont ($root)/EFI/BOOT/unicode.pf2
  set textmode=true
  terminal_output console
}

menuentry 'NixOS 24.05.20240801.abcdef0 Installer ' --class installer {
  # Fallback to UEFI console for boot, efifb sometimes has difficulties.
  terminal_output console

  linux /boot/Image \${isoboot} init=${TOPLEVEL}/init root=LABEL=nixos-minimal-24.05-aarch64 boot.shell_on_fail
  initrd /boot/initrd
}

submenu "HiDPI, Quirks and Accessibility" --class hidpi --class submenu {
  menuentry 'NixOS 24.05.20240801.abcdef0 Installer (nomodeset)' --class nomodeset {
    linux /boot/Image \${isoboot} init=${TOPLEVEL}/init root=LABEL=nixos-minimal-24.05-aarch64 boot.shell_on_fail nomodeset
    initrd /boot/initrd
  }
}

menuentry 'Firmware Setup' --class settings {
  fwsetup
}
`;

describe('parseIsolinuxConfig', () => {
  it("takes DEFAULT's label among several", () => {
    expect(parseIsolinuxConfig(ISOLINUX_CFG)).toEqual({
      kernel: '/boot/bzImage',
      initrd: '/boot/initrd',
      params: [`init=${TOPLEVEL}/init`, 'root=LABEL=nixos-minimal-24.05-x86_64', 'boot.shell_on_fail'],
      source: '/isolinux/isolinux.cfg LABEL boot',
    });
  });

  it('reads lower-case keywords, KERNEL and initrd= in APPEND; none without a kernel', () => {
    const entry = parseIsolinuxConfig('default x\nlabel x\n  kernel /boot/bzImage\n  append initrd=/boot/initrd quiet\n');
    expect(entry).toMatchObject({ kernel: '/boot/bzImage', initrd: '/boot/initrd', params: ['quiet'] });
    expect(parseIsolinuxConfig('DEFAULT boot\n')).toBeUndefined();
  });
});

describe('parseGrubConfig', () => {
  it('takes the first top-level menuentry with a kernel, dropping ${isoboot}', () => {
    expect(parseGrubConfig(GRUB_CFG)).toEqual({
      kernel: '/boot/Image',
      initrd: '/boot/initrd',
      params: [`init=${TOPLEVEL}/init`, 'root=LABEL=nixos-minimal-24.05-aarch64', 'boot.shell_on_fail'],
      source: "/EFI/BOOT/grub.cfg menuentry 'NixOS 24.05.20240801.abcdef0 Installer '",
    });
    expect(parseGrubConfig(GRUB_CFG, '/EFI/boot/grub.cfg')?.source).toMatch(/^\/EFI\/boot\/grub\.cfg menuentry /);
  });

  it("drops GRUB's device prefix and collapses the double slash of a store-path kernel", () => {
    const text = "menuentry 'x' {\n  linux ($root)/boot//nix/store/a-linux/bzImage quiet\n  initrd /boot//nix/store/b-initrd/initrd\n}\n";
    expect(parseGrubConfig(text)).toMatchObject({ kernel: '/boot/nix/store/a-linux/bzImage', initrd: '/boot/nix/store/b-initrd/initrd', params: ['quiet'] });
  });

  it('skips submenus and entries without linux', () => {
    const text = GRUB_CFG.replace(/menuentry 'NixOS[^\n]*Installer ' [\s\S]*?\n}\n/, '');
    expect(parseGrubConfig(text)).toBeUndefined();
  });
});

describe('bootEntryOf', () => {
  it('prefers isolinux.cfg, falls back to grub.cfg (aarch64 ISOs have only that)', () => {
    expect(bootEntryOf({ isolinux: ISOLINUX_CFG, grub: GRUB_CFG })?.kernel).toBe('/boot/bzImage');
    expect(bootEntryOf({ grub: GRUB_CFG })?.kernel).toBe('/boot/Image');
    expect(bootEntryOf({ isolinux: 'garbage', grub: GRUB_CFG })?.kernel).toBe('/boot/Image');
    expect(bootEntryOf({})).toBeUndefined();
  });

  it('names the files it read, as bootConfigPaths found them', () => {
    expect(bootEntryOf({ grub: GRUB_CFG }, { grub: '/efi/boot/GRUB.CFG' })?.source).toMatch(/^\/efi\/boot\/GRUB\.CFG menuentry /);
    expect(bootEntryOf({ isolinux: ISOLINUX_CFG }, { isolinux: '/isolinux/isolinux.cfg' })?.source).toBe('/isolinux/isolinux.cfg LABEL boot');
  });

  it('root label and parameters with quotes', () => {
    expect(rootLabelOf(parseIsolinuxConfig(ISOLINUX_CFG)!.params)).toBe('nixos-minimal-24.05-x86_64');
    expect(splitKernelParams('a  b="c d" e')).toEqual(['a', 'b="c d"', 'e']);
  });
});

// What iso-image.nix of each release writes (see the head of each file in
// __fixtures__/boot: constructed from the template, not taken from an ISO).
const fixture = (release: string, file: string) => readFileSync(join(__dirname, '__fixtures__', release, file), 'utf8');

const RELEASES: { release: string; isolinuxLabel: string; grubTitle: string; entry: Omit<BootEntry, 'source'> }[] = [
  {
    release: '24.05',
    isolinuxLabel: 'boot',
    grubTitle: 'NixOS 24.05.20240801.abcdef0 Installer ',
    entry: {
      kernel: '/boot/bzImage',
      initrd: '/boot/initrd',
      params: ['init=/nix/store/gywwfbms53dx1n2xq10sjn7ryl5nw21c-nixos-system-nixos-24.05.20240801.abcdef0/init', 'root=LABEL=nixos-minimal-24.05-x86_64', 'boot.shell_on_fail'],
    },
  },
  {
    release: '24.11',
    isolinuxLabel: 'boot',
    grubTitle: 'NixOS 24.11.20241201.1234567 Installer ',
    entry: {
      kernel: '/boot/bzImage',
      initrd: '/boot/initrd',
      params: ['init=/nix/store/rvy3dl9mvii3snyx672213wiznqpvf7g-nixos-system-nixos-24.11.20241201.1234567/init', 'root=LABEL=nixos-minimal-24.11-x86_64', 'boot.shell_on_fail'],
    },
  },
  {
    // Kernel and initrd under their store paths; the configs write `/boot//nix/store/…`.
    release: '25.05',
    isolinuxLabel: 'boot',
    grubTitle: 'NixOS 25.05.20250601.89abcde Installer',
    entry: {
      kernel: '/boot/nix/store/k10y86m4n6a5nf2jgkmb5myjzjwy6gjf-linux-6.12.30/bzImage',
      initrd: '/boot/nix/store/pgh43mrm14p2q8xsap3r87ryi8gngbyp-initrd-linux-6.12.30/initrd',
      params: ['init=/nix/store/wqmzvhd6yb6yhdj62nbq4kgd5q1qxv7n-nixos-system-nixos-25.05.20250601.89abcde/init', 'root=LABEL=nixos-minimal-25.05-x86_64', 'boot.shell_on_fail'],
    },
  },
  {
    // The combined graphical ISO: no LABEL boot (DEFAULT names none), the first specialisation's entry.
    release: 'unstable',
    isolinuxLabel: 'boot-gnome',
    grubTitle: 'NixOS 25.11.20250901.fedcba9 Installer GNOME (Linux LTS)',
    entry: {
      kernel: '/boot/nix/store/dwqrls6l6dj7qcyz1y4f3qn8l4jzzilf-linux-6.12.44/bzImage',
      initrd: '/boot/nix/store/jwv4fc9byxk1bx9p1vi2ynf7lnalybqz-initrd-linux-6.12.44/initrd',
      params: ['init=/nix/store/80sxhpbv54a6rprlw3sb2lbxvh5zv09z-nixos-system-nixos-25.11.20250901.fedcba9/init', 'boot.shell_on_fail', 'root=LABEL=nixos-graphical-25.11-x86_64'],
    },
  },
];

describe.each(RELEASES)('the boot configurations of NixOS $release', ({ release, isolinuxLabel, grubTitle, entry }) => {
  it(`isolinux.cfg: LABEL ${isolinuxLabel}`, () => {
    expect(parseIsolinuxConfig(fixture(release, 'isolinux.cfg'))).toEqual({ ...entry, source: `/isolinux/isolinux.cfg LABEL ${isolinuxLabel}` });
  });

  it('grub.cfg: the first top-level menuentry, the same boot', () => {
    expect(parseGrubConfig(fixture(release, 'grub.cfg'), '/EFI/BOOT/grub.cfg')).toEqual({ ...entry, source: `/EFI/BOOT/grub.cfg menuentry '${grubTitle}'` });
  });

  it('bootEntryOf: isolinux.cfg first, grub.cfg alone (no isolinux: aarch64, makeBiosBootable = false)', () => {
    const files = { isolinux: fixture(release, 'isolinux.cfg'), grub: fixture(release, 'grub.cfg') };
    expect(bootEntryOf(files)?.source).toMatch(/^\/isolinux\/isolinux\.cfg /);
    expect(bootEntryOf({ grub: files.grub }, { grub: '/EFI/BOOT/grub.cfg' })).toMatchObject({ ...entry, source: expect.stringMatching(/^\/EFI\/BOOT\/grub\.cfg /) });
  });
});

describe('BOOT_CONFIG_PLACES and bootConfigPaths', () => {
  it('knows isolinux.cfg, grub.cfg since 24.05 and its spelling before', () => {
    expect(BOOT_CONFIG_PLACES.map(({ loader, path, since, until }) => [loader, path, since ?? until ?? 'always'])).toEqual([
      ['isolinux', '/isolinux/isolinux.cfg', 'always'],
      ['grub', '/EFI/BOOT/grub.cfg', '24.05'],
      ['grub', '/EFI/boot/grub.cfg', '24.05'],
    ]);
  });

  const OTHERS = ['/boot/grub/loopback.cfg', '/EFI/BOOT/grub-theme/theme.cfg', '/isolinux/syslinux.cfg'];

  it.each([
    ['24.05 on, x86 (both)', ['/isolinux/isolinux.cfg', '/EFI/BOOT/grub.cfg'], { isolinux: '/isolinux/isolinux.cfg', grub: '/EFI/BOOT/grub.cfg' }],
    ['before 24.05, x86 (both, lower case)', ['/EFI/boot/grub.cfg', '/isolinux/isolinux.cfg'], { isolinux: '/isolinux/isolinux.cfg', grub: '/EFI/boot/grub.cfg' }],
    ['aarch64 or makeBiosBootable = false (only grub)', ['/EFI/BOOT/grub.cfg'], { grub: '/EFI/BOOT/grub.cfg' }],
    ['aarch64 before 24.05 (only grub, lower case)', ['/EFI/boot/grub.cfg'], { grub: '/EFI/boot/grub.cfg' }],
    ['no EFI (makeEfiBootable = false: only isolinux)', ['/isolinux/isolinux.cfg'], { isolinux: '/isolinux/isolinux.cfg' }],
    ['both spellings: the current one', ['/EFI/boot/grub.cfg', '/EFI/BOOT/grub.cfg'], { grub: '/EFI/BOOT/grub.cfg' }],
    ['another case, as FAT would find it', ['/efi/Boot/GRUB.CFG'], { grub: '/efi/Boot/GRUB.CFG' }],
    ['several other cases: the first in order', ['/efi/boot/grub.cfg', '/EFI/Boot/grub.cfg'], { grub: '/EFI/Boot/grub.cfg' }],
    ['isolinux.cfg is exact', ['/ISOLINUX/ISOLINUX.CFG'], {}],
    ['none', [], {}],
  ])('%s', (_, listing, expected) => {
    expect(bootConfigPaths([...OTHERS, ...listing])).toEqual(expected);
  });
});

// stdout of `xorriso <xorrisoListArgs>` (xorriso 1.5.4) for an ISO made with
// `xorriso -as mkisofs -J -R` from files named as below; stderr (banner,
// "Drive current: …", "Media summary: …") is not part of it.
const XORRISO_FIND = String.raw`'/EFI/BOOT/grub.cfg'
'/EFI/boot.cfg'
'/back\\slash.cfg'
'/bell\ax.cfg'
'/dir with space/it'"'"'s "q".cfg'
'/dir with space/new\nline.cfg'
'/gr\303\274\303\237.cfg'
'/isolinux/isolinux.cfg'
'/tab\tx.CFG'
`;

describe('xorriso listing', () => {
  it('lists *.cfg in any case, with encoded output, and leaves the ISO path as it is', () => {
    expect(xorrisoListArgs('/x/my\\iso.iso')).toEqual([
      '-backslash_codes', 'encode_output', '-indev', '/x/my\\iso.iso', '-find', '/', '-type', 'f', '-name', '*.[cC][fF][gG]',
    ]);
  });

  it('parses the quoted, encoded paths it prints', () => {
    expect(parseXorrisoFind(XORRISO_FIND)).toEqual([
      '/EFI/BOOT/grub.cfg',
      '/EFI/boot.cfg',
      '/back\\slash.cfg',
      '/bell\x07x.cfg',
      `/dir with space/it's "q".cfg`,
      '/dir with space/new\nline.cfg',
      '/grüß.cfg',
      '/isolinux/isolinux.cfg',
      '/tab\tx.CFG',
    ]);
    expect(bootConfigPaths(parseXorrisoFind(XORRISO_FIND))).toEqual({ isolinux: '/isolinux/isolinux.cfg', grub: '/EFI/BOOT/grub.cfg' });
  });

  it('skips what is not a quoted path; \\xhh and \\cX codes; CRLF', () => {
    expect(parseXorrisoFind("xorriso : NOTE : x\n\n'/a\\x41\\cA.cfg'\r\n'unterminated\n")).toEqual(['/aA\x01.cfg']);
  });
});

describe('kernelArchOf', () => {
  it('knows a bzImage (HdrS at 0x202) and an arm64 Image (ARM\\x64 at 0x38)', () => {
    const bz = new Uint8Array(0x400);
    bz.set([...'HdrS'].map((c) => c.charCodeAt(0)), 0x202);
    const arm = new Uint8Array(0x40);
    arm.set([0x41, 0x52, 0x4d, 0x64], 0x38);
    expect(kernelArchOf(bz)).toBe('x86_64');
    expect(kernelArchOf(arm)).toBe('aarch64');
    expect(kernelArchOf(new Uint8Array(16))).toBeUndefined();
    expect(archOfSystem('aarch64-linux')).toBe('aarch64');
    expect(archOfSystem('riscv64-linux')).toBeUndefined();
  });
});
