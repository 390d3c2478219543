import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { synthesizeApp } from './cloud-assembly';

/**
 * The cloud assembly `cdk synth` writes (templates and bundled Lambda assets), synthesized once per test
 * run: the first caller synthesizes into the run's folder (jest.global-setup.js) while holding a lock,
 * the others wait for it. Returns the folder.
 */
export async function synthesizedApp(): Promise<string> {
  const dir = process.env.TRIGGERS_SYNTH_DIR;
  if (!dir) throw new Error('TRIGGERS_SYNTH_DIR is not set: run the tests through jest (jest.global-setup.js)');
  const out = join(dir, 'cdk.out');
  const done = join(dir, 'done');
  const failed = join(dir, 'failed');
  try {
    mkdirSync(join(dir, 'lock'));
  } catch {
    // Another worker is synthesizing: wait for its result (synth takes 10-60 s on a busy machine).
    for (let waited = 0; waited < 300_000; waited += 250) {
      if (existsSync(done)) return out;
      if (existsSync(failed)) throw new Error('cdk synth failed in another test file; see its error');
      await sleep(250);
    }
    throw new Error('timed out waiting for cdk synth in another test file');
  }
  try {
    await synthesizeApp(out);
    writeFileSync(done, '');
    return out;
  } catch (error) {
    writeFileSync(failed, String(error));
    throw error;
  }
}
