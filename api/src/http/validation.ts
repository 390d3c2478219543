import Ajv, { type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import type { EventMetadata, Priority } from '../domain/event';
import { ValidationError } from '../errors';

/** Body of `POST /v1/events`. `payload` is any non-empty JSON object. */
export interface CreateEventBody {
  source: string;
  event_type: string;
  payload: Record<string, unknown>;
  metadata?: EventMetadata;
}

/** Query of `GET /v1/inbox` after coercion. */
export interface InboxQueryParams {
  limit: number;
  cursor?: string;
  source?: string;
  event_type?: string;
}

export const LIMITS = {
  nameLength: 100,
  idempotencyKeyLength: 128,
  metadataValueLength: 256,
  metadataKeys: 20,
  cursorLength: 2048,
  inboxDefaultLimit: 50,
  inboxMaxLimit: 100,
} as const;

const PRIORITIES: Priority[] = ['low', 'normal', 'high'];
const name = { type: 'string', minLength: 1, maxLength: LIMITS.nameLength } as const;

export const createEventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'event_type', 'payload'],
  properties: {
    source: name,
    event_type: name,
    payload: { type: 'object', minProperties: 1, required: [] },
    metadata: {
      type: 'object',
      nullable: true,
      maxProperties: LIMITS.metadataKeys,
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9._-]{0,63}$' },
      required: [],
      properties: {
        idempotency_key: {
          type: 'string',
          nullable: true,
          minLength: 1,
          maxLength: LIMITS.idempotencyKeyLength,
          pattern: '^[A-Za-z0-9._:-]+$',
        },
        priority: { type: 'string', nullable: true, enum: PRIORITIES },
        correlation_id: { type: 'string', nullable: true, minLength: 1, maxLength: LIMITS.idempotencyKeyLength },
      },
      additionalProperties: { type: 'string', maxLength: LIMITS.metadataValueLength },
    },
  },
} as unknown as JSONSchemaType<CreateEventBody>;

export const inboxQuerySchema: JSONSchemaType<InboxQueryParams> = {
  type: 'object',
  additionalProperties: false,
  required: ['limit'],
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: LIMITS.inboxMaxLimit, default: LIMITS.inboxDefaultLimit },
    cursor: { type: 'string', nullable: true, minLength: 1, maxLength: LIMITS.cursorLength },
    source: { ...name, nullable: true },
    event_type: { ...name, nullable: true },
  },
};

// An explicit pattern: the `uuid` format of ajv-formats also accepts `urn:uuid:` URNs.
export const eventIdSchema: JSONSchemaType<string> = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
};

// `validateSchema: false`: compiling JSON Schema's meta-schema would cost every cold start ~80 ms; these
// fixed schemas are checked against it in the tests instead (api/test/http/validation-schemas.test.ts).
const ajv = new Ajv({ allErrors: true, useDefaults: true, validateSchema: false });
// Query strings carry text only: coerce "10" to 10 there and nowhere else.
const ajvQuery = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, validateSchema: false });

const validateCreateEvent = ajv.compile(createEventSchema);
const validateInboxQuery = ajvQuery.compile(inboxQuerySchema);
const validateEventId = ajv.compile(eventIdSchema);

function describe(errors: ErrorObject[] | null | undefined, root: string): { field: string; message: string }[] {
  return (errors ?? []).map((error) => {
    const path = error.instancePath.slice(1).replaceAll('/', '.');
    const extra =
      error.keyword === 'additionalProperties'
        ? `: '${(error.params as { additionalProperty: string }).additionalProperty}'`
        : error.keyword === 'enum'
          ? `: ${(error.params as { allowedValues: string[] }).allowedValues.join(', ')}`
          : '';
    return { field: path || root, message: `${error.message ?? 'is invalid'}${extra}` };
  });
}

function check<T>(validate: ValidateFunction<T>, value: unknown, what: string, root: string): T {
  if (validate(value)) return value;
  const details = describe(validate.errors, root);
  const first = details[0];
  const summary = first ? `${first.field} ${first.message}` : 'is invalid';
  throw new ValidationError(`Invalid ${what}: ${summary}`, details);
}

/** Validates a `POST /v1/events` body (unknown top-level fields are rejected; metadata may carry extra string labels). */
export function parseCreateEventBody(body: unknown): CreateEventBody {
  return check(validateCreateEvent, body, 'request body', 'body');
}

/** Validates and coerces the inbox query string (unknown parameters are rejected). */
export function parseInboxQuery(query: Record<string, unknown>): InboxQueryParams {
  const copy: Record<string, unknown> = { ...query };
  for (const [key, value] of Object.entries(copy)) {
    if (Array.isArray(value)) {
      throw new ValidationError(`Invalid query: ${key} is given more than once`, [
        { field: key, message: 'must be given once' },
      ]);
    }
  }
  return check(validateInboxQuery, copy, 'query', 'query');
}

/** Validates an event id path parameter (a UUID). */
export function parseEventId(value: string): string {
  try {
    return check(validateEventId, value, 'event_id', 'event_id').toLowerCase();
  } catch {
    throw new ValidationError('Invalid event_id: must be a UUID', [{ field: 'event_id', message: 'must be a UUID' }]);
  }
}
