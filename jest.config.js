const { existsSync } = require('node:fs');
const { join } = require('node:path');

const roots = [
  'contract',
  'platform',
  'engine',
  'api',
  'monitoring',
  'migration-workflow',
  'load',
  'tooling',
  '.github',
]
  .filter((dir) => existsSync(join(__dirname, dir)))
  .map((dir) => `<rootDir>/${dir}`);

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } },
  ],
};

// `npm test` runs everything but two kinds of tests that need a program npm cannot install:
// `npm run test:browser` runs the real-browser tests (Debian's chromium; .ci/run installs it), and
// `npm run test:k6` the k6 scripts under a real k6 binary (on PATH or at ../shared/tools/k6).
const kinds = { browser: '.browser.test.ts', k6: '.k6.test.ts' };
const kind = process.env.JEST_BROWSER === '1' ? 'browser' : process.env.JEST_K6 === '1' ? 'k6' : undefined;
const escape = (suffix) => suffix.replaceAll('.', '\\.') + '$';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots,
  testMatch: kind ? [`**/test/**/*${kinds[kind]}`] : ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(kind ? [] : Object.values(kinds).map(escape))],
  transform,
  globalSetup: '<rootDir>/jest.global-setup.js',
  globalTeardown: '<rootDir>/jest.global-teardown.js',
  testTimeout: 30000,
};
