import { Metrics } from '@aws-lambda-powertools/metrics';
import { DimensionNames, LOOKUP_METHODS, MetricNames, type MetricDefinition } from '../../../../contract/metrics';
import { recordedValueCounts } from './latency-histogram';
import type { EndpointPeriod, MetricsPeriod } from './metrics-period';
import type { MetricsSink } from './metrics-sink';

/**
 * Values per metric in one document. EMF allows 100; Powertools publishes a metric to stdout by itself when it
 * reaches 100 values, so one less keeps every document whole and written by this sink's writer.
 */
export const EMF_VALUES_PER_DOCUMENT = 99;

/** Documents written between two turns of the event loop while flushing, so a long-running process keeps serving. */
const DOCUMENTS_PER_TURN = 20;

/** Options of {@link EmfSink}. */
export interface EmfSinkOptions {
  /** CloudWatch namespace, `metricNamespace(stage)`. */
  namespace: string;
  /** Writes one log line (default: to stdout, where Lambda hands it to CloudWatch Logs). */
  write?: (line: string) => void;
  /** Told what Powertools warns about (an invalid dimension, a timestamp CloudWatch would refuse). */
  onWarning?: (message: string) => void;
}

/** One EMF document: the `_aws` metadata plus dimension and metric members at the root. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [member: string]: unknown;
}

type MetricValues = readonly [MetricDefinition, number | readonly number[]];

function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

function repeat(value: number, times: number): number[] {
  return new Array<number>(times).fill(value);
}

/** Latencies in ms, one per request, ascending: the period histogram's bucket midpoints repeated by count. */
function latencyValues(figures: EndpointPeriod): number[] {
  return recordedValueCounts(figures.latency).flatMap(({ value, count }) => repeat(value, count));
}

/**
 * CloudWatch Embedded Metric Format lines, built by Powertools Metrics: metrics extracted from logs, so no API
 * call is made from the process (the Lambda default). A period becomes documents per dimension set, each of at
 * most 99 requests.
 */
export class EmfSink implements MetricsSink {
  private readonly metrics: Metrics;
  private readonly writeLine: (line: string) => void;
  // Periods handed over and not written yet: building documents costs microseconds per request, so it
  // happens in `flush`, a few documents per turn of the event loop, never in the timer's callback at once.
  private queued: MetricsPeriod[] = [];
  private failedWrites = 0;
  private closed = false;

  constructor(options: EmfSinkOptions) {
    if (options.namespace.length < 1 || options.namespace.length > 255) {
      throw new RangeError(`namespace must have 1-255 characters, got '${options.namespace}'`);
    }
    this.writeLine = options.write ?? stdoutLine;
    const warn = (...content: unknown[]): void => options.onWarning?.(content.map(String).join(' '));
    const quiet = (): void => {};
    this.metrics = new Metrics({
      namespace: options.namespace,
      logger: { debug: quiet, info: quiet, warn, error: warn },
    });
    // Powertools adds a `service` dimension to everything by default; the alarms are on these dimensions only.
    this.metrics.clearDefaultDimensions();
  }

  /** Lines the writer refused. */
  get failedWriteCount(): number {
    return this.failedWrites;
  }

  /** Queues the periods; `flush` writes them. */
  write(periods: readonly MetricsPeriod[]): void {
    if (this.closed) return;
    this.queued.push(...periods);
  }

  /** Writes one line per document of every queued period, yielding to the event loop between batches. */
  async flush(): Promise<void> {
    const periods = this.queued;
    this.queued = [];
    let written = 0;
    for (const period of periods) {
      for (const document of this.documents(period)) {
        try {
          this.writeLine(JSON.stringify(document));
        } catch {
          this.failedWrites += 1;
        }
        if (++written % DOCUMENTS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
  }

  private *documents(period: MetricsPeriod): Generator<EmfDocument> {
    const at = period.startMs;
    let requests = 0;
    let serverErrors = 0;
    for (const figures of period.endpoints.values()) {
      requests += figures.tally.requestCount;
      serverErrors += figures.tally.serverErrors;
      yield* this.endpointDocuments(at, figures);
      for (const [errorType, count] of figures.tally.errorsByType) {
        const dimensions = { [DimensionNames.endpoint]: figures.endpoint, [DimensionNames.errorType]: errorType };
        yield this.document(at, dimensions, [[MetricNames.apiErrorCount, count]]);
      }
    }
    // Without dimensions, in one document: the request and 5xx counts of every endpoint together (the series
    // the all-endpoint error-rate objective is alarmed on), and ingestion as one value per second with any,
    // that second's events/s, whose Sum is the events accepted (a period is a minute: at most 60 values).
    const undimensioned: MetricValues[] = [];
    if (period.endpoints.size > 0) {
      undimensioned.push([MetricNames.apiRequestCount, requests], [MetricNames.apiErrorCount, serverErrors]);
    }
    if (period.ingestedPerSecond.size > 0) {
      undimensioned.push([MetricNames.eventIngestionRate, [...period.ingestedPerSecond.values()]]);
    }
    if (undimensioned.length > 0) yield this.document(at, {}, undimensioned);
    for (const method of LOOKUP_METHODS) {
      const count = period.lookups[method];
      if (count > 0) {
        yield this.document(at, { [DimensionNames.method]: method }, [[MetricNames.eventLookup, count]]);
      }
    }
  }

  // One document per 99 requests. Success and error rates go out as one 100-or-0 sample per request, so
  // CloudWatch's Average over any period is the request-weighted rate, however the requests were split.
  private *endpointDocuments(at: number, figures: EndpointPeriod): Generator<EmfDocument> {
    const latencies = latencyValues(figures);
    let errorsLeft = figures.tally.serverErrors;
    for (let start = 0; start < latencies.length; start += EMF_VALUES_PER_DOCUMENT) {
      const chunk = latencies.slice(start, start + EMF_VALUES_PER_DOCUMENT);
      const errors = Math.min(errorsLeft, chunk.length);
      errorsLeft -= errors;
      const ok = chunk.length - errors;
      yield this.document(at, { [DimensionNames.endpoint]: figures.endpoint }, [
        [MetricNames.apiLatency, chunk],
        [MetricNames.apiRequestCount, chunk.length],
        [MetricNames.apiErrorCount, errors],
        [MetricNames.apiSuccessRate, [...repeat(100, ok), ...repeat(0, errors)]],
        [MetricNames.apiErrorRate, [...repeat(100, errors), ...repeat(0, ok)]],
      ]);
    }
  }

  private document(at: number, dimensions: Record<string, string>, metrics: readonly MetricValues[]): EmfDocument {
    const emf = this.metrics;
    emf.setTimestamp(at);
    // A dimension set of its own, even an empty one: `Dimensions: [[]]` is how EMF says "no dimensions".
    emf.addDimensions(dimensions);
    for (const [definition, values] of metrics) {
      for (const value of typeof values === 'number' ? [values] : values) {
        emf.addMetric(definition.name, definition.unit, value);
      }
    }
    try {
      return emf.serializeMetrics();
    } finally {
      emf.clearMetrics();
      emf.clearDimensions();
    }
  }
}
