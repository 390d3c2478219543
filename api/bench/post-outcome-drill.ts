/**
 * `npm run drill:post-outcome -- [--fault stop|kill] [--outage-seconds 10] [--concurrency 16]`: what a
 * 503 on `POST /v1/events` says about the event, checked against what the store holds afterwards.
 *
 * Starts the server (`npm start`'s command) with its data on disk, sends POSTs at a fixed concurrency,
 * then either stops the engine (SIGSTOP) for the outage and resumes it (SIGCONT), or kills it (SIGKILL)
 * and lets the API restart it. The load runs on for a while after the outage; then every event id the
 * API gave (in a 201, or in a 503's `details.event_id`) is looked up, and the whole inbox is read to find
 * stored events whose request got no id at all. Prints, per kind of answer, how many of those events
 * the store holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { descendantPids, enginePidOf, killAll } from '../../tooling/process-tree';
import { startServerProcess } from '../../tooling/server-process';

const { values } = parseArgs({
  options: {
    fault: { type: 'string', default: 'stop' },
    'outage-seconds': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
  },
});
const fault = values.fault === 'kill' ? 'kill' : 'stop';
const outageMs = Number(values['outage-seconds']) * 1000;
const concurrency = Number(values.concurrency);

/** How the API answered one request. */
type Answer = '201' | '503 stored:false' | '503 stored:null' | '503 no event id' | 'other' | 'no answer';

interface Sent {
  seq: number;
  answer: Answer;
  eventId?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function post(url: string, key: string, seq: number): Promise<Sent> {
  try {
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ source: 'post-outcome-drill', event_type: 'load', payload: { seq } }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as {
      event_id?: string;
      error?: { details?: { event_id?: string; stored?: boolean | null } | null };
    };
    if (response.status === 201) return { seq, answer: '201', eventId: body.event_id ?? '' };
    if (response.status !== 503) return { seq, answer: 'other' };
    const details = body.error?.details;
    if (!details?.event_id) return { seq, answer: '503 no event id' };
    return {
      seq,
      answer: details.stored === false ? '503 stored:false' : '503 stored:null',
      eventId: details.event_id,
    };
  } catch {
    return { seq, answer: 'no answer' };
  }
}

/** Every stored event of the drill by its `seq`, read through the inbox. */
async function storedSeqs(url: string, key: string): Promise<Map<number, string>> {
  const seqs = new Map<number, string>();
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', source: 'post-outcome-drill' });
    if (cursor) query.set('cursor', cursor);
    const response = await fetch(`${url}/v1/inbox?${query.toString()}`, { headers: { 'x-api-key': key } });
    const page = (await response.json()) as {
      events: { event_id: string; payload: { seq: number } }[];
      pagination: { next_cursor?: string };
    };
    for (const event of page.events) seqs.set(event.payload.seq, event.event_id);
    cursor = page.pagination.next_cursor;
  } while (cursor);
  return seqs;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'post-outcome-'));
  const server = await startServerProcess({ DATA_DIR: dataDir });
  const pids = descendantPids(server.child.pid ?? 0);
  try {
    const enginePid = enginePidOf(server.child.pid ?? 0);
    if (enginePid === undefined) throw new Error('no engine process under the server');
    const sent: Sent[] = [];
    let seq = 0;
    let outageOver = false;
    let stopAt = Number.POSITIVE_INFINITY;

    const worker = async (): Promise<void> => {
      while (Date.now() < stopAt) sent.push(await post(server.url, server.apiKey, seq++));
    };
    const conduct = async (): Promise<void> => {
      await sleep(2000);
      const startedAt = Date.now();
      if (fault === 'stop') {
        process.kill(enginePid, 'SIGSTOP');
        await sleep(outageMs);
        process.kill(enginePid, 'SIGCONT');
      } else {
        process.kill(enginePid, 'SIGKILL');
        await sleep(outageMs);
      }
      outageOver = true;
      console.log(`${fault === 'stop' ? 'engine stopped' : 'engine killed'} for ${Date.now() - startedAt} ms`);
      stopAt = Date.now() + 5000;
    };
    await Promise.all([conduct(), ...Array.from({ length: concurrency }, worker)]);
    if (!outageOver) throw new Error('the drill ended before the outage did');
    // Writes still travelling inside the engine land now, if they ever do.
    await sleep(2000);

    const stored = await storedSeqs(server.url, server.apiKey);
    const rows = new Map<Answer, { answers: number; stored: number; idMatches: number }>();
    for (const request of sent) {
      const row = rows.get(request.answer) ?? { answers: 0, stored: 0, idMatches: 0 };
      rows.set(request.answer, row);
      row.answers += 1;
      const storedId = stored.get(request.seq);
      if (storedId !== undefined) {
        row.stored += 1;
        if (storedId === request.eventId) row.idMatches += 1;
      }
    }
    console.log(`fault: ${fault}, outage ${outageMs / 1000} s, concurrency ${concurrency}, ${sent.length} requests`);
    console.log('answer              requests   stored afterwards   (under the id the answer gave)');
    for (const [answer, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(
        `${answer.padEnd(20)}${String(row.answers).padStart(8)}   ${String(row.stored).padStart(17)}   ${String(row.idMatches).padStart(10)}`,
      );
    }
    const wrong = rows.get('503 stored:false')?.stored ?? 0;
    const lost = (rows.get('201')?.answers ?? 0) - (rows.get('201')?.idMatches ?? 0);
    console.log(`503 stored:false that were stored: ${wrong}; 201 not stored: ${lost}`);
  } finally {
    const all = [...pids, ...descendantPids(server.child.pid ?? 0)];
    server.child.kill('SIGTERM');
    await server.exited;
    killAll(all);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
