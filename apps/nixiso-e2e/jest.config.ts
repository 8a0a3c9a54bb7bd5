module.exports = {
  displayName: 'nixiso-e2e',
  preset: '../../tools/jest/preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 600000,
};
