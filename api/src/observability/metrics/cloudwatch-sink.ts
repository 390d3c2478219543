import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DEFAULT_MAX_REQUEST_BYTES, MAX_DATUMS_PER_REQUEST, takeBatch } from './cloudwatch-batches';
import { periodDatums } from './cloudwatch-datums';
import { backoffDelayMs, isRetryableCloudWatchError } from './cloudwatch-retry';
import type { MetricsPeriod } from './metrics-period';
import type { MetricsSink } from './metrics-sink';
import { positiveInteger } from './positive-integer';

/** Options of {@link CloudWatchSink}; all but `client` and `namespace` have defaults. */
export interface CloudWatchSinkOptions {
  client: CloudWatchClient;
  /** CloudWatch namespace, `metricNamespace(stage)`. */
  namespace: string;
  /** Datums waiting to be sent; past it the oldest are dropped and counted (default 10 000). */
  maxPendingDatums?: number;
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  /** First retry's backoff ceiling (default 200 ms); it doubles per attempt up to `maxBackoffMs` (default 5 000 ms). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long `close()` may take to send what is pending (default 5 000 ms). */
  closeTimeoutMs?: number;
  /** Request payload budget (default 512 KiB, half the API's 1 MB limit). */
  maxRequestBytes?: number;
  /** Uniform random in [0, 1) for backoff jitter (default `Math.random`). */
  random?: () => number;
  /** Told when datums are dropped after CloudWatch refused them or stayed unreachable. */
  onWarning?: (message: string, detail: Record<string, unknown>) => void;
}

type SendOutcome = 'sent' | 'rejected' | 'unreachable';

/**
 * Batched `PutMetricData` for long-running processes: each period the recorder hands over becomes datums,
 * queued and sent on `flush` (the recorder's timer), so the request path never waits for CloudWatch or fails
 * because of it. Memory is bounded: when CloudWatch stays unreachable, the oldest datums are dropped and counted.
 */
export class CloudWatchSink implements MetricsSink {
  private readonly client: CloudWatchClient;
  private readonly namespace: string;
  private readonly maxPendingDatums: number;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly closeTimeoutMs: number;
  private readonly maxRequestBytes: number;
  private readonly random: () => number;
  private readonly onWarning: CloudWatchSinkOptions['onWarning'];
  private readonly pending: MetricDatum[] = [];
  private readonly abort = new AbortController();
  // Sends run one at a time, in order; each flush queues a drain behind the one running.
  private sending: Promise<void> = Promise.resolve();
  private sent = 0;
  private droppedDatums = 0;
  private closed = false;

  constructor(options: CloudWatchSinkOptions) {
    if (options.namespace.length < 1 || options.namespace.length > 255) {
      throw new RangeError(`namespace must have 1-255 characters, got '${options.namespace}'`);
    }
    this.client = options.client;
    this.namespace = options.namespace;
    this.maxPendingDatums = positiveInteger('maxPendingDatums', options.maxPendingDatums ?? 10_000);
    this.maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 4);
    this.baseBackoffMs = positiveInteger('baseBackoffMs', options.baseBackoffMs ?? 200);
    this.maxBackoffMs = positiveInteger('maxBackoffMs', options.maxBackoffMs ?? 5_000);
    this.closeTimeoutMs = positiveInteger('closeTimeoutMs', options.closeTimeoutMs ?? 5_000);
    this.maxRequestBytes = positiveInteger('maxRequestBytes', options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
    this.random = options.random ?? Math.random;
    this.onWarning = options.onWarning;
  }

  /** Datums accepted by CloudWatch. */
  get sentCount(): number {
    return this.sent;
  }

  /** Datums given up on: refused, still failing after the last retry, pushed out by the memory cap, or left at close. */
  get dropped(): number {
    return this.droppedDatums;
  }

  /** Datums waiting to be sent. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Queues the periods' datums; they go out on the next `flush`. */
  write(periods: readonly MetricsPeriod[]): void {
    if (this.closed) return;
    for (const period of periods) this.enqueue(periodDatums(period));
  }

  /** Sends what is queued; never rejects. */
  flush(): Promise<void> {
    return this.drainQueued();
  }

  /** Sends what is pending, for at most `closeTimeoutMs`; what is left then is counted as dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const drained = this.drainQueued().then(() => 'drained' as const);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed-out'>((resolve) => {
      deadline = setTimeout(() => resolve('timed-out'), this.closeTimeoutMs);
    });
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(deadline);
    if (outcome === 'timed-out') this.abort.abort();
    this.drop(this.pending.splice(0).length, 'pending at close');
  }

  private enqueue(datums: MetricDatum[]): void {
    this.pending.push(...datums);
    const overflow = this.pending.length - this.maxPendingDatums;
    if (overflow > 0) this.drop(this.pending.splice(0, overflow).length, 'over the pending cap');
  }

  private drainQueued(): Promise<void> {
    this.sending = this.sending.then(() => this.drain());
    return this.sending;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.abort.signal.aborted) {
      const batch = takeBatch(this.pending, MAX_DATUMS_PER_REQUEST, this.maxRequestBytes);
      // CloudWatch unreachable: keep the rest for the next tick rather than burn every batch's retries now.
      if ((await this.send(batch)) === 'unreachable') return;
    }
  }

  private async send(batch: MetricDatum[]): Promise<SendOutcome> {
    const command = new PutMetricDataCommand({ Namespace: this.namespace, MetricData: batch });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(command, { abortSignal: this.abort.signal });
        this.sent += batch.length;
        return 'sent';
      } catch (error) {
        const retryable = isRetryableCloudWatchError(error);
        if (!retryable || attempt >= this.maxAttempts || this.abort.signal.aborted) {
          this.drop(batch.length, retryable ? 'CloudWatch unreachable' : 'refused by CloudWatch', error, attempt);
          return retryable ? 'unreachable' : 'rejected';
        }
        await this.sleep(backoffDelayMs(attempt, this.baseBackoffMs, this.maxBackoffMs, this.random));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      // While closing, the wait is part of a bounded shutdown and must keep the process up; otherwise it must not.
      if (!this.closed) timer.unref();
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private drop(count: number, reason: string, error?: unknown, attempts?: number): void {
    if (count === 0) return;
    this.droppedDatums += count;
    try {
      this.onWarning?.(`CloudWatch metrics dropped: ${reason}`, {
        datums: count,
        dropped_total: this.droppedDatums,
        ...(attempts === undefined ? {} : { attempts }),
        ...(error instanceof Error ? { error: error.name, error_message: error.message } : {}),
      });
    } catch {
      // A failing warning hook must not stop the sink.
    }
  }
}
