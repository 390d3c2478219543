import { LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Deepest nesting of objects and arrays a request body may have. Parsing and serializing JSON recurse
 * once per level, so an unbounded depth lets a small body exhaust the stack; 64 levels are far beyond
 * what an event needs (DynamoDB itself nests its documents at most 32 deep).
 */
export const MAX_JSON_DEPTH = 64;

/** JSON text the API rejects for what it holds, not for its syntax: too deep, or not well-formed Unicode. */
export class JsonContentError extends Error {
  constructor(
    message: string,
    readonly reason: 'too_deep' | 'lone_surrogate',
  ) {
    super(message);
    this.name = 'JsonContentError';
  }
}

/**
 * A number JavaScript prints back exactly as written becomes a plain number; any other (big integers,
 * long decimals, `1e21`, `1.0`) keeps its exact text, so payloads round-trip byte for byte.
 */
function parseNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  return String(value) === text ? value : new LosslessNumber(text);
}

/** Strings and keys must be well-formed Unicode: a lone surrogate (`"\ud800"`) cannot be stored as UTF-8. */
function rejectLoneSurrogates(key: string, value: unknown): unknown {
  if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) {
    throw new JsonContentError('JSON strings must be well-formed Unicode (no lone surrogates)', 'lone_surrogate');
  }
  return value;
}

/**
 * The nesting depth of JSON text, counted without parsing it, stopping as soon as it passes `limit`:
 * linear in the text and free of recursion, so it is safe on any input.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/**
 * Parses JSON without losing precision of any number. Throws `SyntaxError` on malformed input (duplicate
 * keys included) and `JsonContentError` when it nests deeper than `maxDepth` or holds a lone surrogate.
 */
export function parseJsonExact(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new JsonContentError(`JSON nests deeper than ${maxDepth} levels`, 'too_deep');
  }
  return parse(text, rejectLoneSurrogates, parseNumber);
}

/** Serializes a value produced by `parseJsonExact`, writing each number as it was received. */
export function stringifyJsonExact(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new TypeError('Value cannot be serialized as JSON');
  return text;
}

/** JSON text that a response embeds as it is: a stored payload, written by `stringifyJsonExact`. */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Serializes a response body: plain JSON values the API builds itself, with `RawJson` spliced in
 * verbatim. A stored payload is never parsed again on its way out, however it nests.
 */
export function serializeResponse(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((item) => serializeResponse(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members: string[] = [];
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${serializeResponse(member)}`);
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
