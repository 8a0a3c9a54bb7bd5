/**
 * The inferred boot-test target on the four layouts and on the article's
 * broken home-manager activation, through the real Nx CLI: `boot-test:offline`
 * builds with `build:offline` (the target has the build's configurations),
 * boots the stand-in ISO in QEMU and types checks into its autologin shell.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorkspace, describeWithNix, describeWithQemu, type TestWorkspace } from '@nixiso/testing';
import { HELP_EXAMPLES } from '../../plugin/targets/help';

/** The boot-test.json the README shows, as a user would copy it (its comment line left out). */
function readmeBootTestJson(): { checks: { run: string }[] } {
  const readme = readFileSync(join(__dirname, '../../../../../README.md'), 'utf8');
  const block = /```json\n\/\/ images\/rescue\/boot-test\.json[^\n]*\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no boot-test.json example under "Boot tests"');
  return JSON.parse(block[1]);
}

const LAYOUTS = ['iso-channel', 'iso-flake', 'iso-channel-home-manager', 'iso-flake-home-manager'] as const;

/** One system package of every layout; one home package of the home-manager ones. */
const checksOf = (layout: string) => [
  { run: 'git --version', expect: '^git ' },
  ...(layout.includes('home-manager') ? [{ run: 'jq --version', expect: '^jq ' }] : []),
];

/** A project.json that keeps the generated one's name and gives the inferred boot-test target its checks. */
const projectJson = (name: string, checks: unknown[]) =>
  JSON.stringify({ name, sourceRoot: `examples/${name}`, projectType: 'application', targets: { 'boot-test': { options: { checks } } } });

interface Report {
  result: string;
  failedUnits: { unit?: string; message: string; logLines: string[] }[];
  checks: { command: string; passed: boolean }[];
}

describeWithNix('the inferred boot-test target', () => {
  describeWithQemu('with QEMU', () => {
    let ws: TestWorkspace;
    const report = (name: string): Report => JSON.parse(ws.read(`dist/examples/${name}/boot-test.json`));

    beforeAll(() => {
      ws = createTestWorkspace({
        examples: [...LAYOUTS],
        files: Object.fromEntries(LAYOUTS.map((layout) => [`examples/${layout}/project.json`, projectJson(layout, checksOf(layout))])),
      });
    });

    it.each(LAYOUTS)('%s builds and passes boot-test with its checks', (layout) => {
      const r = ws.nx(['run', `${layout}:boot-test:offline`]);
      expect(r.output).toMatch(new RegExp(`nx run ${layout}:build:offline`));
      expect(r.status).toBe(0);
      const rep = report(layout);
      expect(rep.result).toBe('passed');
      expect(rep.checks.map((c) => [c.command, c.passed])).toEqual(checksOf(layout).map((c) => [c.run, true]));
    });

    it.each([
      ['the README', readmeBootTestJson()],
      ['`nx show project` help', HELP_EXAMPLES.bootTest],
    ])('the boot-test.json example of %s passes on the stand-in image', (_, example) => {
      // No checks in project.json: they would win over the file's.
      ws.write('examples/iso-flake/project.json', JSON.stringify({ name: 'iso-flake', sourceRoot: 'examples/iso-flake', projectType: 'application' }));
      ws.write('examples/iso-flake/boot-test.json', JSON.stringify(example, null, 2));
      const r = ws.nx(['run', 'iso-flake:boot-test:offline']);
      expect(r.output).toMatch(/boot test passed/);
      expect(r.status).toBe(0);
      expect(report('iso-flake').checks.map((c) => [c.command, c.passed])).toEqual(example.checks.map((c) => [c.run, true]));
    });

    it('a second boot-test of the unchanged image is an Nx cache hit; a rebuild to the same image is one too', () => {
      // Nx replays a hit's output, QEMU command included: the task's cache marker and the unchanged report tell.
      const hit = /> nx run iso-channel:boot-test:offline\s+\[(local cache|existing outputs match the cache, left as is)\]/;
      const first = ws.read('dist/examples/iso-channel/boot-test.json');
      const again = ws.nx(['run', 'iso-channel:boot-test:offline']);
      expect(again.status).toBe(0);
      expect(again.output).toMatch(hit);
      expect(ws.read('dist/examples/iso-channel/boot-test.json')).toBe(first);
      // A comment edit rebuilds (the sources changed) but yields the same image: no second boot.
      const file = 'examples/iso-channel/configuration.nix';
      ws.write(file, ws.read(file).replace('# Any other option', '# Any other NixOS option'));
      const rebuilt = ws.nx(['run', 'iso-channel:boot-test:offline']);
      expect(rebuilt.status).toBe(0);
      expect(rebuilt.output).toMatch(/> nx run iso-channel:build:offline\s*\n/);
      expect(rebuilt.output).toMatch(hit);
      expect(ws.read('dist/examples/iso-channel/boot-test.json')).toBe(first);
    });

    it('the article’s broken activation builds, and its boot-test fails naming the unit and the unbound variable', () => {
      const home = 'examples/iso-channel-home-manager/home.nix';
      ws.write(
        home,
        ws
          .read(home)
          .replace(/home\.stateVersion/, 'home.activation.broken-script = lib.hm.dag.entryAfter [ "writeBoundary" ] \'\'\n        run echo $UNEXIST_VARIABLE\n      \'\';\n      home.stateVersion')
          .replace(/\{\s*pkgs,\s*osConfig,/, '{ pkgs, lib, osConfig,'),
      );
      const built = ws.nx(['run', 'iso-channel-home-manager:build:offline']);
      expect(built.status).toBe(0);
      const r = ws.nx(['run', 'iso-channel-home-manager:boot-test:offline']);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/home-manager-nixos\.service/);
      expect(r.output).toMatch(/UNEXIST_VARIABLE: unbound variable/);
      const rep = report('iso-channel-home-manager');
      expect(rep.result).toBe('failed');
      expect(rep.failedUnits.map((u) => u.unit)).toEqual(['home-manager-nixos.service']);
    });
  });
});
