import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Principal } from '../domain/authenticator';
import { runWithLogContext, type LogContext } from '../observability/log-context';
import { attachLogContext } from './access-log';

/** Per-request state the handlers share. */
export interface RequestState {
  requestId: string;
  correlationId: string | undefined;
  principal?: Principal;
  /** The fields every log line of this request carries; also read by the access log and metrics. */
  log: LogContext;
}

/** Inbound ids are honoured only when short and made of safe characters (they end up in logs and headers). */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Returns the header's value when it is a sane id, otherwise undefined. */
export function saneId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && SANE_ID.test(value) ? value : undefined;
}

/**
 * Assigns the request id (inbound `X-Request-ID` when sane, else a UUID), echoes the ids on the response,
 * and runs the rest of the request inside its log context.
 */
export async function requestContext(ctx: Context, next: Next): Promise<void> {
  const requestId = saneId(ctx.get('x-request-id') || undefined) ?? randomUUID();
  const correlationId = saneId(ctx.get('x-correlation-id') || undefined);
  const log: LogContext = {
    request_id: requestId,
    ...(correlationId ? { correlation_id: correlationId } : {}),
    method: ctx.method,
  };
  const state: RequestState = { requestId, correlationId, log };
  ctx.state.request = state;
  attachLogContext(ctx.req, log);
  ctx.set('X-Request-ID', requestId);
  if (correlationId) ctx.set('X-Correlation-ID', correlationId);
  await runWithLogContext(log, next);
}

/** The request state set by `requestContext`. */
export function requestState(ctx: Context): RequestState {
  return ctx.state.request as RequestState;
}

/** The authenticated principal; only valid behind the auth middleware. */
export function principal(ctx: Context): Principal {
  const value = requestState(ctx).principal;
  if (!value) throw new Error('principal() used on a route without authentication');
  return value;
}
