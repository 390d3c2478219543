import { randomBytes } from 'node:crypto';
import { DEFAULT_TABLE_NAMES, type TableNames } from '../../contract/table-schemas';
import { METRICS_SINK_KINDS } from './observability/metrics/metrics-sink-kinds';

/** Everything the API reads from its environment, parsed once at the entry point. */
export interface ApiConfig {
  host: string;
  port: number;
  region: string;
  /** DynamoDB-compatible endpoint; when absent locally, the embedded engine is started. */
  dynamodbEndpoint: string | undefined;
  /** Milliseconds to wait for one DynamoDB response before retrying (3 attempts in all). */
  dynamodbTimeoutMs: number;
  /** Port of the embedded engine. */
  dynamodbPort: number;
  /** On-disk data directory of the embedded engine; in memory when absent. */
  dataDir: string | undefined;
  tables: TableNames;
  /** Key new cursors are signed with (`CURSOR_SECRET`). */
  cursorSecret: string;
  /** Key cursors are still accepted with after a rotation (`CURSOR_SECRET_PREVIOUS`). */
  cursorSecretPrevious: string | undefined;
  /** Secrets Manager secret (ARN or name) holding the cursor key: how Lambda gets it, never through its environment. */
  cursorSecretArn: string | undefined;
  /** True when no CURSOR_SECRET was given and a random one is used (cursors then die with the process). */
  cursorSecretGenerated: boolean;
  retentionSeconds: number;
  idempotencySeconds: number;
  authCacheTtlMs: number;
  indexRefreshMs: number;
  devApiKey: string | undefined;
  devTenant: string;
  logLevel: string;
  /** Where metrics go: `emf` (Lambda default), `cloudwatch`, `prometheus` (local default) or `none`. */
  metricsSink: 'emf' | 'cloudwatch' | 'prometheus' | 'none';
  /** Stage in the metric namespace `TriggersAPI/<stage>`. */
  stage: string;
  /** Serve `/dashboard` and `/metrics` (the local server; never in Lambda). */
  localPages: boolean;
  /**
   * Admission control (`ADMISSION_CONTROL`, `adaptive` by default, or `off`): API requests in flight are held
   * to an adaptive limit between `ADMISSION_MIN_CONCURRENCY` (8) and `ADMISSION_MAX_CONCURRENCY` (256), cut
   * while their 90th-percentile round trip exceeds `ADMISSION_TARGET_MS` (100, the latency objective).
   */
  admission: { enabled: boolean; minLimit: number; maxLimit: number; targetMs: number };
  /**
   * `WRITE_COALESCING` (`on` by default, or `off`): a long-running server writes the new events (without
   * idempotency keys) that arrive together in one BatchWriteItem; a Lambda instance serves one request at a time.
   */
  writeCoalescing: boolean;
  /** `json` (default) or `pretty` for reading in a terminal. */
  logFormat: 'json' | 'pretty';
  version: string;
}

type Env = Record<string, string | undefined>;

/** Thrown when an environment variable has an unusable value; the message names it. */
export class ConfigError extends Error {}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

function text(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function admissionConfig(env: Env): ApiConfig['admission'] {
  const enabled = oneOf(env, 'ADMISSION_CONTROL', ['adaptive', 'off'] as const, 'adaptive') === 'adaptive';
  const minLimit = integer(env, 'ADMISSION_MIN_CONCURRENCY', 8, 1, 100_000);
  const maxLimit = integer(env, 'ADMISSION_MAX_CONCURRENCY', Math.max(256, minLimit), 1, 100_000);
  if (maxLimit < minLimit) {
    throw new ConfigError(
      `ADMISSION_MAX_CONCURRENCY (${maxLimit}) must be at least ADMISSION_MIN_CONCURRENCY (${minLimit})`,
    );
  }
  const targetMs = integer(env, 'ADMISSION_TARGET_MS', 100, 1, 60_000);
  return { enabled, minLimit, maxLimit, targetMs };
}

/** Parses the API's configuration from environment variables (see the README's table). */
export function readConfig(env: Env = process.env, version = '0.0.0'): ApiConfig {
  const cursorSecret = text(env, 'CURSOR_SECRET');
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  oneOf(env, 'LOG_LEVEL', levels, 'info');
  if (cursorSecret !== undefined && cursorSecret.length < 16) {
    throw new ConfigError('CURSOR_SECRET must be at least 16 characters');
  }
  const cursorSecretPrevious = text(env, 'CURSOR_SECRET_PREVIOUS');
  if (cursorSecretPrevious !== undefined && cursorSecret === undefined) {
    throw new ConfigError('CURSOR_SECRET_PREVIOUS is only read with CURSOR_SECRET (the key that replaced it)');
  }
  if (cursorSecretPrevious !== undefined && cursorSecretPrevious.length < 16) {
    throw new ConfigError('CURSOR_SECRET_PREVIOUS must be at least 16 characters');
  }
  return {
    host: text(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    region: text(env, 'AWS_REGION') ?? text(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    dynamodbEndpoint: text(env, 'DYNAMODB_ENDPOINT'),
    dynamodbPort: integer(env, 'DYNAMODB_PORT', 8000, 0, 65535),
    dynamodbTimeoutMs: integer(env, 'DYNAMODB_TIMEOUT_MS', 3000, 50, 60_000),
    dataDir: text(env, 'DATA_DIR'),
    tables: {
      events: text(env, 'EVENTS_TABLE') ?? DEFAULT_TABLE_NAMES.events,
      apiKeys: text(env, 'API_KEYS_TABLE') ?? DEFAULT_TABLE_NAMES.apiKeys,
    },
    cursorSecret: cursorSecret ?? randomBytes(32).toString('base64url'),
    cursorSecretPrevious,
    cursorSecretGenerated: cursorSecret === undefined,
    cursorSecretArn: text(env, 'CURSOR_SECRET_ARN'),
    retentionSeconds: integer(env, 'EVENT_RETENTION_DAYS', 7, 1, 365) * 86400,
    idempotencySeconds: integer(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 30) * 3600,
    authCacheTtlMs: integer(env, 'AUTH_CACHE_TTL_SECONDS', 60, 0, 3600) * 1000,
    indexRefreshMs: integer(env, 'INDEX_REFRESH_SECONDS', 30, 1, 3600) * 1000,
    devApiKey: text(env, 'DEV_API_KEY'),
    devTenant: text(env, 'DEV_TENANT') ?? 'dev',
    logLevel: text(env, 'LOG_LEVEL') ?? 'info',
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
    metricsSink: oneOf(env, 'METRICS_SINK', METRICS_SINK_KINDS, env.AWS_LAMBDA_FUNCTION_NAME ? 'emf' : 'prometheus'),
    stage: text(env, 'STAGE') ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 'Production' : 'Local'),
    localPages: !env.AWS_LAMBDA_FUNCTION_NAME,
    admission: admissionConfig(env),
    writeCoalescing: oneOf(env, 'WRITE_COALESCING', ['on', 'off'] as const, 'on') === 'on',
    version,
  };
}
