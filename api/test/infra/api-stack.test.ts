import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from '../../infra/api-stack';
import { apiKeysTableDefinition, eventsTableDefinition } from '../../src/store/table-schemas';

function synth(): { template: Template } {
  // Bundling the Lambda code is left out here: the assertions are about the template.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ApiStack(app, 'TriggersApi-Test', { stage: 'Test', version: '1.2.3' });
  return { template: Template.fromStack(stack) };
}

/**
 * `<function>.<variable>` for every environment variable that holds a secret: a dynamic reference (resolved
 * to the value at deploy) or anything built from a secret resource other than its ARN (`Ref`) in a `*_ARN`.
 */
function secretsInEnvironments(template: Template): string[] {
  const secrets = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
  return Object.entries(template.findResources('AWS::Lambda::Function')).flatMap(([id, fn]) =>
    Object.entries(
      (fn.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables ?? {},
    )
      .filter(([name, value]) => {
        const text = JSON.stringify(value);
        if (/\{\{resolve:(secretsmanager|ssm-secure):/.test(text)) return true;
        const namesSecret = secrets.some((secret) => text.includes(`"${secret}"`));
        return namesSecret && !(name.endsWith('_ARN') && /^\{"Ref":"[^"]+"\}$/.test(text));
      })
      .map(([name]) => `${id}.${name}`),
  );
}

describe('ApiStack', () => {
  const { template } = synth();

  it('creates the events table from the schema module, with both indexes, TTL and point-in-time recovery', () => {
    const schema = eventsTableDefinition('triggers-api-events-test');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'triggers-api-events-test',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: schema.KeySchema,
      AttributeDefinitions: Match.arrayWith(schema.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: (schema.GlobalSecondaryIndexes ?? []).map((gsi) =>
        Match.objectLike({ IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: { ProjectionType: 'ALL' } }),
      ),
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('creates the keys table from the schema module', () => {
    const schema = apiKeysTableDefinition('triggers-api-keys-test');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'triggers-api-keys-test',
      KeySchema: schema.KeySchema,
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('keeps the tables when the stack is deleted', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.values(tables).map((t) => t.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  it('runs the Koa app on nodejs22.x with EMF metrics, the cursor secret by ARN and the version', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          STAGE: 'Test',
          METRICS_SINK: 'emf',
          APP_VERSION: '1.2.3',
          NODE_OPTIONS: '--experimental-async-context-frame',
          CURSOR_SECRET_ARN: { Ref: Match.stringLikeRegexp('CursorSecret') },
          EVENTS_TABLE: { Ref: Match.stringLikeRegexp('EventsTable') },
          API_KEYS_TABLE: { Ref: Match.stringLikeRegexp('ApiKeysTable') },
        }),
      },
    });
  });

  /** The statements of the policies attached to the role of the function whose logical id starts with `prefix`. */
  function statementsOf(prefix: string): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
    const functions = template.findResources('AWS::Lambda::Function');
    const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(prefix)) ?? [];
    const role = (fn?.Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role['Fn::GetAtt'][0];
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties as { Roles: { Ref: string }[] }).Roles.some((r) => r.Ref === role))
      .flatMap((p) => (p.Properties as { PolicyDocument: { Statement: never[] } }).PolicyDocument.Statement);
  }

  it('grants the API only the item operations it uses: read and write events, read keys, read its secret', () => {
    const statements = statementsOf('Handler');
    const dynamodbActions = statements
      .map((s) => ([] as string[]).concat(s.Action))
      .filter((actions) => actions.some((a) => a.startsWith('dynamodb:')));
    expect(
      statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('secretsmanager:'))),
    ).toEqual([
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/^CursorSecret/) },
      }),
    ]);
    expect(dynamodbActions).toEqual(
      [
        [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:DescribeTable',
        ],
        'dynamodb:GetItem',
      ].map((a) => ([] as string[]).concat(a)),
    );
  });

  it('puts an HTTP API (payload v2) with access logs in front of the function', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('keeps function logs for 30 days', () => {
    // The API's function and HTTP API, the control resource's function and its provider framework.
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 4);
  });

  it('holds no secret, and no reference that would resolve to one, in any function environment', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).length).toBeGreaterThan(1);
    expect(secretsInEnvironments(template)).toEqual([]);
  });

  it('would report a secret value placed in an environment', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ApiStack(app, 'TriggersApi-Leaky', { stage: 'Test', version: '1.2.3' });
    stack.handler.addEnvironment('CURSOR_SECRET', stack.cursorSecret.secretValue.unsafeUnwrap());
    stack.handler.addEnvironment('CURSOR_SECRET_NAME', stack.cursorSecret.secretName);

    expect(secretsInEnvironments(Template.fromStack(stack))).toEqual([
      expect.stringMatching(/^Handler\w+\.CURSOR_SECRET$/),
      expect.stringMatching(/^Handler\w+\.CURSOR_SECRET_NAME$/),
    ]);
  });

  it('marks the events table verified at deploy through a custom resource that may write the control partition only', () => {
    template.hasResourceProperties('Custom::EventIdIndexControl', {
      TableName: { Ref: Match.stringLikeRegexp('EventsTable') },
    });
    const statements = statementsOf('EventIdIndexControlOnEvent');
    const put = statements.filter((s) => ([] as string[]).concat(s.Action).includes('dynamodb:PutItem'));
    expect(put).toEqual([
      expect.objectContaining({
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#control'] } },
      }),
    ]);
    expect(statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort()).toEqual([
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
    ]);
  });

  it('passes the AwsSolutions checks at synth, with each accepted finding acknowledged in code', () => {
    const checked = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new ApiStack(checked, 'TriggersApi-Checked', { stage: 'Test', version: '1.2.3' });
    Validations.of(checked).addPlugins(new AwsSolutionsChecks(checked));
    // Synth fails when a check reports a finding nobody acknowledged.
    const assembly = checked.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        conclusion: string;
        violations: unknown[];
        suppressedViolations: { acknowledgedId?: string; reason: string }[];
      }[];
    };
    expect(report.pluginReports[0]?.conclusion).toBe('success');
    expect(report.pluginReports[0]?.violations).toEqual([]);
    for (const acknowledged of report.pluginReports[0]?.suppressedViolations ?? []) {
      expect(acknowledged.reason.length).toBeGreaterThan(20);
    }
  });

  it('refuses a stage name that cannot be part of resource names', () => {
    expect(() => new ApiStack(new App(), 'Bad', { stage: 'prod/eu', version: '1' })).toThrow(
      "ApiStack: stage must be 1-32 letters, digits or '-', starting with a letter; got 'prod/eu'",
    );
  });
});
