import type { Context, Next } from 'koa';
import { ServiceUnavailableError } from '../errors';
import type { ComponentHealth } from './health-check';

/**
 * Answers 503 at once while the local engine is not running (exited, restarting, stopping), before any
 * store call: requests neither wait out SDK retries against a closed port nor reach a restarted engine
 * before its tables exist again.
 */
export function storeGate(engine: () => ComponentHealth) {
  return async function requireRunningEngine(_ctx: Context, next: Next): Promise<void> {
    const state = engine();
    if (!state.healthy) {
      throw new ServiceUnavailableError(
        `The event store is unavailable: ${state.reason ?? `the embedded engine is ${state.state}`}; retry later`,
        { retryAfterSeconds: 1 },
      );
    }
    await next();
  };
}
