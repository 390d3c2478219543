import { describeCloudFormationDiff } from '../../slo-diff/cloudformation-diff';

const alarm = (threshold: number) => ({
  Resources: {
    IngestLatencyAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'ingest-p95',
        Threshold: threshold,
        EvaluationPeriods: 3,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    },
  },
});

describe('describeCloudFormationDiff', () => {
  it('shows a changed alarm threshold the way cdk diff does, without terminal colours', () => {
    const text = describeCloudFormationDiff({ Monitoring: alarm(100) }, { Monitoring: alarm(80) });
    expect(text).toContain('Stack Monitoring');
    expect(text).toMatch(/\[~\] AWS::CloudWatch::Alarm IngestLatencyAlarm/);
    expect(text).toMatch(/Threshold[\s\S]*100[\s\S]*80/);
    expect(text).not.toContain(String.fromCharCode(27));
  });

  it('says so when nothing changed', () => {
    expect(describeCloudFormationDiff({ Monitoring: alarm(100) }, { Monitoring: alarm(100) })).toBe(
      'No CloudFormation changes.',
    );
  });

  it('shows a stack added by the working tree', () => {
    expect(describeCloudFormationDiff({}, { Monitoring: alarm(100) })).toMatch(
      /\[\+\] AWS::CloudWatch::Alarm IngestLatencyAlarm/,
    );
  });
});
