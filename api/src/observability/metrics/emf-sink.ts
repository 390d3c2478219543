import {
  DimensionNames,
  LOOKUP_METHODS,
  MetricNames,
  type LookupMethod,
  type MetricDefinition,
} from '../../../../contract/metrics';
import type { MetricsSink, RequestObservation } from './metrics-sink';
import { positiveInteger } from './positive-integer';
import { isServerError } from './request-outcome';

/** The EMF limit on values in one metric's array (and so the number of requests one document describes). */
export const EMF_MAX_VALUES_PER_METRIC = 100;

/** Options of {@link EmfSink}. */
export interface EmfSinkOptions {
  /** CloudWatch namespace, `metricNamespace(stage)`. */
  namespace: string;
  /** Writes one log line (default: to stdout, where Lambda hands it to CloudWatch Logs). */
  write?: (line: string) => void;
  /** Flush period for long-running processes; when absent, only `flush()` writes (the Lambda handler calls it). */
  flushIntervalMs?: number;
  /** Latency values buffered between flushes; beyond it they are dropped and counted, counts stay exact (default 100 000). */
  maxBufferedLatencies?: number;
  /** Clock in epoch milliseconds (default `Date.now`). */
  now?: () => number;
}

/** Metrics also written without dimensions, summed over every endpoint. */
const ALL_ENDPOINT_METRICS: readonly MetricDefinition[] = [MetricNames.apiRequestCount, MetricNames.apiErrorCount];

/** One EMF document: the `_aws` metadata plus dimension and metric members at the root. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [member: string]: unknown;
}

interface EndpointBatch {
  requestCount: number;
  serverErrors: number;
  latencies: number[];
  errorsByType: Map<string, number>;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function repeat(value: number, times: number): number[] {
  return new Array<number>(times).fill(value);
}

function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * CloudWatch Embedded Metric Format lines: metrics extracted from logs, so no API call is made from the process
 * (the Lambda default). Observations are aggregated and written on `flush()`, one document per dimension set.
 */
export class EmfSink implements MetricsSink {
  private readonly namespace: string;
  private readonly write: (line: string) => void;
  private readonly maxBufferedLatencies: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private endpoints = new Map<string, EndpointBatch>();
  private ingestedPerSecond = new Map<number, number>();
  private lookups = { gsi: 0, scan: 0 };
  private bufferedLatencies = 0;
  private droppedLatencies = 0;
  private failedWrites = 0;
  private closed = false;

  constructor(options: EmfSinkOptions) {
    if (options.namespace.length < 1 || options.namespace.length > 255) {
      throw new RangeError(`namespace must have 1-255 characters, got '${options.namespace}'`);
    }
    this.namespace = options.namespace;
    this.write = options.write ?? stdoutLine;
    this.maxBufferedLatencies = positiveInteger('maxBufferedLatencies', options.maxBufferedLatencies ?? 100_000);
    this.now = options.now ?? Date.now;
    if (options.flushIntervalMs !== undefined) {
      this.timer = setInterval(() => void this.flush(), positiveInteger('flushIntervalMs', options.flushIntervalMs));
      // Metrics alone must not keep a process alive that is otherwise done.
      this.timer.unref();
    }
  }

  /** Latency values left out because the buffer was full (their requests are still counted). */
  get droppedLatencyCount(): number {
    return this.droppedLatencies;
  }

  /** Lines the writer refused. */
  get failedWriteCount(): number {
    return this.failedWrites;
  }

  record(observation: RequestObservation): void {
    if (this.closed) return;
    let batch = this.endpoints.get(observation.endpoint);
    if (batch === undefined) {
      batch = { requestCount: 0, serverErrors: 0, latencies: [], errorsByType: new Map() };
      this.endpoints.set(observation.endpoint, batch);
    }
    batch.requestCount += 1;
    if (isServerError(observation.statusCode)) batch.serverErrors += 1;
    if (observation.errorType !== undefined) {
      batch.errorsByType.set(observation.errorType, (batch.errorsByType.get(observation.errorType) ?? 0) + 1);
    }
    if (this.bufferedLatencies < this.maxBufferedLatencies) {
      batch.latencies.push(Math.round(observation.durationMs * 1000) / 1000);
      this.bufferedLatencies += 1;
    } else {
      this.droppedLatencies += 1;
    }
  }

  recordEventsIngested(count: number): void {
    if (this.closed) return;
    const second = Math.floor(this.now() / 1000);
    this.ingestedPerSecond.set(second, (this.ingestedPerSecond.get(second) ?? 0) + count);
  }

  recordLookup(method: LookupMethod): void {
    if (this.closed) return;
    this.lookups[method] += 1;
  }

  /** Writes one line per document built from what was recorded since the last flush; never rejects. */
  flush(): Promise<void> {
    const documents = this.drain();
    for (const document of documents) {
      try {
        this.write(JSON.stringify(document));
      } catch {
        this.failedWrites += 1;
      }
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }

  /** Takes the aggregated observations out as EMF documents, leaving the sink empty. */
  private drain(): EmfDocument[] {
    const endpoints = this.endpoints;
    const ingestedPerSecond = this.ingestedPerSecond;
    const lookups = this.lookups;
    this.endpoints = new Map();
    this.ingestedPerSecond = new Map();
    this.lookups = { gsi: 0, scan: 0 };
    this.bufferedLatencies = 0;

    const timestamp = Math.round(this.now());
    const documents: EmfDocument[] = [];
    for (const [endpoint, batch] of endpoints) {
      documents.push(...this.endpointDocuments(timestamp, endpoint, batch));
      for (const [errorType, count] of batch.errorsByType) {
        documents.push(
          this.document(timestamp, { [DimensionNames.endpoint]: endpoint, [DimensionNames.errorType]: errorType }, [
            [MetricNames.apiErrorCount, count],
          ]),
        );
      }
    }
    // One value per second with ingestion: each is that second's events/s, and their Sum is the events accepted.
    for (const perSecond of chunk([...ingestedPerSecond.values()], EMF_MAX_VALUES_PER_METRIC)) {
      documents.push(this.document(timestamp, {}, [[MetricNames.eventIngestionRate, perSecond]]));
    }
    for (const method of LOOKUP_METHODS) {
      if (lookups[method] > 0) {
        documents.push(
          this.document(timestamp, { [DimensionNames.method]: method }, [[MetricNames.eventLookup, lookups[method]]]),
        );
      }
    }
    return documents;
  }

  // One document per 100 requests. Success and error rates go out as one 100-or-0 sample per request, so
  // CloudWatch's Average over any period is the request-weighted rate, however the requests were split.
  private endpointDocuments(timestamp: number, endpoint: string, batch: EndpointBatch): EmfDocument[] {
    const documents: EmfDocument[] = [];
    let errorsLeft = batch.serverErrors;
    for (let start = 0; start < batch.requestCount; start += EMF_MAX_VALUES_PER_METRIC) {
      const requests = Math.min(EMF_MAX_VALUES_PER_METRIC, batch.requestCount - start);
      const errors = Math.min(errorsLeft, requests);
      errorsLeft -= errors;
      const latencies = batch.latencies.slice(start, start + EMF_MAX_VALUES_PER_METRIC);
      const metrics: [MetricDefinition, number | number[]][] = [
        [MetricNames.apiRequestCount, requests],
        [MetricNames.apiErrorCount, errors],
        [MetricNames.apiSuccessRate, [...repeat(100, requests - errors), ...repeat(0, errors)]],
        [MetricNames.apiErrorRate, [...repeat(100, errors), ...repeat(0, requests - errors)]],
      ];
      // Dropped latencies leave later documents without values; a metric member must never be empty.
      if (latencies.length > 0) metrics.unshift([MetricNames.apiLatency, latencies]);
      const document = this.document(timestamp, { [DimensionNames.endpoint]: endpoint }, metrics);
      // The same request and 5xx counts again without dimensions, in the same line: CloudWatch sums them over
      // every endpoint, the series the all-endpoint error-rate objective is alarmed on.
      document._aws.CloudWatchMetrics.push({
        Namespace: this.namespace,
        Dimensions: [[]],
        Metrics: ALL_ENDPOINT_METRICS.map((definition) => ({ Name: definition.name, Unit: definition.unit })),
      });
      documents.push(document);
    }
    return documents;
  }

  private document(
    timestamp: number,
    dimensions: Record<string, string>,
    metrics: readonly [MetricDefinition, number | number[]][],
  ): EmfDocument {
    const document: EmfDocument = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: this.namespace,
            Dimensions: [Object.keys(dimensions)],
            Metrics: metrics.map(([definition]) => ({ Name: definition.name, Unit: definition.unit })),
          },
        ],
      },
      ...dimensions,
    };
    for (const [definition, value] of metrics) document[definition.name] = value;
    return document;
  }
}
