import nx from '@nx/eslint-plugin';

// Which projects may import which, by the tags in their project.json:
// the published plugin (scope:plugin) stands alone; the shared test tooling,
// the Nix stand-ins and the benchmarks (scope:tools) and the end-to-end suite
// (scope:e2e) build on it.
const depConstraints = [
  { sourceTag: 'scope:plugin', onlyDependOnLibsWithTags: ['scope:plugin'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:plugin', 'scope:tools'] },
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:plugin', 'scope:tools'] },
  { sourceTag: 'nixos-module', onlyDependOnLibsWithTags: ['nixos-module'] },
];

// The plugin's own tests may use the shared test tooling; what ships may not.
// Jest runs them from source and the build leaves them out, so the buildable
// check does not apply to them either.
const testDepConstraints = depConstraints.map((constraint) =>
  constraint.sourceTag === 'scope:plugin'
    ? { ...constraint, onlyDependOnLibsWithTags: ['scope:plugin', 'scope:tools'] }
    : constraint,
);

/** `@nx/enforce-module-boundaries` settings; project configs extend them with `allow`. */
export function moduleBoundaries({ tests = false, allow = [] } = {}) {
  return [
    'error',
    {
      enforceBuildableLibDependency: !tests,
      allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$', ...allow],
      depConstraints: tests ? testDepConstraints : depConstraints,
    },
  ];
}

export const testFiles = ['**/*.spec.ts', '**/jest.config.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/tmp', '**/coverage', '**/.nx', '**/node_modules'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries(),
      // `const { dropped: _dropped, ...rest } = record` is how the code leaves keys out.
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ tests: true }),
    },
  },
];
