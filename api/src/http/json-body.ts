import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { parseJsonExact } from './json';

/** Largest accepted body: well under DynamoDB's 400 KB item limit, leaving room for the item's other attributes. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Reads and parses a JSON request body: 415 unless `application/json`, 413 over the limit, 400 if malformed. */
export async function readJsonBody(ctx: Context, limitBytes: number = MAX_BODY_BYTES): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new UnsupportedMediaTypeError('Content-Type must be application/json', {
      content_type: ctx.get('content-type') || null,
    });
  }
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8') {
    throw new UnsupportedMediaTypeError('Only UTF-8 JSON is accepted', { charset });
  }
  let text: string;
  try {
    text = await getRawBody(ctx.req, {
      length: ctx.get('content-length') || undefined,
      limit: limitBytes,
      encoding: 'utf-8',
    });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      throw new PayloadTooLargeError(`Request body exceeds ${limitBytes} bytes`, { limit_bytes: limitBytes });
    }
    if (type === 'request.size.invalid' || type === 'request.aborted') {
      throw new ValidationError('Request body was incomplete');
    }
    throw error;
  }
  if (text.trim() === '') throw new ValidationError('Request body is empty; a JSON object is required');
  try {
    return parseJsonExact(text);
  } catch (error) {
    throw new ValidationError('Malformed JSON in request body', { reason: (error as Error).message });
  }
}
