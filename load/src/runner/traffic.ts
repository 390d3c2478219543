import type { Pool } from 'undici';
import type { ApiEndpoint } from '../../../contract/metrics';
import {
  batchBody,
  CREATED_EVENTS_REMEMBERED,
  DEFAULT_BATCH_SIZE,
  DEFAULT_INBOX_LIMIT,
  eventBody,
  type IterationKind,
} from '../../scenarios/scenarios';

/** One request's outcome, as the recorder needs it. */
export interface RequestOutcome {
  endpoint: ApiEndpoint;
  /** HTTP status; 0 when no response came (connection error, timeout). */
  status: number;
  /** When the request was due (the scheduled time for an iteration's first request), `performance.now()` ms. */
  dueAt: number;
  doneAt: number;
  /** Events this request created: 1 for a 201 on POST /v1/events, the created ones of a batch. */
  accepted: number;
}

export interface TrafficContext {
  pool: Pool;
  apiKey: string;
  /** Receives every request's outcome as it completes. */
  record: (outcome: RequestOutcome) => void;
  now: () => number;
}

/**
 * The iteration kinds of `scenarios.ts` over HTTP, as the k6 scripts do them. Events this generator
 * created are remembered (bounded) so ack, delete and get have something of their own to act on.
 */
export class Traffic {
  private sequence = 0;
  private readonly created: string[] = [];

  constructor(private readonly context: TrafficContext) {}

  /** Runs one iteration; its first request is measured from `dueAt`, later ones from when they were sent. */
  async iterate(
    kind: IterationKind,
    dueAt: number,
    inboxLimit = DEFAULT_INBOX_LIMIT,
    batchSize = DEFAULT_BATCH_SIZE,
  ): Promise<void> {
    switch (kind) {
      case 'create':
        return this.create(dueAt);
      case 'create-batch':
        return this.createBatch(dueAt, batchSize);
      case 'poll':
        await this.poll(dueAt, inboxLimit);
        return;
      case 'poll-and-ack': {
        const ids = await this.poll(dueAt, inboxLimit);
        for (const id of ids) await this.ack(id, this.context.now());
        return;
      }
      case 'ack':
      case 'delete':
      case 'get': {
        const id = kind === 'get' ? this.created.at(-1) : this.created.pop();
        if (id === undefined) return this.create(dueAt);
        if (kind === 'ack') return this.ack(id, dueAt);
        if (kind === 'delete') return this.send('DELETE /v1/events/{event_id}', 'DELETE', `/v1/events/${id}`, dueAt);
        return this.send('GET /v1/events/{event_id}', 'GET', `/v1/events/${id}`, dueAt);
      }
    }
  }

  private async create(dueAt: number): Promise<void> {
    const { status, body } = await this.request('POST', '/v1/events', eventBody(this.sequence++));
    this.finish('POST /v1/events', status, dueAt, status === 201 ? 1 : 0);
    const id = status === 201 ? (JSON.parse(body) as { event_id?: string }).event_id : undefined;
    if (id) this.remember(id);
  }

  /** POST /v1/events/batch; a 200 or 503 answer says per event which were created. */
  private async createBatch(dueAt: number, size: number): Promise<void> {
    const first = this.sequence;
    this.sequence += size;
    const { status, body } = await this.request('POST', '/v1/events/batch', batchBody(first, size));
    const results =
      status === 200 || status === 503
        ? ((JSON.parse(body) as { results?: { status: number; event_id?: string }[] }).results ?? [])
        : [];
    const created = results.filter((result) => result.status === 201);
    this.finish('POST /v1/events/batch', status, dueAt, created.length);
    for (const result of created) if (result.event_id) this.remember(result.event_id);
  }

  private remember(id: string): void {
    this.created.push(id);
    if (this.created.length > CREATED_EVENTS_REMEMBERED) this.created.shift();
  }

  private async poll(dueAt: number, limit: number): Promise<string[]> {
    const { status, body } = await this.request('GET', `/v1/inbox?limit=${limit}`);
    this.finish('GET /v1/inbox', status, dueAt, 0);
    if (status !== 200) return [];
    return (JSON.parse(body) as { events: { event_id: string }[] }).events.map((event) => event.event_id);
  }

  private ack(id: string, dueAt: number): Promise<void> {
    return this.send('POST /v1/events/{event_id}/ack', 'POST', `/v1/events/${id}/ack`, dueAt);
  }

  private async send(endpoint: ApiEndpoint, method: string, path: string, dueAt: number): Promise<void> {
    const { status } = await this.request(method, path);
    this.finish(endpoint, status, dueAt, 0);
  }

  private finish(endpoint: ApiEndpoint, status: number, dueAt: number, accepted: number): void {
    this.context.record({ endpoint, status, dueAt, doneAt: this.context.now(), accepted });
  }

  private async request(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
    try {
      const res = await this.context.pool.request({
        method: method,
        path,
        headers: {
          'x-api-key': this.context.apiKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
      });
      return { status: res.statusCode, body: await res.body.text() };
    } catch {
      return { status: 0, body: '' };
    }
  }
}
