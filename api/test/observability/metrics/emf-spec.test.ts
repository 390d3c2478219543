import { emfViolations } from './emf-spec';

// The checker stands in for CloudWatch in the EMF sink's tests, so it must itself reject what CloudWatch would.
describe('emfViolations', () => {
  const valid = () => ({
    _aws: {
      Timestamp: 1574109732004,
      CloudWatchMetrics: [
        {
          Namespace: 'lambda-function-metrics',
          Dimensions: [['functionVersion']],
          Metrics: [{ Name: 'time', Unit: 'Milliseconds' }],
        },
      ],
    },
    functionVersion: '$LATEST',
    time: 100,
  });

  it('accepts the specification example', () => {
    expect(emfViolations(valid())).toEqual([]);
  });

  it('accepts an empty dimension set and a metric array', () => {
    const document = { ...valid(), time: [1, 2, 3] };
    document._aws.CloudWatchMetrics[0].Dimensions = [[]];

    expect(emfViolations(document)).toEqual([]);
  });

  it.each([
    ['a Timestamp in seconds', (d: any) => (d._aws.Timestamp = 1574109732), /Timestamp/],
    ['a fractional Timestamp', (d: any) => (d._aws.Timestamp = 1574109732004.5), /Timestamp/],
    ['no CloudWatchMetrics', (d: any) => delete d._aws.CloudWatchMetrics, /CloudWatchMetrics must be an array/],
    ['an empty Namespace', (d: any) => (d._aws.CloudWatchMetrics[0].Namespace = ''), /Namespace/],
    ['a 256-character Namespace', (d: any) => (d._aws.CloudWatchMetrics[0].Namespace = 'n'.repeat(256)), /Namespace/],
    [
      'a flat Dimensions list',
      (d: any) => (d._aws.CloudWatchMetrics[0].Dimensions = ['functionVersion']),
      /must be an array/,
    ],
    ['a dimension missing from the root', (d: any) => delete d.functionVersion, /dimension 'functionVersion'/],
    ['a numeric dimension value', (d: any) => (d.functionVersion = 1), /dimension 'functionVersion'/],
    [
      '31 dimension keys',
      (d: any) => (d._aws.CloudWatchMetrics[0].Dimensions = [Array.from({ length: 31 }, (_, i) => `k${i}`)]),
      /more than 30 keys/,
    ],
    ['an unknown unit', (d: any) => (d._aws.CloudWatchMetrics[0].Metrics[0].Unit = 'Millis'), /not a CloudWatch unit/],
    ['a metric missing from the root', (d: any) => delete d.time, /metric 'time'/],
    ['101 values', (d: any) => (d.time = Array.from({ length: 101 }, () => 1)), /more than 100 values/],
    ['a string value', (d: any) => (d.time = '100'), /metric 'time'/],
    [
      '101 metric definitions',
      (d: any) => (d._aws.CloudWatchMetrics[0].Metrics = Array.from({ length: 101 }, () => ({ Name: 'time' }))),
      /more than 100 definitions/,
    ],
  ])('rejects %s', (_case, breakIt, expected) => {
    const document = valid();
    breakIt(document);

    expect(emfViolations(document).join('\n')).toMatch(expected);
  });
});
