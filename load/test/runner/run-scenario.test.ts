import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScenarioSpec } from '../../scenarios/scenarios';
import { runScenario } from '../../src/runner/run-scenario';

/** A stand-in target that answers every POST /v1/events with 201 after `delayMs`. */
async function slowTarget(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    setTimeout(() => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"event_id":"00000000-0000-4000-8000-000000000000"}');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function ingestion(rate: number, maxInFlight: number): ScenarioSpec {
  return {
    name: 'event_ingestion',
    description: 'test',
    durationSeconds: 1,
    primary: 'ingest',
    traffic: [
      {
        name: 'ingest',
        executor: 'constant-arrival-rate',
        rate,
        maxInFlight,
        mix: [{ kind: 'create', weight: 1 }],
        thinkTimeSeconds: 0,
      },
    ],
    endpoints: ['POST /v1/events'],
    role: { gate: 'slo', ingestionObjective: true },
  };
}

describe('runScenario: the open model', () => {
  it('measures latency from when a request was due, so a queue in front of a slow target shows', async () => {
    const target = await slowTarget(100);
    try {
      // One connection, 100 ms per response, 20 requests due over one second: they queue. Measured from
      // the send, each would take ~100 ms; from when it was due, the last ones waited about a second.
      const summary = await runScenario({
        spec: ingestion(20, 100),
        target: target.url,
        apiKey: 'k',
        durationSeconds: 1,
        connections: 1,
      });
      const latency = summary.endpoints['POST /v1/events']?.latency;
      expect(summary.requests.total).toBe(20);
      expect(latency?.p50Ms).toBeGreaterThan(400);
      expect(latency?.maxMs).toBeGreaterThan(900);
    } finally {
      await target.close();
    }
  });

  it('drops and counts iterations that are due while every slot is busy, and never sends them', async () => {
    const target = await slowTarget(300);
    try {
      const summary = await runScenario({
        spec: ingestion(50, 2),
        target: target.url,
        apiKey: 'k',
        durationSeconds: 1,
      });
      expect(summary.iterations.started + summary.iterations.dropped).toBe(50);
      expect(summary.iterations.dropped).toBeGreaterThan(30);
      expect(summary.requests.total).toBe(summary.iterations.started);
      expect(summary.timeline?.reduce((sum, p) => sum + p.dropped, 0)).toBe(summary.iterations.dropped);
    } finally {
      await target.close();
    }
  });

  it('counts a target that does not answer as failed requests (status 0)', async () => {
    const target = await slowTarget(0);
    const url = target.url;
    await target.close();
    const summary = await runScenario({ spec: ingestion(20, 10), target: url, apiKey: 'k', durationSeconds: 1 });
    expect(summary.requests).toMatchObject({ total: 20, failed: 20, successRate: 0, byStatus: { '0': 20 } });
  });
});
