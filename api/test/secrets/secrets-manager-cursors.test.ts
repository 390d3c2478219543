import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceUnavailableError } from '../../src/errors';
import { startSecretsManagerDouble, type SecretsManagerDouble } from '../../src/local/secrets-manager-double';
import { secretsManagerCursors } from '../../src/secrets/secrets-manager-cursors';
import { captureLogger } from '../support/captured-logger';

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
});
