import { API_ENDPOINTS, UNSHED_ENDPOINTS, type ApiEndpoint } from '../../../contract/metrics';

/** Options of {@link AdaptiveConcurrencyLimit}; every field has a default. */
export interface ConcurrencyLimitOptions {
  /** Limit before the first adjustment (default 32). */
  initialLimit?: number;
  /** The limit never falls below this (default 8). */
  minLimit?: number;
  /** Nor rises above this (default 256). */
  maxLimit?: number;
  /** Round trip the admitted requests are held under, at their 90th percentile (default 50 ms). */
  targetMs?: number;
  /** Factor the limit is multiplied by when the target is missed (default 0.9). */
  backoff?: number;
  /** Admitted requests per adjustment (default 50). */
  samplesPerWindow?: number;
}

/**
 * An adaptive limit on requests in flight, after Netflix's concurrency-limits `AIMDLimit` (no Node library
 * implements one): every `samplesPerWindow` admitted requests, if their 90th-percentile round trip missed
 * `targetMs` (requests are queueing for the CPU or the store) the limit is cut by `backoff`; otherwise, if
 * at least half of it was in use, it grows by one. Requests past it are refused at once, so past capacity
 * the API serves about what it can within the target instead of making every request wait.
 */
export class AdaptiveConcurrencyLimit {
  private readonly minLimit: number;
  private readonly maxLimit: number;
  private readonly targetMs: number;
  private readonly backoff: number;
  private readonly samplesPerWindow: number;
  private estimate: number;
  private running = 0;
  private busiest = 0;
  private readonly window: number[] = [];
  private shedCount = 0;

  constructor(options: ConcurrencyLimitOptions = {}) {
    this.minLimit = options.minLimit ?? 8;
    this.maxLimit = options.maxLimit ?? 256;
    if (!(this.minLimit >= 1 && this.maxLimit >= this.minLimit)) {
      throw new RangeError(`need 1 <= minLimit <= maxLimit, got ${this.minLimit} and ${this.maxLimit}`);
    }
    this.targetMs = options.targetMs ?? 50;
    this.backoff = options.backoff ?? 0.9;
    this.samplesPerWindow = options.samplesPerWindow ?? 50;
    this.estimate = Math.min(this.maxLimit, Math.max(this.minLimit, options.initialLimit ?? 32));
  }

  /** Requests admitted at once now. */
  get limit(): number {
    return Math.floor(this.estimate);
  }

  get inFlight(): number {
    return this.running;
  }

  /** Requests refused since start. */
  get shed(): number {
    return this.shedCount;
  }

  /** Admits a request (true) unless as many as the limit are in flight. */
  tryAcquire(): boolean {
    if (this.running >= this.limit) {
      this.shedCount += 1;
      return false;
    }
    this.running += 1;
    this.busiest = Math.max(this.busiest, this.running);
    return true;
  }

  /** Ends an admitted request that took `rttMs`; every `samplesPerWindow` of them adjust the limit. */
  release(rttMs: number): void {
    this.running = Math.max(0, this.running - 1);
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    this.window.push(rttMs);
    if (this.window.length >= this.samplesPerWindow) this.adjust();
  }

  private adjust(): void {
    const sorted = this.window.sort((a, b) => a - b);
    const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1] ?? 0;
    if (p90 > this.targetMs) this.estimate = Math.max(this.minLimit, this.estimate * this.backoff);
    else if (this.busiest * 2 >= this.limit) this.estimate = Math.min(this.maxLimit, this.estimate + 1);
    this.window.length = 0;
    this.busiest = this.running;
  }
}

/** An endpoint template as a path pattern: `/v1/events/{event_id}` matches `/v1/events/<anything but />`. */
function pathPattern(template: string): RegExp {
  const path = template.slice(template.indexOf(' ') + 1);
  const literal = (part: string): string => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${path
      .split(/\{[^}]+\}/)
      .map(literal)
      .join('[^/]+')}$`,
  );
}

const SHEDDABLE = API_ENDPOINTS.filter((endpoint) => !UNSHED_ENDPOINTS.includes(endpoint)).map((endpoint) => ({
  endpoint,
  method: endpoint.slice(0, endpoint.indexOf(' ')),
  pattern: pathPattern(endpoint),
}));

/** The API endpoint a request is for, when admission control applies to it (not health, not unknown paths). */
export function sheddableEndpoint(method: string | undefined, url: string | undefined): ApiEndpoint | undefined {
  const path = (url ?? '').split('?', 1)[0] ?? '';
  const wanted = method === 'HEAD' ? 'GET' : method;
  return SHEDDABLE.find((candidate) => candidate.method === wanted && candidate.pattern.test(path))?.endpoint;
}
