import { startEmbeddedEngine, type EmbeddedEngine } from '../../engine/src/embedded-engine';
import { startFaultProxy, type FaultProxy } from '../../tooling/fault-proxy';
import { startServerProcess } from '../../tooling/server-process';

async function post(url: string, key: string): Promise<Response> {
  return fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ source: 'server-test', event_type: 'started', payload: { ok: true } }),
  });
}

describe('the local server process (npm start)', () => {
  it('starts the embedded engine, prints a working development key, and exits cleanly on SIGTERM', async () => {
    const server = await startServerProcess({});
    try {
      expect(server.output()).toContain('(embedded, in memory)');
      expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
      const created = await post(server.url, server.apiKey);
      expect(created.status).toBe(201);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    // The engine went down with the server.
    await expect(fetch(server.dynamodbEndpoint, { method: 'POST' })).rejects.toThrow();
  });

  it('uses DEV_API_KEY when given', async () => {
    const server = await startServerProcess({ DEV_API_KEY: 'tk_fixed-development-key-123' });
    try {
      expect(server.apiKey).toBe('tk_fixed-development-key-123');
      expect((await post(server.url, 'tk_fixed-development-key-123')).status).toBe(201);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  describe('graceful shutdown', () => {
    let engine: EmbeddedEngine;
    let proxy: FaultProxy;
    beforeAll(async () => {
      engine = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
      proxy = await startFaultProxy(engine.endpoint);
    });
    afterAll(async () => {
      await proxy.close();
      await engine.close();
    });

    it('finishes a request that is in flight when SIGTERM arrives, then exits 0', async () => {
      // Writes are slowed down so the request is still in flight when the signal lands. The server
      // coalesces new events into BatchWriteItem calls (WRITE_COALESCING=on by default).
      const server = await startServerProcess({
        DYNAMODB_ENDPOINT: proxy.endpoint,
        DEV_API_KEY: 'tk_shutdown-test-key-0000',
      });
      proxy.operations = ['BatchWriteItem'];
      proxy.delayMs = 800;
      const arrived = proxy.received('BatchWriteItem');
      const inFlight = post(server.url, server.apiKey);
      await arrived;
      server.child.kill('SIGTERM');

      const res = await inFlight;
      expect(res.status).toBe(201);
      expect(await server.exited).toBe(0);
      // A new connection is refused once the server has stopped.
      await expect(post(server.url, server.apiKey)).rejects.toThrow();
    });
  });
});
