import { SHED_LOAD_ERROR_TYPE } from '../../contract/metrics';

/** Machine-readable error codes of the API's error envelope. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'EXPECTATION_FAILED'
  | 'HEADERS_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  | typeof SHED_LOAD_ERROR_TYPE
  | 'INTERNAL_ERROR';

/** Base of every error the API maps to an HTTP response. */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  readonly details: unknown;

  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details ?? null;
  }
}

/** A request that is not HTTP the server can read (a bad request line, header or framing). */
export class BadRequestError extends ApiError {
  readonly status = 400;
  readonly code = 'BAD_REQUEST';
}

export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'VALIDATION_ERROR';
}

export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = 'UNAUTHORIZED';
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'NOT_FOUND';
}

export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  readonly code = 'METHOD_NOT_ALLOWED';
}

/** The client did not send a whole request (its headers) in time. */
export class RequestTimeoutError extends ApiError {
  readonly status = 408;
  readonly code = 'REQUEST_TIMEOUT';
}

export class ConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'CONFLICT';
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

/** An `Expect` header the server cannot meet (anything but `100-continue`). */
export class ExpectationFailedError extends ApiError {
  readonly status = 417;
  readonly code = 'EXPECTATION_FAILED';
}

export class HeadersTooLargeError extends ApiError {
  readonly status = 431;
  readonly code = 'HEADERS_TOO_LARGE';
}

/** The store is throttled or unreachable: the client should retry after `retryAfterSeconds`. */
export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly code: ErrorCode = 'SERVICE_UNAVAILABLE';
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { retryAfterSeconds?: number; cause?: unknown; details?: unknown } = {}) {
    super(message, options.details, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}

/** The API is at its concurrency limit: the request was shed before any work, to be retried after `retryAfterSeconds`. */
export class OverloadedError extends ServiceUnavailableError {
  override readonly code: ErrorCode = SHED_LOAD_ERROR_TYPE;
}

export class InternalError extends ApiError {
  readonly status = 500;
  readonly code = 'INTERNAL_ERROR';
}
