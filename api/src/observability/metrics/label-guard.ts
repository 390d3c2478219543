/** Stands in for label values beyond a {@link LabelGuard}'s cap. */
export const OVERFLOW_LABEL = 'OTHER';

/** Stands in for an empty label value, which CloudWatch rejects as a dimension value. */
export const EMPTY_LABEL = 'UNKNOWN';

/**
 * Caps how many distinct values a label may take. Every distinct endpoint or error type costs memory here
 * and a custom metric in CloudWatch, so a caller passing raw paths must not be able to grow either without bound.
 */
export class LabelGuard {
  private readonly admitted = new Set<string>();

  constructor(private readonly maxValues: number) {}

  /** The value itself while under the cap or already admitted; {@link OVERFLOW_LABEL} past the cap. */
  admit(value: string): string {
    if (this.admitted.has(value)) return value;
    if (value === '') return EMPTY_LABEL;
    if (this.admitted.size >= this.maxValues) return OVERFLOW_LABEL;
    this.admitted.add(value);
    return value;
  }
}
