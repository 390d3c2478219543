/**
 * The k6 scripts under a real k6 (`npm run test:k6`): each scenario for a few seconds at a low rate through
 * `npm run load -- --generator k6`, which starts the API as `npm start` does, then the summary as
 * `npm run load:compare` reads it. No timing assertions: the machine may be busy, and the thresholds may
 * pass or fail; that k6 evaluated every one of them is what is checked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { k6Options, parseThresholdsFile, resolveRun } from '../../scenarios/k6-options';
import { SCENARIOS, type ScenarioName } from '../../scenarios/scenarios';
import type { LoadSummary } from '../../scenarios/summary-format';
import { runCompareCli } from '../../src/compare/cli';
import { machineClass } from '../../src/runner/machine-class';
import { readSummary } from '../../src/summary-schema';
import { findK6, REPO_ROOT, runCommand, withK6OnPath, type CommandResult } from '../support/k6-binary';

const THRESHOLDS_FILE = parseThresholdsFile(readFileSync(join(REPO_ROOT, 'load', 'slo-thresholds.json'), 'utf8'));

/** How many threshold expressions k6 evaluates for a run (the empty ones only declare sub-metrics). */
function thresholdCount(scenario: ScenarioName, rate: number, seconds: number): number {
  const options = k6Options(
    resolveRun(SCENARIOS[scenario], { RATE: String(rate), DURATION: `${seconds}s` }),
    THRESHOLDS_FILE,
  );
  return Object.values(options.thresholds).reduce((sum, expressions) => sum + expressions.length, 0);
}

/** The thresholds line of the script's text summary: `all N passed` or `F of N failed`; N evaluated. */
function evaluatedThresholds(stdout: string): number | undefined {
  const match = /thresholds {2}(?:all (\d+) passed|\d+ of (\d+) failed)/.exec(stdout);
  return match ? Number(match[1] ?? match[2]) : undefined;
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

describe('the k6 scripts under a real k6, through npm run load --generator k6', () => {
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(() => {
    env = withK6OnPath(findK6());
    dir = mkdtempSync(join(tmpdir(), 'load-k6-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `npm run load -- <args>` from the repository root, k6 on PATH; resolves its output. */
  function npmRunLoad(args: string[]): Promise<CommandResult> {
    return runCommand('npm', ['run', '--silent', 'load', '--', ...args], REPO_ROOT, env);
  }

  /** `npm run load:compare -- <file>` against the committed baselines; its exit code and markdown. */
  function compare(file: string): { code: number; out: string; err: string } {
    let out = '';
    let err = '';
    const code = runCompareCli([file], {
      out: (text) => (out += text),
      err: (text) => (err += text),
      baselinesDir: join(REPO_ROOT, 'load', 'baselines'),
      cwd: REPO_ROOT,
    });
    return { code, out, err };
  }

  function expectTimelineAddsUp(summary: LoadSummary, seconds: number): void {
    const timeline = summary.timeline ?? [];
    expect(timeline.map((point) => point.t)).toEqual(
      Array.from({ length: Math.ceil(seconds / 5) }, (_, index) => index * 5),
    );
    expect(sum(timeline.map((point) => point.requests))).toBe(summary.requests.total);
    expect(sum(timeline.map((point) => point.iterations))).toBe(summary.iterations.started);
    expect(sum(timeline.map((point) => point.dropped))).toBe(summary.iterations.dropped);
    expect(sum(timeline.map((point) => point.eventsAccepted))).toBe(summary.eventsAccepted.count);
  }

  // mixed_workload: a VU acks or deletes only events it created itself, and k6 hands iterations to its
  // 1,000 VUs in turn, so acks and deletes need more iterations than there are VUs.
  const cases: [ScenarioName, number, number][] = [
    ['event_ingestion', 50, 4],
    ['batch_ingestion', 10, 4],
    ['inbox_polling', 40, 4],
    ['mixed_workload', 150, 9],
    ['stress_test', 100, 10],
  ];

  it.each(cases)(
    '%s at %d/s for %d s: k6 evaluates every threshold, and the pipeline reads its summary',
    async (scenario, rate, seconds) => {
      const file = join(dir, `${scenario}.json`);
      const args = ['--scenario', scenario, '--generator', 'k6', '--rate', String(rate), '--duration', `${seconds}s`];

      const run = await npmRunLoad([...args, '--warmup', '1s', '--out', file]);

      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(evaluatedThresholds(run.stdout)).toBe(thresholdCount(scenario, rate, seconds));
      const summary = readSummary(file);
      expect(summary).toMatchObject({
        scenario,
        generator: 'k6',
        targetKind: 'started-by-runner',
        machineClass: machineClass(env),
        durationSeconds: seconds,
      });
      const sampled = (endpoint: string): [string, boolean, boolean] => {
        const figures = summary.endpoints[endpoint];
        return [endpoint, (figures?.requests ?? 0) > 0, figures?.latency !== undefined];
      };
      const expected = SCENARIOS[scenario].endpoints;
      expect(expected.map(sampled)).toEqual(expected.map((endpoint) => [endpoint, true, true]));
      expect(Number.isInteger(summary.iterations.dropped)).toBe(true);
      expectTimelineAddsUp(summary, seconds);
      expect(summary.server?.endpoints[expected[0] ?? '']?.requests).toBeGreaterThan(0);
      // A batch creates several events: the generator counts events, not requests.
      if (scenario === 'batch_ingestion') {
        expect(summary.eventsAccepted.count).toBeGreaterThan(summary.endpoints['POST /v1/events/batch']?.requests ?? 0);
      }
      if (scenario === 'stress_test') expect(summary.knee).not.toBeUndefined();
      else expect(summary).not.toHaveProperty('knee');

      const verdict = compare(file);
      expect(verdict.err).toBe('');
      expect([0, 1]).toContain(verdict.code);
      expect(verdict.out).toMatch(new RegExp(`^## Load gate: (✅ PASS|❌ FAIL) — \`${scenario}\` \\(generator: k6\\)`));
      if (scenario === 'event_ingestion') {
        expect(verdict.out).toContain(`| events accepted/s |`);
        expect(verdict.out).toContain(`below the objective's 1,000/s`);
      }
      if (scenario === 'stress_test') expect(verdict.out).not.toContain('knee achieved rate: not measured');
    },
    90_000,
  );

  describe('against a stand-in API that answers creates after 1.5 s', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      server = createServer((req, res) => {
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        };
        if (req.method === 'POST' && req.url === '/v1/events') {
          req.resume();
          setTimeout(() => reply(201, { event_id: randomUUID(), status: 'pending' }), 1500);
        } else if (req.url?.startsWith('/v1/inbox')) {
          reply(200, { events: [], pagination: { limit: 25 } });
        } else {
          reply(200, { status: 'healthy' });
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('counts the iterations k6 dropped once its 200 producer VUs were all waiting, and the gate fails on them', async () => {
      const file = join(dir, 'dropping.json');
      const args = ['--scenario', 'inbox_polling', '--generator', 'k6', '--rate', '200', '--duration', '4s'];

      const run = await npmRunLoad([
        ...args,
        '--target',
        url,
        '--api-key',
        'tk_stand_in',
        '--warmup',
        '0',
        '--out',
        file,
      ]);

      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      // k6's own verdict on its own count.
      expect(run.stdout).toContain('FAILED dropped_iterations: count==0');
      const summary = readSummary(file);
      expect(summary.iterations.dropped).toBeGreaterThan(0);
      expect(summary.targetKind).toBe('given-url');
      expect(summary).not.toHaveProperty('server');
      expectTimelineAddsUp(summary, 4);

      const verdict = compare(file);
      expect(verdict.code).toBe(1);
      expect(verdict.out).toMatch(/\| dropped iterations \|[^\n]*❌ \|/);
    }, 60_000);
  });
});
