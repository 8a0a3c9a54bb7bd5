import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { affectedBaseOfParent, baseRefOf } from './base-tree';

describe('baseRefOf: the option, then NX_BASE, then nx.json, then main', () => {
  it.each([
    ['v1.2', { NX_BASE: 'abc' }, { defaultBase: 'develop' }, 'v1.2'],
    [undefined, { NX_BASE: 'abc' }, { defaultBase: 'develop' }, 'abc'],
    [undefined, {}, { defaultBase: 'develop' }, 'develop'],
    [undefined, {}, { affected: { defaultBase: 'trunk' } }, 'trunk'],
    [undefined, {}, undefined, 'main'],
    ['', { NX_BASE: '' }, {}, 'main'],
  ])('option %p, env %p, nx.json %p: %p', (option, env, nxJson, expected) => {
    expect(baseRefOf(option, env, nxJson)).toBe(expected);
  });
});

describe("affectedBaseOfParent: the --base of the nx affected command that started the task", () => {
  const dir = mkdtempSync(join(tmpdir(), 'nixiso-cmdline-'));
  const cmdline = (...argv: string[]) => {
    const file = join(dir, `cmdline-${argv.length}-${Math.random()}`);
    writeFileSync(file, `${argv.join('\0')}\0`);
    return file;
  };

  it.each([
    [['node', '/ws/node_modules/.bin/nx', 'affected', '-t', 'diff', '--base=HEAD~1'], 'HEAD~1'],
    [['node', '/ws/node_modules/.bin/nx', 'affected', '--base', 'origin/main', '-t', 'diff'], 'origin/main'],
    [['node', '/ws/node_modules/.bin/nx', 'affected:diff', '--base=v1'], 'v1'],
    [['node', '/ws/node_modules/.bin/nx', 'affected', '-t', 'diff'], undefined],
    [['node', '/ws/node_modules/.bin/nx', 'run', 'img:diff', '--base=v1'], undefined],
    [['node', '/ws/node_modules/.bin/nx', 'affected', '-t', 'diff', '--', '--base=v1'], undefined],
  ])('%p: %p', (argv, expected) => {
    expect(affectedBaseOfParent(cmdline(...argv))).toBe(expected);
  });

  it('no such file (not Linux, or the parent is gone): undefined', () => {
    expect(affectedBaseOfParent(join(dir, 'missing'))).toBeUndefined();
  });
});
