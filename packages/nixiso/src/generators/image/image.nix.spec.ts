import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { ARTICLE, describeWithNix, fixtures, tempDir, type NixTools } from '@nixiso/testing';
import { NIX_BASE_ENV_NAMES } from '../../nix/language/escape';
import { normalizeImageOptions, type NormalizedImageOptions } from './normalize-options';
import { DEFAULT_RELEASE, PROFILE_MODULES, RELEASES } from '../../nix/building/releases';
import { imageGenerator, renderImageFiles } from './image';
import type { ImageGeneratorSchema } from './schema';

/** Generates one image into a fresh tree and returns its Nix files (name → content). */
async function generate(options: Partial<ImageGeneratorSchema>): Promise<Map<string, string>> {
  const tree: Tree = createTreeWithEmptyWorkspace();
  await imageGenerator(tree, { directory: 'image', skipFormat: true, ...options });
  const files = tree.children('image').filter((file) => file.endsWith('.nix'));
  return new Map(files.map((file) => [file, tree.read(`image/${file}`, 'utf-8') as string]));
}

/** Writes `files` (path → content) under a new temporary directory; returns their absolute paths. */
function writeAll(files: Iterable<[string, string]>, root = tempDir('nixiso-image-')): string[] {
  return [...files].map(([path, content]) => {
    const absolute = join(root, path);
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
    return absolute;
  });
}

/** `nix-instantiate --parse` of many files in one process: one normalised expression per file. */
function parseAll(nix: NixTools, files: string[]): string[] {
  const out = execFileSync(nix.nixInstantiate, [...nix.offlineArgs, '--parse', ...files], { env: nix.env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = out.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(files.length);
  return lines;
}

const {
  configuration: ARTICLE_CONFIGURATION,
  configurationHomeManager: ARTICLE_CONFIGURATION_HM,
  flake: ARTICLE_FLAKE,
  flakeHomeManager: ARTICLE_FLAKE_HM,
  homeChannel: ARTICLE_HOME_CHANNEL,
  homeFlake: ARTICLE_HOME_FLAKE,
} = ARTICLE;

const ARTICLE_VARIANTS: [string, Partial<ImageGeneratorSchema>, Record<string, string>][] = [
  ['1 (channel)', {}, { 'configuration.nix': ARTICLE_CONFIGURATION }],
  ['2 (flake)', { flake: true }, { 'configuration.nix': ARTICLE_CONFIGURATION, 'flake.nix': ARTICLE_FLAKE }],
  ['3 (channel + home-manager)', { homeManager: true }, { 'configuration.nix': ARTICLE_CONFIGURATION_HM, 'home.nix': ARTICLE_HOME_CHANNEL }],
  [
    '4 (flake + home-manager)',
    { flake: true, homeManager: true },
    { 'configuration.nix': ARTICLE_CONFIGURATION_HM, 'home.nix': ARTICLE_HOME_FLAKE, 'flake.nix': ARTICLE_FLAKE_HM },
  ],
];

/** A deterministic PRNG (mulberry32), so a failing fuzz case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  '${builtins.abort "x"}', '"; system.stateVersion = "1', "''", "''${", "'''", '${', '$${', '$', '\\', '\\$', '\\${', '"', '\\"',
  '\n', '\r\n', '\t', ' ', '#', '/*', '*/', ';', '=', '{', '}', '`', '${x}', 'é', 'ß', 'я', '中文', '😀', '👩‍💻', '🏳️‍🌈',
  '\u0001', '\u001b[31m', '\u007f', '\u00a0', '\u2028', '\ufeff', '\uffff', 'a', 'Z', '0', 'ssh-ed25519 AAAAC3Nz', '~/',
];

/** A random non-empty string without NUL and without lone surrogates (neither fits in a Nix string / UTF-8). */
function fuzzString(next: () => number): string {
  let out = '';
  const pieces = 1 + Math.floor(next() * 12);
  for (let i = 0; i < pieces; i++) {
    const r = next();
    if (r < 0.6) out += NASTY[Math.floor(next() * NASTY.length)];
    else if (r < 0.8) out += String.fromCharCode(1 + Math.floor(next() * 0x7f));
    else {
      let cp = 0x80 + Math.floor(next() * (0x10ffff - 0x80));
      if (cp >= 0xd800 && cp <= 0xdfff) cp += 0x800;
      out += String.fromCodePoint(cp);
    }
  }
  return out;
}

describeWithNix('image generator output, checked by Nix', (nix) => {
  it('every generated .nix file parses, over the layouts, releases, profiles and options', async () => {
    const variants: Partial<ImageGeneratorSchema>[] = [];
    for (const [flake, homeManager] of [[false, false], [true, false], [false, true], [true, true]]) {
      for (const release of RELEASES) {
        for (const profile of release.profiles) variants.push({ flake, homeManager, release: release.id, profile });
      }
      variants.push({
        flake, homeManager, release: '24.11', stateVersion: '23.11', hostPlatform: 'aarch64-linux', configurationName: "img-2'",
        packages: 'htop,python3Packages.requests,map', homePackages: ['home-manager', 'username'], username: 'alice', hostName: 'lab-1',
        timeZone: 'Europe/Berlin', sshAuthorizedKeys: ['ssh-ed25519 AAAA a@b', 'ssh-rsa B ${x} "q"'], isoBaseName: 'rescue', backend: 'nixos-generators', tags: 'a,b',
      });
      variants.push({ flake, homeManager, release: '25.05', isoBaseName: 'x', packages: '', username: '_svc', sshAuthorizedKeys: ['ssh-ed25519 AAAA k'] });
    }
    const files: [string, string][] = [];
    for (const [i, options] of variants.entries()) {
      for (const [file, content] of await generate(options)) files.push([`${i}/${file}`, content]);
    }
    expect(new Set(variants.map((v) => v.profile)).size).toBe(Object.keys(PROFILE_MODULES).length + 1);
    expect(files.length).toBeGreaterThan(100);
    parseAll(nix, writeAll(files));
  });

  it.each(ARTICLE_VARIANTS)('article variant %s: the same Nix expressions as the article', async (_name, options, articleFiles) => {
    const generated = await generate({ release: '24.05', ...options });
    expect([...generated.keys()].sort()).toEqual(Object.keys(articleFiles).sort());
    const root = tempDir('nixiso-article-');
    const names = Object.keys(articleFiles);
    // Same directory names on both sides: Nix makes relative paths absolute.
    const articlePaths = writeAll(names.map((n) => [`article/image/${n}`, articleFiles[n]]), root);
    const generatedPaths = writeAll(names.map((n) => [`generated/image/${n}`, generated.get(n) as string]), root);
    const parsed = parseAll(nix, [...articlePaths, ...generatedPaths]).map((expr) =>
      expr.split(`${root}/article/`).join('<dir>/').split(`${root}/generated/`).join('<dir>/'),
    );
    expect(parsed.slice(names.length)).toEqual(parsed.slice(0, names.length));
  });

  // The generator refuses most of these strings (hostName, timeZone and key checks);
  // the templates and nixString are fuzzed directly, below that validation.
  it('fuzz: hostName, timeZone and sshAuthorizedKeys evaluate to the input, byte for byte', async () => {
    const defaults = normalizeImageOptions({ directory: 'image' }, { workspaceRoot: '/ws' });
    const render = (options: Partial<NormalizedImageOptions>) => renderImageFiles({ ...defaults, ...options });
    const seed = Number(process.env.NIXISO_FUZZ_SEED ?? 20240530);
    const next = random(seed);
    const cases = Array.from({ length: 1000 }, () => ({
      hostName: fuzzString(next),
      timeZone: fuzzString(next),
      sshAuthorizedKeys: Array.from({ length: 1 + Math.floor(next() * 3) }, () => fuzzString(next)),
    }));
    cases[0] = { hostName: '${builtins.abort "x"}', timeZone: '"; system.stateVersion = "1', sshAuthorizedKeys: ["''", '\\', '\n\t'] };

    const root = tempDir('nixiso-fuzz-');
    const files: [string, string][] = [];
    for (const [i, options] of cases.entries()) {
      files.push([`${i}/configuration.nix`, render(options).get('configuration.nix') as string]);
    }
    writeAll(files, root);
    // Evaluates each generated module with stand-in arguments and reads the values back.
    writeFileSync(
      join(root, 'eval.nix'),
      `let
  pkgs = { git = "git"; neovim = "neovim"; lib.mkOverride = _: value: value; };
  read = file: let m = import file { inherit pkgs; modulesPath = "/modules"; }; in {
    hostName = m.networking.hostName;
    timeZone = m.time.timeZone;
    sshAuthorizedKeys = m.users.users.nixos.openssh.authorizedKeys.keys;
    stateVersion = m.system.stateVersion;
  };
in map read [
${files.map(([path]) => `  ./${path}`).join('\n')}
]
`,
    );
    const json = execFileSync(nix.nixInstantiate, [...nix.offlineArgs, '--eval', '--strict', '--json', join(root, 'eval.nix')], {
      env: nix.env,
      maxBuffer: 1 << 28,
    });
    const evaluated = JSON.parse(json.toString('utf8')) as (typeof cases[number] & { stateVersion: string })[];
    expect(evaluated).toHaveLength(cases.length);
    // Compared as UTF-8 bytes: what Nix holds is exactly what the user typed.
    const bytes = (v: { hostName: string; timeZone: string; sshAuthorizedKeys: string[] }) =>
      [v.hostName, v.timeZone, ...v.sshAuthorizedKeys].map((s) => Buffer.from(s, 'utf8').toString('hex'));
    for (const [i, input] of cases.entries()) {
      const output = evaluated[i];
      if (JSON.stringify(bytes(output)) !== JSON.stringify(bytes(input)) || output.stateVersion !== DEFAULT_RELEASE.stateVersion) {
        throw new Error(`fuzz case ${i} (seed ${seed}) differs:\n input ${JSON.stringify(input)}\n   nix ${JSON.stringify(output)}`);
      }
    }
  });

  it('NIX_BASE_ENV_NAMES are exactly the names of this Nix that win over `with`', () => {
    const names = JSON.parse(
      execFileSync(nix.nixInstantiate, [...nix.offlineArgs, '--eval', '--json', '-E', 'builtins.attrNames builtins'], { env: nix.env, encoding: 'utf8' }),
    ) as string[];
    const candidates = [...new Set([...names.filter((n) => !n.startsWith('__')), 'true', 'false', 'null', 'builtins'])];
    const probe = `builtins.filter (n: n != null) [ ${candidates.map((n) => `(if (with { ${n} = "PKG"; }; ${n}) == "PKG" then null else "${n}")`).join(' ')} ]`;
    const shadowing = JSON.parse(
      execFileSync(nix.nixInstantiate, [...nix.offlineArgs, '--eval', '--strict', '--json', '-E', probe], { env: nix.env, encoding: 'utf8' }),
    ) as string[];
    // `break` came with later Nix versions; listed so that their base environment is covered too.
    expect(new Set(shadowing)).toEqual(new Set([...NIX_BASE_ENV_NAMES].filter((n) => n !== 'break' || shadowing.includes('break'))));
  });

  it('a configuration added to a generated flake evaluates with its own options, the first unchanged', async () => {
    const tree: Tree = createTreeWithEmptyWorkspace();
    await imageGenerator(tree, { directory: 'image', skipFormat: true, flake: true, homeManager: true, release: '24.05' });
    await imageGenerator(tree, { directory: 'image', skipFormat: true, configurationName: 'rescue', hostName: 'rescue-1', homeManager: true, homePackages: 'jq' });
    const root = tempDir('nixiso-added-');
    writeAll(tree.children('image').map((file) => [file, tree.read(`image/${file}`, 'utf-8') as string]), root);
    const evalJson = (attr: string) =>
      JSON.parse(
        execFileSync(
          nix.nix,
          [
            'eval', '--json', `path:${root}#nixosConfigurations.${attr}`,
            '--override-input', 'nixpkgs', `path:${fixtures.nixpkgs}`,
            '--override-input', 'home-manager', `path:${fixtures.homeManager}`,
            '--no-write-lock-file', ...nix.flakeArgs, ...nix.offlineArgs,
          ],
          { env: nix.env, encoding: 'utf8' },
        ),
      );
    expect(evalJson('rescue.config.networking.hostName')).toBe('rescue-1');
    expect(evalJson('liveImage.config.networking.hostName')).not.toBe('rescue-1');
    expect(evalJson('rescue.config.home-manager.users.nixos.home.packages')).toEqual([expect.stringMatching(/-jq-/)]);
  });

  describe('a package named like a binding of the generated file is the package', () => {
    /** Evaluates the generated modules with the stand-in pkgs; each list element's pname, or what else it is. */
    function packagesOf(files: Map<string, string>, flake: boolean): { system: string[]; home: string[] } {
      const root = tempDir('nixiso-bindings-');
      writeAll(files, root);
      const what = 'p: if builtins.isAttrs p && p ? pname then p.pname else if builtins.isAttrs p && p ? nixosModules then "<the home-manager flake input>" else builtins.typeOf p';
      writeFileSync(
        join(root, 'eval.nix'),
        `let
  pkgs = import ${fixtures.nixpkgs} { system = "x86_64-linux"; };
  what = ${what};
  homeManagerInput = { nixosModules.home-manager = { }; };
  configuration = import ./configuration.nix { inherit pkgs; modulesPath = "/modules"; };
  home = import ./home.nix ({ inherit pkgs; } // (if ${flake} then { home-manager = homeManagerInput; } else { }));
  user = home.home-manager.users.nixos { inherit pkgs; osConfig.system.stateVersion = "24.05"; };
in {
  system = map what configuration.environment.systemPackages;
  home = map what user.home.packages;
}
`,
      );
      const json = execFileSync(nix.nixInstantiate, [...nix.offlineArgs, '--eval', '--strict', '--json', join(root, 'eval.nix')], {
        env: nix.env,
        encoding: 'utf8',
      });
      return JSON.parse(json);
    }

    it.each([false, true])('--packages/--homePackages home-manager (flake: %s)', async (flake) => {
      const files = await generate({ flake, homeManager: true, packages: 'home-manager,git', homePackages: 'home-manager,jq' });
      expect(files.get('home.nix')).toContain('        pkgs.home-manager\n');
      expect(packagesOf(files, flake)).toEqual({ system: ['home-manager', 'git'], home: ['home-manager', 'jq'] });
    });

    it('negative control: written bare, home-manager in home.nix of a flake is the flake input', async () => {
      const files = await generate({ flake: true, homeManager: true, homePackages: 'home-manager,jq' });
      files.set('home.nix', (files.get('home.nix') as string).replace('pkgs.home-manager', 'home-manager'));
      expect(packagesOf(files, true).home).toEqual(['<the home-manager flake input>', 'jq']);
    });
  });
});
