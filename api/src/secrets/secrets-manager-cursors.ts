import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from 'pino';
import { InboxCursorCodec, type InboxCursors } from '../domain/inbox-cursor';
import { ServiceUnavailableError } from '../errors';

export interface SecretsManagerCursorsOptions {
  /** The client, built on the first read (constructing one costs a cold start that never reads ~8 ms). */
  client: () => SecretsManagerClient;
  /** ARN (or name) of the secret whose string value is the HMAC key. */
  secretId: string;
  logger: Logger;
}

/**
 * Inbox cursors signed with a key read from Secrets Manager on first use and kept for the life of the
 * execution environment (the key is never rotated: rotating it would invalidate every cursor in flight).
 * A failed read is logged and answered with a 503; the next call reads again, so the API recovers as soon
 * as the secret is readable.
 */
export function secretsManagerCursors(options: SecretsManagerCursorsOptions): InboxCursors {
  const { client, secretId, logger } = options;
  const read = async (): Promise<InboxCursorCodec> => {
    try {
      const { SecretString } = await client().send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!SecretString) throw new Error('the secret has no string value');
      return new InboxCursorCodec(SecretString);
    } catch (error) {
      logger.error({ err: error, secret_id: secretId }, 'The cursor secret could not be read from Secrets Manager');
      throw new ServiceUnavailableError(
        'Inbox cursors are unavailable (the cursor secret could not be read); retry later',
        {
          retryAfterSeconds: 2,
          cause: error,
        },
      );
    }
  };
  // Concurrent first requests share one read; a failed read is forgotten so the next request tries again.
  let codec: Promise<InboxCursorCodec> | undefined;
  return () =>
    (codec ??= read().catch((error: unknown) => {
      codec = undefined;
      throw error;
    }));
}
