import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startEmbeddedEngine } from '../../engine/src/embedded-engine';
import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { coresText } from '../../tooling/cpu-usage';
import { median, runAtFixedRate } from '../../tooling/load-generators';
import { cleanUp, fmt, running, say, stopEverythingOnExit } from './bench-processes';
import { printLookups, printMigrations, printRatiosAndTargets } from './bench-report';
import { measure, REFRESH_SECONDS, startApi, type Measured } from './lookup-phase';
import { migrate, PROGRESS_SECONDS, QUIET_CORES, type MigrationTiming } from './migrate-phase';
import { seed, target, type Target } from './seed-phase';

/**
 * `npm run bench:migration`: the migration of a small and a large legacy table, and lookups by event id
 * before (partition scans) and after (the index), in phases: seed, start the APIs, scan lookups, migrate,
 * index lookups, report.
 */
const { values } = parseArgs({
  options: {
    /** Legacy items in the large table: the backfill rate is measured on its migration. */
    items: { type: 'string', default: '100000' },
    /** Legacy items in the small table the lookups are compared with. */
    'small-items': { type: 'string', default: '10000' },
    tenants: { type: 'string', default: '16' },
    segments: { type: 'string', default: '8' },
    /** The migration's `maxWritesPerSecond` (high enough not to limit by default). */
    rate: { type: 'string', default: '100000' },
    /** Partition-scan lookups: requests/s and how many per table. */
    'scan-rate': { type: 'string', default: '2' },
    'scan-lookups': { type: 'string', default: '60' },
    /** Index lookups: requests/s per table, in slices of `index-seconds`, both tables at once. */
    'index-rate': { type: 'string', default: '100' },
    'index-seconds': { type: 'string', default: '5' },
    'index-slices': { type: 'string', default: '6' },
  },
});

function positive(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive whole number, got '${String(values[name])}'\n`);
    process.exit(2);
  }
  return value;
}

const largeItems = positive('items');
const smallItems = positive('small-items');
const tenantCount = positive('tenants');
const segments = positive('segments');
const maxWritesPerSecond = positive('rate');
const scanRate = positive('scan-rate');
const scanLookups = positive('scan-lookups');
const indexRate = positive('index-rate');
const indexSeconds = positive('index-seconds');
const indexSlices = positive('index-slices');

const LOOKUP_TENANT = 'tenant-0';
const TENANTS = Array.from({ length: tenantCount }, (_, i) => `tenant-${i}`);

stopEverythingOnExit();

async function main(): Promise<void> {
  const benchStarted = performance.now();
  say(`Starting the embedded engine in its own process...`);
  const engine = await startEmbeddedEngine({ port: 0, mode: 'child-process' });
  running.engine = engine;
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
  running.clients.push(db);

  const small = target('small', smallItems);
  const large = target('large', largeItems);
  const targets = [small, large];

  say(`Seeding legacy tables (${tenantCount} tenants, no event_id attribute)...`);
  for (const t of targets) await seed(db, t, TENANTS, LOOKUP_TENANT);

  say(`Starting one API process per table (as npm start does, DYNAMODB_ENDPOINT=${engine.endpoint})...`);
  for (const t of targets) await startApi(engine, t, LOOKUP_TENANT);
  for (const t of targets) if (t.lookup) await runAtFixedRate(t.lookup, 2, 2);

  const measured: Measured[] = [];
  for (const t of targets) {
    say(
      `Scan lookups on ${t.tables.events} (tenant partition ${fmt(t.eventIds.length)} events): ${scanLookups} at ${scanRate}/s...`,
    );
    const { run, byMethod, othersCores } = await measure(t, scanRate, scanLookups / scanRate);
    measured.push({ target: t, method: 'scan', runs: [run], byMethod, othersCores: [othersCores] });
  }

  const migrations = new Map<Target, MigrationTiming>();
  for (const t of targets) {
    say(
      `Migrating ${t.tables.events} (${fmt(t.items)} items, ${segments} segments, maxWritesPerSecond ${fmt(maxWritesPerSecond)})...`,
    );
    const timing = await migrate(engine, t, { segments, maxWritesPerSecond });
    migrations.set(t, timing);
    say(
      `  done in ${timing.totalS.toFixed(1)} s; backfill ${fmt(timing.backfilled)} items in ${timing.backfillS.toFixed(1)} s (${fmt(timing.backfilled / timing.backfillS)} items/s); ${coresText(timing.cores)}`,
    );
    const undisturbed = `windows of ${PROGRESS_SECONDS} s with every segment that has items running and other processes under ${QUIET_CORES} cores`;
    say(
      timing.quiet.length > 0
        ? `  undisturbed: median ${fmt(median(timing.quiet.map((w) => w.rate)))} items/s over the ${timing.quiet.length} ${undisturbed}`
        : `  undisturbed: no ${undisturbed}`,
    );
  }

  // The API re-reads the index state every REFRESH_SECONDS; wait for it, then warm the index path up.
  await new Promise((resolve) => setTimeout(resolve, REFRESH_SECONDS * 1000 + 500));
  for (const t of targets) if (t.lookup) await runAtFixedRate(t.lookup, 20, 1);

  say(`Index lookups: ${indexSlices} slices of ${indexSeconds} s at ${indexRate}/s per table, both tables at once...`);
  const indexRuns = new Map<Target, Measured>(
    targets.map((t) => [t, { target: t, method: 'gsi', runs: [], byMethod: { gsi: 0, scan: 0 }, othersCores: [] }]),
  );
  // Both tables are read at the same time, so whatever else the shared machine does hits both alike.
  for (let slice = 0; slice < indexSlices; slice++) {
    const results = await Promise.all(targets.map((t) => measure(t, indexRate, indexSeconds)));
    targets.forEach((t, i) => {
      const m = indexRuns.get(t);
      const result = results[i];
      if (!m || !result) return;
      m.runs.push(result.run);
      m.othersCores.push(result.othersCores);
      m.byMethod = { gsi: m.byMethod.gsi + result.byMethod.gsi, scan: m.byMethod.scan + result.byMethod.scan };
    });
  }
  measured.push(...indexRuns.values());

  say('');
  printMigrations(targets, migrations);
  say('');
  const { p95, failures } = printLookups(measured, { scan: scanRate, gsi: indexRate });
  printRatiosAndTargets({
    small,
    large,
    smallSlices: indexRuns.get(small)?.runs ?? [],
    largeSlices: indexRuns.get(large)?.runs ?? [],
    p95,
    migration: migrations.get(large),
  });
  say(`Total time ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`);

  // Each phase must have taken the path it measures, and every lookup must have found its event.
  if (failures > 0) throw new Error(`${failures} lookups failed`);
  const wrongPath = measured.filter((m) => {
    const expected = m.runs.reduce((sum, r) => sum + r.sent, 0);
    return m.byMethod[m.method] !== expected || m.byMethod[m.method === 'gsi' ? 'scan' : 'gsi'] !== 0;
  });
  if (wrongPath.length > 0) {
    const detail = wrongPath.map((m) => `${m.target.label}/${m.method}: ${JSON.stringify(m.byMethod)}`).join('; ');
    throw new Error(`the API did not use the expected lookup method: ${detail}`);
  }
}

main()
  .then(cleanUp)
  .catch(async (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await cleanUp().catch(() => undefined);
    process.exit(1);
  });
