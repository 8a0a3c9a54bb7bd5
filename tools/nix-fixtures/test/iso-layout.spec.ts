/**
 * Where the stand-in's ISO keeps its boot configurations, built with real Nix
 * per release as iso-image.nix lays them out: grub.cfg in /EFI/BOOT from 24.05
 * (/EFI/boot before), no /isolinux with `isoImage.makeBiosBootable = false`.
 * An ISO without isolinux boots from grub.cfg: its entry names files that are
 * there. (The plugin's own reading of such listings is tested in
 * packages/nixiso/src/nix/boot/boot-config.spec.ts: the stand-ins do not depend on
 * the plugin.)
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, isCI, tempTree, type NixTools } from '../src/nix-env';
import { bootPrerequisitesMessage, extractBootEntry, fixtureRelease, listIso, missingBootPrerequisites, nixpkgsForRelease, readIsoFile } from '../src';
import { channelBuild, expectOk, isoOf } from './nix-run';

const created: string[] = [];
afterAll(() => created.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The minimal installer of `release`'s stand-in with `body` added, built to an ISO. */
function buildIso(nix: NixTools, release: string, body = ''): string {
  const dir = tempTree({
    'configuration.nix': `{ ... }:
{
  imports = [ <nixpkgs/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix> ];
${body}}
`,
  }, 'nixiso-iso-layout-');
  created.push(dir);
  expectOk(channelBuild(nix, dir, { nixpkgs: release === fixtureRelease() ? undefined : nixpkgsForRelease(release) }));
  return isoOf(dir);
}

const bootFiles = (iso: string) => listIso(iso).filter((f) => /^\/(isolinux|efi)\//i.test(f));

describeWithNix('the stand-in ISO lays out its boot configurations per release', (nix) => {
  // The x86_64 ISO carries a kernel and an initramfs: the builder needs them (not QEMU).
  const missing = missingBootPrerequisites().filter((m) => !m.startsWith('qemu'));
  if (missing.length) {
    if (isCI()) it('needs the boot prerequisites', () => { throw new Error(bootPrerequisitesMessage(missing)); });
    else it.skip(`needs ${missing.join(', ')}`, () => undefined);
    return;
  }
  jest.setTimeout(180_000);

  it('24.05: /isolinux/isolinux.cfg and /EFI/BOOT/grub.cfg', () => {
    expect(fixtureRelease()).toBe('24.05');
    const iso = buildIso(nix, '24.05');
    expect(bootFiles(iso)).toEqual(['/EFI/BOOT/grub.cfg', '/isolinux/isolinux.cfg']);
  });

  it('23.11: grub.cfg in /EFI/boot', () => {
    const iso = buildIso(nix, '23.11');
    expect(bootFiles(iso)).toEqual(['/EFI/boot/grub.cfg', '/isolinux/isolinux.cfg']);
  });

  it('24.05 with isoImage.makeBiosBootable = false: no isolinux; /EFI/BOOT/grub.cfg has a bootable entry', () => {
    const iso = buildIso(nix, '24.05', '  isoImage.makeBiosBootable = false;\n');
    expect(bootFiles(iso)).toEqual(['/EFI/BOOT/grub.cfg']);

    const grub = readIsoFile(iso, '/EFI/BOOT/grub.cfg');
    expect(grub).toMatch(/^menuentry 'NixOS 24\.05[^']* Installer'/m);
    // The entry names files that are there: the test helper (grub.cfg fallback) extracts a kernel that is an x86 bzImage.
    const extracted = extractBootEntry(iso, join(iso.replace(/\/result\/iso\/.*$/, ''), 'boot'));
    expect(extracted).toMatchObject({ kernelPath: '/boot/bzImage', initrdPath: '/boot/initrd' });
    expect(extracted.append).toMatch(/^init=\/nix\/store\/[0-9a-z]{32}-nixos-system-nixos-24\.05[^/]*\/init root=LABEL=nixos-minimal-24\.05-x86_64 boot\.shell_on_fail$/);
    expect(readFileSync(extracted.kernel).subarray(0x202, 0x206).toString('latin1')).toBe('HdrS');
  });
});
