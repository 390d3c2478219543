import { ConfigError, readConfig } from '../src/config';

describe('readConfig', () => {
  it('uses the documented defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dynamodbPort: 8000,
      dynamodbEndpoint: undefined,
      tables: { events: 'triggers-api-events', apiKeys: 'triggers-api-keys' },
      retentionSeconds: 7 * 86400,
      idempotencySeconds: 24 * 3600,
      authCacheTtlMs: 60_000,
      cursorSecretGenerated: true,
      devTenant: 'dev',
      admission: { enabled: true, minLimit: 8, maxLimit: 256, targetMs: 100 },
      writeCoalescing: true,
    });
  });

  it('reads the admission control settings', () => {
    expect(readConfig({ ADMISSION_CONTROL: 'off' }).admission.enabled).toBe(false);
    expect(
      readConfig({ ADMISSION_MIN_CONCURRENCY: '2', ADMISSION_MAX_CONCURRENCY: '40', ADMISSION_TARGET_MS: '80' })
        .admission,
    ).toEqual({ enabled: true, minLimit: 2, maxLimit: 40, targetMs: 80 });
    // A minimum above the default maximum raises the maximum with it.
    expect(readConfig({ ADMISSION_MIN_CONCURRENCY: '500' }).admission.maxLimit).toBe(500);
  });

  it('reads overrides', () => {
    const config = readConfig({
      PORT: '9090',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9000',
      EVENT_RETENTION_DAYS: '3',
      CURSOR_SECRET: 'x'.repeat(20),
    });
    expect(config).toMatchObject({
      port: 9090,
      dynamodbEndpoint: 'http://127.0.0.1:9000',
      retentionSeconds: 3 * 86400,
      cursorSecretGenerated: false,
    });
  });

  it('reads the key a rotation replaced, which cursors are still accepted with', () => {
    const config = readConfig({ CURSOR_SECRET: 'n'.repeat(20), CURSOR_SECRET_PREVIOUS: 'o'.repeat(20) });
    expect(config).toMatchObject({ cursorSecret: 'n'.repeat(20), cursorSecretPrevious: 'o'.repeat(20) });
    expect(readConfig({ CURSOR_SECRET: 'n'.repeat(20) }).cursorSecretPrevious).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, "PORT must be an integer between 0 and 65535, got 'eighty'"],
    [{ PORT: '70000' }, 'PORT must be an integer between 0 and 65535'],
    [{ EVENT_RETENTION_DAYS: '0' }, 'EVENT_RETENTION_DAYS must be an integer between 1 and 365'],
    [{ CURSOR_SECRET: 'short' }, 'CURSOR_SECRET must be at least 16 characters'],
    [
      { CURSOR_SECRET: 'x'.repeat(20), CURSOR_SECRET_PREVIOUS: 'short' },
      'CURSOR_SECRET_PREVIOUS must be at least 16 characters',
    ],
    [{ CURSOR_SECRET_PREVIOUS: 'y'.repeat(20) }, 'CURSOR_SECRET_PREVIOUS is only read with CURSOR_SECRET'],
    [{ ADMISSION_CONTROL: 'static' }, 'ADMISSION_CONTROL must be one of adaptive, off'],
    [{ ADMISSION_MIN_CONCURRENCY: '0' }, 'ADMISSION_MIN_CONCURRENCY must be an integer between 1 and 100000'],
    [
      { ADMISSION_MIN_CONCURRENCY: '50', ADMISSION_MAX_CONCURRENCY: '10' },
      'ADMISSION_MAX_CONCURRENCY (10) must be at least ADMISSION_MIN_CONCURRENCY (50)',
    ],
  ])('names the variable when %p is invalid', (env, message) => {
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(message);
  });
});
