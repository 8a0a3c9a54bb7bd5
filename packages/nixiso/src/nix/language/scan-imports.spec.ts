import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describeWithNix, tempDir } from '@nixiso/testing';
import { scanImports, scanNixReads } from './scan-imports';

const FILE = '/ws/images/rescue/configuration.nix';
const scan = (source: string, file = FILE): string[] => scanImports(source, file);

describe('scanImports', () => {
  it('resolves path literals against the directory of the file', () => {
    expect(scan('{ a = ./x; b = ../x; c = ../../modules/y; d = ./x/default.nix; e = sub/file.nix; }')).toEqual([
      '/ws/images/rescue/x',
      '/ws/images/x',
      '/ws/modules/y',
      '/ws/images/rescue/x/default.nix',
      '/ws/images/rescue/sub/file.nix',
    ]);
  });

  it('reads the imports list of a generated configuration.nix', () => {
    const source = [
      '{ pkgs, modulesPath, ... }:',
      '{',
      '  imports = [',
      '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"',
      '    ./home.nix',
      '    ../../modules/users',
      '  ];',
      '  nixpkgs.hostPlatform = "x86_64-linux";',
      '}',
    ].join('\n');
    expect(scan(source)).toEqual(['/ws/images/rescue/home.nix', '/ws/modules/users']);
  });

  it('takes only the antiquotation of a string', () => {
    expect(scan('[ "${./x}" "${../x}/f" "see ./y ${ ../../m } ../z" ]')).toEqual([
      '/ws/images/rescue/x',
      '/ws/images/x',
      '/ws/m',
    ]);
  });

  it('finds builtins.path, import and callPackage arguments', () => {
    expect(scan('{ a = builtins.path { path = ./data; name = "d"; }; b = import ../lib { }; c = pkgs.callPackage ./pkg.nix { }; }')).toEqual([
      '/ws/images/rescue/data',
      '/ws/images/lib',
      '/ws/images/rescue/pkg.nix',
    ]);
  });

  it('resolves path: flake inputs relative to the flake, without query or fragment', () => {
    const flake = `{
      inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
      inputs.shared.url = "path:../../modules/shared";
      inputs.vendored = { url = "path:./vendor?narHash=sha256-x"; flake = false; };
      inputs.abs.url = "path:/srv/flakes/a#b";
      outputs = { self, nixpkgs, ... }: { };
    }`;
    expect(scan(flake, '/ws/images/live/flake.nix')).toEqual([
      '/ws/modules/shared',
      '/ws/images/live/vendor',
      '/srv/flakes/a',
    ]);
  });

  it('ignores comments', () => {
    const source = `# ./line/comment
      /* ../block ./comment
         spanning lines with * and / inside */
      { a = 1; /* ./x */ b = 2; # ../y
      }`;
    expect(scan(source)).toEqual([]);
  });

  it('ignores string contents, including escaped and $$-quoted antiquotations', () => {
    expect(scan('[ "see ./x" "a \\" ./b" "\\${./c}" "$${./d}" "$\\{./e}" "path:${x}/f" "./g" ]')).toEqual([]);
  });

  it('ignores indented strings except their antiquotations', () => {
    const source = `''
      ./not/a/path ../nor/this
      ''\${./escaped} ''' ./after/quotes ''\\n ./after/escape $\${./dollar}
      \${./yes} and \${ "\${../nested}" + ./plain }
      it's a ' ./single/quote
    ''`;
    expect(scan(source)).toEqual([
      '/ws/images/rescue/yes',
      '/ws/images/nested',
      '/ws/images/rescue/plain',
    ]);
  });

  it('ignores URLs, search paths and home paths, keeps absolute paths', () => {
    expect(scan('[ https://a/b github:owner/repo <nixpkgs> <home-manager/nixos> <nixpkgs/nixos/modules> ~/x ~/.config/y /etc/x ]')).toEqual(['/etc/x']);
  });

  it('reads operators and identifiers as Nix does', () => {
    // `a // b` and `a//b` are updates; `x/2` is a path; `a'` is an identifier, so `/b` after it is absolute.
    expect(scan("[ (a // b) (a//b) (x / 2) (x/2) (a'/b) (c' ./d) foo'' (e->f) ]")).toEqual([
      '/ws/images/rescue/x/2',
      '/b',
      '/ws/images/rescue/d',
    ]);
  });

  it('does not start an indented string inside an identifier', () => {
    expect(scan("{ x'' = ./a; y = x''; z = ./b; }")).toEqual(['/ws/images/rescue/a', '/ws/images/rescue/b']);
  });

  it('gives the fixed directory of an interpolated path, and skips what follows the antiquotation', () => {
    expect(scan('[ ./modules/${name}.nix ./by-name/${a}/${b}/default.nix ./${x} ./prefix-${y} ]')).toEqual([
      '/ws/images/rescue/modules',
      '/ws/images/rescue/by-name',
      '/ws/images/rescue',
    ]);
  });

  it('returns each path once, in source order', () => {
    expect(scan('[ ./b ./a ./b/. ./a/../b ]')).toEqual(['/ws/images/rescue/b', '/ws/images/rescue/a']);
  });

  it('gives relative results for a relative file', () => {
    expect(scan('[ ../../modules/a ]', 'images/x/configuration.nix')).toEqual(['modules/a']);
  });

  it('survives malformed input', () => {
    for (const source of ['"unterminated ./x', "''unterminated ${./y}", '/* open ./z', '${', '}}}', './a/${', '<', '~/']) {
      expect(() => scan(source)).not.toThrow();
    }
    expect(scan("''open ${./y}")).toEqual(['/ws/images/rescue/y']);
  });

  // Speed is measured in tools/bench; here only that such inputs finish (a
  // quadratic scan would hit jest's timeout) and give the right answer.
  it('scans megabytes and pathological inputs', () => {
    const chunk = '{ imports = [ ./a.nix ../b ]; s = "x ${./c} y"; t = \'\'\n  z ${./d}\n\'\'; /* ./e */ # ./f\n}\n';
    const source = `[${chunk.repeat(Math.ceil(1e6 / chunk.length))}]`;
    expect(scan(source)).toHaveLength(4);
    // Pathological inputs for a backtracking scanner stay linear too.
    for (const evil of ['/*'.repeat(2e5), '"\\'.repeat(2e5), "''$".repeat(2e5), 'a.'.repeat(2e5), '${'.repeat(2e5)]) {
      expect(Array.isArray(scan(evil))).toBe(true);
    }
  });
});

/**
 * Samples for the oracle: valid Nix (`--parse` rejects unbound variables)
 * that mixes every construct scanImports must get right.
 */
const ORACLE_SAMPLES: Record<string, string> = {
  'images/rescue/configuration.nix': `# ./commented/out.nix and ../also/not
/* block ../not/this ./nor/this */
{ config, lib, pkgs, modulesPath, a, b, x, name, ... }:
let
  url = https://example.org/a/b;
  gh = "github:owner/repo";
  s = "see ./x and \${./anti/one} and \\\${./escaped} and $\${./dollar} \\" ./after/quote";
  t = ''
    ./not/a/path ''\${./not/either} ''' ./x ''\\n
    \${./anti/two}/rest "quoted ./q"
    \${ "\${../nested/deep}" + toString ./nested/shallow }
  '';
  d = a // b;
  e = a//b;
  r = x/2;
  sp = <nixpkgs/nixos>;
  mods = ./mods/\${name};
  f = import ../lib/f.nix { };
  bp = builtins.path { path = ./data; name = "data"; };
in {
  imports = [
    "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
    ./home.nix
    ../../modules/users
    "\${../../modules/branding}/default.nix"
  ];
  abs = /etc/x;
  num = 1.5 / 2;
  cmp = if a < b then a else b;
}
`,
  'images/rescue/home.nix': `{ pkgs, ... }:
{
  imports = [ <home-manager/nixos> ];
  home-manager.users.nixos = { pkgs, osConfig, ... }: {
    home.file.".config/x".source = ./dotfiles/x; # ./not/this
    home.packages = [ pkgs.jq ];
  };
}
`,
  'images/live/flake.nix': `{
  description = "live image, see ./README and ../docs";
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  inputs.shared.url = "path:../../modules/shared";
  inputs.vendored = { url = "path:./vendor"; flake = false; };
  # inputs.old.url = "path:../../modules/old";
  outputs = { self, nixpkgs, shared, ... }: {
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      modules = [ ./configuration.nix shared.nixosModules.default ../../modules/users/default.nix ];
    };
  };
}
`,
  'modules/users/default.nix': `{ config, lib, pkgs, a', ... }:
{
  imports = [ ../branding ];
  users.users.alice.openssh.authorizedKeys.keyFiles = [ ./keys/alice.pub ];
  x = a'/b;
  y = lib.mkIf config.z { };
}
`,
};

/** Paths in `nix-instantiate --parse` output: bare `/abs/…` tokens, and `"path:…"` strings. */
function oraclePaths(parsed: string, file: string): string[] {
  const found = new Set<string>();
  for (let i = 0; i < parsed.length; i++) {
    const c = parsed[i];
    if (c === '"') {
      let value = '';
      for (i++; i < parsed.length && parsed[i] !== '"'; i++) value += parsed[i] === '\\' ? parsed[++i] : parsed[i];
      if (value.startsWith('path:')) found.add(posix.join(dirname(file), value.slice(5).replace(/[?#].*/, '')));
    } else if (c === '/' && /[\s([]/.test(parsed[i - 1] ?? ' ') && /[A-Za-z0-9._+-]/.test(parsed[i + 1] ?? '')) {
      const path = /^[A-Za-z0-9._+\-/]+/.exec(parsed.slice(i))![0];
      found.add(path.length > 1 ? path.replace(/\/$/, '') : path);
      i += path.length - 1;
    }
  }
  return [...found].sort();
}

/** Parses many files in one process; files Nix rejects are dropped so the rest still count. */
function parseWithNix(nixInstantiate: string, args: string[], env: NodeJS.ProcessEnv, files: string[]): Map<string, string> {
  let remaining = [...files];
  for (;;) {
    const result = spawnSync(nixInstantiate, [...args, '--parse', ...remaining], { env, encoding: 'utf8' });
    if (result.status === 0) {
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(remaining.length);
      return new Map(remaining.map((file, index) => [file, lines[index]]));
    }
    const rejected = /(\/\S+?\.nix):\d+:\d+/.exec(result.stderr)?.[1];
    if (!rejected || !remaining.includes(rejected)) throw new Error(result.stderr);
    remaining = remaining.filter((file) => file !== rejected);
  }
}

/** Valid Nix expressions (given the bound names a, a', b, x, name) that stress the lexer when juxtaposed. */
const FRAGMENTS = [
  './x', '../y/z.nix', 'sub/file.nix', '/etc/abs', '"${./anti}"', '"${../up}/f"', '"see ./str"', '"q \\" ./b"',
  '"\\${./esc}"', '"$${./dd}"', "''\n  ./ind ''${./e} ''' ./q ${./ia} $${./dd2}\n''", "''${./only}''", '(a // b)',
  '(a//b)', '(x/2)', '(x / 2)', "a'", 'x', '1.5', '3', 'https://h/p?q=1', 'github:o/r', '<nixpkgs>',
  '<home-manager/nixos>', '(import ./imp.nix)', '(builtins.path { path = ./bp; })', './m/${name}/x', '{ u = "path:../pu"; }',
  '(x: x)', '(a < b)', '{ ${name} = ./dyn; }', '"${ "${./deep}" }"',
];
const SEPARATORS = [' ', '\n', ' # ./c ../d\n', ' /* ../c */ ', '', '\t'];

/** Deterministic pseudo-random numbers, so that a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describeWithNix('scanImports agrees with nix-instantiate --parse', (nix) => {
  it('finds the same paths as Nix in every sample', () => {
    const root = tempDir('nixiso-scan-');
    const files = Object.entries(ORACLE_SAMPLES).map(([relative, source]) => {
      const file = join(root, relative);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, source);
      return file;
    });
    const parsed = parseWithNix(nix.nixInstantiate, nix.offlineArgs, nix.env, files);
    expect(parsed.size).toBe(files.length);
    Object.values(ORACLE_SAMPLES).forEach((source, index) => {
      const file = files[index];
      const ours = scanImports(source, file).sort();
      expect({ file, paths: ours }).toEqual({ file, paths: oraclePaths(parsed.get(file)!, file) });
      expect(ours.length).toBeGreaterThan(0);
    });
  });

  it('finds the same paths as Nix in 300 random juxtapositions of tricky fragments', () => {
    const next = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const root = tempDir('nixiso-scan-fuzz-');
    const sources = new Map<string, string>();
    for (let n = 0; n < 300; n++) {
      const parts = Array.from({ length: 12 }, () => pick(FRAGMENTS) + pick(SEPARATORS));
      const file = join(root, `d${n % 7}`, `f${n}.nix`);
      const source = `{ a, b, x, name, ... }: let a' = a; in [ ${parts.join('')} ]\n`;
      sources.set(file, source);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, source);
    }
    const parsed = parseWithNix(nix.nixInstantiate, nix.offlineArgs, nix.env, [...sources.keys()]);
    expect(parsed.size).toBeGreaterThan(200);
    for (const [file, output] of parsed) {
      const source = sources.get(file)!;
      expect({ source, paths: scanImports(source, file).sort() }).toEqual({ source, paths: oraclePaths(output, file) });
    }
  });
});

describe('scanNixReads', () => {
  const reads = (source: string, file = FILE) => scanNixReads(source, file);
  const targets = (source: string) => reads(source).paths.map(({ target, computed }) => (computed ? `${target} (computed)` : target));

  it('works out strings appended to a path, as Nix does: a climb is exact, only a computed part makes a directory', () => {
    expect(
      targets(
        [
          '[ (./. + "/../../keys/alice.pub")',
          '(./. + "/motd-${name}.txt")',
          '(./x + "/../y")',
          '(./. + "/../..")',
          '(./. + "/../../hosts/${n}.nix")',
          '(./keys + "/" + name + ".pub")',
          '(./. + "/a" + "/b")',
          '(./z + name) ]',
        ].join(' '),
      ),
    ).toEqual([
      '/ws/keys/alice.pub',
      '/ws/images/rescue (computed)',
      '/ws/images/rescue/y',
      '/ws',
      '/ws/hosts (computed)',
      '/ws/images/rescue/keys (computed)',
      '/ws/images/rescue/a/b',
      '/ws/images/rescue/z (computed)',
    ]);
    // What a message shows: the literal when it stands for itself, else what was appended.
    expect(reads('{ a = ./. + "/motd-${n}.txt"; b = ./. + "/../k.pub"; }').paths.map((r) => r.text)).toEqual(['./.', './. + "/../k.pub"']);
  });

  it('resolves a let or attribute binding of a path through its uses in the same file, and counts it whole when a use is opaque', () => {
    expect(targets('let repo = ./. + "/../.."; root = ../..; in [ (repo + "/keys/erin.pub") (root + "/keys/frank.pub") (repo + "/hosts/${n}.nix") ]')).toEqual([
      '/ws/keys/erin.pub',
      '/ws/keys/frank.pub',
      '/ws/hosts (computed)',
    ]);
    // `"${repo}/…"` copies all of repo to the store; a bare use passes all of it on.
    expect(targets('let repo = ./. + "/../.."; in [ (repo + "/keys/a.pub") "${repo}/keys/b.pub" ]')).toEqual(['/ws', '/ws/keys/a.pub']);
    expect(targets('let repo = ../..; in { src = repo; k = repo + "/k"; }')).toEqual(['/ws', '/ws/k']);
    // Unused: what it names still counts. Defined twice: which one a use means is Nix's to say.
    expect(targets('let repo = ../..; in { }')).toEqual(['/ws']);
    expect(targets('{ a = let repo = ../..; in repo + "/x"; b = { repo = ./.; }; }')).toEqual(['/ws', '/ws/images/rescue']);
  });

  it("reads a flake's self: string and + forms, inputs.self, computed suffixes, bindings; a bare self is no read", () => {
    const { self, paths } = reads(
      [
        '{ self, inputs, config, ... }: let keysDir = "${self}/keys"; root = self; in {',
        '  a = builtins.readFile "${self}/keys/alice.pub";',
        '  b = builtins.readFile (self + "/keys/bob.pub");',
        '  c = "${inputs.self}/x";',
        '  d = inputs.self + "/y";',
        '  e = import "${self}/hosts/${n}.nix";',
        '  f = keysDir + "/carol.pub";',
        '  g = root + "/z";',
        '  specialArgs = { inherit self; }; h = self; i = "${self}"; j = config.self + "/no"; k = "see ${self}/no";',
        '}',
      ].join('\n'),
    );
    expect(self.map(({ path, computed, line }) => ({ path, computed, line }))).toEqual([
      { path: '/keys/alice.pub', computed: false, line: 2 },
      { path: '/keys/bob.pub', computed: false, line: 3 },
      { path: '/x', computed: false, line: 4 },
      { path: '/y', computed: false, line: 5 },
      { path: '/hosts', computed: true, line: 6 },
      { path: '/keys/carol.pub', computed: false, line: 7 },
      { path: '/z', computed: false, line: 8 },
    ]);
    expect(paths).toEqual([]);
    expect(reads('{ self, ... }: { specialArgs = { inherit self; }; }').self).toEqual([]);
  });

  it('reports home paths, every search-path name, and getEnv names; a computed name says so', () => {
    const scanned = reads(
      [
        '{ a = ~/.ssh/id_ed25519.pub; b = ~/keys/${user}.pub; c = <mymods/x.nix>; d = <nixpkgs/nixos>; e = <home-manager>;',
        '  f = builtins.getEnv "SECRET_DIR"; g = getEnv "OTHER"; h = builtins.getEnv name; inherit (builtins) getEnv readFile;',
        '  i = /. + builtins.getEnv "EXTRA"; # <commented> ~/not builtins.getEnv "NOPE"',
        '  j = "<not/a/lookup> ~/nor ${builtins.getEnv "IN_STRING"}"; }',
      ].join('\n'),
    );
    expect(scanned.home).toEqual([
      { path: '.ssh/id_ed25519.pub', computed: false, line: 1, text: '~/.ssh/id_ed25519.pub' },
      { path: 'keys', computed: true, line: 1, text: '~/keys/' },
    ]);
    expect(scanned.lookups).toEqual(['mymods', 'nixpkgs', 'home-manager']);
    expect(scanned.env).toEqual([
      { name: 'SECRET_DIR', line: 2, text: 'builtins.getEnv "SECRET_DIR"' },
      { name: 'OTHER', line: 2, text: 'getEnv "OTHER"' },
      { name: undefined, line: 2, text: 'builtins.getEnv name' },
      { name: 'EXTRA', line: 3, text: 'builtins.getEnv "EXTRA"' },
      { name: 'IN_STRING', line: 4, text: 'builtins.getEnv "IN_STRING"' },
    ]);
    // `/. + …` is the file system root, computed: the caller refuses to walk it, and names the expression.
    expect(scanned.paths).toEqual([{ target: '/', computed: true, line: 3, text: '/.', expression: '/. + builtins.getEnv "EXTRA"' }]);
  });
});
