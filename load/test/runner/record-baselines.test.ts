import { join } from 'node:path';
import { SCENARIO_NAMES } from '../../scenarios/scenarios';
import { baselinePath } from '../../src/baselines';
import { baselineRuns, recordBaselines, type RecordBaselinesDeps } from '../../src/runner/record-baselines';

const DIR = '/repo/load/baselines';
const MACHINE = 'linux-x64-4cpu-16gb';

describe('baselineRuns', () => {
  it('records every scenario with the local runner, then with k6, each into its machine class and generator folder', () => {
    const runs = baselineRuns(MACHINE, DIR, ['local', 'k6'], ['event_ingestion', 'stress_test'], false);

    expect(runs.map((run) => run.path)).toEqual([
      `${DIR}/${MACHINE}/local-runner/event_ingestion.json`,
      `${DIR}/${MACHINE}/local-runner/stress_test.json`,
      `${DIR}/${MACHINE}/k6/event_ingestion.json`,
      `${DIR}/${MACHINE}/k6/stress_test.json`,
    ]);
    expect(runs[2]?.argv).toEqual(['--scenario', 'event_ingestion', '--generator', 'k6', '--out', runs[2]?.path]);
  });

  it('runs each scenario at its own rate and duration, against an API it starts itself', () => {
    for (const run of baselineRuns(MACHINE, DIR, ['local'], ['mixed_workload'], true)) {
      expect(run.argv).not.toContain('--rate');
      expect(run.argv).not.toContain('--duration');
      expect(run.argv).not.toContain('--target');
      expect(run.argv).toContain('--report');
    }
  });
});

describe('baselinePath', () => {
  it('is load/baselines/<machine class>/<generator>/<scenario>.json', () => {
    expect(baselinePath(DIR, { machineClass: MACHINE, generator: 'k6', scenario: 'inbox_polling' })).toBe(
      join(DIR, MACHINE, 'k6', 'inbox_polling.json'),
    );
  });
});

describe('recordBaselines', () => {
  let out: string[];
  let err: string[];
  let ran: string[][];

  function deps(overrides: Partial<RecordBaselinesDeps> = {}): RecordBaselinesDeps {
    return {
      env: { LOAD_MACHINE_CLASS: MACHINE },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      baselinesDir: DIR,
      cwd: '/repo',
      runLoad: (argv) => {
        ran.push(argv);
        return Promise.resolve(0);
      },
      k6Available: () => true,
      ...overrides,
    };
  }

  beforeEach(() => {
    out = [];
    err = [];
    ran = [];
  });

  it('records the baselines of every scenario with both generators and lists them', async () => {
    expect(await recordBaselines([], deps())).toBe(0);

    expect(ran).toHaveLength(2 * SCENARIO_NAMES.length);
    expect(out[0]).toBe(`Machine class: ${MACHINE} (from LOAD_MACHINE_CLASS)`);
    expect(out).toContain(`  load/baselines/${MACHINE}/k6/stress_test.json`);
  });

  it('prints the runs without starting them on --dry-run', async () => {
    expect(await recordBaselines(['--dry-run', '--generator', 'k6', '--scenario', 'inbox_polling'], deps())).toBe(0);

    expect(ran).toEqual([]);
    expect(out).toContain(
      `npm run load -- --scenario inbox_polling --generator k6 --out load/baselines/${MACHINE}/k6/inbox_polling.json`,
    );
  });

  it('refuses before any run when the k6 baselines are asked for and k6 is missing', async () => {
    expect(await recordBaselines([], deps({ k6Available: () => false }))).toBe(2);

    expect(ran).toEqual([]);
    expect(err.join('\n')).toContain('k6 is not on PATH');
    expect(await recordBaselines(['--generator', 'local'], deps({ k6Available: () => false }))).toBe(0);
  });

  it('stops at the first run that fails and says which', async () => {
    const failing = deps({
      runLoad: (argv) => {
        ran.push(argv);
        return Promise.resolve(ran.length === 2 ? 1 : 0);
      },
    });

    expect(await recordBaselines(['--generator', 'local'], failing)).toBe(1);

    expect(ran).toHaveLength(2);
    expect(err.join('\n')).toContain(`--scenario ${SCENARIO_NAMES[1]} --generator local`);
  });

  it.each([
    [['--generator', 'jmeter'], '--generator must be local or k6'],
    [['--scenario', 'soak'], '--scenario must be one of'],
    [['--rate', '10'], "Unknown option '--rate'"],
  ])('rejects %j with exit code 2', async (argv, message) => {
    expect(await recordBaselines(argv, deps())).toBe(2);
    expect(err.join('\n')).toContain(message);
  });

  it('rejects a LOAD_MACHINE_CLASS that cannot name a folder', async () => {
    expect(await recordBaselines([], deps({ env: { LOAD_MACHINE_CLASS: '../x' } }))).toBe(2);
    expect(err.join('\n')).toContain('LOAD_MACHINE_CLASS must be');
  });
});
