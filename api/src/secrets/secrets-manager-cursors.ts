import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from 'pino';
import { InboxCursorCodec, type InboxCursors } from '../domain/inbox-cursor';
import { ServiceUnavailableError } from '../errors';
import { parseCursorSecret } from './cursor-secret';

/** How long a key read from Secrets Manager is used before it is read again: a rotation reaches every instance within it. */
export const CURSOR_SECRET_REFRESH_MS = 5 * 60_000;
/** How long the key read before keeps signing after a re-read failed, before the next attempt. */
const RETRY_AFTER_FAILED_REFRESH_MS = 30_000;

export interface SecretsManagerCursorsOptions {
  /** The client, built on the first read (constructing one costs a cold start that never reads ~8 ms). */
  client: () => SecretsManagerClient;
  /** ARN (or name) of the secret: a bare key, or JSON `{"current": "...", "previous": "..."}`. */
  secretId: string;
  logger: Logger;
  /** Milliseconds a key read is used before it is read again (default `CURSOR_SECRET_REFRESH_MS`). */
  refreshMs?: number;
  /** Clock, in epoch milliseconds. */
  now?: () => number;
}

/**
 * Inbox cursors signed with the keys read from Secrets Manager on first use and read again every
 * `refreshMs`, so a rotation (docs/DEPLOY.md) reaches every execution environment. A failed first read is
 * logged and answered with a 503; the next call reads again, so the API recovers as soon as the secret is
 * readable. A failed re-read is logged and the keys read before stay in use.
 */
export function secretsManagerCursors(options: SecretsManagerCursorsOptions): InboxCursors {
  const { client, secretId, logger, refreshMs = CURSOR_SECRET_REFRESH_MS, now = Date.now } = options;
  const read = async (): Promise<InboxCursorCodec> => {
    const { SecretString } = await client().send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error('the secret has no string value');
    return new InboxCursorCodec(parseCursorSecret(SecretString));
  };
  let cached: { codec: InboxCursorCodec; freshUntil: number } | undefined;
  // Concurrent requests share one read; a failed first read is forgotten so the next request tries again.
  let reading: Promise<InboxCursorCodec> | undefined;
  const refresh = async (): Promise<InboxCursorCodec> => {
    try {
      const codec = await read();
      cached = { codec, freshUntil: now() + refreshMs };
      return codec;
    } catch (error) {
      if (cached !== undefined) {
        logger.warn(
          { err: error, secret_id: secretId },
          'The cursor secret could not be read again from Secrets Manager; the keys read before stay in use',
        );
        cached = { codec: cached.codec, freshUntil: now() + Math.min(refreshMs, RETRY_AFTER_FAILED_REFRESH_MS) };
        return cached.codec;
      }
      logger.error({ err: error, secret_id: secretId }, 'The cursor secret could not be read from Secrets Manager');
      throw new ServiceUnavailableError(
        'Inbox cursors are unavailable (the cursor secret could not be read); retry later',
        { retryAfterSeconds: 2, cause: error },
      );
    } finally {
      reading = undefined;
    }
  };
  return () => {
    if (cached !== undefined && now() < cached.freshUntil) return Promise.resolve(cached.codec);
    return (reading ??= refresh());
  };
}
