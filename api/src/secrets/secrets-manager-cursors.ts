import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from 'pino';
import { InboxCursorCodec, type InboxCursors } from '../domain/inbox-cursor';
import { ServiceUnavailableError } from '../errors';
import { parseCursorSecret } from './cursor-secret';

/** How long a key read from Secrets Manager is used before it is read again: a rotation reaches every instance within it. */
export const CURSOR_SECRET_REFRESH_MS = 5 * 60_000;
/** How long after a failed re-read the next one is tried. */
export const RETRY_AFTER_FAILED_REFRESH_MS = 30_000;
/**
 * How long keys may stay in use without a successful read: past it, inbox cursors answer 503 until the
 * secret is readable again, so a key retired in an emergency stops being accepted within this time even
 * while Secrets Manager cannot be reached.
 */
export const CURSOR_SECRET_MAX_AGE_MS = 60 * 60_000;

export interface SecretsManagerCursorsOptions {
  /** The client, built on the first read (constructing one costs a cold start that never reads ~8 ms). */
  client: () => SecretsManagerClient;
  /** ARN (or name) of the secret: a bare key, or JSON `{"current": "...", "previous": "..."}`. */
  secretId: string;
  logger: Logger;
  /** Milliseconds a key read is used before it is read again (default `CURSOR_SECRET_REFRESH_MS`). */
  refreshMs?: number;
  /** Milliseconds keys may be used after their last successful read (default `CURSOR_SECRET_MAX_AGE_MS`). */
  maxAgeMs?: number;
  /** Clock, in epoch milliseconds. */
  now?: () => number;
}

/**
 * Inbox cursors signed with the keys read from Secrets Manager on first use and read again every
 * `refreshMs`, so a rotation (docs/DEPLOY.md) reaches every execution environment.
 *
 * - The first read is waited for; if it fails, the failure is logged and answered with a 503, and the next
 *   call reads again, so the API recovers as soon as the secret is readable.
 * - A re-read happens in the background: requests keep using the keys read before and never wait on it.
 *   A failed re-read is logged and tried again after RETRY_AFTER_FAILED_REFRESH_MS.
 * - Keys older than `maxAgeMs` (no successful read for that long) are no longer used: calls wait for a
 *   read, and answer 503 while it fails.
 */
export function secretsManagerCursors(options: SecretsManagerCursorsOptions): InboxCursors {
  const {
    client,
    secretId,
    logger,
    refreshMs = CURSOR_SECRET_REFRESH_MS,
    maxAgeMs = CURSOR_SECRET_MAX_AGE_MS,
    now = Date.now,
  } = options;
  const read = async (): Promise<InboxCursorCodec> => {
    const { SecretString } = await client().send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error('the secret has no string value');
    return new InboxCursorCodec(parseCursorSecret(SecretString));
  };
  /** The keys, when they were read, and when to read them again. */
  let cached: { codec: InboxCursorCodec; readAt: number; nextReadAt: number } | undefined;
  // Concurrent calls share one read.
  let reading: Promise<InboxCursorCodec> | undefined;
  const refresh = async (): Promise<InboxCursorCodec> => {
    try {
      const codec = await read();
      const readAt = now();
      cached = { codec, readAt, nextReadAt: readAt + refreshMs };
      return codec;
    } catch (error) {
      const usable = cached !== undefined && now() - cached.readAt < maxAgeMs;
      if (cached !== undefined && usable) {
        logger.warn(
          { err: error, secret_id: secretId },
          'The cursor secret could not be read again from Secrets Manager; the keys read before stay in use',
        );
        cached = { ...cached, nextReadAt: now() + Math.min(refreshMs, RETRY_AFTER_FAILED_REFRESH_MS) };
        return cached.codec;
      }
      logger.error(
        { err: error, secret_id: secretId, ...(cached && { keys_age_ms: now() - cached.readAt }) },
        cached === undefined
          ? 'The cursor secret could not be read from Secrets Manager'
          : 'The cursor secret could not be read from Secrets Manager, and the keys read before are too old to use',
      );
      throw new ServiceUnavailableError(
        'Inbox cursors are unavailable (the cursor secret could not be read); retry later',
        { retryAfterSeconds: 2, cause: error },
      );
    } finally {
      reading = undefined;
    }
  };
  return () => {
    const at = now();
    if (cached === undefined || at - cached.readAt >= maxAgeMs) return (reading ??= refresh());
    if (at >= cached.nextReadAt && reading === undefined) {
      // In the background: its failures are handled (logged) inside refresh and never reach a request.
      reading = refresh();
      reading.catch(() => undefined);
    }
    return Promise.resolve(cached.codec);
  };
}
