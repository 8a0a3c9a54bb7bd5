import { archOfSystem, bootEntryOf, kernelArchOf, parseGrubConfig, parseIsolinuxConfig, rootLabelOf, splitKernelParams } from './boot-config';

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
  loadfont ($root)/EFI/boot/unicode.pf2
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
      source: "/EFI/boot/grub.cfg menuentry 'NixOS 24.05.20240801.abcdef0 Installer '",
    });
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

  it('root label and parameters with quotes', () => {
    expect(rootLabelOf(parseIsolinuxConfig(ISOLINUX_CFG)!.params)).toBe('nixos-minimal-24.05-x86_64');
    expect(splitKernelParams('a  b="c d" e')).toEqual(['a', 'b="c d"', 'e']);
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
