import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { estimateDatumBytes, takeBatch } from '../../../src/observability/metrics/cloudwatch-batches';

function counter(i: number): MetricDatum {
  return {
    MetricName: 'ApiRequestCount',
    Dimensions: [{ Name: 'Endpoint', Value: `GET /e${i}` }],
    Value: 1,
    Unit: 'Count',
  };
}

function distribution(): MetricDatum {
  const values = Array.from({ length: 150 }, (_, i) => i + 0.125);
  return { MetricName: 'ApiLatency', Values: values, Counts: values.map(() => 3), Unit: 'Milliseconds' };
}

// awsQuery, the protocol with the longest field names: `MetricData.member.1.Values.member.7=12.5&`.
function formEncodedBytes(batch: MetricDatum[]): number {
  const fields: string[] = ['Action=PutMetricData', 'Version=2010-08-01', 'Namespace=TriggersAPI%2FProduction'];
  batch.forEach((datum, i) => {
    const at = `MetricData.member.${i + 1}`;
    fields.push(`${at}.MetricName=${datum.MetricName}`, `${at}.Unit=${datum.Unit}`, `${at}.StorageResolution=60`);
    fields.push(`${at}.Timestamp=${encodeURIComponent(new Date(0).toISOString())}`);
    datum.Dimensions?.forEach((d, j) => {
      fields.push(`${at}.Dimensions.member.${j + 1}.Name=${d.Name}`);
      fields.push(`${at}.Dimensions.member.${j + 1}.Value=${encodeURIComponent(d.Value ?? '')}`);
    });
    datum.Values?.forEach((v, j) => fields.push(`${at}.Values.member.${j + 1}=${v}`));
    datum.Counts?.forEach((c, j) => fields.push(`${at}.Counts.member.${j + 1}=${c}`));
  });
  return fields.join('&').length;
}

describe('takeBatch', () => {
  it('takes at most 1000 datums and leaves the rest in order', () => {
    const pending = Array.from({ length: 1200 }, (_, i) => counter(i));

    const batch = takeBatch(pending);

    expect(batch).toHaveLength(1000);
    expect(batch[0]).toEqual(counter(0));
    expect(pending).toHaveLength(200);
    expect(pending[0]).toEqual(counter(1000));
  });

  it('stops before the byte budget', () => {
    const pending = Array.from({ length: 100 }, distribution);
    const budget = 10 * estimateDatumBytes(distribution()) + 1;

    const batch = takeBatch(pending, 1000, budget);

    expect(batch).toHaveLength(10);
    expect(pending).toHaveLength(90);
  });

  it('always takes one datum, even one over the budget, so nothing is stuck', () => {
    const pending = [distribution()];

    expect(takeBatch(pending, 1000, 10)).toHaveLength(1);
  });

  it('keeps a full batch of the largest datums under 1 MB even in the bulkiest wire encoding', () => {
    const pending = Array.from({ length: 1000 }, (_, i) => ({ ...distribution(), Dimensions: counter(i).Dimensions }));

    const batch = takeBatch(pending);

    const estimated = batch.reduce((n, d) => n + estimateDatumBytes(d), 0);
    expect(estimated).toBeLessThanOrEqual(512 * 1024);
    expect(formEncodedBytes(batch)).toBeLessThanOrEqual(estimated);
    expect(JSON.stringify(batch).length).toBeLessThanOrEqual(estimated);
  });
});
