import { performance } from 'node:perf_hooks';
import { parseEventSortKey } from '../../contract/event';
import { ensureTables } from '../../api/src/store/ensure-tables';
import { seedLegacyEvents } from '../../api/src/store/legacy-seed';
import type { DynamoDbClients } from '../../platform/dynamodb-client';
import type { ServerProcess } from '../../tooling/server-process';
import type { Operation } from '../../tooling/load-generators';
import { fmt, say } from './bench-processes';

const SEED_CHUNK = 10_000;

/** One legacy events table, seeded, with the API process serving it. */
export interface Target {
  label: string;
  items: number;
  tables: { events: string; apiKeys: string };
  /** Event ids of the lookup tenant. */
  eventIds: string[];
  server?: ServerProcess;
  lookup?: Operation;
}

/** A target named `label` with `items` legacy events, not seeded yet. */
export function target(label: string, items: number): Target {
  return {
    label,
    items,
    tables: { events: `bench-legacy-events-${label}`, apiKeys: `bench-legacy-keys-${label}` },
    eventIds: [],
  };
}

/** Seeds the target's table with legacy items (no `event_id`), round-robin over `tenants`. */
export async function seed(
  db: DynamoDbClients,
  target: Target,
  tenants: string[],
  lookupTenant: string,
): Promise<void> {
  await ensureTables(db.client, db.doc, target.tables, { legacy: true });
  const started = performance.now();
  const firstAt = Date.now() - target.items * 1000;
  for (let done = 0; done < target.items;) {
    const count = Math.min(SEED_CHUNK, target.items - done);
    const written = await seedLegacyEvents(db.doc, {
      tableName: target.tables.events,
      count,
      // Round-robin over the tenants continues across chunks.
      tenants: tenants.map((_, i) => tenants[(done + i) % tenants.length] ?? lookupTenant),
      start: new Date(firstAt + done * 1000),
    });
    for (const item of written) {
      const eventId = item.tenant_id === lookupTenant ? parseEventSortKey(item.sk)?.eventId : undefined;
      if (eventId !== undefined) target.eventIds.push(eventId);
    }
    done += count;
    const seconds = (performance.now() - started) / 1000;
    say(`  ${target.tables.events}: seeded ${fmt(done)} / ${fmt(target.items)} (${fmt(done / seconds)} items/s)`);
  }
}
