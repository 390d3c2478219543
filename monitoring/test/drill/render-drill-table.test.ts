import { renderDrillTable } from '../../drill/render-drill-table';
import type { AlarmDrillResult } from '../../drill/run-alarm-drill';

const FIRED: AlarmDrillResult = {
  alarmName: 'TriggersApi-Staging-latency-p95-post-v1-events',
  alarmType: 'metric',
  pushedToAlarm: true,
  actionsFired: 'yes',
  backToOk: 'yes',
};
const SILENT: AlarmDrillResult = {
  alarmName: 'TriggersApi-Staging-burn-fast-burn-success-rate-post-v1-events',
  alarmType: 'composite',
  pushedToAlarm: true,
  actionsFired: 'no',
  backToOk: 'yes',
  error: 'no executed action in the history within 180 s',
};

describe('renderDrillTable', () => {
  it('prints an aligned markdown table with one row per alarm and a failure count', () => {
    expect(renderDrillTable([FIRED, SILENT])).toBe(
      [
        '| Alarm                                                          | Type      | State pushed | Actions fired | Back to OK | Result | Error                                          |',
        '| -------------------------------------------------------------- | --------- | ------------ | ------------- | ---------- | ------ | ---------------------------------------------- |',
        '| TriggersApi-Staging-latency-p95-post-v1-events                 | metric    | ALARM        | yes           | yes        | ok     |                                                |',
        '| TriggersApi-Staging-burn-fast-burn-success-rate-post-v1-events | composite | ALARM        | no            | yes        | FAILED | no executed action in the history within 180 s |',
        '',
        '2 alarm(s) drilled, 1 failed.',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['an alarm without actions', { actionsFired: 'none configured' as const }, '| none configured |'],
    ['an alarm that was never pushed', { pushedToAlarm: false, backToOk: 'not pushed' as const }, '| no           |'],
  ])('shows %s', (_case, overrides, cell) => {
    expect(renderDrillTable([{ ...FIRED, ...overrides }])).toContain(cell);
  });

  it('escapes pipes and newlines so an error message stays in its cell', () => {
    const table = renderDrillTable([{ ...FIRED, actionsFired: 'no', error: 'Failed | denied\nby policy' }]);

    expect(table.split('\n')[2]).toMatch(/\| Failed \\\| denied by policy \|$/);
  });
});
