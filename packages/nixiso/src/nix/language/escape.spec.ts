import { isNixAttrPath, isNixIdentifier, nixAttrName, nixString, nixStringList, withPkgsAttrPath } from './escape';

describe('nixString', () => {
  it.each([
    ['plain', '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['${builtins.abort "x"}', '"\\${builtins.abort \\"x\\"}"'],
    ['$notInterpolated {}', '"$notInterpolated {}"'],
    ['a\nb\tc\rd', '"a\\nb\\tc\\rd"'],
    ["''", '"\'\'"'],
    ['é😀', '"é😀"'],
  ])('%j → %s', (value, literal) => {
    expect(nixString(value)).toBe(literal);
  });

  it('rejects NUL, which a Nix string cannot hold', () => {
    expect(() => nixString('a\0b')).toThrow(/NUL/);
  });
});

describe('names', () => {
  it.each(['git', 'python3Packages', 'home-manager', "foo'", '_x'])('%s is an identifier', (name) => {
    expect(isNixIdentifier(name)).toBe(true);
    expect(nixAttrName(name)).toBe(name);
  });

  it.each(['', '1abc', 'with', 'or', 'a b', 'a"b', 'a.b'])('%j is not an identifier and gets quoted', (name) => {
    expect(isNixIdentifier(name)).toBe(false);
    expect(nixAttrName(name)).toBe(nixString(name));
  });

  it.each(['git', 'python3Packages.requests', 'gnome.nautilus'])('%s is an attribute path', (path) => {
    expect(isNixAttrPath(path)).toBe(true);
  });

  it.each(['', 'a..b', '.a', 'a.', 'git neovim', 'a"b', 'pkgs.${x}', 'with'])('%j is not an attribute path', (path) => {
    expect(isNixAttrPath(path)).toBe(false);
  });
});

describe('nixStringList', () => {
  it('prints one literal per line, or an empty list', () => {
    expect(nixStringList(['a', 'b"'])).toBe('[\n    "a"\n    "b\\""\n  ]');
    expect(nixStringList([])).toBe('[ ]');
  });
});

describe('withPkgsAttrPath', () => {
  const lexical = new Set(['pkgs', 'home-manager', 'username']);
  it.each([
    ['git', 'git'],
    ['python3Packages.requests', 'python3Packages.requests'],
    ['home-manager', 'pkgs.home-manager'],
    ['username', 'pkgs.username'],
    ['pkgs', 'pkgs.pkgs'],
    ['map', 'pkgs.map'],
    ['toString', 'pkgs.toString'],
    ['__splicedPackages', 'pkgs.__splicedPackages'],
    ['builtins.foo', 'pkgs.builtins.foo'],
    ['home-manager-extra', 'home-manager-extra'],
    ['python3Packages.map', 'python3Packages.map'],
  ])('%s → %s', (path, written) => {
    expect(withPkgsAttrPath(path, lexical)).toBe(written);
  });
});
