import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir, workspaceRoot } from './stand-ins';

export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'nixiso test',
  GIT_AUTHOR_EMAIL: 'test@nixiso.invalid',
  GIT_COMMITTER_NAME: 'nixiso test',
  GIT_COMMITTER_EMAIL: 'test@nixiso.invalid',
};

/** Nx and Nix colour their output when something (CI, FORCE_COLOR) asks for it; tests match plain text. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

export interface TestWorkspace {
  root: string;
  /** Runs `nx` in the workspace; never throws, returns what it printed. */
  nx(args: string[], env?: NodeJS.ProcessEnv): { status: number; output: string };
  git(...args: string[]): string;
  write(path: string, content: string): void;
  read(path: string): string;
}

/**
 * A throw-away Nx workspace in a git repository that uses this repository's
 * node_modules and a copy of the plugin source (resolved through a tsconfig
 * path, as in this repository), the offline Nix stand-ins and the given
 * example projects. Integration tests run the real Nx CLI in it so they never
 * touch this repository's dist/ or Nx cache.
 *
 * `directoryPrefix` starts the workspace directory's name (a random suffix
 * follows), e.g. `'nixiso ws ü-'` for a path with a space and a non-ASCII letter.
 */
export function createTestWorkspace(
  options: {
    examples?: string[];
    files?: Record<string, string>;
    directoryPrefix?: string;
    /** Directories copied into the workspace as they are (binary files too): workspace path → source directory. */
    directories?: Record<string, string>;
    /** Changes nx.json before the first commit (e.g. targetDefaults). */
    nxJson?: (json: Record<string, unknown>) => void;
  } = {},
): TestWorkspace {
  const root = tempDir(options.directoryPrefix ?? 'nixiso-ws-');
  symlinkSync(join(workspaceRoot, 'node_modules'), join(root, 'node_modules'));
  cpSync(join(workspaceRoot, 'packages/nixiso'), join(root, 'packages/nixiso'), { recursive: true });
  cpSync(join(workspaceRoot, 'tools/nix-fixtures'), join(root, 'tools/nix-fixtures'), {
    recursive: true,
    filter: (src) => !/\/test(\/|$)/.test(src) && !/(project|tsconfig)\.json$|jest\.config\.ts$/.test(src),
  });
  cpSync(join(workspaceRoot, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  const nxJson = JSON.parse(readFileSync(join(workspaceRoot, 'nx.json'), 'utf8'));
  nxJson.targetDefaults = Object.fromEntries(
    Object.entries(nxJson.targetDefaults).filter(([key]) => key.startsWith('@nixiso/')),
  );
  options.nxJson?.(nxJson);
  writeFileSync(join(root, 'nx.json'), JSON.stringify(nxJson, null, 2));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'nixiso-test-workspace', private: true }, null, 2));
  writeFileSync(join(root, '.gitignore'), 'node_modules\ndist\n.nx\n');
  for (const example of options.examples ?? []) {
    cpSync(join(workspaceRoot, 'examples', example), join(root, 'examples', example), { recursive: true });
  }
  const ws: TestWorkspace = {
    root,
    nx(args, env = {}) {
      const r = spawnSync('npx', ['nx', ...args], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', ...env },
      });
      return { status: r.status ?? 1, output: stripAnsi(`${r.stdout}\n${r.stderr}`) };
    },
    git(...args) {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...GIT_IDENTITY } });
    },
    write(path, content) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    },
    read(path) {
      return readFileSync(join(root, path), 'utf8');
    },
  };
  for (const [path, source] of Object.entries(options.directories ?? {})) cpSync(source, join(root, path), { recursive: true });
  for (const [path, content] of Object.entries(options.files ?? {})) ws.write(path, content);
  ws.git('init', '-q', '-b', 'main');
  ws.git('add', '-A');
  ws.git('commit', '-qm', 'initial');
  return ws;
}
