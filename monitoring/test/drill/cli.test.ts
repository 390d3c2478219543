import { parseAlarmDrillArgs } from '../../drill/cli';
import { DrillUsageError } from '../../drill/errors';

describe('parseAlarmDrillArgs', () => {
  it('reads the stage, alarm, region and timeout', () => {
    const args = parseAlarmDrillArgs([
      '--stage',
      'Staging',
      '--alarm',
      'TriggersApi-Staging-error-rate-post-v1-events',
      '--region',
      'eu-west-1',
      '--timeout-seconds',
      '90',
    ]);

    expect(args).toEqual({
      stage: 'Staging',
      alarmName: 'TriggersApi-Staging-error-rate-post-v1-events',
      region: 'eu-west-1',
      timeoutInSeconds: 90,
    });
  });

  it('waits 180 s per alarm unless told otherwise, long enough for a composite wait period', () => {
    expect(parseAlarmDrillArgs(['--stage', 'Production'])).toEqual({ stage: 'Production', timeoutInSeconds: 180 });
  });

  it.each([
    ['--stage is missing', [], '--stage <stage> is required'],
    ['the timeout is not a positive integer', ['--stage', 'Staging', '--timeout-seconds', '1.5'], 'got "1.5"'],
  ])('fails with the usage line when %s', (_case, argv, message) => {
    const parse = () => parseAlarmDrillArgs(argv);

    expect(parse).toThrow(DrillUsageError);
    expect(parse).toThrow(message);
    expect(parse).toThrow('usage: npm run alarms:drill -- --stage <stage>');
  });
});
