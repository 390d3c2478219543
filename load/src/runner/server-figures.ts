import { request } from 'undici';
import type { SnapshotResponse } from '../../../contract/metrics-snapshot';
import type { ServerFigures } from '../../scenarios/summary-format';

/** The local API's own recorder snapshot (`GET /dashboard/data`). */
export async function readServerFigures(target: string): Promise<SnapshotResponse> {
  const res = await request(`${target}/dashboard/data`);
  if (res.statusCode !== 200) throw new Error(`GET /dashboard/data answered ${res.statusCode}`);
  return (await res.body.json()) as SnapshotResponse;
}

/**
 * What the API measured between two snapshots: requests and 5xx per endpoint, events accepted and
 * lookups by method. Latency percentiles are the API's since it started (the runner starts it, so that
 * is the run plus its warm-up).
 */
export function serverFiguresBetween(before: SnapshotResponse, after: SnapshotResponse): ServerFigures {
  const earlier = new Map(before.snapshot.total.map((figures) => [figures.endpoint, figures]));
  const endpoints: ServerFigures['endpoints'] = {};
  for (const figures of after.snapshot.total) {
    const requests = figures.requestCount - (earlier.get(figures.endpoint)?.requestCount ?? 0);
    if (requests === 0) continue;
    endpoints[figures.endpoint] = {
      requests,
      errors: figures.errorCount - (earlier.get(figures.endpoint)?.errorCount ?? 0),
      ...(figures.latency && { latency: figures.latency }),
    };
  }
  return {
    endpoints,
    eventsAccepted: after.snapshot.ingestion.total - before.snapshot.ingestion.total,
    lookups: {
      gsi: after.snapshot.lookups.gsi - before.snapshot.lookups.gsi,
      scan: after.snapshot.lookups.scan - before.snapshot.lookups.scan,
    },
  };
}
