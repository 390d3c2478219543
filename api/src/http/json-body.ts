import contentType from 'content-type';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { JsonContentError, MAX_JSON_DEPTH, parseJsonExact } from './json';

/** Largest accepted body: well under DynamoDB's 400 KB item limit, leaving room for the item's other attributes. */
export const MAX_BODY_BYTES = 256 * 1024;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads and parses a JSON request body, strictly: 415 unless the Content-Type is `application/json` (with at
 * most `charset=utf-8`) and the body is not content-encoded; 413 over the limit; 400 for a body that is
 * not valid UTF-8, starts with a byte order mark, is malformed or duplicates a key, nests deeper than
 * `MAX_JSON_DEPTH` levels or holds a lone surrogate. Nothing is read into the store before all of this holds.
 */
export async function readJsonBody(ctx: Context, limitBytes: number = MAX_BODY_BYTES): Promise<unknown> {
  checkContentType(ctx.get('content-type'));
  checkContentEncoding(ctx.get('content-encoding'));
  let bytes: Buffer;
  try {
    bytes = await getRawBody(ctx.req, { length: ctx.get('content-length') || undefined, limit: limitBytes });
  } catch (error) {
    // The error middleware closes the connection after answering: the rest of the body is still on it.
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      throw new PayloadTooLargeError(`Request body exceeds ${limitBytes} bytes`, { limit_bytes: limitBytes });
    }
    if (type === 'request.size.invalid' || type === 'request.aborted') {
      throw new ValidationError('Request body was incomplete');
    }
    throw error;
  }
  if (bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) {
    throw new ValidationError('Request body starts with a byte order mark; send JSON without one');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ValidationError('Request body is not valid UTF-8');
  }
  if (text.trim() === '') throw new ValidationError('Request body is empty; a JSON object is required');
  try {
    return parseJsonExact(text, MAX_JSON_DEPTH);
  } catch (error) {
    if (error instanceof JsonContentError) {
      throw new ValidationError(`Invalid JSON in request body: ${error.message}`, {
        reason: error.reason,
        ...(error.reason === 'too_deep' ? { max_depth: MAX_JSON_DEPTH } : {}),
      });
    }
    throw new ValidationError('Malformed JSON in request body', { reason: (error as Error).message });
  }
}

/** `application/json`, optionally with `charset=utf-8`; anything else, or a header that does not parse, is a 415. */
function checkContentType(header: string): void {
  const unsupported = (message: string): UnsupportedMediaTypeError =>
    new UnsupportedMediaTypeError(message, { content_type: header || null });
  let parsed: contentType.ParsedMediaType;
  try {
    parsed = contentType.parse(header);
  } catch {
    throw unsupported(
      header ? 'Content-Type is malformed; use application/json' : 'Content-Type must be application/json',
    );
  }
  if (parsed.type !== 'application/json') throw unsupported('Content-Type must be application/json');
  for (const [name, value] of Object.entries(parsed.parameters)) {
    if (name !== 'charset') throw unsupported(`Content-Type parameter '${name}' is not supported`);
    if (value.toLowerCase() !== 'utf-8') throw unsupported('Only UTF-8 JSON is accepted');
  }
}

/** The API reads bodies as sent: a compressed (or otherwise encoded) body is refused, never misread. */
function checkContentEncoding(header: string): void {
  const encoding = header.trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new UnsupportedMediaTypeError(`Content-Encoding '${header}' is not supported; send the body uncompressed`, {
      content_encoding: header,
    });
  }
}
