module.exports = {
  displayName: 'nix-fixtures',
  preset: '../jest/preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  testTimeout: 120000,
};
