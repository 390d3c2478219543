import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../../tooling/test-api';
import { SCENARIOS, withRate, type ScenarioName } from '../../scenarios/scenarios';
import type { LoadSummary } from '../../scenarios/summary-format';
import { runLoadCli, withComparability } from '../../src/runner/cli';
import { machineClass } from '../../src/runner/machine-class';
import { runScenario } from '../../src/runner/run-scenario';
import { parseSummary } from '../../src/summary-schema';
import { syntheticSummary } from '../../src/synthetic-summary';

/** Every scenario for a few seconds at a low rate: the runner and the scenarios keep working. No timing assertions. */
function expectServed(summary: LoadSummary, seconds: number): void {
  // The same format k6's handleSummary writes: the schema every reader checks.
  expect(() => parseSummary(JSON.parse(JSON.stringify(summary)), summary.scenario)).not.toThrow();
  for (const endpoint of summary.expectedEndpoints) {
    expect(summary.endpoints[endpoint]?.requests).toBeGreaterThan(0);
    expect(summary.endpoints[endpoint]?.latency).toBeDefined();
  }
  expect(summary.requests.failed).toBe(0);
  expect(summary.timeline).toHaveLength(seconds);
  expect(summary.iterations.started + summary.iterations.dropped).toBe(
    summary.timeline?.reduce((sum, point) => sum + point.iterations + point.dropped, 0),
  );
}

describe('the scenarios through the local runner (smoke)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const lowRates: [Exclude<ScenarioName, 'event_ingestion'>, number][] = [
    ['batch_ingestion', 10],
    ['inbox_polling', 40],
    ['mixed_workload', 60],
    ['stress_test', 100],
  ];
  it.each(lowRates)(
    '%s at %d/s for 3 s',
    async (name, rate) => {
      const summary = await runScenario({
        spec: withRate(SCENARIOS[name], rate),
        target: api.url,
        apiKey: api.keys.acme,
        durationSeconds: 3,
      });
      expect(summary.scenario).toBe(name);
      expectServed(summary, 3);
      if (name === 'stress_test')
        expect(summary.knee === null || typeof summary.knee?.atSeconds === 'number').toBe(true);
      // Every batch of 10 created its events, and the runner counted events, not requests.
      if (name === 'batch_ingestion') {
        expect(summary.eventsAccepted.count).toBe(10 * (summary.endpoints['POST /v1/events/batch']?.requests ?? 0));
      }
    },
    30_000,
  );

  it('event_ingestion through `npm run load`, which starts its own API and reports the API`s own figures', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'load-smoke-')), 'event_ingestion.json');
    const lines: string[] = [];
    const code = await runLoadCli(
      ['--scenario', 'event_ingestion', '--rate', '50', '--duration', '2s', '--warmup', '1s', '--out', out],
      {
        env: {},
        out: (line) => lines.push(line),
        err: () => undefined,
      },
    );
    expect(code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as LoadSummary;
    expectServed(summary, 2);
    expect(summary.eventsAccepted.count).toBe(summary.endpoints['POST /v1/events']?.requests);
    // The API counted the same requests the runner sent (the warm-up came before the first snapshot).
    expect(summary.server?.endpoints['POST /v1/events']?.requests).toBe(summary.requests.total);
    expect(summary.server?.eventsAccepted).toBe(summary.eventsAccepted.count);
    // What makes it comparable with a baseline: the generator, the API it started, this machine's class.
    expect(summary).toMatchObject({ generator: 'local-runner', targetKind: 'started-by-runner' });
    expect(summary.machineClass).toBe(machineClass({}));
    expect(lines.join('\n')).toContain(`Summary: ${out}`);
  }, 60_000);

  it('records the target kind and machine class after the target, replacing what k6 wrote', () => {
    const fromK6: LoadSummary = { ...syntheticSummary({ generator: 'k6' }), targetKind: 'given-url' };
    delete fromK6.machineClass;

    const stamped = withComparability(fromK6, 'started-by-runner', 'linux-x64-2cpu-8gb');

    expect(Object.keys(stamped).slice(0, 6)).toEqual([
      'schemaVersion',
      'scenario',
      'generator',
      'target',
      'targetKind',
      'machineClass',
    ]);
    expect(stamped).toEqual({ ...fromK6, targetKind: 'started-by-runner', machineClass: 'linux-x64-2cpu-8gb' });
  });

  it('rejects an unknown scenario and a --target without an API key with exit code 2', async () => {
    const errors: string[] = [];
    const deps = { env: {}, out: () => undefined, err: (line: string) => errors.push(line) };
    expect(await runLoadCli(['--scenario', 'nope'], deps)).toBe(2);
    expect(await runLoadCli(['--scenario', 'event_ingestion', '--target', 'http://127.0.0.1:1'], deps)).toBe(2);
    expect(await runLoadCli(['--scenario', 'event_ingestion', '--duration', 'soon'], deps)).toBe(2);
    expect(await runLoadCli(['--scenario', 'event_ingestion', '--generator', 'jmeter'], deps)).toBe(2);
    const badClass = { ...deps, env: { LOAD_MACHINE_CLASS: 'a/b' } };
    expect(await runLoadCli(['--scenario', 'event_ingestion'], badClass)).toBe(2);
    expect(errors.join('\n')).toMatch(
      /--scenario must be one of[\s\S]*needs an API key[\s\S]*Not a duration[\s\S]*--generator must be local or k6[\s\S]*LOAD_MACHINE_CLASS must be/,
    );
  });
});
