import { join } from 'node:path';
import { tempTree } from '@nixiso/testing';
import { NixisoError } from '../executor-result';
import { BOOT_TEST_OPTIONS_FILE, jsonErrorOffset, mergeBootTestOptions, readBootTestOptionsFile } from './options-file';
import schema from './schema.json';

const project = (content: string | undefined) => tempTree(content === undefined ? { 'project.json': '{}' } : { 'project.json': '{}', [BOOT_TEST_OPTIONS_FILE]: content });

/** The message readBootTestOptionsFile throws for `content`. */
function failure(content: string): string {
  const root = project(content);
  try {
    readBootTestOptionsFile(root);
  } catch (e) {
    expect(e).toBeInstanceOf(NixisoError);
    return (e as Error).message.replace(`${root}/`, '<root>/');
  }
  throw new Error(`no error for ${content}`);
}

describe('readBootTestOptionsFile', () => {
  it('reads boot-test.json beside project.json; none is undefined', () => {
    const options = { timeoutSeconds: 300, memoryMiB: 2048, checks: [{ run: 'nix --version', expect: '^nix ', timeoutSeconds: 30 }], accel: 'tcg' };
    const root = project(JSON.stringify(options, null, 2));
    expect(readBootTestOptionsFile(root)).toEqual({ path: join(root, 'boot-test.json'), options });
    expect(readBootTestOptionsFile(project(undefined))).toBeUndefined();
    expect(BOOT_TEST_OPTIONS_FILE).toBe('boot-test.json');
  });

  it('takes every option of the schema, and a $schema key for editors (dropped)', () => {
    const all = { timeoutSeconds: 1, memoryMiB: 128, smp: 1, accel: 'kvm', qemuBinary: 'q', extraQemuArgs: ['-nic', 'user'], checks: [], expectAutologin: false, outputPath: 'dist/x', showConsole: true };
    expect(Object.keys(all).sort()).toEqual(Object.keys(schema.properties).sort());
    const root = project(JSON.stringify({ $schema: '../../node_modules/@nixiso/nx/src/executors/boot-test/schema.json', ...all }));
    expect(readBootTestOptionsFile(root)?.options).toEqual(all);
  });

  it('names the file, the key and the bad value', () => {
    expect(failure('{ "timeout": 60 }')).toBe(
      '<root>/boot-test.json: unknown key "timeout" (set to 60); boot-test takes timeoutSeconds, memoryMiB, smp, accel, qemuBinary, extraQemuArgs, checks, expectAutologin, outputPath, showConsole',
    );
    expect(failure('{ "timeoutSeconds": "60" }')).toBe('<root>/boot-test.json: timeoutSeconds is "60" (a string); it must be an integer ≥ 1');
    expect(failure('{ "timeoutSeconds": 1.5 }')).toBe('<root>/boot-test.json: timeoutSeconds is 1.5 (a number); it must be an integer ≥ 1');
    expect(failure('{ "memoryMiB": 64 }')).toBe('<root>/boot-test.json: memoryMiB is 64; it must be an integer ≥ 128');
    expect(failure('{ "accel": "fast" }')).toBe('<root>/boot-test.json: accel is "fast"; it must be one of auto, kvm, tcg');
    expect(failure('{ "extraQemuArgs": ["-m", 4] }')).toBe('<root>/boot-test.json: extraQemuArgs[1] is 4 (an integer); it must be a string');
    expect(failure('{ "checks": ["nix --version"] }')).toBe('<root>/boot-test.json: checks[0] is "nix --version" (a string); it must be an object');
    expect(failure('{ "checks": [{ "run": "true" }, { "expect": "x" }] }')).toBe('<root>/boot-test.json: checks[1] has no "run"');
    expect(failure('{ "checks": [{ "run": "true", "expected": "x" }] }')).toBe(
      '<root>/boot-test.json: checks[0]: unknown key "expected" (set to "x"); a check takes run, expect, timeoutSeconds',
    );
    expect(failure('{ "checks": [{ "run": "true", "timeoutSeconds": 0 }] }')).toBe('<root>/boot-test.json: checks[0].timeoutSeconds is 0; it must be an integer ≥ 1');
    expect(failure('{ "showConsole": "yes" }')).toBe('<root>/boot-test.json: showConsole is "yes" (a string); it must be a boolean');
    expect(failure('[]')).toMatch(/^<root>\/boot-test\.json holds an array; it must be a JSON object of boot-test options/);
    expect(failure('null')).toMatch(/^<root>\/boot-test\.json holds null; it must be a JSON object/);
  });

  it('invalid JSON: the file and where', () => {
    expect(failure('{\n  "checks": [\n    { "run": "true" },\n  ]\n}')).toMatch(/^<root>\/boot-test\.json is not valid JSON at line 4, column 3: /);
    expect(failure('')).toMatch(/^<root>\/boot-test\.json is not valid JSON/);
  });

  it('names the file relative to the working directory when it is inside it', () => {
    const root = project('{ "smp": 0 }');
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(() => readBootTestOptionsFile(root)).toThrow(/^boot-test\.json: smp is 0; it must be an integer ≥ 1$/);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('mergeBootTestOptions', () => {
  it("the target's options win key by key, only where defined; lists are replaced whole", () => {
    const file = { timeoutSeconds: 300, memoryMiB: 2048, checks: [{ run: 'a' }, { run: 'b' }] };
    expect(mergeBootTestOptions(file, { memoryMiB: 4096, timeoutSeconds: undefined })).toEqual({ timeoutSeconds: 300, memoryMiB: 4096, checks: [{ run: 'a' }, { run: 'b' }] });
    expect(mergeBootTestOptions(file, { checks: [{ run: 'c' }] })).toEqual({ timeoutSeconds: 300, memoryMiB: 2048, checks: [{ run: 'c' }] });
    expect(mergeBootTestOptions(undefined, { smp: 4 })).toEqual({ smp: 4 });
    expect(mergeBootTestOptions(file, {})).toEqual(file);
    // Nothing is changed in place.
    expect(file).toEqual({ timeoutSeconds: 300, memoryMiB: 2048, checks: [{ run: 'a' }, { run: 'b' }] });
  });
});

describe('schema.json', () => {
  it('sets no default for an option: Nx would fill it into the target options, and it would win over the file', () => {
    const defaulted = Object.entries(schema.properties as Record<string, { default?: unknown }>).filter(([, p]) => p.default !== undefined);
    expect(defaulted.map(([key]) => key)).toEqual([]);
  });
});

describe('jsonErrorOffset', () => {
  it('finds the first syntax error where JSON.parse fails, and none where it does not', () => {
    const cases = ['{}', '[1, 2]', '{"a": [true, false, null, -1.5e3, "x\\n\\u00e9"]}', '{"a": 1,}', '[1 2]', '{"a" 1}', "{'a': 1}", '{"a": tru}', '"\\x"', '01', '{"a": 1} x', '', '  ', '{"a": "b'];
    for (const text of cases) {
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      expect({ text, error: jsonErrorOffset(text) >= 0 }).toEqual({ text, error: !parses });
    }
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('[1 2]')).toBe(3);
    expect(jsonErrorOffset('{"a": "b')).toBe(8);
  });
});
