/**
 * Backend "build-image" (nixos-rebuild build-image, NixOS ≥ 25.05) and the
 * nixos-generators deprecation note, through the real Nx CLI against the
 * stand-ins: nixpkgs as 25.05 models it and the nixos-rebuild stand-in on PATH.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, readIsoJson, type TestWorkspace } from '@nixiso/testing';
import { nixpkgsForRelease } from '@nixiso/nix-fixtures';

interface Manifest {
  backend: string;
  format: string;
  command: string;
  storePath: string;
  outLink: string;
  imagePath: string;
  imageFile: string;
  sha256: string;
  sizeBytes: number;
}

const FLAKE = 'examples/iso-flake/flake.nix';
const CONFIGURATION = 'examples/iso-flake/configuration.nix';
const DEPRECATION = /warning: nixos-generators is deprecated, since it has been upstreamed into nixpkgs as of NixOS 25\.05.*backend: "build-image"/;

// A variant of the configuration's own, unknown to nixiso's format table.
const NOTES_VARIANT = `
  image.modules.notes = { config, lib, pkgs, ... }: {
    image.extension = lib.mkForce "txt";
    image.filePath = lib.mkForce "notes/\${config.image.fileName}";
    system.build.image = lib.mkForce (pkgs.runCommand "notes" { } ''
      mkdir -p $out/notes
      echo "release notes for \${config.system.nixos.label}" > $out/notes/\${config.image.fileName}
    '');
  };
`;

describeWithNix('build-image backend', () => {
  let ws: TestWorkspace;
  let nixpkgs2505: string;
  let env: NodeJS.ProcessEnv;
  const manifest = (project: string): Manifest => JSON.parse(ws.read(`dist/examples/${project}/manifest.json`));
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const buildImage = (format: string) =>
    ws.nx([
      'run', 'iso-flake:build:offline', '--backend=build-image', `--format=${format}`,
      `--overrideInputs.nixpkgs=${nixpkgs2505}`, '--skip-nx-cache',
    ], env);

  beforeAll(() => {
    ws = createTestWorkspace({ examples: ['iso-flake', 'iso-flake-home-manager'] });
    nixpkgs2505 = nixpkgsForRelease('25.05');
    env = { PATH: `${join(ws.root, 'tools/nix-fixtures/nixos-rebuild/bin')}:${process.env.PATH}` };
    ws.write(FLAKE, ws.read(FLAKE).replace('nixos-24.05', 'nixos-25.05'));
    ws.write(
      CONFIGURATION,
      ws.read(CONFIGURATION).replace('system.stateVersion = "24.05";', `system.stateVersion = "25.05";\n${NOTES_VARIANT}`),
    );
    ws.git('commit', '-qam', 'iso-flake: NixOS 25.05, with an image variant of its own');
  });

  it('builds the iso variant of a 25.05 image; the manifest describes it and no ./result stays in the image directory', () => {
    const r = buildImage('iso');
    expect(r.output).toMatch(/> nixos-rebuild build-image --image-variant iso --flake \S+#liveImage'? --no-write-lock-file --override-input nixpkgs /);
    expect(r.output).toMatch(/Done\. {2}The disk image can be found in/);
    expect(r.status).toBe(0);
    const m = manifest('iso-flake');
    expect(m).toMatchObject({ backend: 'build-image', format: 'iso' });
    expect(m.imagePath).toMatch(/^dist\/examples\/iso-flake\/result\/iso\/nixos-minimal-25\.05[^/]*\.iso$/);
    expect(realpathSync(join(ws.root, m.imagePath))).toBe(m.imageFile);
    expect(sha256(m.imageFile)).toBe(m.sha256);
    expect(readIsoJson<{ release: string }>(m.imageFile).release).toBe('25.05');
    expect(existsSync(join(ws.root, 'examples/iso-flake/result'))).toBe(false);
    expect(ws.git('status', '--porcelain')).toBe('');
  });

  it('builds a variant the configuration declares through image.modules, which no table lists', () => {
    const r = buildImage('notes');
    expect(r.output).toMatch(/> nixos-rebuild build-image --image-variant notes /);
    expect(r.status).toBe(0);
    const m = manifest('iso-flake');
    expect(m).toMatchObject({ backend: 'build-image', format: 'notes' });
    expect(m.imagePath).toMatch(/^dist\/examples\/iso-flake\/result\/notes\/nixos-minimal-25\.05[^/]*\.txt$/);
    expect(m.outLink).toBe('dist/examples/iso-flake/result');
    expect(realpathSync(join(ws.root, m.outLink))).toBe(m.storePath);
    expect(readFileSync(join(ws.root, m.imagePath), 'utf8')).toMatch(/^release notes for 25\.05/);
    expect(sha256(m.imageFile)).toBe(m.sha256);
    expect(readFileSync(m.imageFile).length).toBe(m.sizeBytes);
  });

  it('fails for a variant the configuration does not declare, listing those it does', () => {
    const r = buildImage('tarball');
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(
      /nixiso: option "format": the configuration of examples\/iso-flake declares no image variant "tarball" .*it declares: iso, iso-installer, notes, qcow2, raw, vmware\./,
    );
  });

  it('keeps the format table for the other backends', () => {
    const r = ws.nx(['run', 'iso-flake:build:offline', '--format=notes', `--overrideInputs.nixpkgs=${nixpkgs2505}`, '--skip-nx-cache'], env);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/option "format": unknown format "notes" \(expected one of iso, .*backend "build-image" also builds/);
  });

  it('the nixos-generators backend prints nixos-generators’ deprecation note for a 25.05 image, not for 24.05', () => {
    // nixos-generate has no --override-input: the flakes' inputs are pinned to the stand-ins in flake.lock.
    const lock = (project: string, inputs: Record<string, string>) => {
      const r = ws.nx([
        'run', `${project}:lock`, '--',
        ...Object.entries(inputs).flatMap(([name, dir]) => ['--override-input', name, `path:${dir}`]),
      ], env);
      expect(r.status).toBe(0);
      ws.git('add', `examples/${project}/flake.lock`);
    };
    lock('iso-flake', { nixpkgs: nixpkgs2505 });
    lock('iso-flake-home-manager', {
      nixpkgs: join(ws.root, 'tools/nix-fixtures/nixpkgs'),
      'home-manager': join(ws.root, 'tools/nix-fixtures/home-manager'),
    });
    ws.git('commit', '-qm', 'flake.lock: the stand-ins');
    const generate = (project: string) =>
      ws.nx([
        'run', `${project}:build:offline-locked`, '--backend=nixos-generators',
        '--nixosGenerate=tools/nix-fixtures/nixos-generators/bin/nixos-generate', '--skip-nx-cache',
      ], env);
    const modern = generate('iso-flake');
    expect(modern.output).toMatch(DEPRECATION);
    expect(modern.output).toMatch(/this image targets NixOS 25\.05/);
    expect(modern.status).toBe(0);
    expect(readIsoJson<{ release: string }>(manifest('iso-flake').imageFile).release).toBe('25.05');
    const old = generate('iso-flake-home-manager');
    expect(old.output).toMatch(/nixos-generate --format iso/);
    expect(old.status).toBe(0);
    expect(old.output).not.toMatch(/deprecated/);
  });
});
