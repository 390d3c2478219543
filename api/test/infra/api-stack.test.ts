import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Projection } from '@aws-sdk/client-dynamodb';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack, tableFrom } from '../../infra/api-stack';
import { DEFAULT_API_LIMITS, defaultApiLimits } from '../../infra/api-limits';
import { SLO_SPEC } from '../../../contract/slo-spec';
import { HTTP_API_ACCESS_LOG_FORMAT, accessLogFormat } from '../../infra/http-api-access-log';
import {
  apiKeysTableDefinition,
  EVENT_ID_INDEX,
  eventsTableDefinition,
  INBOX_INDEX,
  INBOX_SOURCE_INDEX,
  INBOX_TYPE_INDEX,
} from '../../../contract/table-schemas';
import { addTriggersApiStacks } from '../../../cdk-stacks';

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
        Match.objectLike({ IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: gsi.Projection }),
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

  it('keeps the tables when the stack is deleted, and protects both from deletion', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables.map((t) => t.DeletionPolicy)).toEqual(['Retain', 'Retain']);
    expect(
      tables.map((t) => (t.Properties as { DeletionProtectionEnabled?: boolean }).DeletionProtectionEnabled),
    ).toEqual([true, true]);
  });

  it.each<Projection>([
    { ProjectionType: 'KEYS_ONLY' },
    { ProjectionType: 'INCLUDE', NonKeyAttributes: ['source', 'event_type'] },
    { ProjectionType: 'ALL' },
  ])('gives an index the projection its schema declares (%p)', (projection) => {
    const schema = eventsTableDefinition('projections');
    const stack = new Stack(new App(), 'Projections');
    tableFrom(stack, 'Table', {
      ...schema,
      GlobalSecondaryIndexes: (schema.GlobalSecondaryIndexes ?? []).map((gsi) => ({ ...gsi, Projection: projection })),
    });

    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
    const indexes = (table?.Properties as { GlobalSecondaryIndexes: { Projection: unknown }[] }).GlobalSecondaryIndexes;
    expect(indexes.map((gsi) => gsi.Projection)).toEqual(indexes.map(() => projection));
  });

  it('refuses an index whose schema declares no projection type', () => {
    const schema = eventsTableDefinition('no-projection');
    const [first] = schema.GlobalSecondaryIndexes ?? [];
    expect(() =>
      tableFrom(new Stack(new App(), 'NoProjection'), 'Table', {
        ...schema,
        GlobalSecondaryIndexes: [{ ...first, Projection: {} }],
      }),
    ).toThrow(`table no-projection: index ${first?.IndexName} needs a projection type of ALL, KEYS_ONLY or INCLUDE`);
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
          // The bundle ships no source map, so nothing asks Node to load one (`--enable-source-maps`).
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

  it('grants the API only the item operations it uses: read and write events, query the named indexes, read keys, read its secret', () => {
    const statements = statementsOf('Handler');
    const dynamodb = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(
      statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('secretsmanager:'))),
    ).toEqual([
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/^CursorSecret/) },
      }),
    ]);
    const eventsTableArn = { 'Fn::GetAtt': [expect.stringMatching(/^EventsTable/), 'Arn'] };
    const indexArn = (name: string) => ({ 'Fn::Join': ['', [eventsTableArn, `/index/${name}`]] });
    expect(dynamodb).toEqual([
      expect.objectContaining({
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:DescribeTable',
        ],
        Resource: eventsTableArn,
      }),
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Resource: (eventsTableDefinition('x').GlobalSecondaryIndexes ?? []).map((gsi) => indexArn(gsi.IndexName ?? '')),
      }),
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ApiKeysTable/), 'Arn'] },
      }),
    ]);
    expect(JSON.stringify(statements)).not.toContain('/index/*');
  });

  it('grants the API every DynamoDB operation its event store sends, on the events table', () => {
    // The document client's commands, by the DynamoDB operation each one is.
    const operations: Record<string, string> = {
      Get: 'GetItem',
      Put: 'PutItem',
      BatchWrite: 'BatchWriteItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      Query: 'Query',
      Scan: 'Scan',
      DescribeTable: 'DescribeTable',
    };
    const sources = ['api/src/store/dynamodb-event-store.ts', 'api/src/store/index-control.ts'];
    const used = new Set(
      sources.flatMap((file) =>
        [...readFileSync(join(__dirname, '../../..', file), 'utf8').matchAll(/new (\w+)Command\(/g)].map(
          (match) => `dynamodb:${operations[match[1] ?? ''] ?? `unknown ${match[1]}`}`,
        ),
      ),
    );
    const granted = statementsOf('Handler')
      .filter(
        (s) => JSON.stringify(s.Resource).includes('EventsTable') && !JSON.stringify(s.Resource).includes('/index/'),
      )
      .flatMap((s) => ([] as string[]).concat(s.Action));
    // Scan is the deploy resource's (markIndexesVerifiedIfEmpty), which has a role of its own.
    used.delete('dynamodb:Scan');
    expect(used.size).toBeGreaterThanOrEqual(6);
    expect([...used].filter((operation) => !granted.includes(operation))).toEqual([]);
  });

  it('declares only the derived indexes context eventsTableIndexes names (one more per deploy on an existing table), and refuses an unknown one', () => {
    const stepApp = new App({
      context: { 'aws:cdk:bundling-stacks': [], eventsTableIndexes: `${EVENT_ID_INDEX},${INBOX_SOURCE_INDEX}` },
    });
    const stacks = addTriggersApiStacks(stepApp, { stage: 'Step', version: '0' });
    const tables = Template.fromStack(stacks.api).findResources('AWS::DynamoDB::Table');
    const events = Object.entries(tables).find(([id]) => id.startsWith('EventsTable'))?.[1] as {
      Properties: { GlobalSecondaryIndexes: { IndexName: string }[] };
    };
    expect(events.Properties.GlobalSecondaryIndexes.map((gsi) => gsi.IndexName)).toEqual([
      INBOX_INDEX,
      EVENT_ID_INDEX,
      INBOX_SOURCE_INDEX,
    ]);
    const widgets = JSON.stringify(Template.fromStack(stacks.monitoring).findResources('AWS::CloudWatch::Dashboard'));
    expect(widgets).toContain(INBOX_SOURCE_INDEX);
    expect(widgets).not.toContain(INBOX_TYPE_INDEX);

    const unknown = new App({ context: { 'aws:cdk:bundling-stacks': [], eventsTableIndexes: 'no-such-index' } });
    expect(() => addTriggersApiStacks(unknown, { stage: 'Bad', version: '0' })).toThrow(
      /No derived index no-such-index/,
    );
  });

  it('attaches no AWSLambdaBasicExecutionRole: each function may write to its own log group only', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThan(0);
    expect(
      roles.flatMap((role) => (role.Properties as { ManagedPolicyArns?: unknown[] }).ManagedPolicyArns ?? []),
    ).toEqual([]);
    for (const [prefix, logGroup] of [
      ['Handler', /^HandlerLogs/],
      ['EventIdIndexControlOnEvent', /^EventIdIndexControlOnEventLogs/],
      ['EventIdIndexControlProviderframeworkonEvent', /^EventIdIndexControlProviderLogs/],
    ] as const) {
      const logStatements = statementsOf(prefix).filter((s) =>
        ([] as string[]).concat(s.Action).some((a) => a.startsWith('logs:')),
      );
      expect({ prefix, logStatements }).toEqual({
        prefix,
        logStatements: [
          expect.objectContaining({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [expect.stringMatching(logGroup), 'Arn'] },
          }),
        ],
      });
    }
  });

  it('puts an HTTP API (payload v2) with access logs in front of the function', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it("logs the route, API Gateway's own error and the integration's error of every request", () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const format = (stage?.Properties as { AccessLogSettings: { Format: string } }).AccessLogSettings.Format;
    expect(format).toBe(accessLogFormat());
    expect(Object.values(HTTP_API_ACCESS_LOG_FORMAT)).toEqual(
      expect.arrayContaining([
        '$context.requestId',
        '$context.routeKey',
        '$context.status',
        '$context.error.messageString',
        '$context.integrationErrorMessage',
      ]),
    );
    // As API Gateway fills it in: messageString arrives quoted and escaped, the others bare inside quotes.
    const line = format.replace(/\$context\.[A-Za-z.]+/g, (variable) =>
      variable === '$context.error.messageString' ? JSON.stringify('Bad "quoted" \\ input') : 'x',
    );
    expect(JSON.parse(line)).toMatchObject({ errorMessage: 'Bad "quoted" \\ input', routeKey: 'x' });
  });

  it('throttles the stage and reserves (and caps) the function concurrency, by default from the SLO', () => {
    expect(DEFAULT_API_LIMITS).toEqual({ throttleRatePerSecond: 3000, throttleBurst: 300, reservedConcurrency: 300 });
    // They follow the SLO spec: a higher ingestion objective raises them.
    const doubled = { ...SLO_SPEC, ingestion: { ...SLO_SPEC.ingestion, minimumEventsPerSecond: 2000 } };
    expect(defaultApiLimits(doubled)).toEqual({
      throttleRatePerSecond: 6000,
      throttleBurst: 600,
      reservedConcurrency: 600,
    });
    // API Gateway never lets through at once more than Lambda may run.
    expect(DEFAULT_API_LIMITS.throttleBurst).toBeLessThanOrEqual(DEFAULT_API_LIMITS.reservedConcurrency);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 3000, ThrottlingBurstLimit: 300 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ CURSOR_SECRET_ARN: Match.anyValue() }) },
      ReservedConcurrentExecutions: 300,
    });
  });

  it("takes a stage's own limits", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ApiStack(app, 'TriggersApi-Small', {
      stage: 'Small',
      version: '1',
      limits: { throttleRatePerSecond: 100, throttleBurst: 50, reservedConcurrency: 20 },
    });
    const small = Template.fromStack(stack);

    small.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 },
    });
    small.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 20,
    });
  });

  it.each([
    [{ reservedConcurrency: 0 }, 'ApiStack: limits.reservedConcurrency must be a positive integer; got 0'],
    [{ throttleRatePerSecond: 1.5 }, 'ApiStack: limits.throttleRatePerSecond must be a positive integer; got 1.5'],
  ])('refuses limits %p', (limits, message) => {
    expect(() => new ApiStack(new App(), 'Bad', { stage: 'Test', version: '1', limits })).toThrow(message);
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
      'logs:CreateLogStream',
      'logs:PutLogEvents',
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
