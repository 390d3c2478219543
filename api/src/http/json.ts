import { LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * A number JavaScript prints back exactly as written becomes a plain number; any other (big integers,
 * long decimals, `1e21`, `1.0`) keeps its exact text, so payloads round-trip byte for byte.
 */
function parseNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  return String(value) === text ? value : new LosslessNumber(text);
}

/** Parses JSON without losing precision of any number. Throws `SyntaxError` on malformed input. */
export function parseJsonExact(text: string): unknown {
  return parse(text, null, parseNumber);
}

/** Serializes a value produced by `parseJsonExact`, writing each number as it was received. */
export function stringifyJsonExact(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new TypeError('Value cannot be serialized as JSON');
  return text;
}
