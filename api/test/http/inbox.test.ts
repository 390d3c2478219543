import { seedLegacyEvents } from '../../src/store/legacy-seed';
import { startTestApi, type TestApi } from '../../../tooling/test-api';

interface InboxEvent {
  event_id: string;
  created_at: string;
  source: string;
  event_type: string;
  payload: { n: number };
  status: string;
}

describe('GET /v1/inbox', () => {
  let api: TestApi;
  const created: { id: string; source: string; type: string }[] = [];
  const TOTAL = 1000;

  beforeAll(async () => {
    api = await startTestApi();
    // 1,000 events across 4 sources and 3 types, posted 50 at a time.
    for (let start = 0; start < TOTAL; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, TOTAL - start) }, async (_, i) => {
          const n = start + i;
          const source = `source-${n % 4}`;
          const type = `type.${n % 3}`;
          const res = await api.request('/v1/events', {
            method: 'POST',
            json: { source, event_type: type, payload: { n } },
          });
          if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
          return { id: res.body.event_id as string, source, type };
        }),
      );
      created.push(...batch);
    }
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  async function pageThrough(query: string, key?: string): Promise<InboxEvent[][]> {
    const pages: InboxEvent[][] = [];
    let cursor: string | undefined;
    do {
      const res = await api.request(
        `/v1/inbox?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        key ? { key } : {},
      );
      expect(res.status).toBe(200);
      pages.push(res.body.events as InboxEvent[]);
      cursor = res.body.pagination.next_cursor as string | undefined;
    } while (cursor);
    return pages;
  }

  function expectOldestFirst(events: InboxEvent[]): void {
    for (let i = 1; i < events.length; i++) {
      expect(events[i - 1].created_at <= events[i].created_at).toBe(true);
    }
  }

  it('pages through all 1,000 events: none lost, none duplicated, oldest first', async () => {
    const pages = await pageThrough('limit=100');
    const events = pages.flat();
    expect(events).toHaveLength(TOTAL);
    expect(new Set(events.map((e) => e.event_id))).toEqual(new Set(created.map((c) => c.id)));
    expectOldestFirst(events);
    expect(pages.slice(0, 10).every((page) => page.length === 100)).toBe(true);
  });

  it('uses a default page size of 50 and reports the limit', async () => {
    const res = await api.request('/v1/inbox');
    expect(res.body.events).toHaveLength(50);
    expect(res.body.pagination).toEqual({ limit: 50, next_cursor: expect.any(String) });
  });

  it.each([
    ['source=source-1', (c: { source: string; type: string }) => c.source === 'source-1'],
    ['event_type=type.2', (c: { source: string; type: string }) => c.type === 'type.2'],
    [
      'source=source-3&event_type=type.0',
      (c: { source: string; type: string }) => c.source === 'source-3' && c.type === 'type.0',
    ],
  ])('filters by %s across pages, filling each page', async (query, predicate) => {
    const pages = await pageThrough(`limit=25&${query}`);
    const events = pages.flat();
    const expected = created.filter(predicate).map((c) => c.id);
    expect(events.map((e) => e.event_id).sort()).toEqual([...expected].sort());
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expectOldestFirst(events);
    // Every page but the last is full: filtering does not return short pages.
    expect(pages.slice(0, -1).every((page) => page.length === 25)).toBe(true);
  });

  it('returns an empty inbox with no cursor for a tenant without events', async () => {
    const res = await api.request('/v1/inbox', { key: api.keys.globex });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ events: [], pagination: { limit: 50 }, request_id: expect.any(String) });
  });

  it('rejects a cursor whose signature was tampered with', async () => {
    const res = await api.request('/v1/inbox?limit=5');
    const cursor = res.body.pagination.next_cursor as string;
    const forged = `${Buffer.from(JSON.stringify({ v: 1, t: 'acme', k: 'EVENT#' })).toString('base64url')}.${cursor.split('.')[1]}`;
    const tampered = await api.request(`/v1/inbox?cursor=${encodeURIComponent(forged)}`);
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.message).toBe('Invalid cursor');
  });
});

describe('GET /v1/inbox paging edges', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('continues after the cursor even when the event it points at was acknowledged, and others deleted', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.request('/v1/events', {
        method: 'POST',
        json: { source: 'edge', event_type: 't', payload: { i } },
        key: api.keys.globex,
      });
      ids.push(res.body.event_id as string);
    }
    const first = await api.request('/v1/inbox?limit=2', { key: api.keys.globex });
    expect(first.body.events.map((e: { event_id: string }) => e.event_id)).toEqual(ids.slice(0, 2));

    await api.request(`/v1/events/${ids[1]}/ack`, { method: 'POST', key: api.keys.globex });
    await api.request(`/v1/events/${ids[0]}`, { method: 'DELETE', key: api.keys.globex });
    const cursor = encodeURIComponent(first.body.pagination.next_cursor as string);
    const second = await api.request(`/v1/inbox?limit=10&cursor=${cursor}`, { key: api.keys.globex });
    expect(second.body.events.map((e: { event_id: string }) => e.event_id)).toEqual(ids.slice(2));
    expect(second.body.pagination.next_cursor).toBeUndefined();
  });
});

describe('GET /v1/inbox on a table without the filter indexes (before the migration)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ legacy: true });
  });
  afterAll(async () => {
    await api.close();
  });

  it('filters inbox-index and returns a short page with a cursor when a filter matches nothing within the read budget', async () => {
    // 3,000 events, 2,250 of them pending: more than one request may read (2,000).
    await seedLegacyEvents(api.runtime.clients.doc, {
      tableName: api.config.tables.events,
      count: 3000,
      tenants: ['acme'],
    });
    const first = await api.request('/v1/inbox?limit=10&source=no-such-source');
    expect(first.status).toBe(200);
    expect(first.body.events).toEqual([]);
    const cursor = first.body.pagination.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));

    const second = await api.request(`/v1/inbox?limit=10&source=no-such-source&cursor=${encodeURIComponent(cursor)}`);
    expect(second.body.events).toEqual([]);
    expect(second.body.pagination.next_cursor).toBeUndefined();
  }, 60_000);
});
