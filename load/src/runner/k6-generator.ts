import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ScenarioName } from '../../scenarios/scenarios';
import type { LoadSummary } from '../../scenarios/summary-format';
import { readSummary } from '../summary-schema';

export interface K6RunOptions {
  scenario: ScenarioName;
  target: string;
  apiKey: string;
  durationSeconds: number;
  /** The primary part's rate when overridden (`RATE`). */
  rate?: number;
  /** Where the script's handleSummary writes the summary. */
  summaryFile: string;
  /** The k6 binary (default `k6` on PATH). */
  k6?: string;
}

/**
 * Runs the scenario's k6 script (`load/scenarios/<name>.ts`) against the target and reads the summary its
 * handleSummary wrote. k6 exits 99 when a threshold fails: the run still counts, and the verdict is
 * `load:compare`'s, so only a missing summary is an error here.
 */
export async function runK6(options: K6RunOptions): Promise<LoadSummary> {
  const script = join(__dirname, '..', '..', 'scenarios', `${options.scenario}.ts`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(options.k6 ?? 'k6', ['run', '--quiet', script], {
      stdio: 'inherit',
      env: {
        ...process.env,
        TARGET_URL: options.target,
        API_KEY: options.apiKey,
        DURATION: `${options.durationSeconds}s`,
        SUMMARY_FILE: options.summaryFile,
        ...(options.rate === undefined ? {} : { RATE: String(options.rate) }),
      },
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              'k6 is not installed (https://grafana.com/docs/k6/latest/set-up/install-k6/); use --generator local',
            )
          : error,
      ),
    );
    child.on('exit', resolve);
  });
  if (code !== 0 && code !== 99) throw new Error(`k6 exited with ${code}`);
  return readSummary(options.summaryFile);
}
