import { addImport, codeOnly } from './edit-imports';

const FILE = 'images/rescue/configuration.nix';
const add = (source: string, comment = ''): string => {
  const result = addImport(source, FILE, '../../modules/users', comment);
  if (result.status !== 'added') throw new Error(JSON.stringify(result));
  return result.source;
};

describe('addImport', () => {
  it('appends to a one-per-line list, aligned with the items, with the comment above', () => {
    const source = '{ modulesPath, ... }:\n{\n  imports = [\n    "${modulesPath}/x.nix"\n    ./home.nix\n  ];\n  a = 1;\n}\n';
    expect(add(source, 'why\nand how')).toBe(
      '{ modulesPath, ... }:\n{\n  imports = [\n    "${modulesPath}/x.nix"\n    ./home.nix\n    # why\n    # and how\n    ../../modules/users\n  ];\n  a = 1;\n}\n',
    );
  });

  it('turns a one-line list into a multi-line one', () => {
    expect(add('{\n  imports = [ ./a.nix ];\n}\n')).toBe('{\n  imports = [ ./a.nix\n    ../../modules/users\n  ];\n}\n');
    expect(add('{\n  imports = [ ];\n}\n')).toBe('{\n  imports = [\n    ../../modules/users\n  ];\n}\n');
    expect(add('{\n  imports = [\n  ];\n}\n')).toBe('{\n  imports = [\n    ../../modules/users\n  ];\n}\n');
  });

  it("picks the module's own list, not a nested module's or one in a comment or string", () => {
    const source = [
      '# imports = [ ./commented ];',
      '{ ... }:',
      '{',
      '  home-manager.users.nixos = { imports = [ ./hm.nix ]; };',
      '  description = "imports = [ ./in-a-string ]";',
      '  imports = [',
      '    ./a.nix',
      '  ];',
      '}',
    ].join('\n');
    expect(add(source)).toContain('  imports = [\n    ./a.nix\n    ../../modules/users\n  ];');
    expect(add(source)).toContain('{ imports = [ ./hm.nix ]; }');
  });

  it('adds an imports list to a module without one', () => {
    expect(add('{ pkgs, ... }:\n{\n  a = 1;\n}\n')).toBe('{ pkgs, ... }:\n{\n  imports = [\n    ../../modules/users\n  ];\n  a = 1;\n}\n');
    expect(add('args@{ pkgs, ... }: {\n  a = 1;\n}\n')).toContain('args@{ pkgs, ... }: {\n  imports = [\n    ../../modules/users\n  ];\n  a = 1;');
    expect(add('{ pkgs, ... }@args: { }')).toContain('{ pkgs, ... }@args: {\n  imports = [');
    expect(add('{\n  a = 1;\n}\n')).toBe('{\n  imports = [\n    ../../modules/users\n  ];\n  a = 1;\n}\n');
  });

  it('reports the file as already importing the target, whatever the form', () => {
    for (const form of ['../../modules/users', '../../modules/users/default.nix', '"${../../modules/users}"', './../../modules/users']) {
      expect(addImport(`{ imports = [ ${form} ]; }`, FILE, '../../modules/users')).toEqual({ status: 'present' });
    }
  });

  it('explains what it cannot edit', () => {
    expect(addImport('{ ... }: let a = 1; in { }', FILE, '../../modules/users')).toMatchObject({
      status: 'error',
      message: expect.stringContaining('add `imports = [ ../../modules/users ];` to it by hand'),
    });
    expect(addImport('{ }', FILE, 'modules/users')).toMatchObject({ status: 'error', message: expect.stringContaining('not a relative Nix path literal') });
    expect(addImport('{ }', FILE, '../my module')).toMatchObject({ status: 'error' });
  });
});

describe('codeOnly', () => {
  it('blanks comments and strings but keeps offsets and lines', () => {
    const source = 'a = "x { y"; # } z\nb = \'\'\n  [ \'\'; /* ] */ c';
    const code = codeOnly(source);
    expect(code).toHaveLength(source.length);
    expect(code.split('\n')).toHaveLength(source.split('\n').length);
    expect(code.replace(/\s+/g, ' ')).toBe('a = " "; b = \'\' \'\'; c');
  });
});
