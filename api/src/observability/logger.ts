import pino, { type DestinationStream, type Logger } from 'pino';
import { currentLogContext } from './log-context';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level: string;
  /** `pretty` renders lines for a terminal; `json` (default) is what CloudWatch Logs receives. */
  format?: LogFormat;
  /**
   * Write to stdout asynchronously: lines written while a write is in flight go out together in the
   * next one, so a busy server makes far fewer system calls, and an idle one still shows each line at
   * once. Long-running servers flush on shutdown; Lambda keeps synchronous writes so nothing is lost
   * when the execution environment freezes.
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
    (options.buffered && options.format !== 'pretty' ? bufferedStdout() : undefined) ??
    (options.format === 'pretty'
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for: a dev-time dependency
        (require('pino-pretty') as (o: object) => DestinationStream)({
          messageKey: 'message',
          timestampKey: 'timestamp',
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : pino.destination({ dest: 1, sync: !options.buffered }));
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

/** Flush period of the buffered destination: how late a line may show up on a quiet server. */
const FLUSH_INTERVAL_MS = 200;

/** Stdout written in blocks of up to 8 KiB, and at least every 200 ms: far fewer system calls under load. */
function bufferedStdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 8192 });
  setInterval(() => destination.flush(), FLUSH_INTERVAL_MS).unref();
  return destination;
}

/** Flushes a buffered logger (on shutdown). */
export function flushLogger(logger: Logger): void {
  logger.flush();
}
