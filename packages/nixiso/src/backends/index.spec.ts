import { readdirSync } from 'node:fs';
import { NIX_MISSING } from '../nix/process/run';
import { findFormat, type Format } from '../nix/building/formats';
import { findRelease } from '../nix/building/releases';
import { BACKEND_IDS, BACKENDS, backendById, type BuildRequest, buildCommand, findBackend, formatFor, releaseProblem, requirementMessage } from './index';
import { NIX } from './requirements';
import { buildRequest } from './__fixtures__/request';

const base: BuildRequest = buildRequest();

describe('the registry', () => {
  it('finds every <id>.backend.ts module of the folder, the default first', () => {
    const modules = readdirSync(__dirname).filter((name) => /\.backend\.ts$/.test(name));
    expect(BACKEND_IDS).toEqual(['nix', 'nixos-generators', 'build-image']);
    expect([...BACKEND_IDS].sort()).toEqual(modules.map((name) => name.replace(/\.backend\.ts$/, '')).sort());
    expect(findBackend('build-image')).toBe(BACKENDS[2]);
    expect(findBackend('docker')).toBeUndefined();
    expect(() => backendById('docker')).toThrow('unknown backend "docker" (expected one of nix, nixos-generators, build-image)');
  });

  it('every backend declares its command, its out-link handling and its tools', () => {
    for (const backend of BACKENDS) {
      expect([backend.id, typeof backend.command, ['rooted', 'relink'].includes(backend.outLink), backend.description]).toEqual([
        backend.id, 'function', true, expect.stringMatching(/\S/),
      ]);
      expect(backend.requirements({ kind: 'channel' }).length).toBeGreaterThan(0);
    }
  });

  it('reports a missing Nix as the rest of nixiso does', () => {
    expect(requirementMessage(NIX)).toBe(NIX_MISSING);
  });
});

describe('formatFor', () => {
  it('finds table formats for every backend', () => {
    for (const backend of BACKENDS) {
      expect(formatFor('qcow2', backend)).toBe(findFormat('qcow2'));
    }
  });

  it('takes any variant name for build-image, its file unknown until the build', () => {
    expect(formatFor('notes', backendById('build-image'))).toEqual({ id: 'notes', extension: '', variant: 'notes' });
    expect(formatFor("my-disk_2'", backendById('build-image'))).toMatchObject({ variant: "my-disk_2'" });
  });

  it('refuses names that are no Nix attribute name, and unknown formats for the other backends, naming what build-image builds', () => {
    expect(formatFor('a.b', backendById('build-image'))).toEqual({
      error: expect.stringMatching(/"a\.b" is neither a format \(expected one of iso, .*\) nor an image variant name/),
    });
    expect(formatFor('notes', backendById('nix'))).toEqual({
      error: expect.stringMatching(/^option "format": unknown format "notes" \(expected one of iso, iso-installer, .*; backend "build-image" also builds/),
    });
    expect(formatFor('notes', backendById('nixos-generators'))).toHaveProperty('error');
  });
});

describe('what a backend cannot build', () => {
  const expression: BuildRequest = { ...base, source: { kind: 'expression', file: '/ws/usb/make-iso.nix' } };
  const generated: BuildRequest = {
    ...base,
    source: { kind: 'flake', flakeRef: 'git+file:///ws', configurationName: 'liveImage', attribute: 'packages.x86_64-linux.iso' },
  };

  it('nixos-generators and build-image build configurations only, and say to use backend nix', () => {
    for (const backend of ['nixos-generators', 'build-image'] as const) {
      expect(() => buildCommand({ ...expression, backend, release: findRelease('25.05') })).toThrow(
        `backend "${backend}" builds a NixOS configuration, but this image is /ws/usb/make-iso.nix, which Nix builds as it is; use backend "nix"`,
      );
      expect(() => buildCommand({ ...generated, backend, release: findRelease('25.05') })).toThrow(/this image is packages\.x86_64-linux\.iso/);
    }
    expect(buildCommand(expression).command).toBe('nix-build');
  });

  it('a release outside the backend’s, naming the backends that build it', () => {
    expect(releaseProblem(backendById('build-image'), findRelease('24.11'))).toBe(
      'backend "build-image" needs NixOS ≥ 25.05 (nixos-rebuild build-image) but the image targets NixOS 24.11; use backend "nix" or "nixos-generators"',
    );
    expect(releaseProblem(backendById('build-image'), findRelease('25.05'))).toBeUndefined();
    expect(releaseProblem(backendById('build-image'), undefined)).toBeUndefined();
    expect(releaseProblem(backendById('nix'), findRelease('24.05'))).toBeUndefined();
  });
});
