/** One dependency's state as `/v1/health` reports it. */
export interface ComponentHealth {
  healthy: boolean;
  /** A word for the state (`reachable`, `running`, `restarting`...), shown in the report's `checks`. */
  state: string;
  /** Why it is not healthy, in words a client may read (no internal names or stack). */
  reason?: string;
}

/** What `/v1/health` answers: healthy, or not and why, with each check's state. */
export interface HealthReport {
  healthy: boolean;
  checks: Record<string, string>;
  reason?: string;
  /** How long a client should wait before asking again while unhealthy. */
  retryAfterSeconds: number;
}

export type HealthCheck = () => Promise<HealthReport>;

export interface HealthComponents {
  /** Whether the event store answers (a cheap, shared, cached probe). */
  store: () => Promise<ComponentHealth>;
  /** The local embedded engine's supervisor state; absent when the API does not run the engine (Lambda, `DYNAMODB_ENDPOINT`). */
  engine?: () => ComponentHealth;
}

const RETRY_AFTER_SECONDS = 2;

/**
 * Healthy when the engine (if this process runs one) is running and the store answers. A stopped or
 * restarting engine is reported without probing the store: its endpoint cannot answer.
 */
export function createHealthCheck(components: HealthComponents): HealthCheck {
  return async () => {
    const engine = components.engine?.();
    if (engine && !engine.healthy) {
      return unhealthy(
        { engine: engine.state, store: 'not checked' },
        engine.reason ?? `the engine is ${engine.state}`,
      );
    }
    const store = await components.store();
    const checks = { ...(engine ? { engine: engine.state } : {}), store: store.state };
    return store.healthy
      ? { healthy: true, checks, retryAfterSeconds: 0 }
      : unhealthy(checks, store.reason ?? 'the event store is unreachable');
  };
}

function unhealthy(checks: Record<string, string>, reason: string): HealthReport {
  return { healthy: false, checks, reason, retryAfterSeconds: RETRY_AFTER_SECONDS };
}
