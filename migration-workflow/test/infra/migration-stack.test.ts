import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { addTriggersApiStacks } from '../../../cdk-stacks';
import { aslFromTemplate } from '../../infra/migration-definition';

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

  it('runs the state machine with execution logging and tracing, and lets it change only the events table', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'dynamodb:updateTable', Resource: Match.anyValue() })]),
      },
    });
  });

  it('deploys a definition that passes asl-validator', () => {
    const result = aslValidator(aslFromTemplate(template), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
  });

  it('is watched by the monitoring stack: a failed execution raises an alarm with a runbook link', () => {
    Template.fromStack(monitoring).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TriggersApi-Test-migration-failed',
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('Runbook: https://.*#migration-failed'),
      AlarmActions: [Match.anyValue()],
    });
  });
});
