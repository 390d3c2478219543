import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceUnavailableError } from '../../src/errors';
import { startSecretsManagerDouble, type SecretsManagerDouble } from '../../../tooling/secrets-manager-double';
import { InboxCursorCodec } from '../../src/domain/inbox-cursor';
import {
  CURSOR_SECRET_MAX_AGE_MS,
  CURSOR_SECRET_REFRESH_MS,
  RETRY_AFTER_FAILED_REFRESH_MS,
  secretsManagerCursors,
} from '../../src/secrets/secrets-manager-cursors';
import { captureLogger } from '../../../tooling/captured-logger';

// Secrets Manager has no local engine: a stand-in on loopback answers the real SDK client.
describe('inbox cursors keyed from Secrets Manager', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:cursor-AbCdEf';
  let double: SecretsManagerDouble;
  let client: SecretsManagerClient;

  beforeEach(async () => {
    double = await startSecretsManagerDouble();
    client = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: double.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterEach(async () => {
    client.destroy();
    await double.close();
  });

  it('reads the secret once, however many requests need it at the same time', async () => {
    double.put(arn, 'a-secret-of-enough-length-0123');
    const { logger } = captureLogger();
    const cursors = secretsManagerCursors({ client: () => client, secretId: arn, logger });

    const codecs = await Promise.all([cursors(), cursors(), cursors()]);
    const again = await cursors();

    expect(double.reads()).toBe(1);
    expect(new Set([...codecs, again]).size).toBe(1);
    expect(again.decode('acme', again.encode('acme', 'EVENT#x'))).toBe('EVENT#x');
  });

  it.each([
    ['missing', { name: 'ResourceNotFoundException' }],
    ['not readable', { name: 'AccessDeniedException' }],
    ['too short to sign with', { message: expect.stringContaining('at least 16 characters') }],
  ])('answers 503 and logs why while the secret is %s, then recovers', async (state, reason) => {
    if (state === 'missing') double.remove(arn);
    else if (state === 'not readable') double.deny(true);
    else double.put(arn, 'short');
    const captured = captureLogger();
    const cursors = secretsManagerCursors({ client: () => client, secretId: arn, logger: captured.logger });

    const failure = await cursors().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure).toMatchObject({ status: 503, retryAfterSeconds: 2 });
    expect(captured.lines()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'The cursor secret could not be read from Secrets Manager',
        secret_id: arn,
        err: expect.objectContaining(reason),
      }),
    );

    double.deny(false);
    double.put(arn, 'a-secret-of-enough-length-0123');
    await expect(cursors()).resolves.toBeDefined();
  });

  describe('when the key is rotated', () => {
    const oldKey = 'the-old-key-of-enough-length';
    const newKey = 'the-new-key-of-enough-length';
    const sk = 'EVENT#2026-11-27T01:00:00.000Z#x';
    let clock: number;
    const now = () => clock;

    beforeEach(() => {
      clock = 1_800_000_000_000;
    });

    it('signs with the current key of the JSON secret and accepts the previous one', async () => {
      double.put(arn, JSON.stringify({ current: newKey, previous: oldKey }));
      const cursors = secretsManagerCursors({ client: () => client, secretId: arn, logger: captureLogger().logger });

      const codec = await cursors();

      expect(codec.decode('acme', new InboxCursorCodec(oldKey).encode('acme', sk))).toBe(sk);
      expect(new InboxCursorCodec(newKey).decode('acme', codec.encode('acme', sk))).toBe(sk);
    });

    /** Calls `cursors` until it answers a codec other than `stale` (the background read has landed). */
    async function nextCodec(cursors: () => Promise<InboxCursorCodec>, stale: InboxCursorCodec) {
      for (let attempt = 0; attempt < 200; attempt++) {
        const codec = await cursors();
        if (codec !== stale) return codec;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error('the keys were never read again');
    }

    it('reads the secret again in the background after the refresh interval, so a rotation reaches every instance without a request waiting', async () => {
      double.put(arn, oldKey);
      const cursors = secretsManagerCursors({
        client: () => client,
        secretId: arn,
        logger: captureLogger().logger,
        now,
      });
      const before = await cursors();
      const issuedBefore = before.encode('acme', sk);
      double.put(arn, JSON.stringify({ current: newKey, previous: oldKey }));

      clock += CURSOR_SECRET_REFRESH_MS - 1;
      await expect(cursors()).resolves.toBe(before);
      expect(double.reads()).toBe(1);

      clock += 1;
      // This call starts the re-read and is answered at once with the keys it has.
      await expect(cursors()).resolves.toBe(before);
      const after = await nextCodec(cursors, before);
      expect(double.reads()).toBe(2);
      expect(after.decode('acme', issuedBefore)).toBe(sk);
      expect(new InboxCursorCodec(newKey).decode('acme', after.encode('acme', sk))).toBe(sk);
    });

    it('keeps the keys read before, says so, and tries again after 30 s when reading again fails', async () => {
      double.put(arn, oldKey);
      const captured = captureLogger();
      const cursors = secretsManagerCursors({ client: () => client, secretId: arn, logger: captured.logger, now });
      const before = await cursors();
      double.deny(true);
      const warned = () =>
        captured
          .lines()
          .filter(
            (line) =>
              line.message ===
              'The cursor secret could not be read again from Secrets Manager; the keys read before stay in use',
          ).length;

      clock += CURSOR_SECRET_REFRESH_MS;
      await expect(cursors()).resolves.toBe(before);
      for (let i = 0; i < 200 && warned() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(captured.lines()).toContainEqual(
        expect.objectContaining({
          level: 'WARN',
          secret_id: arn,
          err: expect.objectContaining({ name: 'AccessDeniedException' }),
        }),
      );
      expect(double.reads()).toBe(2);

      // Not again before 30 s have passed...
      clock += RETRY_AFTER_FAILED_REFRESH_MS - 1;
      await expect(cursors()).resolves.toBe(before);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(double.reads()).toBe(2);
      // ...then again, and the new keys are used once it succeeds.
      double.deny(false);
      double.put(arn, newKey);
      clock += 1;
      const after = await nextCodec(cursors, before);
      expect(double.reads()).toBe(3);
      expect(new InboxCursorCodec(newKey).decode('acme', after.encode('acme', sk))).toBe(sk);
    });

    it('stops using keys it has not been able to read again for an hour: 503 until the secret is readable', async () => {
      double.put(arn, oldKey);
      const captured = captureLogger();
      const cursors = secretsManagerCursors({ client: () => client, secretId: arn, logger: captured.logger, now });
      const before = await cursors();
      double.deny(true);

      clock += CURSOR_SECRET_MAX_AGE_MS - 1;
      await expect(cursors()).resolves.toBe(before);
      clock += 1;
      await expect(cursors()).rejects.toMatchObject({ status: 503, retryAfterSeconds: 2 });
      expect(captured.lines()).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          message:
            'The cursor secret could not be read from Secrets Manager, and the keys read before are too old to use',
          keys_age_ms: CURSOR_SECRET_MAX_AGE_MS,
        }),
      );

      double.deny(false);
      double.put(arn, newKey);
      const after = await cursors();
      expect(after).not.toBe(before);
      expect(new InboxCursorCodec(newKey).decode('acme', after.encode('acme', sk))).toBe(sk);
    });

    it('never logs a key', async () => {
      double.put(arn, JSON.stringify({ current: newKey, previous: oldKey, next: 'x' }));
      const captured = captureLogger();
      const cursors = secretsManagerCursors({ client: () => client, secretId: arn, logger: captured.logger });

      await expect(cursors()).rejects.toBeInstanceOf(ServiceUnavailableError);

      const logged = JSON.stringify(captured.lines());
      expect(logged).toContain('unknown fields (next)');
      expect(logged).not.toContain(newKey);
      expect(logged).not.toContain(oldKey);
    });
  });
});
