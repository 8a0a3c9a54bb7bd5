/**
 * Where the stand-in's ISO keeps its boot configurations, built with real Nix
 * per release as iso-image.nix lays them out: grub.cfg in /EFI/BOOT from 24.05
 * (/EFI/boot before), no /isolinux with `isoImage.makeBiosBootable = false`.
 * nixiso's pure functions (packages/nixiso/src/nix/boot-config.ts), fed the
 * real xorriso listing of such an ISO, find grub.cfg and a bootable entry in it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithNix, isCI, tempTree, type NixTools } from '@nixiso/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the plugin's public entry point does not export boot-config, the module under test here
import {
  bootConfigPaths,
  bootEntryOf,
  kernelArchOf,
  parseXorrisoFind,
  rootLabelOf,
  xorrisoListArgs,
} from '../../../packages/nixiso/src/nix/boot-config';
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

/** What boot-test does: list the ISO's *.cfg with xorriso, exactly as xorrisoListArgs says. */
function xorrisoListing(iso: string): string[] {
  const r = spawnSync('xorriso', xorrisoListArgs(iso), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xorriso failed (${r.status}):\n${r.stderr}`);
  return parseXorrisoFind(r.stdout);
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
    expect(bootConfigPaths(xorrisoListing(iso))).toEqual({ isolinux: '/isolinux/isolinux.cfg', grub: '/EFI/BOOT/grub.cfg' });
  });

  it('23.11: grub.cfg in /EFI/boot', () => {
    const iso = buildIso(nix, '23.11');
    expect(bootFiles(iso)).toEqual(['/EFI/boot/grub.cfg', '/isolinux/isolinux.cfg']);
    expect(bootConfigPaths(xorrisoListing(iso))).toEqual({ isolinux: '/isolinux/isolinux.cfg', grub: '/EFI/boot/grub.cfg' });
  });

  it('24.05 with isoImage.makeBiosBootable = false: no isolinux; the listing leads to /EFI/BOOT/grub.cfg and a bootable entry', () => {
    const iso = buildIso(nix, '24.05', '  isoImage.makeBiosBootable = false;\n');
    expect(bootFiles(iso)).toEqual(['/EFI/BOOT/grub.cfg']);

    const paths = bootConfigPaths(xorrisoListing(iso));
    expect(paths).toEqual({ grub: '/EFI/BOOT/grub.cfg' });
    const entry = bootEntryOf({ grub: readIsoFile(iso, '/EFI/BOOT/grub.cfg') }, paths);
    if (!entry) throw new Error('no boot entry in /EFI/BOOT/grub.cfg');
    expect(entry).toEqual({
      kernel: '/boot/bzImage',
      initrd: '/boot/initrd',
      params: [expect.stringMatching(/^init=\/nix\/store\/[0-9a-z]{32}-nixos-system-nixos-24\.05[^/]*\/init$/), 'root=LABEL=nixos-minimal-24.05-x86_64', 'boot.shell_on_fail'],
      source: expect.stringMatching(/^\/EFI\/BOOT\/grub\.cfg menuentry 'NixOS 24\.05[^']* Installer'$/),
    });
    expect(rootLabelOf(entry.params)).toBe('nixos-minimal-24.05-x86_64');

    // The entry names files that are there: the kernel is an x86 bzImage, as the test helper (grub.cfg fallback) finds too.
    const extracted = extractBootEntry(iso, join(iso.replace(/\/result\/iso\/.*$/, ''), 'boot'));
    expect(extracted).toMatchObject({ kernelPath: entry.kernel, initrdPath: entry.initrd, append: entry.params.join(' ') });
    expect(kernelArchOf(readFileSync(extracted.kernel).subarray(0, 4096))).toBe('x86_64');
  });
});
