import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runK6 } from '../../src/runner/k6-generator';
import { syntheticSummary } from '../../src/synthetic-summary';

// k6 cannot be installed here: a stand-in executable plays it, to check what the runner hands k6 and takes back.
describe('runK6', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k6-generator-'));
  const fixture = join(dir, 'fixture.json');
  writeFileSync(fixture, JSON.stringify({ ...syntheticSummary({ generator: 'k6' }), timeline: undefined }));

  function fakeK6(exitCode: number): string {
    const path = join(dir, `k6-${exitCode}`);
    writeFileSync(
      path,
      `#!/bin/sh\nprintf '%s\\n' "$*" "$TARGET_URL" "$API_KEY" "$DURATION" "$RATE" > "${dir}/args"\n` +
        `cp "${fixture}" "$SUMMARY_FILE"\nexit ${exitCode}\n`,
    );
    chmodSync(path, 0o755);
    return path;
  }

  it('runs the scenario script with target, key, duration and rate in the environment, and reads its summary', async () => {
    const summaryFile = join(dir, 'run.json');
    const summary = await runK6({
      scenario: 'event_ingestion',
      target: 'http://127.0.0.1:9',
      apiKey: 'tk_test',
      durationSeconds: 30,
      rate: 250,
      summaryFile,
      k6: fakeK6(0),
    });
    expect(summary.generator).toBe('k6');
    const [args, target, key, duration, rate] = readFileSync(join(dir, 'args'), 'utf8').split('\n');
    expect(args).toMatch(/^run --quiet .*load\/scenarios\/event_ingestion\.ts$/);
    expect([target, key, duration, rate]).toEqual(['http://127.0.0.1:9', 'tk_test', '30s', '250']);
  });

  it('keeps the summary of a run whose thresholds failed (k6 exits 99): the verdict is load:compare`s', async () => {
    const options = { scenario: 'stress_test' as const, target: 'http://x', apiKey: 'k', durationSeconds: 1 };
    await expect(runK6({ ...options, summaryFile: join(dir, 'a.json'), k6: fakeK6(99) })).resolves.toBeDefined();
    await expect(runK6({ ...options, summaryFile: join(dir, 'b.json'), k6: fakeK6(107) })).rejects.toThrow(
      'k6 exited with 107',
    );
  });

  it('says so when k6 is not installed', async () => {
    await expect(
      runK6({
        scenario: 'event_ingestion',
        target: 'http://x',
        apiKey: 'k',
        durationSeconds: 1,
        summaryFile: join(dir, 'c.json'),
        k6: join(dir, 'no-such-k6'),
      }),
    ).rejects.toThrow(/k6 is not installed.*--generator local/);
  });
});
