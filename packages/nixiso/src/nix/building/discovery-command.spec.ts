import { execFileSync } from 'node:child_process';
import { describeWithNix } from '@nixiso/testing';
import { commandLine } from './command';
import { CLASSIFY_CONFIGURATIONS, flakeImagesCommand, parseFlakeImages } from './discovery-command';

describe('flakeImagesCommand', () => {
  it('evaluates nixosConfigurations of the flake through the classifying function, writing no lock file', () => {
    expect(flakeImagesCommand({ flakeRef: 'path:/ws/images/a' })).toEqual({
      command: 'nix',
      args: [
        '--extra-experimental-features', 'nix-command flakes',
        'eval', '--json', 'path:/ws/images/a#nixosConfigurations',
        '--apply', `(${CLASSIFY_CONFIGURATIONS}) null`,
        '--no-write-lock-file',
      ],
    });
  });

  it('passes --override-input (local paths as path: refs), -I and --option, in that order', () => {
    const cmd = flakeImagesCommand({
      flakeRef: 'git+file:///ws?dir=images/a',
      overrideInputs: { nixpkgs: '/np', 'home-manager': 'github:nix-community/home-manager/release-24.05' },
      nixPath: ['nixpkgs=/np'],
      nixOptions: { substituters: '', 'download-attempts': '1' },
    });
    expect(cmd.args.slice(cmd.args.indexOf('--no-write-lock-file'))).toEqual([
      '--no-write-lock-file',
      '--override-input', 'nixpkgs', 'path:/np',
      '--override-input', 'home-manager', 'github:nix-community/home-manager/release-24.05',
      '-I', 'nixpkgs=/np',
      '--option', 'substituters', '',
      '--option', 'download-attempts', '1',
    ]);
  });

  it('writes a local override that needs encoding relative to where Nix runs', () => {
    const cmd = flakeImagesCommand({ flakeRef: 'path:.', cwd: '/ws/my images', overrideInputs: { nixpkgs: '/ws/my images/np' } });
    expect(cmd.args).toContain('path:np');
  });

  it('selects names as Nix strings, sorted and once each, so the command line does not depend on their order', () => {
    const a = flakeImagesCommand({ flakeRef: 'path:/f', names: ['web', 'a"${x}', 'web'] });
    const b = flakeImagesCommand({ flakeRef: 'path:/f', names: ['a"${x}', 'web'] });
    expect(a).toEqual(b);
    expect(a.args[a.args.indexOf('--apply') + 1]).toBe(`(${CLASSIFY_CONFIGURATIONS}) [ "a\\"\\\${x}" "web" ]`);
    expect(flakeImagesCommand({ flakeRef: 'path:/f', names: [] }).args).toContain(`(${CLASSIFY_CONFIGURATIONS}) [ ]`);
  });

  it('reads as a shell line', () => {
    expect(commandLine(flakeImagesCommand({ flakeRef: 'path:/f', names: ['iso'] }))).toMatch(
      /^nix --extra-experimental-features 'nix-command flakes' eval --json path:\/f#nixosConfigurations --apply '\(names: configurations:\n[\s\S]*\) \[ "iso" \]' --no-write-lock-file$/,
    );
  });
});

describe('parseFlakeImages', () => {
  it('reads classified and failed configurations', () => {
    expect(parseFlakeImages('{"desk":{"image":false,"variants":[]},"iso":{"image":true,"variants":["iso","qcow2"]},"bad":{"error":true}}')).toEqual({
      configurations: { desk: { image: false, variants: [] }, iso: { image: true, variants: ['iso', 'qcow2'] }, bad: { error: true } },
    });
    expect(parseFlakeImages('{}')).toEqual({ configurations: {} });
  });

  it('keeps a configuration named __proto__ as a name', () => {
    const parsed = parseFlakeImages('{"__proto__":{"image":true,"variants":[]}}');
    expect('configurations' in parsed && Object.keys(parsed.configurations)).toEqual(['__proto__']);
  });

  it.each([
    ['not JSON (Nix stopped half-way)', '{"missing":', /printed no JSON/],
    ['a list', '[]', /not an attribute set/],
    ['null', 'null', /not an attribute set/],
    ['an image that is not a boolean', '{"a":{"image":"yes","variants":[]}}', /configuration "a"/],
    ['variants that are not strings', '{"a":{"image":true,"variants":[1]}}', /configuration "a"/],
    ['a missing variants list', '{"a":{"image":true}}', /configuration "a"/],
    ['error other than true', '{"a":{"error":false}}', /configuration "a"/],
    ['unknown keys', '{"a":{"image":true,"variants":[],"extra":1}}', /configuration "a"/],
  ])('rejects %s', (_what, stdout, message) => {
    const parsed = parseFlakeImages(stdout);
    expect('error' in parsed && parsed.error).toMatch(message);
  });
});

describeWithNix('CLASSIFY_CONFIGURATIONS in Nix', (nix) => {
  const classify = (names: string, configurations: string): unknown =>
    JSON.parse(
      execFileSync(nix.nixInstantiate, ['--eval', '--strict', '--json', '--expr', `(${CLASSIFY_CONFIGURATIONS}) ${names} (${configurations})`], {
        env: nix.env,
        encoding: 'utf8',
      }),
    );
  const configurations = `{
    iso = { config.system.build = { isoImage = throw "never built"; toplevel = 1; }; };
    sd = { config.system.build.sdImage = 1; };
    generated = { config = { formatAttr = "raw"; system.build.images = { iso = 1; qcow2 = 1; }; }; };
    host = { config = { networking.hostName = throw "an option value is never read"; system.build.toplevel = 1; }; };
    broken = { config = throw "The option \`foo' does not exist."; };
    brokenBuild = { config.system.build = throw "conflicting definitions"; };
    notNixos = 42;
  }`;

  it('classifies by the names in config.system.build and config, reading no option value', () => {
    expect(classify('null', configurations)).toEqual({
      iso: { image: true, variants: [] },
      sd: { image: true, variants: [] },
      generated: { image: true, variants: ['iso', 'qcow2'] },
      host: { image: false, variants: [] },
      broken: { error: true },
      brokenBuild: { error: true },
      notNixos: { image: false, variants: [] },
    });
  });

  it('classifies only the given names; names the flake lacks are absent', () => {
    expect(classify('[ "iso" "gone" ]', configurations)).toEqual({ iso: { image: true, variants: [] } });
  });
});
