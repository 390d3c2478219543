const { rmSync } = require('node:fs');

module.exports = async () => {
  if (process.env.TRIGGERS_SYNTH_DIR) rmSync(process.env.TRIGGERS_SYNTH_DIR, { recursive: true, force: true });
};
