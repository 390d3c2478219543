const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// One folder per test run for the synthesized app: the first test that needs it synthesizes it there
// (tooling/synthesized-app.ts) and the others reuse it. Workers inherit this variable.
module.exports = async () => {
  process.env.TRIGGERS_SYNTH_DIR = mkdtempSync(join(tmpdir(), 'triggers-synth-'));
};
