import type { MetricDatum } from '@aws-sdk/client-cloudwatch';

/** `PutMetricData` accepts at most 1000 datums per request. */
export const MAX_DATUMS_PER_REQUEST = 1000;

/** Request payload budget: half of the 1 MB `PutMetricData` limit, so estimation error cannot reach it. */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;

// Upper bound of one field on the wire. The largest encoding is awsQuery's form fields, e.g.
// `MetricData.member.1000.Values.member.150=123.456&`; the JSON and CBOR protocols are smaller.
const FIELD_BYTES = 64;

/** Conservative size of a datum in a request, whichever wire protocol the client uses. */
export function estimateDatumBytes(datum: MetricDatum): number {
  const dimensions = datum.Dimensions ?? [];
  const dimensionBytes = dimensions.reduce(
    (sum, { Name, Value }) => sum + 2 * FIELD_BYTES + (Name?.length ?? 0) + (Value?.length ?? 0),
    0,
  );
  const numbers = (datum.Values?.length ?? 0) + (datum.Counts?.length ?? 0);
  return 5 * FIELD_BYTES + (datum.MetricName?.length ?? 0) + dimensionBytes + numbers * FIELD_BYTES;
}

/** Removes and returns the next request's datums from the front of `pending`: within both limits, never empty. */
export function takeBatch(
  pending: MetricDatum[],
  maxDatums = MAX_DATUMS_PER_REQUEST,
  maxBytes = DEFAULT_MAX_REQUEST_BYTES,
): MetricDatum[] {
  let bytes = 0;
  let taken = 0;
  while (taken < pending.length && taken < maxDatums) {
    const size = estimateDatumBytes(pending[taken]);
    if (taken > 0 && bytes + size > maxBytes) break;
    bytes += size;
    taken += 1;
  }
  return pending.splice(0, taken);
}
