import { compareSloTemplates } from '../../slo-diff/compare-slo-templates';
import { parseBody } from '../../slo-diff/dashboard-widgets';
import { renderMarkdown } from '../../slo-diff/render-markdown';
import { joinedDashboard, REGION_TOKEN, specWith, templatesWith, type LatencyFixture } from './synthetic-templates';

const INGEST: LatencyFixture = { endpoint: 'POST /v1/events', targetInMillis: 100 };
const INBOX: LatencyFixture = { endpoint: 'GET /v1/inbox', targetInMillis: 200 };

function snapshot(latency: readonly LatencyFixture[]) {
  return { templates: templatesWith(latency), spec: specWith(latency) };
}

describe('compareSloTemplates', () => {
  it('reports exactly the objective change and the alarm threshold change when ingest p95 tightens from 100 to 80 ms', () => {
    const report = compareSloTemplates(snapshot([INGEST, INBOX]), snapshot([{ ...INGEST, targetInMillis: 80 }, INBOX]));

    expect(report.objectives.changed.map((change) => change.summary)).toEqual([
      'POST /v1/events p95 latency target 100 ms -> 80 ms',
    ]);
    expect(report.objectives.added).toEqual([]);
    expect(report.objectives.removed).toEqual([]);
    expect(report.alarms.changed).toEqual([
      {
        key: 'POST /v1/events p95 latency',
        kind: 'metric',
        changes: [{ field: 'threshold', oldValue: '100', newValue: '80' }],
      },
    ]);
    expect(report.alarms.added).toEqual([]);
    expect(report.alarms.removed).toEqual([]);
    expect(report.widgets.added).toEqual([]);
    expect(report.widgets.removed).toEqual([]);
  });

  it('reports the new objective with its alarms and dashboard widgets when an objective is added', () => {
    const report = compareSloTemplates(snapshot([INGEST]), snapshot([INGEST, INBOX]));

    expect(report.objectives.added).toEqual([{ objective: 'GET /v1/inbox p95 latency', settings: 'target 200 ms' }]);
    expect(report.objectives.changed).toEqual([]);
    expect(report.alarms.added.map((alarm) => [alarm.key, alarm.kind])).toEqual([
      ['GET /v1/inbox p95 latency', 'metric'],
      ['GET /v1/inbox latency burn 1h/5m', 'composite'],
    ]);
    expect(report.alarms.added[0]?.settings).toMatchObject({
      threshold: '200',
      comparisonOperator: 'GreaterThanThreshold',
      statistic: 'p95',
      period: '60',
      evaluationPeriods: '5',
    });
    expect(report.alarms.added[1]?.settings.alarmRule).toBe('ALARM("${LatencyAlarm1.Arn}")');
    expect(report.widgets.added.map((widget) => [widget.dashboard, widget.title])).toEqual([
      ['TriggersApi-SLO', 'GET /v1/inbox latency'],
    ]);
    expect(report.alarms.changed).toEqual([]);
  });

  it('reports removed objectives, alarms and widgets when an objective is dropped', () => {
    const report = compareSloTemplates(snapshot([INGEST, INBOX]), snapshot([INGEST]));

    expect(report.objectives.removed.map((objective) => objective.objective)).toEqual(['GET /v1/inbox p95 latency']);
    expect(report.alarms.removed).toHaveLength(2);
    expect(report.widgets.removed.map((widget) => widget.title)).toEqual(['GET /v1/inbox latency']);
  });

  it('reports a widget as changed when its target line moves', () => {
    const report = compareSloTemplates(snapshot([INGEST]), snapshot([{ ...INGEST, targetInMillis: 80 }]));

    expect(report.widgets.changed.map((widget) => widget.title)).toEqual(['POST /v1/events latency']);
  });

  it('reports nothing when the spec and templates are unchanged', () => {
    const report = compareSloTemplates(snapshot([INGEST, INBOX]), snapshot([INGEST, INBOX]));

    expect(renderMarkdown(report)).toContain('No SLO changes');
    expect(report.objectives.changed).toEqual([]);
    expect(report.alarms.changed).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it('reads alarm statistic and period from the queries of a metric-math alarm', () => {
    const templates = {
      Monitoring: {
        Resources: {
          BurnLong: {
            Type: 'AWS::CloudWatch::Alarm',
            Properties: {
              Threshold: 14.4,
              ComparisonOperator: 'GreaterThanThreshold',
              EvaluationPeriods: 1,
              Metrics: [
                { Id: 'good', ReturnData: false, MetricStat: { Stat: 'PR(:100)', Period: 3600, Metric: {} } },
                { Id: 'all', ReturnData: false, MetricStat: { Stat: 'SampleCount', Period: 3600, Metric: {} } },
                { Id: 'burn', Expression: '(1 - good / all) / 0.001' },
              ],
            },
          },
        },
      },
    };

    const report = compareSloTemplates({ templates: {}, spec: {} }, { templates, spec: {} });

    expect(report.alarms.added[0]).toMatchObject({
      key: 'Monitoring/BurnLong',
      settings: { statistic: 'PR(:100), SampleCount', period: '3600', metric: '(1 - good / all) / 0.001' },
    });
  });

  it('reports where a composite notifies and how long it stays suppressed after recovery', () => {
    const composite = (topic: string, extension: number) => ({
      Monitoring: {
        Resources: {
          Medium: {
            Type: 'AWS::CloudWatch::CompositeAlarm',
            Properties: {
              AlarmName: 'medium-burn',
              AlarmRule: 'ALARM(a) AND ALARM(b)',
              AlarmActions: [{ Ref: topic }],
              ActionsSuppressor: { 'Fn::GetAtt': ['Fast', 'Arn'] },
              ActionsSuppressorExtensionPeriod: extension,
            },
          },
        },
      },
    });

    const report = compareSloTemplates(
      { templates: composite('AlarmTopic', 60), spec: {} },
      { templates: composite('PageTopic', 2100), spec: {} },
    );

    expect(report.alarms.changed).toEqual([
      {
        key: 'medium-burn',
        kind: 'composite',
        changes: [
          { field: 'suppressionExtension', oldValue: '60', newValue: '2100' },
          { field: 'notifies', oldValue: '${AlarmTopic}', newValue: '${PageTopic}' },
        ],
      },
    ]);
  });

  it('warns instead of failing when a dashboard body is not JSON', () => {
    const templates = {
      Monitoring: {
        Resources: {
          Board: {
            Type: 'AWS::CloudWatch::Dashboard',
            Properties: { DashboardBody: { 'Fn::Join': ['', ['{"widgets":', { Ref: 'X' }, '}']] } },
          },
        },
      },
    };

    const report = compareSloTemplates({ templates: {}, spec: {} }, { templates, spec: {} });

    expect(report.warnings).toEqual([expect.stringContaining('Monitoring/Board')]);
  });
});

describe('parseBody', () => {
  it('parses a dashboard body given as an Fn::Join of strings and tokens', () => {
    const body = joinedDashboard([{ type: 'metric', properties: { title: 'Latency', region: REGION_TOKEN } }]);

    expect(parseBody(body)).toEqual([{ type: 'metric', properties: { title: 'Latency', region: '${AWS::Region}' } }]);
  });

  it('parses a dashboard body given as a plain string', () => {
    expect(parseBody('{"widgets":[{"type":"text","properties":{"markdown":"# SLOs"}}]}')).toEqual([
      { type: 'text', properties: { markdown: '# SLOs' } },
    ]);
  });
});
