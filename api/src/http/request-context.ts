import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Principal } from '../domain/authenticator';

/** Per-request state the handlers share. */
export interface RequestState {
  requestId: string;
  correlationId: string | undefined;
  principal?: Principal;
}

/** Inbound ids are honoured only when short and made of safe characters (they end up in logs and headers). */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Returns the header's value when it is a sane id, otherwise undefined. */
export function saneId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && SANE_ID.test(value) ? value : undefined;
}

/** Assigns the request id (inbound `X-Request-ID` when sane, else a UUID) and echoes ids on the response. */
export async function requestContext(ctx: Context, next: Next): Promise<void> {
  const state: RequestState = {
    requestId: saneId(ctx.get('x-request-id') || undefined) ?? randomUUID(),
    correlationId: saneId(ctx.get('x-correlation-id') || undefined),
  };
  ctx.state.request = state;
  ctx.set('X-Request-ID', state.requestId);
  if (state.correlationId) ctx.set('X-Correlation-ID', state.correlationId);
  await next();
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
