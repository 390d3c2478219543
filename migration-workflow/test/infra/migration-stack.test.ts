import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Match, Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { addTriggersApiStacks } from '../../../cdk-stacks';
import { aslFromTemplate } from '../../infra/migration-definition';
import { DERIVED_INDEX_NAMES, INBOX_INDEX } from '../../../contract/table-schemas';

describe('MigrationStack', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { migration, monitoring } = addTriggersApiStacks(app, { stage: 'Test', version: '0.0.0-test' });
  const template = Template.fromStack(migration);

  it('deploys the backfill and verify functions on nodejs22.x with their own timeouts', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.backfill',
      Runtime: 'nodejs22.x',
      Timeout: 300,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.verify',
      Runtime: 'nodejs22.x',
      Timeout: 900,
    });
  });

  it('grants the backfill only scan, update and describe on the events table', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
  });

  it('lets verification read every derived index by name, no other index', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    for (const name of DERIVED_INDEX_NAMES) expect(policies).toContain(`/index/${name}"`);
    expect(policies).not.toContain('/index/*');
    expect(policies).not.toContain(`/index/${INBOX_INDEX}`);
  });

  it('gives the functions inline grants on their own log groups, not AWSLambdaBasicExecutionRole', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('AWSLambdaBasicExecutionRole');
    for (const name of ['Backfill', 'Verify']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${name}Logs`), 'Arn'] },
            }),
          ]),
        },
      });
    }
  });

  it('delivers the execution logs to a vended-logs group named after the state machine', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/TriggersApi-Test-Migration-event-id-index',
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'TriggersApi-Test-Migration-event-id-index',
    });
  });

  it("never changes the stack table's indexes: no UpdateTable without legacy tables", () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/updateTable/i);
  });

  it('grants UpdateTable on the legacy tables named in context migrationLegacyTables, and on them only', () => {
    const legacyApp = new App({
      context: { 'aws:cdk:bundling-stacks': [], migrationLegacyTables: 'legacy-events-a,legacy-events-b' },
    });
    const legacy = Template.fromStack(addTriggersApiStacks(legacyApp, { stage: 'Test', version: '0' }).migration);
    const statement = Object.values(legacy.findResources('AWS::IAM::Policy'))
      .flatMap(
        (policy) =>
          (policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      )
      .find((s) => s.Action === 'dynamodb:updateTable');
    expect(JSON.stringify(statement?.Resource)).toMatch(/table\/legacy-events-a.*table\/legacy-events-b/);
    expect(JSON.stringify(statement?.Resource)).not.toContain('ImportValue');
  });

  it('runs the state machine with execution logging and tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  it('deploys a definition that passes asl-validator', () => {
    const { segmentDefinition, ...main } = aslFromTemplate(template);
    expect(segmentDefinition).toBeDefined();
    for (const asl of [main, segmentDefinition]) {
      expect(aslValidator(asl, { checkPaths: true, checkArn: true }).errorsText('\n')).toBe('');
    }
  });

  it('is watched by the monitoring stack: a failed or timed-out execution raises an alarm with a runbook link', () => {
    const stateMetric = (name: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: name, Namespace: 'AWS/States' }) }),
      });
    Template.fromStack(monitoring).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TriggersApi-Test-migration-failed',
      Metrics: Match.arrayWith([stateMetric('ExecutionsFailed'), stateMetric('ExecutionsTimedOut')]),
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('Runbook: https://.*#migration-failed'),
      AlarmActions: [Match.anyValue()],
    });
  });

  it.each([
    ['the stack table only', ''],
    ['legacy tables as well', 'legacy-events-a'],
  ])('passes the AwsSolutions checks with %s, each acknowledgement matching a real finding', (_, legacyTables) => {
    const checked = new App({ context: { 'aws:cdk:bundling-stacks': [], migrationLegacyTables: legacyTables } });
    const stacks = addTriggersApiStacks(checked, { stage: 'Checked', version: '0.0.0-test' });
    Validations.of(stacks.migration).addPlugins(new AwsSolutionsChecks(stacks.migration));
    const assembly = checked.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        conclusion: string;
        violations: unknown[];
        suppressedViolations: { acknowledgedId?: string }[];
      }[];
    };
    expect(report.pluginReports[0]?.violations).toEqual([]);
    expect(report.pluginReports[0]?.conclusion).toBe('success');
    const acknowledged = (report.pluginReports[0]?.suppressedViolations ?? []).map((v) => v.acknowledgedId);
    expect(acknowledged.some((id) => id?.includes('IAM4'))).toBe(false);
    expect(acknowledged.some((id) => id?.includes('/index/*'))).toBe(false);
  });
});
