import { Socket } from 'node:net';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import {
  ApiError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors';
import { requestState } from './request-context';
import { respond } from './respond';

/** The one place an error becomes a response: `{error: {code, message, details, request_id}}`. */
export function errorBody(error: ApiError, requestId: string): Record<string, unknown> {
  return { error: { code: error.code, message: error.message, details: error.details, request_id: requestId } };
}

/** Maps errors Koa itself raises (bad URL encoding, oversized headers...) to API errors. */
function fromHttpError(error: unknown): ApiError | undefined {
  const status = (error as { status?: number; expose?: boolean }).status;
  if (status === 413) return new PayloadTooLargeError('Request body is too large');
  if (status !== undefined && status >= 400 && status < 500) {
    return new ValidationError((error as Error).message || 'Bad request');
  }
  return undefined;
}

/**
 * Catches everything below it. Client errors show their message; anything else is logged once with its
 * stack and answered with a generic message. Store faults that escaped mapping still become 503s.
 */
export function errorMiddleware(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        // The router answers a method it knows nothing of (PURGE, PROPFIND...) with 501, a server error:
        // it is the client's, so it becomes a 405 where the path exists and a 404 where it does not.
        const unknownMethod = ctx.status === 501;
        const allowed = ctx.response.get('Allow');
        if (ctx.status === 404 || (unknownMethod && allowed === '')) {
          ctx.remove('Allow');
          throw new NotFoundError(`No route for ${ctx.method} ${ctx.path}`);
        }
        if (ctx.status === 405 || unknownMethod) {
          throw new MethodNotAllowedError(`${ctx.method} is not allowed on ${ctx.path}; allowed: ${allowed}`);
        }
      }
    } catch (caught) {
      const known = caught instanceof ApiError ? caught : fromHttpError(caught);
      // Below 500 the message is for the client; above it, the client gets a generic one (the cause is logged).
      const error =
        known && (known.status < 500 || known instanceof ServiceUnavailableError)
          ? known
          : new InternalError('Internal server error');
      const { requestId, log } = requestState(ctx);
      log.error_type = error.code;
      if (error instanceof ServiceUnavailableError) {
        // Expected while the store is down or throttled, and possibly for every request: one WARN line with
        // the reason and the store's error, no stack (the engine supervisor and the health probe log causes).
        const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined;
        logger.warn({ reason: error.message, details: error.details, cause }, 'Service unavailable');
      } else if (error.status >= 500) {
        // The one log line of a failure: the cause and its stack, never sent to the client.
        logger.error({ err: caught }, 'Request failed');
      }
      if (error instanceof ServiceUnavailableError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      // A body still arriving is not read: close the connection after the answer, or the next request on
      // it would be parsed from the middle of this body (or wait behind an endless upload).
      if (ctx.req.socket instanceof Socket && !ctx.req.complete) ctx.set('Connection', 'close');
      respond(ctx, error.status, errorBody(error, requestId));
    }
  };
}
