import jsoncParser from 'jsonc-eslint-parser';
import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // package.json declares every package the published code imports, and no other.
    files: ['**/*.json'],
    languageOptions: { parser: jsoncParser },
    rules: {
      '@nx/dependency-checks': ['error', { ignoredFiles: ['{projectRoot}/eslint.config.{js,cjs,mjs,ts,cts,mts}'] }],
    },
  },
  {
    // Factories, implementations and schemas named in the plugin's manifests
    // exist. They are resolved against the .ts sources under src/, which the
    // build (tsconfig.lib.json, the rule's default) compiles to the same
    // paths in dist/packages/nixiso.
    files: ['./package.json', './generators.json', './executors.json'],
    languageOptions: { parser: jsoncParser },
    rules: {
      '@nx/nx-plugin-checks': 'error',
    },
  },
];
