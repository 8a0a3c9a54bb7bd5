module.exports = {
  displayName: 'nixiso',
  preset: '../../tools/jest/preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 180000,
};
