import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { BadRequestError, HeadersTooLargeError, RequestTimeoutError, type ApiError } from '../errors';
import { errorBody } from './error-middleware';
import { serializeResponse } from './json';

/** The HTTP server of a long-running process: the app, and parser rejections answered in the API's envelope. */
export function createHttpServer(app: Koa, logger: Logger): Server {
  const server = createServer(app.callback());
  answerClientErrors(server, logger);
  return server;
}

/** The API error for what Node's HTTP parser could not accept. */
function parserError(code: string | undefined): ApiError {
  if (code === 'HPE_HEADER_OVERFLOW') return new HeadersTooLargeError('Request headers are too large');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeoutError('The request was not received in time');
  return new BadRequestError(`Malformed HTTP request${code ? ` (${code})` : ''}`);
}

/**
 * Answers what Node's HTTP parser rejects before the app sees a request (a bad request line, an unknown
 * method, oversized headers, broken chunked framing) in the API's error envelope, with a request id the
 * log line carries too, and closes the connection as Node does. A reset connection gets no answer.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const answer = parserError(error.code);
    const body = serializeResponse(errorBody(answer, requestId));
    logger.info(
      {
        request_id: requestId,
        status_code: answer.status,
        error_type: answer.code,
        reason: error.code ?? error.message,
      },
      'Request rejected by the HTTP parser',
    );
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
  });
}
