/**
 * The engine-kill drill: POST load against a running API, the embedded engine killed mid-load, health
 * polled throughout, and what clients saw counted. Used by the reliability tests and
 * `api/bench/engine-recovery-bench.ts`.
 */

export interface EngineKillDrillOptions {
  url: string;
  apiKey: string;
  /** Kills the engine (SIGKILL to its process); called once, when `createdBeforeKill` events were accepted. */
  killEngine: () => void;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  /** Events accepted (201) before the engine is killed. Default 100. */
  createdBeforeKill?: number;
  /** Events accepted once health is back before the load stops. Default 100. */
  createdAfterRecovery?: number;
  /** The load stops after this long even if the API never recovered. Default 30 s. */
  timeoutMs?: number;
  /** Time between health requests. Default 50 ms. */
  healthIntervalMs?: number;
}

export interface CreatedEvent {
  eventId: string;
  /** The `seq` of the payload sent, to check what is read back. */
  seq: number;
}

export interface EngineKillDrillResult {
  requests: number;
  /** Answers by HTTP status, plus `network-error` for requests that got no answer at all. */
  byStatus: Record<string, number>;
  /** Every event the API answered 201 for. */
  created: CreatedEvent[];
  /** Health statuses seen from the kill on (0: no answer), consecutive repeats collapsed: `[503, 200]` for a clean recovery. */
  healthAfterKill: number[];
  /** Kill to the first healthy answer after an unhealthy one; undefined when the API never recovered. */
  healthRecoveredMs: number | undefined;
  /** Kill to the first 201 of a request sent after the kill. */
  firstWriteAfterKillMs: number | undefined;
  /** Up to 5 answers that were neither 201 nor 503, for diagnosis. */
  unexpected: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the drill; resolves once the load has stopped (recovered and `createdAfterRecovery` more, or timed out). */
export async function runEngineKillDrill(options: EngineKillDrillOptions): Promise<EngineKillDrillResult> {
  const concurrency = options.concurrency ?? 16;
  const createdBeforeKill = options.createdBeforeKill ?? 100;
  const createdAfterRecovery = options.createdAfterRecovery ?? 100;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const byStatus: Record<string, number> = {};
  const created: CreatedEvent[] = [];
  const healthAfterKill: number[] = [];
  const unexpected: string[] = [];
  let requests = 0;
  let seq = 0;
  let killedAt: number | undefined;
  let recoveredAt: number | undefined;
  let createdAtRecovery = 0;
  let firstWriteAfterKillMs: number | undefined;
  let stopped = false;

  const count = (key: string): void => void (byStatus[key] = (byStatus[key] ?? 0) + 1);
  const maybeKill = (): void => {
    if (killedAt === undefined && created.length >= createdBeforeKill) {
      killedAt = Date.now();
      options.killEngine();
    }
  };
  const maybeStop = (): void => {
    const done = recoveredAt !== undefined && created.length - createdAtRecovery >= createdAfterRecovery;
    if (done || Date.now() >= deadline) stopped = true;
  };

  const post = async (): Promise<void> => {
    const mine = seq++;
    const sentAt = Date.now();
    requests += 1;
    try {
      const response = await fetch(`${options.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
        body: JSON.stringify({ source: 'engine-kill-drill', event_type: 'load', payload: { seq: mine } }),
      });
      const text = await response.text();
      count(String(response.status));
      if (response.status === 201) {
        created.push({ eventId: (JSON.parse(text) as { event_id: string }).event_id, seq: mine });
        if (killedAt !== undefined && sentAt >= killedAt) firstWriteAfterKillMs ??= Date.now() - killedAt;
      } else if (response.status === 503) {
        // A client honouring Retry-After would wait seconds; a short pause keeps the drill short.
        await sleep(20);
      } else if (unexpected.length < 5) {
        unexpected.push(`${response.status} ${text}`);
      }
    } catch (error) {
      count('network-error');
      if (unexpected.length < 5)
        unexpected.push(`no answer: ${error instanceof Error ? error.message : String(error)}`);
      await sleep(20);
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      await post();
      maybeKill();
      maybeStop();
    }
  };

  const pollHealth = async (): Promise<void> => {
    let sawUnhealthy = false;
    while (!stopped) {
      const killed = killedAt;
      const status = await fetch(`${options.url}/v1/health`).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      );
      if (killed !== undefined) {
        if (healthAfterKill.at(-1) !== status) healthAfterKill.push(status);
        if (status !== 200) sawUnhealthy = true;
        else if (sawUnhealthy && recoveredAt === undefined) {
          recoveredAt = Date.now();
          createdAtRecovery = created.length;
        }
      }
      maybeStop();
      await sleep(options.healthIntervalMs ?? 50);
    }
  };

  await Promise.all([pollHealth(), ...Array.from({ length: concurrency }, worker)]);
  return {
    requests,
    byStatus,
    created,
    healthAfterKill,
    healthRecoveredMs: killedAt !== undefined && recoveredAt !== undefined ? recoveredAt - killedAt : undefined,
    firstWriteAfterKillMs,
    unexpected,
  };
}

/** Reads every created event back (GET), `concurrency` at a time; resolves with those not read back intact. */
export async function unreadableEvents(
  url: string,
  apiKey: string,
  events: readonly CreatedEvent[],
  concurrency = 16,
): Promise<string[]> {
  const failures: string[] = [];
  const queue = [...events];
  const reader = async (): Promise<void> => {
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      const response = await fetch(`${url}/v1/events/${event.eventId}`, { headers: { 'x-api-key': apiKey } });
      const body = (await response.json()) as { payload?: { seq?: number } };
      if (response.status !== 200 || body.payload?.seq !== event.seq) {
        failures.push(`${event.eventId} (seq ${event.seq}): ${response.status} ${JSON.stringify(body)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, reader));
  return failures;
}
