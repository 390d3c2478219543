/**
 * The JSON schema of the load summary (`load/scenarios/summary-format.ts`), typed against `LoadSummary`
 * so the two cannot drift, and `readSummary` that checks a file against it before anything reads it.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type JSONSchemaType } from 'ajv';
import addFormats from 'ajv-formats';
import { SCENARIO_NAMES } from '../scenarios/scenarios';
import {
  MACHINE_CLASS_PATTERN,
  SUMMARY_SCHEMA_VERSION,
  TARGET_KINDS,
  type EndpointSummary,
  type Knee,
  type LatencyFigures,
  type LoadSummary,
  type ServerFigures,
  type TimelinePoint,
} from '../scenarios/summary-format';

/** A summary file could not be read, is not JSON, or breaks the schema; `problems` lists each violation. */
export class InvalidSummaryError extends Error {
  override readonly name = 'InvalidSummaryError';

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid load summary:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const count = { type: 'integer', minimum: 0 } as const;
const millis = { type: 'number', minimum: 0 } as const;
const rate = { type: 'number', minimum: 0 } as const;
const ratio = { type: 'number', minimum: 0, maximum: 1 } as const;
const countsByStatus: JSONSchemaType<Record<string, number>> = {
  type: 'object',
  // `other`: k6 counts only the statuses declared in advance (k6-options.ts COUNTED_STATUSES).
  propertyNames: { pattern: '^([0-9]+|other)$' },
  additionalProperties: count,
  required: [],
};

const latencySchema: JSONSchemaType<LatencyFigures> = {
  type: 'object',
  additionalProperties: false,
  required: ['p50Ms', 'p95Ms', 'p99Ms', 'maxMs'],
  properties: { p50Ms: millis, p95Ms: millis, p99Ms: millis, maxMs: millis },
};

const endpointSchema: JSONSchemaType<EndpointSummary> = {
  type: 'object',
  additionalProperties: false,
  required: ['requests', 'failed', 'successRate', 'byStatus'],
  properties: {
    requests: count,
    failed: count,
    successRate: ratio,
    latency: { ...latencySchema, nullable: true },
    byStatus: countsByStatus,
  },
};

const timelinePointSchema: JSONSchemaType<TimelinePoint> = {
  type: 'object',
  additionalProperties: false,
  required: ['t', 'targetRate', 'iterations', 'dropped', 'requests', 'failed', 'eventsAccepted'],
  properties: {
    t: { type: 'number', minimum: 0 },
    lengthSeconds: { type: 'number', exclusiveMinimum: 0, nullable: true },
    targetRate: rate,
    iterations: count,
    dropped: count,
    requests: count,
    failed: count,
    latency: { ...latencySchema, nullable: true },
    eventsAccepted: count,
  },
};

const kneeSchema: JSONSchemaType<Knee> = {
  type: 'object',
  additionalProperties: false,
  required: ['atSeconds', 'targetRate', 'achievedRate', 'reason'],
  properties: {
    atSeconds: { type: 'number', minimum: 0 },
    targetRate: rate,
    achievedRate: rate,
    reason: { type: 'string' },
  },
};

const serverSchema: JSONSchemaType<ServerFigures> = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoints', 'eventsAccepted', 'lookups'],
  properties: {
    endpoints: {
      type: 'object',
      required: [],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['requests', 'errors'],
        properties: {
          requests: count,
          errors: count,
          latency: {
            type: 'object',
            nullable: true,
            additionalProperties: false,
            required: ['p50Ms', 'p95Ms', 'p99Ms'],
            properties: { p50Ms: millis, p95Ms: millis, p99Ms: millis },
          },
        },
      },
    },
    eventsAccepted: count,
    lookups: {
      type: 'object',
      additionalProperties: false,
      required: ['gsi', 'scan'],
      properties: { gsi: count, scan: count },
    },
  },
};

/** The schema of a whole summary file; unknown fields are rejected so a typo cannot pass as "absent". */
export const LOAD_SUMMARY_SCHEMA: JSONSchemaType<LoadSummary> = {
  type: 'object',
  additionalProperties: false,
  required: [
    'schemaVersion',
    'scenario',
    'generator',
    'target',
    'startedAt',
    'durationSeconds',
    'requestedRate',
    'iterations',
    'requests',
    'eventsAccepted',
    'endpoints',
    'expectedEndpoints',
  ],
  properties: {
    schemaVersion: { type: 'integer', const: SUMMARY_SCHEMA_VERSION },
    scenario: { type: 'string', enum: [...SCENARIO_NAMES] },
    generator: { type: 'string', enum: ['k6', 'local-runner'] },
    target: { type: 'string', minLength: 1 },
    targetKind: { type: 'string', enum: [...TARGET_KINDS], nullable: true },
    machineClass: { type: 'string', pattern: MACHINE_CLASS_PATTERN, nullable: true },
    startedAt: { type: 'string', format: 'date-time' },
    durationSeconds: { type: 'number', exclusiveMinimum: 0 },
    requestedRate: rate,
    iterations: {
      type: 'object',
      additionalProperties: false,
      required: ['started', 'dropped'],
      properties: { started: count, dropped: count },
    },
    requests: {
      type: 'object',
      additionalProperties: false,
      required: ['total', 'failed', 'successRate', 'ratePerSecond', 'byStatus'],
      properties: { total: count, failed: count, successRate: ratio, ratePerSecond: rate, byStatus: countsByStatus },
    },
    eventsAccepted: {
      type: 'object',
      additionalProperties: false,
      required: ['count', 'ratePerSecond'],
      properties: { count, ratePerSecond: rate },
    },
    endpoints: { type: 'object', required: [], additionalProperties: endpointSchema },
    expectedEndpoints: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    timeline: { type: 'array', nullable: true, items: timelinePointSchema },
    knee: { ...kneeSchema, nullable: true },
    server: { ...serverSchema, nullable: true },
  },
};

const ajv = new Ajv({ allErrors: true });
addFormats(ajv, ['date-time']);
const validateSummary = ajv.compile(LOAD_SUMMARY_SCHEMA);

/** Checks parsed JSON against the summary schema; throws an `InvalidSummaryError` naming `file` and each violation. */
export function parseSummary(value: unknown, file: string): LoadSummary {
  if (validateSummary(value)) return value;
  throw new InvalidSummaryError(file, (validateSummary.errors ?? []).map(describeViolation));
}

/** Reads and validates one summary file. */
export function readSummary(path: string): LoadSummary {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidSummaryError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidSummaryError(path, [`is not JSON: ${(error as Error).message}`]);
  }
  return parseSummary(value, path);
}

/** One violation as `field.path: what is wrong`, with the field the error is about spelled out. */
function describeViolation(error: ErrorObject): string {
  const at = fieldPath(error.instancePath);
  const within = (field: string): string => (at ? `${at}${propertyAccess(field)}` : field);
  switch (error.keyword) {
    case 'required':
      return `${within((error.params as { missingProperty: string }).missingProperty)}: is missing`;
    case 'additionalProperties':
      return `${within((error.params as { additionalProperty: string }).additionalProperty)}: is not a summary field`;
    case 'enum':
      return `${at}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'const':
      return `${at}: must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return `${at || '(root)'}: ${error.message ?? 'is invalid'}`;
  }
}

/** `/endpoints/POST ~1v1~1events/latency` -> `endpoints["POST /v1/events"].latency`. */
function fieldPath(instancePath: string): string {
  if (instancePath === '') return '';
  const segments = instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const [first = '', ...rest] = segments;
  return first + rest.map(propertyAccess).join('');
}

function propertyAccess(segment: string): string {
  if (/^\d+$/.test(segment)) return `[${segment}]`;
  return /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
}
