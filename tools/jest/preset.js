// Shared jest setup for every project: swc for speed (type errors are caught by
// each project's `typecheck` target) and the summary reporter that
// tools/scripts/test.mjs reads to print one closing line for the whole suite.
const path = require('node:path');
const root = path.resolve(__dirname, '../..');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@nixiso/testing$': path.join(root, 'tools/testing/src/index.ts'),
    '^@nixiso/nix-fixtures$': path.join(root, 'tools/nix-fixtures/src/index.ts'),
    '^@nixiso/nx$': path.join(root, 'packages/nixiso/src/index.ts'),
  },
  setupFiles: [path.join(__dirname, 'clean-env.js')],
  reporters: ['default', path.join(__dirname, 'summary-reporter.js')],
};
