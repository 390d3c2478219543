import type { JSONSchemaType } from 'ajv';
import type { EventMetadata, Priority } from '../../../contract/event';

/**
 * The JSON schemas the API validates requests with, as data. They are compiled ahead of time into
 * `generated/` by `npm run validators:generate` (ajv's standalone code), so no schema is compiled while the
 * API starts: compiling them cost every Lambda cold start ~40 ms, and ajv's compiler stays out of the bundle.
 */

/** Body of `POST /v1/events`. `payload` is any non-empty JSON object. */
export interface CreateEventBody {
  source: string;
  event_type: string;
  payload: Record<string, unknown>;
  metadata?: EventMetadata;
}

/** Body of `POST /v1/events/batch`: each item is validated on its own, as a `POST /v1/events` body. */
export interface BatchEventsBody {
  events: unknown[];
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
  /** Events in one batch: BatchWriteItem's limit. */
  batchMaxEvents: 25,
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

/** The batch envelope only: an invalid item fails alone (with its index), not the whole batch. */
export const batchEventsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: { type: 'array', minItems: 1, maxItems: LIMITS.batchMaxEvents, items: true },
  },
} as unknown as JSONSchemaType<BatchEventsBody>;

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

/**
 * Options of the ajv instances the validators are generated with. Nothing is coerced: ajv's coercion
 * turns "Infinity", "1e2" and "0x10" into numbers, so query integers are converted by `parseInboxQuery`
 * from decimal digits only, and anything else reaches the validator as the text it was.
 */
export const VALIDATOR_OPTIONS = {
  body: { allErrors: true, useDefaults: true },
  query: { allErrors: true, useDefaults: true },
} as const;
