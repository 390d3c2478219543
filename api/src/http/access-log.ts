import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import koaPinoLogger from 'koa-pino-logger';
import type { Logger } from 'pino';
import type { LogContext } from '../observability/log-context';

/** Where the access log finds a request's context once the response has finished. */
export const LOG_CONTEXT = Symbol('logContext');

type RequestWithContext = IncomingMessage & { [LOG_CONTEXT]?: LogContext };

/** Hands a request's log context to the access log, which writes its line after the response finished. */
export function attachLogContext(req: IncomingMessage, context: LogContext): void {
  (req as RequestWithContext)[LOG_CONTEXT] = context;
}

/** One access line per request (`Request completed`, with status_code, duration_ms and the request's context) through koa-pino-logger. */
export function accessLog(logger: Logger): Middleware {
  const line = (
    req: RequestWithContext,
    res: ServerResponse,
    values: Record<string, unknown>,
  ): Record<string, unknown> => ({
    ...req[LOG_CONTEXT],
    // A client that hung up before the response was sent: the status Node holds is not the outcome.
    ...(res.writableFinished ? { status_code: res.statusCode } : { status_code: 499, aborted: true }),
    duration_ms: values.duration_ms,
    // Present only on 5xx, so Logs Insights can count server errors with count(server_error).
    ...(res.writableFinished && res.statusCode >= 500 ? { server_error: true } : {}),
  });
  return koaPinoLogger({
    logger,
    // Lines carry the context fields, not pino-http's req/res objects (no headers, so no keys, in logs);
    // the request id comes from the context too, so pino-http must not bind its own copy.
    quietReqLogger: false,
    quietResLogger: true,
    // pino-http binds the raw req to a child logger per request; serializing it (headers included)
    // would cost more than the access line itself and is never written.
    wrapSerializers: false,
    serializers: { req: () => undefined, res: () => undefined },
    genReqId: (req: RequestWithContext) => req[LOG_CONTEXT]?.request_id ?? '',
    customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
    customSuccessObject: line,
    customErrorObject: (req: RequestWithContext, res: ServerResponse, _error: Error, values: Record<string, unknown>) =>
      line(req, res, values),
    customSuccessMessage: () => 'Request completed',
    customErrorMessage: () => 'Request completed',
    // The failure itself is logged once, with its stack, by the error middleware.
    customLogLevel: () => 'info',
  });
}
