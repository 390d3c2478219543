import * as path from 'node:path';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { HttpApi, type CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CONTROL_TENANT } from '../../contract/control-record';
import { apiKeysTableDefinition, eventsTableDefinition, EVENTS_TTL_ATTRIBUTE } from '../../contract/table-schemas';
import { apiLimits, type ApiLimits } from './api-limits';
import { accessLogFormat } from './http-api-access-log';
import { functionLogsAndRole } from '../../platform/function-logs';
import { lambdaBundling } from '../../platform/lambda-bundling';

export interface ApiStackProps extends StackProps {
  /** Stage name, used in resource names and the metric namespace (e.g. `Production`). */
  readonly stage: string;
  /** Package version reported by `/v1/health`. */
  readonly version: string;
  /** Days the function's logs are kept (default 30). */
  readonly logRetentionDays?: logs.RetentionDays;
  /**
   * Stage throttling and the function's reserved concurrency (default `DEFAULT_API_LIMITS`, derived from the
   * SLO's ingestion objective). Lower `reservedConcurrency` where the account's concurrency quota is small.
   */
  readonly limits?: Partial<ApiLimits>;
  /**
   * The derived indexes the events table declares (default all of DERIVED_INDEXES). CloudFormation adds
   * one GSI per stack update, so a table that already exists takes them one deploy at a time.
   */
  readonly derivedIndexes?: readonly string[];
}

/** Events and keys tables, the Koa app as a Lambda function, and the HTTP API in front of it. */
export class ApiStack extends Stack {
  readonly eventsTable: dynamodb.Table;
  readonly apiKeysTable: dynamodb.Table;
  readonly handler: NodejsFunction;
  readonly cursorSecret: secretsmanager.Secret;
  readonly indexControl: EventIdIndexControl;
  readonly httpApi: HttpApi;
  readonly logGroup: logs.LogGroup;
  readonly accessLogGroup: logs.LogGroup;
  readonly limits: ApiLimits;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const stage = props.stage.toLowerCase();
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(stage)) {
      throw new Error(
        `ApiStack: stage must be 1-32 letters, digits or '-', starting with a letter; got '${props.stage}'`,
      );
    }
    this.limits = apiLimits(props.limits);

    this.eventsTable = tableFrom(
      this,
      'EventsTable',
      eventsTableDefinition(`triggers-api-events-${stage}`, derivedIndexesOption(props)),
      {
        timeToLiveAttribute: EVENTS_TTL_ATTRIBUTE,
      },
    );
    this.apiKeysTable = tableFrom(this, 'ApiKeysTable', apiKeysTableDefinition(`triggers-api-keys-${stage}`));

    // A table this deploy creates is marked verified, so the API never scans on it (DESIGN §4).
    this.indexControl = new EventIdIndexControl(this, 'EventIdIndexControl', { table: this.eventsTable });

    // Cursors must verify on every instance: one secret shared by all of them, read at run time.
    const cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      // The generated value is a bare key (read as the current key); rotation writes JSON (docs/DEPLOY.md).
      description: 'HMAC key signing inbox cursors: a bare key, or {"current": "...", "previous": "..."}',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    // Its own role with inline grants: the managed AWSLambdaBasicExecutionRole would allow writing to any log group.
    const { logGroup, role: handlerRole } = functionLogsAndRole(this, 'Handler', {
      retention: props.logRetentionDays ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
      description: 'The Triggers API function: its log group, its tables and indexes, the cursor secret',
    });
    this.logGroup = logGroup;

    this.handler = new NodejsFunction(this, 'Handler', {
      entry: path.join(__dirname, '..', 'src', 'lambda.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      role: handlerRole,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      // A cap as well as a reservation: a flood cannot take the concurrency the account's other functions need.
      reservedConcurrentExecutions: this.limits.reservedConcurrency,
      environment: {
        EVENTS_TABLE: this.eventsTable.tableName,
        API_KEYS_TABLE: this.apiKeysTable.tableName,
        STAGE: props.stage,
        METRICS_SINK: 'emf',
        APP_VERSION: props.version,
        // The secret's ARN, not its value: the function reads the value from Secrets Manager when it starts.
        CURSOR_SECRET_ARN: cursorSecret.secretArn,
        // Cheaper AsyncLocalStorage for the request context on every log line. No --enable-source-maps: the
        // bundle ships without a source map (lambda-bundling.ts).
        NODE_OPTIONS: '--experimental-async-context-frame',
      },
      // pino-pretty is loaded only for LOG_FORMAT=pretty on a developer's machine.
      bundling: lambdaBundling({ externalModules: ['pino-pretty'] }),
    });
    this.cursorSecret = cursorSecret;
    // Least privilege: reading this one secret's value, nothing else (grantRead would add DescribeSecret).
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [cursorSecret.secretArn] }),
    );
    // Least privilege: the item operations the API uses on the events table, and queries on the indexes the
    // schema module names (not `index/*`: an index a later migration adds is granted when the schema names it).
    const eventsSchema = eventsTableDefinition(`triggers-api-events-${stage}`, derivedIndexesOption(props));
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:DescribeTable',
        ],
        resources: [this.eventsTable.tableArn],
      }),
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: (eventsSchema.GlobalSecondaryIndexes ?? []).map(
          (gsi) => `${this.eventsTable.tableArn}/index/${gsi.IndexName}`,
        ),
      }),
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.apiKeysTable.tableArn] }),
    );

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `triggers-api-${stage}`,
      defaultIntegration: new HttpLambdaIntegration('Handler', this.handler),
    });
    this.accessLogGroup = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      retention: props.logRetentionDays ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Set on the default stage itself: a stage of its own would replace the live `$default` stage.
    const stageResource = this.httpApi.defaultStage?.node.defaultChild as CfnStage;
    stageResource.accessLogSettings = {
      destinationArn: this.accessLogGroup.logGroupArn,
      format: accessLogFormat(),
    };
    // Past these, API Gateway answers 429 without invoking the function.
    stageResource.defaultRouteSettings = {
      throttlingRateLimit: this.limits.throttleRatePerSecond,
      throttlingBurstLimit: this.limits.throttleBurst,
    };

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint });

    // Findings of the AwsSolutions checks that are accepted, each with its reason.
    Validations.of(handlerRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions',
    });
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'The project targets Node.js 22 (nodejs22.x), the runtime its local toolchain and tests use',
    });
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason: 'Requests are authenticated by the application with X-API-Key against the hashed keys table',
    });
    Validations.of(cursorSecret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'An operator rotates the cursor key by hand with the two-key procedure of docs/DEPLOY.md (sign with the current key, accept the previous one); a scheduled rotation function would drop the previous key',
    });
  }
}

/** A CDK table from the schema module's CreateTable input, so the schema is written once. */
export function tableFrom(
  scope: Construct,
  id: string,
  input: CreateTableCommandInput,
  extra: Partial<dynamodb.TableProps> = {},
): dynamodb.Table {
  const types = new Map((input.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
  const attribute = (name: string | undefined): dynamodb.Attribute => {
    const type = types.get(name);
    if (!name || !type) throw new Error(`table ${input.TableName}: no attribute definition for key '${name}'`);
    return {
      name,
      type:
        type === 'N'
          ? dynamodb.AttributeType.NUMBER
          : type === 'B'
            ? dynamodb.AttributeType.BINARY
            : dynamodb.AttributeType.STRING,
    };
  };
  const key = (schema: { AttributeName?: string; KeyType?: string }[] | undefined, kind: 'HASH' | 'RANGE') =>
    schema?.find((k) => k.KeyType === kind)?.AttributeName;

  const table = new dynamodb.Table(scope, id, {
    tableName: input.TableName,
    partitionKey: attribute(key(input.KeySchema, 'HASH')),
    ...(key(input.KeySchema, 'RANGE') ? { sortKey: attribute(key(input.KeySchema, 'RANGE')) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // Retained when the stack goes, and not deletable by any API call until protection is turned off.
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    ...extra,
  });
  for (const gsi of input.GlobalSecondaryIndexes ?? []) {
    const sortKey = key(gsi.KeySchema, 'RANGE');
    table.addGlobalSecondaryIndex({
      indexName: gsi.IndexName ?? '',
      partitionKey: attribute(key(gsi.KeySchema, 'HASH')),
      ...(sortKey ? { sortKey: attribute(sortKey) } : {}),
      ...projectionOf(input.TableName, gsi),
    });
  }
  return table;
}

/** The schema's projection of an index, as CDK's index options. */
function projectionOf(
  tableName: string | undefined,
  gsi: GlobalSecondaryIndex,
): Pick<dynamodb.GlobalSecondaryIndexProps, 'projectionType' | 'nonKeyAttributes'> {
  const { ProjectionType, NonKeyAttributes } = gsi.Projection ?? {};
  switch (ProjectionType) {
    case 'ALL':
      return { projectionType: dynamodb.ProjectionType.ALL };
    case 'KEYS_ONLY':
      return { projectionType: dynamodb.ProjectionType.KEYS_ONLY };
    case 'INCLUDE':
      return { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: NonKeyAttributes ?? [] };
    default:
      throw new Error(
        `table ${tableName}: index ${gsi.IndexName} needs a projection type of ALL, KEYS_ONLY or INCLUDE; got ${String(ProjectionType)}`,
      );
  }
}

/** Lets a function write to its own log group only (what AWSLambdaBasicExecutionRole allows on every group). */
export interface EventIdIndexControlProps {
  /** The events table, created with `event-id-index`. */
  readonly table: dynamodb.Table;
}

/**
 * `Custom::EventIdIndexControl`: when the stack creates the events table (or first adds this resource),
 * marks `event-id-index` verified if the table holds no events yet, by writing the control record the API
 * reads (api/src/deploy/event-id-index-control-resource.ts). A table that already holds events is left
 * unverified for the migration to backfill and verify.
 */
export class EventIdIndexControl extends Construct {
  readonly onEvent: NodejsFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: EventIdIndexControlProps) {
    super(scope, id);
    // Roles of their own with inline grants on their own log groups (no AWSLambdaBasicExecutionRole).
    const { logGroup: onEventLogs, role: onEventRole } = functionLogsAndRole(this, 'OnEvent', {
      removalPolicy: RemovalPolicy.DESTROY,
      description: 'Custom::EventIdIndexControl handler: its log group and the control partition',
    });
    this.onEvent = new NodejsFunction(this, 'OnEvent', {
      entry: path.join(__dirname, '..', 'src', 'deploy', 'event-id-index-control-resource.ts'),
      handler: 'onEvent',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(1),
      role: onEventRole,
      logGroup: onEventLogs,
      bundling: lambdaBundling({ externalModules: ['pino-pretty'] }),
    });
    // On the table alone (not its indexes); it may write the control partition only, never an event.
    this.onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Scan'],
        resources: [props.table.tableArn],
      }),
    );
    this.onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROL_TENANT] } },
      }),
    );
    const { logGroup: providerLogs, role: providerRole } = functionLogsAndRole(this, 'Provider', {
      removalPolicy: RemovalPolicy.DESTROY,
      description: "CDK's provider framework for Custom::EventIdIndexControl: its log group, invoking the handler",
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEvent,
      frameworkOnEventRole: providerRole,
      logGroup: providerLogs,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::EventIdIndexControl',
      properties: { TableName: props.table.tableName },
    });

    Validations.of(this.onEvent).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'The project targets Node.js 22 (nodejs22.x), the runtime its local toolchain and tests use',
    });
    Validations.of(providerRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.onEvent.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason: "CDK's provider framework invokes the handler by any of its versions",
    });
  }
}

/** The schema options for the stack's declared derived indexes (all, unless the props name some). */
function derivedIndexesOption(props: ApiStackProps): { derivedIndexes?: readonly string[] } {
  return props.derivedIndexes ? { derivedIndexes: props.derivedIndexes } : {};
}
