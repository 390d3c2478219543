import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnTopic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from '../../api/infra/api-stack';
import { LOGS_INSIGHTS_QUERIES } from '../../api/src/observability/logs-insights-queries';
import { API_ENDPOINTS } from '../../api/src/observability/metric-definitions';
import { endpointSlug } from '../alarm-naming';
import { MonitoringStack } from '../monitoring-stack';
import { endpointWidgetTitles } from '../slo-dashboard';
import { DEFAULT_ALERTING, SLO_SPEC, type SloSpec } from '../slo-spec';

const PREFIX = 'TriggersApi-Test';
const RUNBOOK = /\nRunbook: https:\/\/\S+#[a-z-]+$/;

function buildStacks(app: App, options: { spec?: SloSpec; alarmEmail?: string } = {}): MonitoringStack {
  const api = new ApiStack(app, PREFIX, { stage: 'Test', version: '1.2.3' });
  return new MonitoringStack(app, `${PREFIX}-Monitoring`, {
    stage: 'Test',
    spec: options.spec ?? SLO_SPEC,
    handler: api.handler,
    httpApi: api.httpApi,
    eventsTable: api.eventsTable,
    apiKeysTable: api.apiKeysTable,
    logGroup: api.logGroup,
    ...(options.alarmEmail ? { alarmEmail: options.alarmEmail } : {}),
  });
}

/** Bundling the Lambda code is left out here: the assertions are about the templates. */
function appWithoutBundling(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

function synth(options: { spec?: SloSpec; alarmEmail?: string } = {}) {
  const stack = buildStacks(appWithoutBundling(), options);
  return { stack, template: Template.fromStack(stack) };
}

type Resource = { Type: string; Properties: Record<string, any> };

function alarmNamed(template: Template, name: string): Record<string, any> {
  const found = Object.values(template.toJSON().Resources as Record<string, Resource>).filter(
    (r) =>
      (r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName === name) ||
      (r.Type === 'AWS::CloudWatch::CompositeAlarm' && r.Properties.AlarmName === name),
  );
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

function allAlarms(template: Template): Record<string, any>[] {
  return Object.values(template.toJSON().Resources as Record<string, Resource>)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .map((r) => r.Properties);
}

describe('MonitoringStack', () => {
  const { stack, template } = synth();
  const TOPIC = { Ref: stack.getLogicalId(stack.alarmTopic.node.defaultChild as CfnTopic) };

  describe.each(SLO_SPEC.latency)('latency objective of $endpoint', (objective) => {
    it(`alarms when p95 stays above ${objective.targetInMillis} ms for 3 of 3 five-minute periods`, () => {
      const alarm = alarmNamed(template, `${PREFIX}-latency-p95-${endpointSlug(objective.endpoint)}`);
      expect(alarm).toMatchObject({
        Namespace: 'TriggersAPI/Test',
        MetricName: 'ApiLatency',
        Dimensions: [{ Name: 'Endpoint', Value: objective.endpoint }],
        ExtendedStatistic: 'p95',
        Threshold: objective.targetInMillis,
        ComparisonOperator: 'GreaterThanThreshold',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        EvaluateLowSampleCountPercentile: 'ignore',
      });
    });
  });

  describe.each(SLO_SPEC.successRate)('success-rate objective of $endpoint', (objective) => {
    const slug = endpointSlug(objective.endpoint);

    it(`alarms when the average success rate stays below ${objective.minimumPercent} %`, () => {
      expect(alarmNamed(template, `${PREFIX}-success-rate-${slug}`)).toMatchObject({
        MetricName: 'ApiSuccessRate',
        Dimensions: [{ Name: 'Endpoint', Value: objective.endpoint }],
        Statistic: 'Average',
        Threshold: objective.minimumPercent,
        ComparisonOperator: 'LessThanThreshold',
        Period: 300,
        EvaluationPeriods: 3,
      });
    });

    it(`alarms when the average 5xx rate stays above ${SLO_SPEC.errorRate.maximumPercent} %`, () => {
      expect(alarmNamed(template, `${PREFIX}-error-rate-${slug}`)).toMatchObject({
        MetricName: 'ApiErrorRate',
        Statistic: 'Average',
        Threshold: SLO_SPEC.errorRate.maximumPercent,
        ComparisonOperator: 'GreaterThanThreshold',
        Period: 300,
        EvaluationPeriods: 3,
      });
    });
  });

  describe.each(DEFAULT_ALERTING.burnRateTiers)('burn-rate tier $name', (tier) => {
    const latencyName = `${PREFIX}-burn-${tier.name}-latency-post-v1-events`;
    const successName = `${PREFIX}-burn-${tier.name}-success-rate-get-v1-inbox`;

    it.each([
      ['long', tier.longWindowInMinutes],
      ['short', tier.shortWindowInMinutes],
    ])(
      `burns latency as the share of requests over 100 ms in its %s window (%i min), above ${tier.burnFactor}x`,
      (_w, minutes) => {
        const alarm = alarmNamed(template, `${latencyName}-${minutes}m`);
        expect(alarm).toMatchObject({
          Threshold: tier.burnFactor,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
        });
        expect(alarm.Metrics).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              Expression: 'IF(requests >= 50, ((100 - good) / 100) / 0.05, 0)',
              ReturnData: true,
            }),
            expect.objectContaining({
              Id: 'good',
              MetricStat: expect.objectContaining({ Stat: 'PR(:100)', Period: minutes * 60 }),
            }),
            expect.objectContaining({
              Id: 'requests',
              MetricStat: expect.objectContaining({ Stat: 'SampleCount', Period: minutes * 60 }),
            }),
          ]),
        );
      },
    );

    it(`burns success rate as 5xx over requests against a 0.1 % budget in both windows`, () => {
      for (const minutes of [tier.longWindowInMinutes, tier.shortWindowInMinutes]) {
        const alarm = alarmNamed(template, `${successName}-${minutes}m`);
        expect(alarm.Threshold).toBe(tier.burnFactor);
        expect(alarm.Metrics).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ Expression: 'IF(requests >= 50, (errors / requests) / 0.001, 0)' }),
            expect.objectContaining({
              Id: 'errors',
              MetricStat: expect.objectContaining({ Stat: 'Sum', Period: minutes * 60 }),
            }),
          ]),
        );
        expect(alarm.Metrics.length).toBeLessThanOrEqual(10);
      }
    });

    it('fires its composite only when the long AND the short window burn, notifying the topic', () => {
      const composite = alarmNamed(template, latencyName);
      const rule = JSON.stringify(composite.AlarmRule);
      expect(rule).toMatch(/^\{"Fn::Join":\["",\["\(ALARM\(\\"",.*"\\"\) AND ALARM\(\\"",.*"\\"\)\)"\]\]\}$/);
      expect(composite.AlarmActions).toEqual([TOPIC]);
      expect(composite.AlarmDescription).toContain(`[${tier.severity}]`);
      expect(composite.AlarmDescription).toContain(
        `over ${tier.burnFactor}x in both the last ${tier.longWindowInMinutes} min`,
      );
    });
  });

  it('creates long, short and composite alarms for every tier of every latency and success-rate objective', () => {
    const objectives = SLO_SPEC.latency.length + SLO_SPEC.successRate.length;
    const tiers = DEFAULT_ALERTING.burnRateTiers.length;
    const names = allAlarms(template).map((a) => a.AlarmName as string);
    expect(names.filter((n) => /-burn-.*-\d+m$/.test(n))).toHaveLength(objectives * tiers * 2);
    expect(names.filter((n) => n.includes('-burn-') && !/-\d+m$/.test(n) && !n.endsWith('-faster-tier'))).toHaveLength(
      objectives * tiers,
    );
  });

  it('suppresses the medium tier while the fast one fires, and the slow tier while any faster one fires', () => {
    const fast = `${PREFIX}-burn-fast-burn-latency-post-v1-events`;
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const idOf = (name: string) => Object.keys(resources).find((id) => resources[id].Properties.AlarmName === name);

    const medium = alarmNamed(template, `${PREFIX}-burn-medium-burn-latency-post-v1-events`);
    expect(medium.ActionsSuppressor).toEqual({ 'Fn::GetAtt': [idOf(fast), 'Arn'] });

    const slow = alarmNamed(template, `${PREFIX}-burn-slow-burn-latency-post-v1-events`);
    const anyFaster = `${PREFIX}-burn-slow-burn-latency-post-v1-events-faster-tier`;
    expect(slow.ActionsSuppressor).toEqual({ 'Fn::GetAtt': [idOf(anyFaster), 'Arn'] });
    expect(JSON.stringify(alarmNamed(template, anyFaster).AlarmRule)).toContain(' OR ');
    expect(alarmNamed(template, `${PREFIX}-burn-fast-burn-latency-post-v1-events`).ActionsSuppressor).toBeUndefined();
  });

  it('puts a runbook link on every alarm', () => {
    const alarms = allAlarms(template);
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.AlarmDescription).toMatch(RUNBOOK);
  });

  it('notifies the topic from every alarm except the window alarms and suppressors, which feed composites', () => {
    for (const alarm of allAlarms(template)) {
      const name = alarm.AlarmName as string;
      const feedsComposite = /-burn-.*-\d+m$/.test(name) || name.endsWith('-faster-tier');
      if (feedsComposite) expect(alarm.AlarmActions).toBeUndefined();
      else expect(alarm.AlarmActions).toEqual([TOPIC]);
    }
  });

  it('subscribes the alarm email when one is given, and none otherwise', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { template: withEmail } = synth({ alarmEmail: 'ops@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  describe('dashboards', () => {
    const bodies = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((d) =>
      JSON.stringify(d.Properties.DashboardBody),
    );
    const [detail] = bodies;

    it('creates a summary and a detail dashboard', () => {
      expect(bodies).toHaveLength(2);
    });

    it.each(API_ENDPOINTS)('draws latency, success and error rate and requests of %s', (endpoint) => {
      for (const title of Object.values(endpointWidgetTitles(endpoint))) expect(detail).toContain(title);
    });

    it.each(SLO_SPEC.latency)('draws the p95 target of $endpoint on its latency widget', (objective) => {
      expect(detail).toContain(`${objective.endpoint} latency`);
      expect(detail).toMatch(
        new RegExp(`\\\\"value\\\\":${objective.targetInMillis},\\\\"label\\\\":\\\\"p95 target \\(ms\\)`),
      );
    });

    it('draws the ingestion rate against its objective and the lookups by method', () => {
      expect(detail).toContain('Event ingestion rate (events/s)');
      expect(detail).toContain('Event lookups by method');
      expect(detail).toMatch(/\\"value\\":1000,\\"label\\":\\"objective \(min\)/);
    });

    it('monitors the Lambda function, the HTTP API and the DynamoDB tables and indexes', () => {
      for (const section of ['API function', 'HTTP API', 'Events table', 'API keys table', 'Events table index']) {
        expect(detail).toContain(section);
      }
    });
  });

  it.each(LOGS_INSIGHTS_QUERIES)('saves the Logs Insights query $name on the API log group', (query) => {
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: query.name,
      QueryString: query.queryString,
      LogGroupNames: [Match.anyValue()],
    });
  });

  it('refuses a spec that fails validation', () => {
    const spec: SloSpec = { ...SLO_SPEC, errorRate: { maximumPercent: 0 } };
    expect(() => synth({ spec })).toThrow('errorRate: maximumPercent must be in (0, 100); got 0');
  });

  it('passes the AwsSolutions checks at synth, with each accepted finding acknowledged in code', () => {
    const app = appWithoutBundling();
    buildStacks(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { conclusion: string; violations: unknown[]; suppressedViolations: { reason: string }[] }[];
    };
    expect(report.pluginReports[0]?.conclusion).toBe('success');
    expect(report.pluginReports[0]?.violations).toEqual([]);
    for (const acknowledged of report.pluginReports[0]?.suppressedViolations ?? []) {
      expect(acknowledged.reason.length).toBeGreaterThan(20);
    }
  });
});
