import { findFormat, type Format, formatOfGenerator, FORMATS, systemBuildAttr } from './formats';
import { findRelease } from './releases';

describe('the format table', () => {
  it('has one row per format id, each with a file extension and an image variant', () => {
    expect(new Set(FORMATS.map((f) => f.id)).size).toBe(FORMATS.length);
    for (const format of FORMATS) expect([format.id, format.extension, format.variant]).toEqual([format.id, expect.stringMatching(/^\.\w+$/), expect.any(String)]);
    expect(findFormat('qcow2')).toMatchObject({ extension: '.qcow2', generatorsFormat: 'qcow', variant: 'qemu' });
    expect(findFormat('notes')).toBeUndefined();
  });

  it('reads nixos-generators format names back to formats', () => {
    expect(formatOfGenerator('install-iso')?.id).toBe('iso-installer');
    expect(formatOfGenerator('sd-aarch64')?.id).toBe('sd-card');
    expect(formatOfGenerator('kexec')).toBeUndefined();
  });
});

describe('systemBuildAttr', () => {
  it('is isoImage for iso on every release, images.<variant> for the others from 25.05', () => {
    const iso = findFormat('iso') as Format;
    const qcow = findFormat('qcow2') as Format;
    expect(systemBuildAttr(iso, findRelease('24.05'))).toBe('isoImage');
    expect(systemBuildAttr(iso, findRelease('25.05'))).toBe('isoImage');
    expect(systemBuildAttr(qcow, findRelease('25.05'))).toBe('images.qemu');
    expect(systemBuildAttr(qcow, undefined)).toBe('images.qemu');
    expect(systemBuildAttr(qcow, findRelease('24.11'))).toEqual({
      error: 'format "qcow2" needs system.build.images (NixOS ≥ 25.05) but the image targets NixOS 24.11; use backend "nixos-generators" or format "iso"',
    });
  });
});
