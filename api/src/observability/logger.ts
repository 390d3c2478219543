import pino, { type DestinationStream, type Logger } from 'pino';
import { currentLogContext } from './log-context';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level: string;
  /** `pretty` renders lines for a terminal; `json` (default) is what CloudWatch Logs receives. */
  format?: LogFormat;
  /**
   * Buffer writes to stdout (many lines per system call). Right for long-running servers, which flush
   * on shutdown; Lambda keeps synchronous writes so nothing is lost when the environment freezes.
   */
  buffered?: boolean;
  destination?: DestinationStream;
}

/** Paths never written in clear, should they ever reach a log call. */
export const REDACTED_PATHS = [
  'headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'apiKey',
  'api_key_full',
  'payload',
  '*.payload',
  'body',
  '*.body',
];

/** The API's logger: JSON lines with DESIGN §6 field names, each carrying the current request's context. */
export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.destination ??
    (options.format === 'pretty'
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for: a dev-time dependency
        (require('pino-pretty') as (o: object) => DestinationStream)({
          messageKey: 'message',
          timestampKey: 'timestamp',
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : pino.destination({ dest: 1, sync: !options.buffered, minLength: options.buffered ? 4096 : 0 }));
  return pino(
    {
      level: options.level,
      base: undefined,
      messageKey: 'message',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      // The request context is attached here, so no caller has to pass it along.
      // A copy: pino merges each line's fields into what the mixin returns.
      mixin: () => ({ ...currentLogContext() }),
    },
    destination,
  );
}

/** Flushes a buffered logger (on shutdown). */
export function flushLogger(logger: Logger): void {
  logger.flush();
}
