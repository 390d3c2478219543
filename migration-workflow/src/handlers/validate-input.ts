import { InvalidMigrationInputError } from '../errors';

/** Throws unless `value` is an integer in [min, max]; the message names the field and the value received. */
export function requireInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidMigrationInputError(
      `${field} must be an integer from ${min} to ${max}; received ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a non-empty string. */
export function requireName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidMigrationInputError(`${field} must be a non-empty string; received ${JSON.stringify(value)}`);
  }
  return value;
}
