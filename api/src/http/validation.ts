import type { ErrorObject, ValidateFunction } from 'ajv';
import { ValidationError } from '../errors';
import { batchEvents, createEvent, eventId } from './generated/body-validators';
import { inboxQuery } from './generated/query-validators';
import { inboxQuerySchema, type BatchEventsBody, type CreateEventBody, type InboxQueryParams } from './request-schemas';

export { LIMITS, type BatchEventsBody, type CreateEventBody, type InboxQueryParams } from './request-schemas';

const validateCreateEvent = createEvent as ValidateFunction<CreateEventBody>;
const validateBatchEvents = batchEvents as ValidateFunction<BatchEventsBody>;
const validateInboxQuery = inboxQuery as ValidateFunction<InboxQueryParams>;
const validateEventId = eventId as ValidateFunction<string>;

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

/** Validates a `POST /v1/events/batch` envelope: an `events` array of 1 to 25 items, whatever the items are. */
export function parseBatchEventsBody(body: unknown): BatchEventsBody {
  return check(validateBatchEvents, body, 'request body', 'body');
}

/** A query integer as a client writes it: decimal digits, nothing else (no sign, exponent, `0x` or `Infinity`). */
const DECIMAL_DIGITS = /^[0-9]{1,15}$/;
const INTEGER_QUERY_PARAMETERS = Object.entries(inboxQuerySchema.properties as Record<string, { type?: string }>)
  .filter(([, schema]) => schema.type === 'integer')
  .map(([name]) => name);

/** Validates the inbox query string: integers from decimal digits only; unknown or repeated parameters are rejected. */
export function parseInboxQuery(query: Record<string, unknown>): InboxQueryParams {
  const copy: Record<string, unknown> = { ...query };
  for (const [key, value] of Object.entries(copy)) {
    if (Array.isArray(value)) {
      throw new ValidationError(`Invalid query: ${key} is given more than once`, [
        { field: key, message: 'must be given once' },
      ]);
    }
  }
  for (const name of INTEGER_QUERY_PARAMETERS) {
    const value = copy[name];
    if (typeof value === 'string' && DECIMAL_DIGITS.test(value)) copy[name] = Number(value);
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
