import baseConfig, { moduleBoundaries } from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The stand-ins' tests use the shared helpers of @nixiso/testing, which
    // itself builds on this project's src/. That makes a cycle between the two
    // projects, but not between files: nothing under src/ imports the helpers.
    files: ['test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ tests: true, allow: ['^@nixiso/testing$'] }),
    },
  },
];
