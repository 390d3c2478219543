import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written while serving a request carries (DESIGN §6). */
export interface LogContext {
  request_id: string;
  correlation_id?: string;
  /** Short, non-secret prefix of the caller's key (`tk_3f9a...`). */
  api_key?: string;
  tenant_id?: string;
  /** Route template, e.g. `/v1/events/{event_id}`; set once the router has matched. */
  endpoint?: string;
  method: string;
  event_id?: string;
  /** How an event lookup went: through `event-id-index` or by scanning the tenant's partition. */
  lookup_method?: 'gsi' | 'scan';
  /** `GET /v1/inbox`: the index the page was read from, and the items read (at most 2 x limit through a filter index). */
  inbox_index?: string;
  inbox_items_read?: number;
  /** The filters the request named: `source`, `event_type` or `source,event_type` (absent without a filter). */
  inbox_filter?: string;
  /** API error code of an error response. */
  error_type?: string;
  /** `POST /v1/events/batch`: events in the batch, created (or replayed), and failed. */
  batch_events?: number;
  batch_created?: number;
  batch_failed?: number;
  /** An event whose stored payload is not JSON text (served as a string). */
  payload_not_json?: string;
}

/**
 * Process-wide carrier of the current request's context: code anywhere below the HTTP layer (the
 * store included) logs with it without a logger being passed along each call.
 */
const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `context` as the current request's context. */
export function runWithLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/** The current request's context, or undefined outside a request. */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

/** Adds fields to the current request's context (no-op outside a request). */
export function addToLogContext(fields: Partial<LogContext>): void {
  const context = storage.getStore();
  if (context) Object.assign(context, fields);
}

/** Runs `work` outside any request's context: for lines about the process, not about the request that happened to trigger them. */
export function runWithoutLogContext<T>(work: () => T): T {
  return storage.exit(work);
}
