import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { nixpkgsForRelease } from '@nixiso/nix-fixtures';
import { describeWithNix, fixtures, pathWithoutNix, tempDir, tempTree } from '@nixiso/testing';
import { NIX_MISSING } from '../nix/process/run';
import {
  concurrencyLimit,
  discoveryCacheDirectory,
  type EvaluateFlakeImagesOptions,
  evaluateFlakeImages,
  type FlakeImagesEvaluation,
  nxWorkspaceDataDirectory,
} from './evaluate-images';

const FLAKE = `{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }: {
    nixosConfigurations = builtins.mapAttrs
      (name: _: nixpkgs.lib.nixosSystem { modules = [ ./hosts/\${name} ]; })
      (builtins.readDir ./hosts);
  };
}
`;
const DESK = '{ ... }: { nixpkgs.hostPlatform = "x86_64-linux"; system.stateVersion = "24.05"; networking.hostName = "desk"; }\n';
const ISO = `{ modulesPath, ... }: {
  imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ];
  nixpkgs.hostPlatform = "x86_64-linux";
}
`;

/** A flake whose configurations are the directories of hosts/, one default.nix each. */
function hostsFlake(hosts: Record<string, string>, flake = FLAKE): string {
  return tempTree({ 'flake.nix': flake, ...Object.fromEntries(Object.entries(hosts).map(([name, text]) => [`hosts/${name}/default.nix`, text])) });
}

describe('concurrencyLimit', () => {
  it('runs at most `max` at a time, the others in the order they came', async () => {
    const limit = concurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const job = (i: number) =>
      limit(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((done) => setTimeout(done, 5));
        running--;
        return i;
      });
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(job))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('frees the slot when the work fails', async () => {
    const limit = concurrencyLimit(1);
    await expect(limit(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await limit(async () => 'next')).toBe('next');
  });
});

describe('nxWorkspaceDataDirectory', () => {
  it("is Nx's own", () => {
    expect(nxWorkspaceDataDirectory('/ws')).toBe((require('nx/src/utils/cache-directory') as { workspaceDataDirectory: string }).workspaceDataDirectory);
  });

  it("takes @nx/devkit/internal's where nx/src/utils/cache-directory is gone, else applies Nx's rule", () => {
    const gone = (id: string) => {
      throw new Error(`Cannot find module '${id}'`);
    };
    expect(nxWorkspaceDataDirectory('/ws', (id) => (id === '@nx/devkit/internal' ? { workspaceDataDirectory: '/d' } : gone(id)))).toBe('/d');
    const saved = process.env.NX_WORKSPACE_DATA_DIRECTORY;
    try {
      delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
      expect(nxWorkspaceDataDirectory('/ws', gone)).toBe('/ws/.nx/workspace-data');
      process.env.NX_WORKSPACE_DATA_DIRECTORY = 'data';
      expect(nxWorkspaceDataDirectory('/ws', gone)).toBe('/ws/data');
    } finally {
      if (saved === undefined) delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
      else process.env.NX_WORKSPACE_DATA_DIRECTORY = saved;
    }
  });

  it('holds the cache in <workspace data>/nixiso/discovery', () => {
    expect(discoveryCacheDirectory('/ws/.nx/workspace-data')).toBe('/ws/.nx/workspace-data/nixiso/discovery');
  });
});

describeWithNix('evaluateFlakeImages with real Nix', (nix) => {
  /**
   * A `nix` on PATH that logs each start and end to a file and runs the real
   * one (not exec'd, so that its end is logged): the log proves which Nix
   * processes ran. Never for a test that stops Nix (the signal would stop this script only).
   */
  function countingNix(): { env: NodeJS.ProcessEnv; starts: () => string[]; log: () => string[] } {
    const bin = tempDir('nixiso-counting-nix-');
    const logFile = join(bin, 'log');
    writeFileSync(logFile, '');
    writeFileSync(
      join(bin, 'nix'),
      `#!/bin/sh\ncase " $* " in *" eval "*) what=eval ;; *) what=other ;; esac\n` +
        `echo "start $what" >> '${logFile}'\n'${nix.nix}' "$@"\nstatus=$?\necho "end $what" >> '${logFile}'\nexit $status\n`,
    );
    chmodSync(join(bin, 'nix'), 0o755);
    const log = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    return { env: { ...nix.env, PATH: `${bin}${delimiter}${nix.env.PATH}` }, log, starts: () => log().filter((l) => l.startsWith('start')) };
  }

  const options = (dir: string, more: Partial<EvaluateFlakeImagesOptions> = {}): EvaluateFlakeImagesOptions => ({
    cwd: dir,
    flakeRef: `path:${dir}`,
    overrideInputs: { nixpkgs: fixtures.nixpkgs },
    nixOptions: { substituters: '' },
    env: nix.env,
    workspaceDataDirectory: tempDir('nixiso-workspace-data-'),
    inputsHash: 'inputs-1',
    ...more,
  });

  it('classifies configurations whose names come from builtins.readDir, and caches the result', async () => {
    const dir = hostsFlake({ desk: DESK, iso: ISO });
    const opts = options(dir);
    expect(await evaluateFlakeImages(opts)).toEqual({
      status: 'evaluated',
      cached: false,
      configurations: { desk: { image: false, variants: [] }, iso: { image: true, variants: [] } },
    });
    const cacheDir = join(opts.workspaceDataDirectory as string, 'nixiso/discovery');
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });

  it('answers an unchanged flake from the cache without starting Nix, and evaluates again when its inputs change', async () => {
    const dir = hostsFlake({ desk: DESK, iso: ISO });
    const counting = countingNix();
    const opts = options(dir, { env: counting.env });
    const first = await evaluateFlakeImages(opts);
    expect(first).toMatchObject({ status: 'evaluated', cached: false });
    // No `nix --version`: which Nix it is comes from its executable, so a hit starts no process.
    expect(counting.starts()).toEqual(['start eval']);

    const again = await evaluateFlakeImages(opts);
    expect(again).toEqual({ ...first, cached: true });
    expect(counting.starts()).toEqual(['start eval']);

    expect(await evaluateFlakeImages({ ...opts, inputsHash: 'inputs-2' })).toEqual({ ...first, cached: false });
    expect(counting.starts()).toEqual(['start eval', 'start eval']);
    // One cache file per flake: the new key replaced the old one, which is not used any more.
    expect(readdirSync(join(opts.workspaceDataDirectory as string, 'nixiso/discovery'))).toHaveLength(1);
    expect(await evaluateFlakeImages(opts)).toMatchObject({ cached: false });
  });

  it('does not use a cache file written for another key', async () => {
    const dir = hostsFlake({ desk: DESK, iso: ISO });
    const opts = options(dir);
    await evaluateFlakeImages(opts);
    const cacheDir = join(opts.workspaceDataDirectory as string, 'nixiso/discovery');
    const [file] = readdirSync(cacheDir);
    const entry = JSON.parse(readFileSync(join(cacheDir, file), 'utf8'));
    writeFileSync(join(cacheDir, file), JSON.stringify({ ...entry, key: 'another', configurations: { forged: { image: true, variants: [] } } }));
    expect(await evaluateFlakeImages(opts)).toMatchObject({ cached: false, configurations: { desk: { image: false } } });
    expect(await evaluateFlakeImages(opts)).toMatchObject({ cached: true, configurations: { iso: { image: true } } });
  });

  it('evaluates only the given names', async () => {
    const dir = hostsFlake({ desk: DESK, iso: ISO });
    expect(await evaluateFlakeImages(options(dir, { names: ['iso', 'gone'] }))).toEqual({
      status: 'evaluated',
      cached: false,
      configurations: { iso: { image: true, variants: [] } },
    });
  });

  it('lists the image variants of NixOS 25.05 without making every configuration an image', async () => {
    const dir = hostsFlake({ desk: DESK.replace('24.05', '25.05'), iso: ISO });
    const result = await evaluateFlakeImages(options(dir, { overrideInputs: { nixpkgs: nixpkgsForRelease('25.05') } }));
    const variants = ['iso', 'iso-installer', 'qcow2', 'raw', 'vmware'];
    expect(result).toEqual({
      status: 'evaluated',
      cached: false,
      configurations: { desk: { image: false, variants }, iso: { image: true, variants } },
    });
  });

  it('reports a configuration the module system rejects as an error and still classifies the others', async () => {
    const dir = hostsFlake({
      undeclared: '{ ... }: { nixpkgs.hostPlatform = "x86_64-linux"; services.nosuchthing.enable = true; }\n',
      // A wrong value of an option that classification does not read: this host is classified, its error is the build's to report.
      badHostName: DESK.replace('"desk"', '1'),
      iso: ISO,
    });
    expect(await evaluateFlakeImages(options(dir))).toEqual({
      status: 'evaluated',
      cached: false,
      configurations: { undeclared: { error: true }, badHostName: { image: false, variants: [] }, iso: { image: true, variants: [] } },
    });
  });

  it("is unavailable, with Nix's error, when a host fails in a way Nix cannot catch (a missing file)", async () => {
    const dir = hostsFlake({ desk: DESK, missing: '{ ... }: { imports = [ ./nope.nix ]; }\n', iso: ISO });
    const result = await evaluateFlakeImages(options(dir));
    expect(result).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^error: getting status of '.*\/hosts\/missing\/nope\.nix': No such file or directory$/) });
  });

  it('is unavailable without Nix on PATH', async () => {
    const dir = hostsFlake({ desk: DESK });
    expect(await evaluateFlakeImages(options(dir, { env: { ...nix.env, PATH: pathWithoutNix() } }))).toEqual({ status: 'unavailable', reason: NIX_MISSING });
    expect(NIX_MISSING).toMatch(/^nix not found on PATH; install Nix/);
  });

  it("is unavailable, with Nix's error, when an input cannot be fetched; remembered for the process, not cached on disk", async () => {
    // No override, and a host that never resolves (RFC 2606): offline on every machine.
    const dir = hostsFlake({ desk: DESK }, FLAKE.replace('github:nixos/nixpkgs/nixos-24.05', 'https://nixiso-offline.invalid/nixpkgs.tar.gz'));
    const counting = countingNix();
    const opts = options(dir, { overrideInputs: {}, env: counting.env, timeoutSeconds: 60 });
    const started = Date.now();
    const result = await evaluateFlakeImages(opts);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/^error: unable to download 'https:\/\/nixiso-offline\.invalid\/nixpkgs\.tar\.gz': Couldn't resolve host name/),
    });
    expect(existsSync(join(opts.workspaceDataDirectory as string, 'nixiso/discovery'))).toBe(false);

    expect(await evaluateFlakeImages(opts)).toEqual(result);
    expect(counting.starts()).toEqual(['start eval']);

    // A new process (here: a fresh copy of the module) asks Nix again.
    let fresh!: typeof evaluateFlakeImages;
    jest.isolateModules(() => {
      fresh = (require('./evaluate-images') as typeof import('./evaluate-images')).evaluateFlakeImages;
    });
    expect(await fresh(opts)).toEqual(result);
    expect(counting.starts()).toEqual(['start eval', 'start eval']);
  });

  it('stops Nix at the timeout and says so', async () => {
    const marker = `nixiso-slow-${process.pid}-${Date.now()}`;
    // Import from a derivation whose build never ends within the test: the evaluation waits for it.
    const dir = tempTree({
      'flake.nix': `{
  outputs = { self }: {
    nixosConfigurations.slow = import (derivation {
      name = "${marker}";
      system = builtins.currentSystem or "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "/bin/sleep 600 # ${marker}" ];
    });
  };
}
`,
    });
    const started = Date.now();
    const result = await evaluateFlakeImages(options(dir, { overrideInputs: {}, timeoutSeconds: 2 }));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result).toEqual({
      status: 'unavailable',
      reason: `nix eval of path:${dir}#nixosConfigurations did not finish within 2 s and was stopped (option timeoutSeconds)`,
    });
    // Nix took its builder with it.
    await new Promise((done) => setTimeout(done, 1000));
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(marker);
  });

  it('runs at most two evaluations at a time, and one for callers asking the same', async () => {
    const dir = hostsFlake({ desk: DESK, iso: ISO });
    const counting = countingNix();
    const opts = options(dir, { env: counting.env });
    const results: FlakeImagesEvaluation[] = await Promise.all(
      ['a', 'b', 'c', 'd', 'a'].map((inputsHash) => evaluateFlakeImages({ ...opts, inputsHash })),
    );
    expect(results.every((r) => r.status === 'evaluated' && !r.cached)).toBe(true);
    const evals = counting.log().filter((l) => l.endsWith(' eval'));
    expect(evals.filter((l) => l.startsWith('start'))).toHaveLength(4);
    let running = 0;
    let most = 0;
    for (const line of evals) most = Math.max(most, (running += line.startsWith('start') ? 1 : -1));
    expect(most).toBe(2);
  });
});
