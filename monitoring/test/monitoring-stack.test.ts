import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnTopic, Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from '../../api/infra/api-stack';
import { addTriggersApiStacks } from '../../cdk-stacks';
import { LOGS_INSIGHTS_QUERIES } from '../../contract/log-queries';
import { API_ENDPOINTS } from '../../contract/metrics';
import { endpointSlug } from '../alarm-naming';
import { MonitoringStack } from '../monitoring-stack';
import { ALL_ENDPOINTS_ERROR_RATE_TITLE, endpointWidgetTitles, SHED_LOAD_TITLE } from '../slo-dashboard';
import {
  DEFAULT_ALERTING,
  SLO_SPEC,
  burnRateMinimumRequests,
  suppressionExtensionInMinutes,
  type AlertSeverity,
  type SloSpec,
} from '../../contract/slo-spec';

const PREFIX = 'TriggersApi-Test';
const RUNBOOK = /\nRunbook: https:\/\/\S+#[a-z-]+$/;

type BuildOptions = { spec?: SloSpec; alarmEmail?: string; ticketEmail?: string; trafficExpected?: boolean };

function buildStacks(app: App, options: BuildOptions = {}): MonitoringStack {
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
    ...(options.ticketEmail ? { ticketEmail: options.ticketEmail } : {}),
    ...(options.trafficExpected !== undefined ? { trafficExpected: options.trafficExpected } : {}),
  });
}

/** Bundling the Lambda code is left out here: the assertions are about the templates. */
function appWithoutBundling(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

function synth(options: BuildOptions = {}) {
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
  const topicRef = (topic: Topic) => ({ Ref: stack.getLogicalId(topic.node.defaultChild as CfnTopic) });
  const TOPICS: Record<AlertSeverity, { Ref: string }> = {
    page: topicRef(stack.pageTopic),
    ticket: topicRef(stack.ticketTopic),
  };
  const MINIMUM_REQUESTS = DEFAULT_ALERTING.objectiveAlarms.minimumRequestsPerPeriod;

  describe.each(SLO_SPEC.latency)('latency objective of $endpoint', (objective) => {
    const alarm = alarmNamed(template, `${PREFIX}-latency-p95-${endpointSlug(objective.endpoint)}`);

    it(`alarms when p95 stays above ${objective.targetInMillis} ms for 3 of 3 five-minute periods`, () => {
      expect(alarm).toMatchObject({
        Threshold: objective.targetInMillis,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.Metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Id: 'latency',
            MetricStat: {
              Metric: {
                Namespace: 'TriggersAPI/Test',
                MetricName: 'ApiLatency',
                Dimensions: [{ Name: 'Endpoint', Value: objective.endpoint }],
              },
              Stat: 'p95',
              Period: 300,
              Unit: 'Milliseconds',
            },
          }),
        ]),
      );
    });

    it(`ignores periods with fewer than ${MINIMUM_REQUESTS} samples instead of evaluating a percentile over a few`, () => {
      expect(alarm.EvaluateLowSampleCountPercentile).toBeUndefined();
      expect(alarm.Metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Expression: `IF(requests >= ${MINIMUM_REQUESTS}, latency, 0)`, ReturnData: true }),
          expect.objectContaining({
            Id: 'requests',
            MetricStat: expect.objectContaining({ Stat: 'SampleCount', Period: 300 }),
          }),
        ]),
      );
    });
  });

  describe.each(SLO_SPEC.successRate)('success-rate objective of $endpoint', (objective) => {
    const slug = endpointSlug(objective.endpoint);

    it(`alarms when the success rate stays below ${objective.minimumPercent} % in periods with enough requests`, () => {
      const alarm = alarmNamed(template, `${PREFIX}-success-rate-${slug}`);
      expect(alarm).toMatchObject({
        Threshold: objective.minimumPercent,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
      });
      expect(alarm.Metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Expression: `IF(requests >= ${MINIMUM_REQUESTS}, 100 * (requests - errors) / requests, 100)`,
          }),
          expect.objectContaining({
            Id: 'errors',
            MetricStat: expect.objectContaining({
              Metric: expect.objectContaining({
                MetricName: 'ApiErrorCount',
                Dimensions: [{ Name: 'Endpoint', Value: objective.endpoint }],
              }),
              Stat: 'Sum',
              Period: 300,
            }),
          }),
        ]),
      );
    });

    it('has no error-rate alarm of its own: that would be the success-rate alarm again', () => {
      expect(allAlarms(template).map((a) => a.AlarmName)).not.toContain(`${PREFIX}-error-rate-${slug}`);
    });
  });

  it(`alarms when the 5xx rate of every endpoint together stays above ${SLO_SPEC.errorRate.maximumPercent} %`, () => {
    const alarm = alarmNamed(template, `${PREFIX}-error-rate-all-endpoints`);
    expect(alarm).toMatchObject({
      Threshold: SLO_SPEC.errorRate.maximumPercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      AlarmActions: [TOPICS.ticket],
    });
    expect(alarm.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: `IF(requests >= ${MINIMUM_REQUESTS}, 100 * errors / requests, 0)` }),
        ...['ApiErrorCount', 'ApiRequestCount'].map((metricName) =>
          expect.objectContaining({
            MetricStat: expect.objectContaining({
              Metric: { Namespace: 'TriggersAPI/Test', MetricName: metricName },
              Stat: 'Sum',
            }),
          }),
        ),
      ]),
    );
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
              Expression: `IF(requests >= ${burnRateMinimumRequests(tier, 0.05, DEFAULT_ALERTING)}, ((100 - good) / 100) / 0.05, 0)`,
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
            expect.objectContaining({
              Expression: `IF(requests >= ${burnRateMinimumRequests(tier, 0.001, DEFAULT_ALERTING)}, (errors / requests) / 0.001, 0)`,
            }),
            expect.objectContaining({
              Id: 'errors',
              MetricStat: expect.objectContaining({ Stat: 'Sum', Period: minutes * 60 }),
            }),
          ]),
        );
        expect(alarm.Metrics.length).toBeLessThanOrEqual(10);
      }
    });

    it(`fires its composite only when the long AND the short window burn, notifying the ${tier.severity} topic`, () => {
      const composite = alarmNamed(template, latencyName);
      const rule = JSON.stringify(composite.AlarmRule);
      expect(rule).toMatch(/^\{"Fn::Join":\["",\["\(ALARM\(\\"",.*"\\"\) AND ALARM\(\\"",.*"\\"\)\)"\]\]\}$/);
      expect(composite.AlarmActions).toEqual([TOPICS[tier.severity]]);
      expect(composite.OKActions).toEqual([TOPICS[tier.severity]]);
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

  // After a sharp outage the faster tier clears first (its short window is shorter); the slower tier's short
  // window still burns for up to its own length, and it must not notify for the incident already reported.
  it.each(DEFAULT_ALERTING.burnRateTiers.slice(1))(
    'keeps $name suppressed after the faster tier recovers for longer than its own short window ($shortWindowInMinutes min)',
    (tier) => {
      for (const objective of ['latency-post-v1-events', 'success-rate-get-v1-inbox']) {
        const composite = alarmNamed(template, `${PREFIX}-burn-${tier.name}-${objective}`);
        // Exactly the extension the notification replay (burn-rate-notifications.test.ts) proves notifies once.
        expect(composite.ActionsSuppressorExtensionPeriod).toBe(suppressionExtensionInMinutes(tier) * 60);
        expect(composite.ActionsSuppressorExtensionPeriod).toBeGreaterThan(tier.shortWindowInMinutes * 60);
        expect(composite.ActionsSuppressorWaitPeriod).toBe(60);
      }
    },
  );

  it('evaluates the ticket tier over 3 days and 6 hours, each window one alarm period CloudWatch accepts', () => {
    for (const minutes of [4320, 360]) {
      const alarm = alarmNamed(template, `${PREFIX}-burn-slow-burn-success-rate-get-v1-inbox-${minutes}m`);
      expect(alarm.Threshold).toBe(1);
      expect(alarm.EvaluationPeriods).toBe(1);
      for (const query of alarm.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat)) {
        // Period x EvaluationPeriods: at most 1 day under an hour, at most 7 days from an hour up.
        const period = query.MetricStat.Period as number;
        expect(period).toBe(minutes * 60);
        expect(period).toBeLessThanOrEqual(period < 3600 ? 86_400 : 604_800);
      }
    }
  });

  it('puts a runbook link on every alarm', () => {
    const alarms = allAlarms(template);
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.AlarmDescription).toMatch(RUNBOOK);
  });

  it('links every alarm to a section the runbook has', () => {
    const runbook = readFileSync(join(__dirname, '../../docs/RUNBOOK.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^## (.+)$/gm)].map(([, heading]) =>
        heading
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const linked = new Set(allAlarms(template).map((a) => /#([a-z-]+)$/.exec(a.AlarmDescription as string)?.[1]));
    for (const anchor of linked)
      expect({ anchor, inRunbook: anchors.has(anchor ?? '') }).toEqual({ anchor, inRunbook: true });
  });

  it('routes every alarm to the topic of the severity its description names, except those feeding composites', () => {
    for (const alarm of allAlarms(template)) {
      const name = alarm.AlarmName as string;
      const feedsComposite = /-burn-.*-\d+m$/.test(name) || name.endsWith('-faster-tier');
      if (feedsComposite) {
        expect(alarm.AlarmActions).toBeUndefined();
        continue;
      }
      const severity = /\[(page|ticket)\]/.exec(alarm.AlarmDescription as string)?.[1] as AlertSeverity | undefined;
      expect({ name, severity }).toEqual({ name, severity: expect.stringMatching(/^(page|ticket)$/) });
      expect({ name, actions: alarm.AlarmActions }).toEqual({ name, actions: [TOPICS[severity!]] });
    }
  });

  it('pages and tickets through two different topics', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    expect(TOPICS.page).not.toEqual(TOPICS.ticket);
  });

  describe.each(['page', 'ticket'] as const)('the %s topic', (severity) => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((policy) =>
      (policy.Properties.Topics as unknown[]).some(
        (topic) => JSON.stringify(topic) === JSON.stringify(TOPICS[severity]),
      ),
    );

    it("lets CloudWatch publish, for this account and this stage's alarms only, over TLS only", () => {
      expect(policies).toHaveLength(1);
      const statements = policies[0].Properties.PolicyDocument.Statement as Record<string, any>[];
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowCloudWatchAlarmsOfThisStage',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: TOPICS[severity],
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      `:alarm:${PREFIX}-*`,
                    ],
                  ],
                },
              },
            },
          },
        ]),
      );
    });
  });

  it('subscribes the alarm email to both topics when one is given, and none otherwise', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { stack: withEmailStack, template: withEmail } = synth({ alarmEmail: 'ops@example.com' });
    const subscriptions = Object.values(withEmail.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([
      ['email', 'ops@example.com'],
      ['email', 'ops@example.com'],
    ]);
    expect(Annotations.fromStack(withEmailStack).findWarning('*', Match.stringLikeRegexp('no subscriber'))).toEqual([]);
  });

  it('subscribes a separate ticket email to the ticket topic only', () => {
    const { stack: routed, template: routedTemplate } = synth({
      alarmEmail: 'oncall@example.com',
      ticketEmail: 'team@example.com',
    });
    routedTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: routed.getLogicalId(routed.pageTopic.node.defaultChild as CfnTopic) },
    });
    routedTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'team@example.com',
      TopicArn: { Ref: routed.getLogicalId(routed.ticketTopic.node.defaultChild as CfnTopic) },
    });
  });

  it('warns at synth that no one hears the alarms when no email is given', () => {
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('has no subscriber'));
    expect(warnings.map((w) => w.entry.data as string)).toEqual([
      expect.stringContaining('The page topic has no subscriber'),
      expect.stringContaining('The ticket topic has no subscriber'),
    ]);
  });

  describe('alarms on what the API cannot record', () => {
    it("pages on the HTTP API's own 5xx rate, read from AWS/ApiGateway by ApiId and Stage", () => {
      const alarm = alarmNamed(template, `${PREFIX}-api-gateway-5xx-rate`);
      expect(alarm).toMatchObject({
        Threshold: SLO_SPEC.errorRate.maximumPercent,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        AlarmActions: [TOPICS.page],
      });
      // Only the 5xx the API never recorded count: those it recorded page through the burn-rate tiers.
      const expression = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression;
      expect(expression).toBe(
        'IF(requests >= 100 AND (FILL(gateway5xx, 0) - FILL(recorded5xx, 0)) >= 5, ' +
          '100 * (FILL(gateway5xx, 0) - FILL(recorded5xx, 0)) / requests, 0)',
      );
      expect(alarm.Metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Id: 'recorded5xx',
            MetricStat: expect.objectContaining({
              Metric: { Namespace: 'TriggersAPI/Test', MetricName: 'ApiErrorCount' },
              Stat: 'Sum',
              Period: 300,
            }),
          }),
        ]),
      );
      for (const metricName of ['5xx', 'Count']) {
        expect(alarm.Metrics).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              MetricStat: expect.objectContaining({
                Metric: {
                  Namespace: 'AWS/ApiGateway',
                  MetricName: metricName,
                  Dimensions: [
                    { Name: 'ApiId', Value: { 'Fn::ImportValue': expect.stringContaining('HttpApi') } },
                    { Name: 'Stage', Value: '$default' },
                  ],
                },
                Stat: 'Sum',
                Period: 300,
              }),
            }),
          ]),
        );
      }
    });

    it.each([
      ['lambda-errors', 'Errors'],
      ['lambda-throttles', 'Throttles'],
    ])("tickets on the API function's %s", (name, metricName) => {
      expect(alarmNamed(template, `${PREFIX}-${name}`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [TOPICS.ticket],
      });
    });

    it('pages when ingestion goes silent, treating missing data as breaching', () => {
      expect(alarmNamed(template, `${PREFIX}-ingestion-absent`)).toMatchObject({
        Namespace: 'TriggersAPI/Test',
        MetricName: 'EventIngestionRate',
        Statistic: 'SampleCount',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        Period: 300,
        EvaluationPeriods: 3,
        AlarmActions: [TOPICS.page],
      });
    });

    it('only tickets an ingestion silence on a stage that may sit idle', () => {
      const { stack: idle, template: idleTemplate } = synth({ trafficExpected: false });
      const ticket = { Ref: idle.getLogicalId(idle.ticketTopic.node.defaultChild as CfnTopic) };
      expect(alarmNamed(idleTemplate, `${PREFIX}-ingestion-absent`)).toMatchObject({
        AlarmActions: [ticket],
        OKActions: [ticket],
      });
    });
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

    it('draws ingestion as events accepted per second, Sum / PERIOD, not the per-invocation average', () => {
      expect(detail).toContain('accepted / PERIOD(accepted)');
      expect(detail).toMatch(/\\"EventIngestionRate\\",\{[^}]*\\"stat\\":\\"Sum\\"/);
      expect(detail).not.toMatch(/\\"EventIngestionRate\\",\{[^}]*\\"stat\\":\\"(Average|Maximum)\\"/);
    });

    it('draws the 5xx rate of every endpoint together', () => {
      expect(detail).toContain(ALL_ENDPOINTS_ERROR_RATE_TITLE);
    });

    it.each(API_ENDPOINTS.filter((e) => e !== 'GET /v1/health'))(
      'draws the load shed at %s: its OVERLOADED error responses',
      (endpoint) => {
        expect(detail).toContain(SHED_LOAD_TITLE);
        const escaped = endpoint.replace(/[{}]/g, '\\$&');
        expect(detail).toMatch(
          new RegExp(
            `\\\\"ApiErrorCount\\\\",\\\\"Endpoint\\\\",\\\\"${escaped}\\\\",\\\\"ErrorType\\\\",\\\\"OVERLOADED\\\\"`,
          ),
        );
      },
    );

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

describe('MonitoringStack with the migration state machine', () => {
  // As the app wires it: the stage's stacks, the migration's state machine given to the monitoring stack.
  const { monitoring: stack } = addTriggersApiStacks(appWithoutBundling(), { stage: 'Test', version: '1.2.3' });
  const template = Template.fromStack(stack);

  it('tickets (never pages) a failed or timed-out migration execution, with its runbook', () => {
    const alarm = alarmNamed(template, `${PREFIX}-migration-failed`);
    expect(alarm.AlarmActions).toEqual([{ Ref: stack.getLogicalId(stack.ticketTopic.node.defaultChild as CfnTopic) }]);
    expect(alarm.AlarmDescription).toMatch(/^\[ticket\]/);
    expect(alarm.AlarmDescription).toMatch(/#migration-failed$/);
    const metrics = alarm.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
    expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual([
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    expect(alarm.Threshold).toBe(1);
    expect(alarm.TreatMissingData).toBe('notBreaching');
  });
});
