/**
 * The diff executor through the real Nx CLI, in a throw-away git workspace
 * whose images build against the offline stand-ins with real Nix: a base
 * commit on main, then changes on a feature branch, each compared with main.
 * Every image sets a host name of its own to this run, so no store path
 * of theirs was built by anything else and "nothing was built" can be
 * checked in the store.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, type NixTools, type TestWorkspace } from '@nixiso/testing';
import type { ImageDiff } from './report';

const INSTALLER = '"${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"';

/** A channel or flake image module; `packages` is the body of environment.systemPackages. */
function configuration(hostName: string | undefined, packages: string): string {
  return `{ pkgs, modulesPath, ... }:
{
  imports = [
    ${INSTALLER}
  ];
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
${hostName ? `  networking.hostName = "${hostName}";\n` : ''}  environment.systemPackages = with pkgs; [
${packages}
  ];
}
`;
}

/** A package the repository defines itself: the stand-in's stdenv.mkDerivation names its store path disk-probe-<version>. */
const probe = (version: string) => `{ stdenv }:
stdenv.mkDerivation {
  pname = "disk-probe";
  version = "${version}";
}
`;

const FLAKE_ONE = `{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };
  };
}
`;

const flakeTwo = (marker: string) => `{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      modules = [ ./configuration.nix { networking.hostName = "${marker}ml"; } ];
    };
    nixosConfigurations.rescue = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ./rescue.nix ]; };
  };
}
`;

const rescueModule = (marker: string, packages: string) =>
  `{ pkgs, ... }: {\n  networking.hostName = "${marker}mr";\n  environment.systemPackages = with pkgs; [ ${packages} ];\n}\n`;

/** A Markdown table: a header row, then its separator row. */
const MARKDOWN_TABLE = /^\|.*\|[ \t]*\n\|(\s*:?-{3,}:?\s*\|)+[ \t]*$/m;

describeWithNix('diff executor', (nix: NixTools) => {
  let ws: TestWorkspace;
  let marker: string;
  let mainCommit: string;

  const diffOf = (dir: string): ImageDiff => JSON.parse(ws.read(`${dir}/diff.json`));
  const markdownOf = (dir: string): string => ws.read(`${dir}/diff.md`);
  const commit = (message: string) => {
    ws.git('add', '-A');
    ws.git('commit', '-qm', message);
  };
  /** The tasks Nx ran in this output, as `project:target[:configuration]` (a header `> nx run …` or a result line `✔  nx run …`). */
  const tasksRun = (output: string) => [...new Set([...output.matchAll(/^\s*(?:>|✔|✖)\s+nx run (\S+)/gm)].map((m) => m[1]))].sort();
  /** What a run printed, for the message of a failed expectation. */
  const ran = (r: { status: number; output: string }) => ({ status: r.status, output: r.output.slice(-6000) });
  const nixStore = (...args: string[]) => spawnSync(nix.nixStore, args, { env: nix.env, encoding: 'utf8' });
  /**
   * Neither the image of `drvPath` nor its system (the derivation named
   * nixos-system-<hostName>-…) is in the store: no one but this run knows
   * its host names, so only the diff could have built them.
   */
  const expectNothingBuilt = (drvPath: string, hostName: string) => {
    const toplevelDrv = nixStore('--query', '--requisites', drvPath)
      .stdout.split('\n')
      .find((p) => p.includes(`-nixos-system-${hostName}-`) && p.endsWith('.drv'));
    if (!toplevelDrv) throw new Error(`${drvPath} does not depend on a system named nixos-system-${hostName}-…`);
    const valid = Object.fromEntries(
      [drvPath, toplevelDrv].map((drv) => {
        const outputs = nixStore('--query', '--outputs', drv).stdout.trim().split('\n').filter(Boolean);
        if (!outputs.length) throw new Error(`nix-store --query --outputs ${drv} printed nothing`);
        return [drv, nixStore('--check-validity', ...outputs).status === 0];
      }),
    );
    expect(valid).toEqual({ [drvPath]: false, [toplevelDrv]: false });
  };

  beforeAll(() => {
    // Unique to this run: a host name is part of the system's store path name.
    marker = `d${process.pid}x${Date.now().toString(36)}`;
    ws = createTestWorkspace({
      files: {
        // A channel image with a package defined in the repository.
        'images/rescue/configuration.nix': configuration(`${marker}r`, '    git\n    neovim\n    (callPackage ./disk-probe.nix { })'),
        'images/rescue/disk-probe.nix': probe('1.0'),
        // A flake image that nothing in the repository shares with the channel image.
        'images/live/flake.nix': FLAKE_ONE,
        'images/live/configuration.nix': configuration(`${marker}l`, '    git\n    neovim'),
        // A channel image that only ever gets a comment.
        'images/quiet/configuration.nix': configuration(`${marker}q`, '    git'),
        // A flake with two image configurations.
        'images/multi/flake.nix': flakeTwo(marker),
        'images/multi/configuration.nix': configuration(undefined, '    git'),
        'images/multi/rescue.nix': rescueModule(marker, 'htop'),
      },
    });
    mainCommit = ws.git('rev-parse', 'HEAD').trim();
    ws.git('checkout', '-q', '-b', 'feature');
  });

  it('nx affected runs diff for the one image a package bump reaches; it reports both versions and both sizes', () => {
    ws.write('images/rescue/disk-probe.nix', probe('1.1'));
    commit('disk-probe 1.1');
    const r = ws.nx(['affected', '-t', 'diff', '-c', 'offline', '--output-style=static'], { NX_BASE: 'main' });
    expect(ran(r)).toMatchObject({ status: 0 });
    expect(tasksRun(r.output)).toEqual(['rescue:diff:offline']);
    expect(existsSync(join(ws.root, 'dist/images/live/diff.json'))).toBe(false);

    const diff = diffOf('dist/images/rescue');
    expect(diff).toMatchObject({ project: 'rescue', base: { ref: 'main', commit: mainCommit }, status: 'changed' });
    expect(diff.drvPath.base).toMatch(/\.drv$/);
    expect(diff.drvPath.head).not.toBe(diff.drvPath.base);
    expect(diff.toplevel?.base).toMatch(new RegExp(`-nixos-system-${marker}r-`));
    expect(diff.packages?.changed).toContainEqual(expect.objectContaining({ name: 'disk-probe', before: ['1.0'], after: ['1.1'] }));
    expect(diff.packages?.added).toEqual([]);
    expect(diff.packages?.removed).toEqual([]);
    expect(diff.closureSize).toEqual({ base: expect.any(Number), head: expect.any(Number) });
    expect(diff.closureSize?.base).toBeGreaterThan(0);
    expect(diff.closureSize?.head).toBeGreaterThan(0);
    expect(diff.imageSize?.head).toBeGreaterThan(0);

    const markdown = markdownOf('dist/images/rescue');
    expect(markdown).toMatch(MARKDOWN_TABLE);
    const probeRow = markdown.split('\n').find((line) => line.startsWith('|') && line.includes('disk-probe'));
    expect(probeRow).toMatch(/1\.0.*1\.1/);
    expect(r.output).toContain('rescue: disk-probe 1.0 → 1.1');

    // Nothing moved since: the same diff comes from Nx's cache.
    const again = ws.nx(['run', 'rescue:diff', '-c', 'offline'], { NX_BASE: 'main' });
    expect(ran(again)).toMatchObject({ status: 0 });
    expect(again.output).toMatch(/\[(local cache|existing outputs match the cache, left as is)\]/);

    // The base was checked out elsewhere: the user's tree and worktree list are as they were.
    expect(ws.git('status', '--porcelain')).toBe('');
    expect(ws.git('worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(ws.git('rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('feature');
  });

  it('names a package added and one removed (a flake image)', () => {
    ws.write('images/live/configuration.nix', configuration(`${marker}l`, '    git\n    htop'));
    commit('live: htop instead of neovim');
    const r = ws.nx(['run', 'live:diff', '-c', 'offline', '--base=main']);
    expect(ran(r)).toMatchObject({ status: 0 });
    const diff = diffOf('dist/images/live');
    expect(diff).toMatchObject({ project: 'live', base: { ref: 'main', commit: mainCommit }, status: 'changed' });
    expect(diff.packages?.added.map((p) => p.name)).toEqual(['htop']);
    expect(diff.packages?.added[0].versions).toEqual(['1.0']);
    expect(diff.packages?.removed.map((p) => p.name)).toEqual(['neovim']);
    expect(diff.packages?.changed.map((p) => p.name)).not.toContain('htop');
    const markdown = markdownOf('dist/images/live');
    expect(markdown).toMatch(MARKDOWN_TABLE);
    expect(markdown).toMatch(/htop/);
    expect(markdown).toMatch(/neovim/);
  });

  it('a comment-only change is "no change in the image", and nothing is built', () => {
    const file = 'images/quiet/configuration.nix';
    ws.write(file, ws.read(file).replace('  environment.systemPackages', '  # Only a comment: the derivation stays the same.\n  environment.systemPackages'));
    commit('quiet: a comment');
    // main moves on after the branch: the diff compares with where the two meet, as nx affected does, not with main's tip.
    ws.git('checkout', '-q', 'main');
    ws.write(file, configuration(`${marker}q`, '    git\n    tmux'));
    commit('quiet: tmux, on main');
    ws.git('checkout', '-q', 'feature');
    const r = ws.nx(['run', 'quiet:diff', '-c', 'offline']);
    expect(ran(r)).toMatchObject({ status: 0 });
    const diff = diffOf('dist/images/quiet');
    expect(diff).toMatchObject({ project: 'quiet', base: { ref: 'main', commit: mainCommit }, status: 'unchanged' });
    expect(diff.drvPath.base).toBe(diff.drvPath.head);
    expect(diff.packages).toBeUndefined();
    expect(markdownOf('dist/images/quiet')).toMatch(/No change in the image/);

    expectNothingBuilt(diff.drvPath.head, `${marker}q`);
  });

  it('an image whose directory the base does not have is "new"', () => {
    // The rescue image's files as they are now: the same derivation, already built, so this costs no build.
    ws.write('images/fresh/configuration.nix', ws.read('images/rescue/configuration.nix'));
    ws.write('images/fresh/disk-probe.nix', ws.read('images/rescue/disk-probe.nix'));
    commit('fresh: a new image');
    const r = ws.nx(['run', 'fresh:diff', '-c', 'offline']);
    expect(ran(r)).toMatchObject({ status: 0 });
    const diff = diffOf('dist/images/fresh');
    expect(diff).toMatchObject({ project: 'fresh', base: { ref: 'main', commit: mainCommit }, status: 'new' });
    expect(diff.drvPath.base).toBeUndefined();
    expect(diff.drvPath.head).toBe(diffOf('dist/images/rescue').drvPath.head);
    expect(diff.closureSize?.head).toBeGreaterThan(0);
    expect(diff.closureSize?.base).toBeUndefined();
    expect(markdownOf('dist/images/fresh')).toMatch(/New image/);
  });

  it('a flake with two image configurations has a diff per configuration; diff runs both', () => {
    const shown = ws.nx(['show', 'project', 'multi', '--json']);
    expect(ran(shown)).toMatchObject({ status: 0 });
    const targets = JSON.parse(shown.output.slice(shown.output.indexOf('{'), shown.output.lastIndexOf('}') + 1)).targets;
    expect(Object.keys(targets)).toEqual(expect.arrayContaining(['diff', 'diff--liveImage', 'diff--rescue']));
    const dirOf = (configuration: string): string =>
      targets[`diff--${configuration}`].options.outputPath ?? `dist/images/multi/${configuration}`;

    ws.write('images/multi/rescue.nix', rescueModule(marker, 'htop tmux'));
    commit('multi: tmux on the rescue image');
    const r = ws.nx(['run', 'multi:diff', '-c', 'offline']);
    expect(ran(r)).toMatchObject({ status: 0 });
    expect(tasksRun(r.output)).toEqual(expect.arrayContaining(['multi:diff--liveImage:offline', 'multi:diff--rescue:offline']));

    const live = diffOf(dirOf('liveImage'));
    expect(live).toMatchObject({ project: 'multi', configuration: 'liveImage', status: 'unchanged' });
    expectNothingBuilt(live.drvPath.head, `${marker}ml`);
    const rescue = diffOf(dirOf('rescue'));
    expect(rescue).toMatchObject({ project: 'multi', configuration: 'rescue', status: 'changed' });
    expect(rescue.packages?.added.map((p) => p.name)).toEqual(['tmux']);
    expect(rescue.packages?.removed).toEqual([]);
  });
});
