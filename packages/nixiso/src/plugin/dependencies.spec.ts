import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DependencyType, type CreateDependenciesContext, type FileData, type ProjectConfiguration } from '@nx/devkit';
import { tempDir, workspaceRoot as repoRoot, writeFiles } from '@nixiso/testing';
import { createDependencies, owningProject } from './dependencies';

/** A createDependencies context over `root`, where each file belongs to the deepest project root containing it. */
function contextFor(root: string, roots: Record<string, string>, files: Record<string, string>, only?: string[]): CreateDependenciesContext {
  const projects: Record<string, ProjectConfiguration> = {};
  for (const [name, projectRoot] of Object.entries(roots)) projects[name] = { name, root: projectRoot };
  const byRoot = new Map(Object.entries(roots).map(([name, projectRoot]) => [projectRoot, name]));
  const projectFileMap: Record<string, FileData[]> = {};
  for (const [file, content] of Object.entries(files)) {
    const owner = owningProject(file, byRoot);
    if (!owner || (only && !only.includes(file))) continue;
    (projectFileMap[owner] ??= []).push({ file, hash: String(content.length) + content.slice(0, 40) });
  }
  return {
    projects,
    externalNodes: {},
    nxJsonConfiguration: {},
    workspaceRoot: root,
    fileMap: { projectFileMap, nonProjectFiles: [] },
    filesToProcess: { projectFileMap, nonProjectFiles: [] },
  };
}

const sortEdges = (edges: { source: string; target: string; sourceFile?: string }[]) =>
  edges.map(({ source, target, sourceFile }) => `${source} -> ${target} (${sourceFile})`).sort();

describe('createDependencies', () => {
  const roots = { a: 'modules/a', keys: 'modules/a/keys', b: 'modules/b', one: 'images/one', two: 'images/two', three: 'images/three' };
  const files: Record<string, string> = {
    'modules/a/default.nix': '{ imports = [ ../b ]; users.users.alice.openssh.authorizedKeys.keyFiles = [ ./keys/alice.pub ]; }\n',
    'modules/a/keys/alice.pub': 'ssh-ed25519 AAAA ../../../b\n',
    'modules/b/default.nix': '{ }\n',
    'images/one/configuration.nix': [
      '# ../../modules/b is not imported, only mentioned',
      '{ modulesPath, ... }: {',
      '  imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" "${../../modules/a}" ./home.nix ];',
      '  environment.etc.motd.text = "see ../../modules/b";',
      '  environment.etc.key.source = ../../modules/a/keys/alice.pub;',
      '  x = [ ../../../outside /etc/hosts ../../README.md <nixpkgs> ];',
      '}',
    ].join('\n'),
    'images/one/home.nix': '{ imports = [ <home-manager/nixos> ]; }\n',
    'images/two/configuration.nix': '{ imports = [ ../../modules/b/default.nix ]; }\n',
    'images/three/flake.nix': '{ inputs.shared.url = "path:../../modules/b"; outputs = { ... }: { nixosConfigurations = { }; }; }\n',
    'images/three/configuration.nix': '{ }\n',
  };

  it('adds a static edge from each .nix file to the project owning each path it refers to', async () => {
    const root = tempDir('nixiso-deps-');
    writeFiles(root, files);
    const edges = await createDependencies(undefined, contextFor(root, roots, files));
    expect(edges.every((edge) => edge.type === DependencyType.static)).toBe(true);
    expect(sortEdges(edges)).toEqual([
      'a -> b (modules/a/default.nix)',
      'a -> keys (modules/a/default.nix)',
      'one -> a (images/one/configuration.nix)',
      'one -> keys (images/one/configuration.nix)',
      'three -> b (images/three/flake.nix)',
      'two -> b (images/two/configuration.nix)',
    ]);
  });

  it('processes only the files Nx hands over, re-reading a file whose hash changed', async () => {
    const root = tempDir('nixiso-deps-');
    writeFiles(root, files);
    const changed = { ...files, 'images/three/configuration.nix': '{ imports = [ ../../modules/a ]; }\n' };
    writeFiles(root, changed);
    const edges = await createDependencies(undefined, contextFor(root, roots, changed, ['images/three/configuration.nix']));
    expect(sortEdges(edges)).toEqual(['three -> a (images/three/configuration.nix)']);
  });

  it('adds no edge for what an encrypted or binary .nix file would lex as', async () => {
    const root = tempDir('nixiso-deps-');
    // As a locked git-crypt checkout has it: header, nonce, then ciphertext that happens to spell `../../modules/b`.
    const gitCrypt = Buffer.concat([
      Buffer.from('\0GITCRYPT\0', 'latin1'),
      Buffer.from('4afaa6178c176057e8d46983', 'hex'),
      Buffer.from(' ../../modules/b /usr \xa8\x24\xcf ../../modules/a/keys ', 'latin1'),
    ]);
    // Not UTF-8, no NUL: Latin-1 text with a path in it.
    const latin1 = Buffer.from('# Gr\xfc\xdfe\n{ imports = [ ../../modules/b ]; }\n', 'latin1');
    const withSecrets = { ...files, 'images/two/secrets.nix': gitCrypt.toString('latin1'), 'images/three/old.nix': latin1.toString('latin1') };
    writeFiles(root, files);
    writeFileSync(join(root, 'images/two/secrets.nix'), gitCrypt);
    writeFileSync(join(root, 'images/three/old.nix'), latin1);
    const edges = await createDependencies(undefined, contextFor(root, roots, withSecrets, ['images/two/secrets.nix', 'images/three/old.nix']));
    expect(edges).toEqual([]);
  });

  it('finds every edge of 500 images sharing 20 modules (timed in tools/bench)', async () => {
    const root = tempDir('nixiso-deps-bench-');
    const many: Record<string, string> = {};
    const manyRoots: Record<string, string> = {};
    for (let m = 0; m < 20; m++) {
      manyRoots[`module-${m}`] = `modules/m${m}`;
      many[`modules/m${m}/default.nix`] = `{ imports = [ ../m${(m + 1) % 20} ]; }\n`;
    }
    // About 3 kB per image: settings, comments and strings that mention paths.
    const settings = Array.from({ length: 30 }, (_, k) => `  services.s${k}.enable = true; # ./not/${k}\n  environment.etc."f${k}".text = "x ./y";`).join('\n');
    for (let i = 0; i < 500; i++) {
      manyRoots[`image-${i}`] = `images/i${i}`;
      many[`images/i${i}/configuration.nix`] = `{ modulesPath, ... }: {\n  imports = [\n    "\${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"\n    ./home.nix\n    ../../modules/m${i % 20}\n  ];\n${settings}\n}\n`;
      many[`images/i${i}/home.nix`] = `{ imports = [ <home-manager/nixos> "\${../../modules/m${(i + 7) % 20}}" ]; }\n`;
    }
    writeFiles(root, many);
    const edges = await createDependencies(undefined, contextFor(root, manyRoots, many));
    expect(edges).toHaveLength(20 + 500 * 2);
  });
});

/**
 * The real CLI in a fresh workspace that loads this plugin from source: Nx
 * resolves an absolute `.ts` plugin path and transpiles it with swc (a
 * tsconfig path to a file outside the workspace is not a local plugin to Nx).
 */
describe('nx graph with the nixiso plugin', () => {
  const nxBin = join(repoRoot, 'node_modules/.bin/nx');
  const graphEdges = (root: string): string[] => {
    execFileSync(nxBin, ['graph', '--file=graph.json'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' },
      stdio: 'pipe',
    });
    const { graph } = JSON.parse(readFileSync(join(root, 'graph.json'), 'utf8')) as {
      graph: { nodes: Record<string, unknown>; dependencies: Record<string, { source: string; target: string; type: string }[]> };
    };
    expect(Object.keys(graph.nodes).sort()).toEqual(['a', 'b', 'one', 'three', 'two']);
    return Object.values(graph.dependencies)
      .flat()
      .map((d) => `${d.source} -> ${d.target} (${d.type})`)
      .sort();
  };

  it('shows the edges of string-antiquoted, listed and flake path: imports, and of an import added by hand', () => {
    const root = tempDir('nixiso-graph-');
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
    writeFiles(root, {
      'package.json': JSON.stringify({ name: 'graph-test', private: true }),
      'nx.json': JSON.stringify({ plugins: [join(repoRoot, 'packages/nixiso/src/index.ts')] }),
      'tsconfig.base.json': JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true } }),
      '.gitignore': 'node_modules\n.nx\n',
      'modules/a/project.json': JSON.stringify({ name: 'a', projectType: 'library', tags: ['nixos-module'] }),
      'modules/a/default.nix': '{ ... }: { imports = [ ../b ]; }\n',
      'modules/b/project.json': JSON.stringify({ name: 'b', projectType: 'library', tags: ['nixos-module'] }),
      'modules/b/default.nix': '{ ... }: { }\n',
      'images/one/configuration.nix': [
        '# ../../modules/b: a comment, not an import',
        '{ modulesPath, ... }: {',
        '  imports = [',
        '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"',
        '    "${../../modules/a}"',
        '  ];',
        '  environment.etc.motd.text = "built from ../../modules/b";',
        '}',
      ].join('\n'),
      'images/two/configuration.nix': [
        '{ modulesPath, ... }: {',
        '  imports = [',
        '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"',
        '    ../../modules/b',
        '  ];',
        '}',
      ].join('\n'),
      'images/three/flake.nix': [
        '{',
        '  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";',
        '  inputs.shared.url = "path:../../modules/a";',
        '  outputs = { nixpkgs, shared, ... }: {',
        '    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };',
        '  };',
        '}',
      ].join('\n'),
      'images/three/configuration.nix': [
        '{ modulesPath, ... }: {',
        '  imports = [',
        '    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"',
        '  ];',
        '}',
      ].join('\n'),
    });
    expect(graphEdges(root)).toEqual(['a -> b (static)', 'one -> a (static)', 'three -> a (static)', 'two -> b (static)']);

    const configuration = join(root, 'images/three/configuration.nix');
    writeFileSync(configuration, readFileSync(configuration, 'utf8').replace('  ];', '    ../../modules/b\n  ];'));
    expect(graphEdges(root)).toEqual([
      'a -> b (static)',
      'one -> a (static)',
      'three -> a (static)',
      'three -> b (static)',
      'two -> b (static)',
    ]);
  });
});
