import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIO_NAMES } from '../scenarios/scenarios';
import { InvalidSummaryError, parseSummary, readSummary } from '../src/summary-schema';
import { syntheticSummary } from '../src/synthetic-summary';

/** A valid summary, as a plain object the cases below can break. */
function validSummary(): Record<string, any> {
  return structuredClone(syntheticSummary({ scenario: 'event_ingestion' }));
}

function problemsOf(value: unknown): string[] {
  try {
    parseSummary(value, 'run.json');
  } catch (error) {
    if (error instanceof InvalidSummaryError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the summary to be rejected');
}

describe('parseSummary', () => {
  it('accepts a summary in the common format, with optional parts present or left out', () => {
    const full = validSummary();
    const minimal = validSummary();
    delete minimal.timeline;
    delete minimal.knee;

    expect(parseSummary(full, 'full.json')).toEqual(full);
    expect(parseSummary(minimal, 'minimal.json')).toEqual(minimal);
  });

  it.each([
    [
      'a missing field',
      (summary: Record<string, any>) => delete summary.requests.ratePerSecond,
      'requests.ratePerSecond: is missing',
    ],
    [
      'a latency that is not a number',
      (summary: Record<string, any>) => (summary.endpoints['POST /v1/events'].latency.p95Ms = '12'),
      'endpoints["POST /v1/events"].latency.p95Ms: must be number',
    ],
    [
      'an unknown scenario',
      (summary: Record<string, any>) => (summary.scenario = 'soak'),
      `scenario: must be one of ${SCENARIO_NAMES.join(', ')}`,
    ],
    [
      'a success rate given in percent',
      (summary: Record<string, any>) => (summary.requests.successRate = 99.9),
      'requests.successRate: must be <= 1',
    ],
    [
      'a field the format does not have',
      (summary: Record<string, any>) => (summary.iterations.skipped = 3),
      'iterations.skipped: is not a summary field',
    ],
    [
      'a start time that is not a date-time',
      (summary: Record<string, any>) => (summary.startedAt = 'yesterday'),
      'startedAt: must match format "date-time"',
    ],
    [
      'another schema version',
      (summary: Record<string, any>) => (summary.schemaVersion = 2),
      'schemaVersion: must be 1',
    ],
    [
      'a fractional dropped count in the timeline',
      (summary: Record<string, any>) => (summary.timeline[0].dropped = 0.5),
      'timeline[0].dropped: must be integer',
    ],
  ])('rejects %s and names the field', (_case, breakIt, expected) => {
    const summary = validSummary();
    breakIt(summary);

    expect(problemsOf(summary)).toEqual([expected]);
  });

  it('accepts the `other` status count of a k6 summary and rejects any other name', () => {
    const summary = validSummary();
    summary.requests.byStatus = { '201': 10, other: 2 };
    expect(() => parseSummary(summary, 'k6.json')).not.toThrow();

    summary.requests.byStatus = { '201': 10, teapot: 2 };
    expect(problemsOf(summary)).toContain('requests.byStatus: must match pattern "^([0-9]+|other)$"');
  });

  it('accepts the target kind and machine class, and rejects a machine class that cannot name a folder', () => {
    const summary = validSummary();
    summary.targetKind = 'given-url';
    summary.machineClass = 'linux-x64-4cpu-16gb';
    expect(() => parseSummary(summary, 'run.json')).not.toThrow();

    summary.targetKind = 'somewhere';
    summary.machineClass = '../up';
    expect(problemsOf(summary)).toEqual([
      'targetKind: must be one of started-by-runner, given-url',
      'machineClass: must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"',
    ]);
  });

  it('lists every violation, not only the first', () => {
    const summary = validSummary();
    delete summary.generator;
    summary.iterations.dropped = -1;

    expect(problemsOf(summary)).toEqual(['generator: is missing', 'iterations.dropped: must be >= 0']);
  });
});

describe('readSummary', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'summary-schema-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the summary of a valid file', () => {
    const path = join(dir, 'run.json');
    writeFileSync(path, JSON.stringify(validSummary()));

    expect(readSummary(path).scenario).toBe('event_ingestion');
  });

  it('names the file and the field when the file breaks the schema', () => {
    const path = join(dir, 'run.json');
    const summary = validSummary();
    delete summary.eventsAccepted;
    writeFileSync(path, JSON.stringify(summary));

    expect(() => readSummary(path)).toThrow(`${path} is not a valid load summary:\n  - eventsAccepted: is missing`);
  });

  it('names the file when it is not JSON', () => {
    const path = join(dir, 'run.json');
    writeFileSync(path, '{"schemaVersion": 1,');

    expect(() => readSummary(path)).toThrow(`${path} is not a valid load summary:\n  - is not JSON: `);
  });

  it('names the file when it does not exist', () => {
    const path = join(dir, 'missing.json');

    expect(() => readSummary(path)).toThrow(InvalidSummaryError);
    expect(() => readSummary(path)).toThrow(/missing\.json is not a valid load summary:\n {2}- cannot be read: ENOENT/);
  });
});
