import { commandLine } from '../building/command';
import {
  closureInfoCommand,
  type ClosureEntry,
  diffClosures,
  packageOfStorePath,
  parseClosureInfo,
  parseDrvName,
  SIZE_CHANGE_THRESHOLD,
} from './closure-diff';

/** A store path as Nix names it: 32 characters of Nix's base32, a dash, the name; one hash per name and seed. */
function storePath(name: string, seed = 0): string {
  const alphabet = '0123456789abcdfghijklmnpqrsvwxyz';
  let state = seed + 1;
  for (const char of name) state = (state * 31 + char.charCodeAt(0)) % 2 ** 31;
  let hash = '';
  for (let i = 0; i < 32; i++) {
    state = (state * 48271) % 2147483647;
    hash += alphabet[state % 32];
  }
  return `/nix/store/${hash}-${name}`;
}

/** A closure entry for `name` as the store would list it, `seed` telling two builds of the same name apart. */
function entry(name: string, narSize: number, seed = 0): ClosureEntry {
  const path = storePath(name, seed);
  const pkg = packageOfStorePath(path);
  if (!pkg) throw new Error(`${path} is not a store path`);
  return { path, ...pkg, narSize };
}

const TOPLEVEL = storePath('nixos-system-rescue-24.05.20240101.abcdef');

describe('closureInfoCommand', () => {
  it('lists the closure with sizes, from the local store', () => {
    expect(commandLine(closureInfoCommand(TOPLEVEL))).toBe(
      `nix --extra-experimental-features 'nix-command flakes' path-info --json --recursive ${TOPLEVEL}`,
    );
  });
});

describe('parseDrvName', () => {
  // Each answer is what `nix-instantiate --eval -E 'builtins.parseDrvName "<name>"'` gives on Nix 2.8.
  it.each([
    ['hello-2.12.1', 'hello', '2.12.1'],
    ['nixos-system-nixos-24.05pre-git', 'nixos-system-nixos', '24.05pre-git'],
    ['python3.11-requests-2.31.0', 'python3.11-requests', '2.31.0'],
    ['linux-6.6.30-modules', 'linux', '6.6.30-modules'],
    ['etc', 'etc', ''],
    ['X-Foo-1.0', 'X-Foo', '1.0'],
    ['hello-2.12.1-man', 'hello', '2.12.1-man'],
    ['foo-bar', 'foo-bar', ''],
    ['a-b-c', 'a-b-c', ''],
    ['foo-', 'foo-', ''],
    ['-1.0', '', '1.0'],
    ['foo--1', 'foo', '-1'],
    ['foo-_1', 'foo', '_1'],
    ['foo-.1', 'foo', '.1'],
    ['', '', ''],
  ])('%j → name %j, version %j', (drvName, name, version) => {
    expect(parseDrvName(drvName)).toEqual({ name, version });
  });
});

describe('packageOfStorePath', () => {
  // diff-closures strips an output name (a trailing lowercase word) before parseDrvName.
  it.each([
    ['firefox-128.0', 'firefox', '128.0'],
    ['hello-2.12.1-man', 'hello', '2.12.1'],
    ['openssl-3.0.13-dev', 'openssl', '3.0.13'],
    ['openssl-3.0.13-bin', 'openssl', '3.0.13'],
    ['glibc-2.39-52-lib64', 'glibc', '2.39-52'],
    ['linux-6.6.30-modules', 'linux', '6.6.30'],
    ['nixos-system-nixos-24.05pre-git', 'nixos-system-nixos', '24.05pre'],
    ['nixos-system-rescue-24.05.20240101.abcdef', 'nixos-system-rescue', '24.05.20240101.abcdef'],
    ['python3.11-requests-2.31.0', 'python3.11-requests', '2.31.0'],
    ['etc', 'etc', ''],
    // diff-closures' guess, kept so the two agree: the last lowercase word reads as an output.
    ['system-units', 'system', ''],
    ['X-Foo-1.0', 'X-Foo', '1.0'],
  ])('%s → %s %s', (storeName, name, version) => {
    expect(packageOfStorePath(storePath(storeName))).toEqual({ name, version });
  });

  it('is undefined for what is not a store path', () => {
    expect(packageOfStorePath('/nix/store/firefox-128.0')).toBeUndefined();
    expect(packageOfStorePath('/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-firefox-128.0')).toBeUndefined();
    expect(packageOfStorePath('')).toBeUndefined();
  });
});

describe('parseClosureInfo', () => {
  const firefox = storePath('firefox-128.0');
  const man = storePath('firefox-128.0-man');
  const drv = storePath('firefox-128.0.drv');

  it('reads Nix 2.8 (a list of path infos)', () => {
    // `nix path-info --json --recursive` on Nix 2.8, shortened.
    const nix28 = JSON.stringify([
      { path: firefox, narHash: 'sha256-W7vv', narSize: 236_000_000, references: [man], deriver: drv, registrationTime: 1796405967, ultimate: true },
      { path: man, narHash: 'sha256-R+ig', narSize: 1536, references: [], ultimate: true },
    ]);
    expect(parseClosureInfo(nix28)).toEqual([
      { path: firefox, name: 'firefox', version: '128.0', narSize: 236_000_000 },
      { path: man, name: 'firefox', version: '128.0', narSize: 1536 },
    ]);
  });

  it('reads newer Nix (an object keyed by path)', () => {
    const newer = JSON.stringify({ [firefox]: { narHash: 'sha256-W7vv', narSize: 42, references: [] }, [man]: { narSize: 7 } });
    expect(parseClosureInfo(newer)).toEqual([
      { path: firefox, name: 'firefox', version: '128.0', narSize: 42 },
      { path: man, name: 'firefox', version: '128.0', narSize: 7 },
    ]);
  });

  it('skips derivations', () => {
    expect(parseClosureInfo(JSON.stringify([{ path: drv, narSize: 3 }, { path: firefox, narSize: 42 }]))).toEqual([
      { path: firefox, name: 'firefox', version: '128.0', narSize: 42 },
    ]);
    expect(parseClosureInfo('[]')).toEqual([]);
    expect(parseClosureInfo('{}')).toEqual([]);
  });

  it.each([
    ['no JSON', 'error: path is not valid', /nix path-info printed no JSON .*"error: path is not valid"/],
    ['a number', '42', /nix path-info printed "42", not a list or an object of store paths/],
    ['null', 'null', /printed "null", not a list/],
    ['an entry without a path', '[{"narSize":1}]', /an entry without a path: "\{\\"narSize\\":1\}"/],
    ['a path Nix 2.8 says is not valid', `[{"path":"${firefox}","valid":false}]`, new RegExp(`${firefox} is not valid in the store`)],
    ['a path newer Nix says is not valid', `{"${firefox}":null}`, new RegExp(`${firefox} is not valid in the store`)],
    ['no narSize', `[{"path":"${firefox}"}]`, new RegExp(`gave ${firefox} the narSize undefined, not a number of bytes`)],
    ['a narSize that is text', `[{"path":"${firefox}","narSize":"12"}]`, /the narSize "12", not a number/],
    ['a negative narSize', `[{"path":"${firefox}","narSize":-1}]`, /the narSize -1, not a number/],
    ['a name outside the store', '[{"path":"/usr/bin/firefox","narSize":1}]', /printed "\/usr\/bin\/firefox", which is not a store path/],
  ])('says what is wrong with %s', (_, stdout, message) => {
    expect(() => parseClosureInfo(stdout)).toThrow(message);
  });

  it('keeps a long bad answer short in its message', () => {
    const message = (() => {
      try {
        parseClosureInfo(`oops ${'x'.repeat(5000)}`);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message.length).toBeLessThan(400);
    expect(message).toMatch(/…$/);
  });
});

describe('diffClosures', () => {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  const common = [entry('glibc-2.39-52', 30 * MiB), entry('glibc-2.39-52-bin', 2 * MiB), entry('bash-5.2p26', 1_677_722)];
  const none = { added: [], removed: [], changed: [] };

  it.each<[string, ClosureEntry[], ClosureEntry[], ReturnType<typeof diffClosures>]>([
    ['identical closures', common, common, none],
    ['the same closure listed in another order', common, [...common].reverse(), none],
    ['a path listed twice, as a set counts it', common, [...common, common[0]], none],
    [
      'a version bump',
      [...common, entry('firefox-128.0', 236 * MiB)],
      [...common, entry('firefox-129.0', 240 * MiB)],
      { ...none, changed: [{ name: 'firefox', before: ['128.0'], after: ['129.0'], sizeDelta: 4 * MiB }] },
    ],
    [
      'a version bump whose size did not move: listed, for its versions',
      [...common, entry('nano-7.2', 3 * MiB)],
      [...common, entry('nano-8.0', 3 * MiB)],
      { ...none, changed: [{ name: 'nano', before: ['7.2'], after: ['8.0'], sizeDelta: 0 }] },
    ],
    [
      'an added package, all its outputs together',
      common,
      [...common, entry('openssh-9.8p1', 5 * MiB), entry('openssh-9.8p1-man', 100 * KiB)],
      { ...none, added: [{ name: 'openssh', versions: ['9.8p1'], size: 5 * MiB + 100 * KiB }] },
    ],
    [
      'a removed package',
      [...common, entry('nano-7.2', 3 * MiB)],
      common,
      { ...none, removed: [{ name: 'nano', versions: ['7.2'], size: 3 * MiB }] },
    ],
    [
      'an added package without a version',
      common,
      [...common, entry('etc', 12)],
      { ...none, added: [{ name: 'etc', versions: [''], size: 12 }] },
    ],
    [
      'a size change of exactly the threshold (a rebuild at the same version)',
      [...common, entry('mesa-24.0.7', 40 * MiB, 1)],
      [...common, entry('mesa-24.0.7', 40 * MiB + SIZE_CHANGE_THRESHOLD, 2)],
      { ...none, changed: [{ name: 'mesa', before: [], after: [], sizeDelta: 8192 }] },
    ],
    [
      'a shrink past the threshold',
      [...common, entry('mesa-24.0.7', 40 * MiB, 1)],
      [...common, entry('mesa-24.0.7', 39 * MiB, 2)],
      { ...none, changed: [{ name: 'mesa', before: [], after: [], sizeDelta: -MiB }] },
    ],
    ['a size change under the threshold', [...common, entry('mesa-24.0.7', 40 * MiB, 1)], [...common, entry('mesa-24.0.7', 40 * MiB + 8191, 2)], none],
    ['a shrink under the threshold', [...common, entry('mesa-24.0.7', 40 * MiB, 1)], [...common, entry('mesa-24.0.7', 40 * MiB - 8191, 2)], none],
    [
      'a size change spread over outputs: their sum counts',
      [...common, entry('perl-5.38.2', 50 * MiB, 1), entry('perl-5.38.2-man', 5 * KiB, 1)],
      [...common, entry('perl-5.38.2', 50 * MiB + 4 * KiB, 2), entry('perl-5.38.2-man', 9 * KiB, 2)],
      { ...none, changed: [{ name: 'perl', before: [], after: [], sizeDelta: 8 * KiB }] },
    ],
    [
      'several versions of one name: only those that changed',
      [...common, entry('python3-3.11.9', 100 * MiB), entry('python3-3.12.4', 110 * MiB)],
      [...common, entry('python3-3.12.4', 110 * MiB), entry('python3-3.13.0', 115 * MiB)],
      { ...none, changed: [{ name: 'python3', before: ['3.11.9'], after: ['3.13.0'], sizeDelta: 15 * MiB }] },
    ],
    [
      'a second version added beside the first',
      [...common, entry('openssl-3.0.13', 6 * MiB)],
      [...common, entry('openssl-3.0.13', 6 * MiB), entry('openssl-1.1.1w', 5 * MiB), entry('openssl-1.1.1w-dev', 1 * MiB)],
      { ...none, changed: [{ name: 'openssl', before: [], after: ['1.1.1w'], sizeDelta: 6 * MiB }] },
    ],
    [
      'several versions of an added package, sorted',
      common,
      [...common, entry('qt-6.7.0', MiB), entry('qt-5.15.14', MiB)],
      { ...none, added: [{ name: 'qt', versions: ['5.15.14', '6.7.0'], size: 2 * MiB }] },
    ],
  ])('%s', (_, base, head, expected) => {
    expect(diffClosures(base, head)).toEqual(expected);
  });

  it('sorts every list by name, in code-unit order as diff-closures does', () => {
    const base = [entry('zlib-1.3', 100 * KiB), entry('Xorg-1.0', KiB), entry('attr-2.5.2', KiB), entry('b-1', KiB)];
    const head = [entry('zlib-1.3.1', 100 * KiB), entry('Xorg-1.1', KiB), entry('attr-2.5.3', KiB), entry('a-1', KiB), entry('C-1', KiB)];
    const diff = diffClosures(base, head);
    expect(diff.changed.map((c) => c.name)).toEqual(['Xorg', 'attr', 'zlib']);
    expect(diff.added.map((a) => a.name)).toEqual(['C', 'a']);
    expect(diff.removed.map((r) => r.name)).toEqual(['b']);
  });

  it('compares two system closures as diff-closures would print them', () => {
    const base = [entry('nixos-system-rescue-24.05.20240101.abcdef', 4552, 1), entry('firefox-128.0', 236 * MiB), entry('nano-7.2', 3 * MiB), ...common];
    const head = [entry('nixos-system-rescue-24.05.20240101.abcdef', 4560, 2), entry('firefox-129.0', 240 * MiB), entry('openssh-9.8p1', 5 * MiB), ...common];
    expect(diffClosures(base, head)).toEqual({
      added: [{ name: 'openssh', versions: ['9.8p1'], size: 5 * MiB }],
      removed: [{ name: 'nano', versions: ['7.2'], size: 3 * MiB }],
      changed: [{ name: 'firefox', before: ['128.0'], after: ['129.0'], sizeDelta: 4 * MiB }],
    });
  });
});
