/** Returns `value` when it is an integer in [1, max]; otherwise throws a RangeError naming the option and the value. */
export function positiveInteger(name: string, value: number, max?: number): number {
  if (Number.isInteger(value) && value >= 1 && (max === undefined || value <= max)) return value;
  const expected = max === undefined ? 'a positive integer' : `an integer between 1 and ${max}`;
  throw new RangeError(`${name} must be ${expected}, got ${value}`);
}
