import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { Logger } from 'pino';
import {
  BadRequestError,
  ExpectationFailedError,
  HeadersTooLargeError,
  OverloadedError,
  PayloadTooLargeError,
  RequestTimeoutError,
  type ApiError,
} from '../errors';
import type { MetricsRecorder } from '../observability/metrics/metrics-recorder';
import { sheddableEndpoint, type AdaptiveConcurrencyLimit } from './admission-control';
import { errorBody } from './error-middleware';
import { serializeResponse } from './json';

/**
 * The HTTP server of a long-running process. Node answers some requests itself, before any app sees
 * them, with a bare status line: what its parser rejects, an HTTP/1.1 request without `Host`, an
 * `Expect` it cannot meet. Here each of those gets the API's error envelope, a request id and a log line.
 */
export interface HttpServerOptions {
  /** Admission control: API requests past this limit in flight are shed here, before the app sees them. */
  admission?: { limit: AdaptiveConcurrencyLimit; metrics: MetricsRecorder };
}

export function createHttpServer(app: Koa, logger: Logger, options: HttpServerOptions = {}): Server {
  const handle = app.callback();
  const admit = options.admission ? admission(options.admission, logger) : undefined;
  const unanswered = new Set<ServerResponse>();
  // Node's own Host check answers a bare 400; the same check below answers in the envelope.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
    if (draining.has(server)) res.setHeader('Connection', 'close');
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      rejectRequest(res, new BadRequestError('HTTP/1.1 requests must carry a Host header'), 'missing Host', logger);
      return;
    }
    if (admit && !admit(req, res)) return;
    void handle(req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expectation = req.headers.expect ?? '';
    rejectRequest(res, new ExpectationFailedError(`Expect: ${expectation} is not supported`), 'expectation', logger);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerParserError(error, socket, logger));
  inFlight.set(server, unanswered);
  return server;
}

/** How often at most the number of shed requests is logged (one line, not one per request). */
const SHED_LOG_INTERVAL_MS = 10_000;

/**
 * Admission control in front of the app: an API request past the limit is answered 503 `OVERLOADED` with
 * `Retry-After` right here, before the app, its context, its access line or its body parsing, so shedding
 * costs a fraction of serving (docs/API.md, Overload). It is recorded in the metrics for its endpoint, and
 * one log line every 10 s at most counts what was shed. Admitted requests feed the limit their round trip.
 */
function admission(
  { limit, metrics }: NonNullable<HttpServerOptions['admission']>,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  let shedSinceLog = 0;
  let lastLog = 0;
  return (req, res) => {
    const endpoint = sheddableEndpoint(req.method, req.url);
    if (endpoint === undefined) return true;
    if (limit.tryAcquire()) {
      const started = performance.now();
      res.once('close', () => limit.release(performance.now() - started));
      return true;
    }
    const requestId = randomUUID();
    const error = new OverloadedError('The API is at capacity; retry later', {
      retryAfterSeconds: 1,
      details: { limit: limit.limit, in_flight: limit.inFlight },
    });
    const body = serializeResponse(errorBody(error, requestId));
    // The body is not read: Node discards it once the answer is sent, and the connection stays usable.
    res.writeHead(error.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Retry-After': String(error.retryAfterSeconds),
      'X-Request-ID': requestId,
    });
    res.end(body);
    metrics.recordRequest({ endpoint, statusCode: error.status, durationMs: 0, errorType: error.code });
    shedSinceLog += 1;
    const now = performance.now();
    if (now - lastLog >= SHED_LOG_INTERVAL_MS) {
      logger.warn({ shed: shedSinceLog, limit: limit.limit, error_type: error.code }, 'Load shed');
      shedSinceLog = 0;
      lastLog = now;
    }
    return false;
  };
}

const inFlight = new WeakMap<Server, Set<ServerResponse>>();
const draining = new WeakSet<Server>();

/**
 * Stops a server made by `createHttpServer` gracefully: no new connections; every answer from now on,
 * including those of requests in flight, carries `Connection: close`, so a kept-alive client lets go at
 * once instead of after the keep-alive timeout; idle connections are closed as they appear; after `graceMs`
 * whatever is left is cut. Resolves when every connection is gone.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  draining.add(server);
  for (const res of inFlight.get(server) ?? []) {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const force = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(force);
  }
}

/** The API error for what Node's HTTP parser could not accept. */
function parserError(code: string | undefined): ApiError {
  if (code === 'HPE_HEADER_OVERFLOW') return new HeadersTooLargeError('Request headers are too large');
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return new PayloadTooLargeError('Chunk extensions are too large');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeoutError('The request was not received in time');
  return new BadRequestError(`Malformed HTTP request${code ? ` (${code})` : ''}`);
}

function logRejection(logger: Logger, requestId: string, error: ApiError, reason: string): void {
  logger.info(
    { request_id: requestId, status_code: error.status, error_type: error.code, reason },
    'Request rejected before routing',
  );
}

function rejectRequest(res: ServerResponse, error: ApiError, reason: string, logger: Logger): void {
  const requestId = randomUUID();
  const body = serializeResponse(errorBody(error, requestId));
  logRejection(logger, requestId, error, reason);
  res.writeHead(error.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Request-ID': requestId,
    Connection: 'close',
  });
  res.end(body);
}

/**
 * Answers what Node's HTTP parser rejects (a bad request line, an unknown method, oversized headers,
 * broken chunked framing) in the envelope and closes the connection, as Node does. Like Node, it writes
 * nothing on a reset connection or over a response already under way: that would corrupt the stream.
 */
function answerParserError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const answer = parserError(error.code);
  const body = serializeResponse(errorBody(answer, requestId));
  logRejection(logger, requestId, answer, error.code ?? error.message);
  socket.end(
    [
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-ID: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
