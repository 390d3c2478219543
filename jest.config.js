const { existsSync } = require('node:fs');
const { join } = require('node:path');

const roots = ['api', 'monitoring', 'migration-workflow', 'load', '.github']
  .filter((dir) => existsSync(join(__dirname, dir)))
  .map((dir) => `<rootDir>/${dir}`);

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } },
  ],
};

// `npm test` runs everything but the real-browser tests, which need Debian's chromium:
// `npm run test:browser` runs those (.ci/run installs chromium first).
const browser = process.env.JEST_BROWSER === '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots,
  testMatch: browser ? ['**/test/**/*.browser.test.ts'] : ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: browser ? ['/node_modules/'] : ['/node_modules/', '\\.browser\\.test\\.ts$'],
  transform,
  testTimeout: 30000,
};
