import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EventIdIndexMigration } from './event-id-index-migration';

/** An ASL document: what Step Functions runs. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}

/** The migration's definition with the segment state machine its `Run segment` task starts (not ASL: the runner takes it off). */
export type MigrationDefinition = AslDefinition & { segmentDefinition?: AslDefinition };

const PLACEHOLDER_ACCOUNT = '000000000000';

/**
 * The migration's ASL exactly as the CDK construct synthesizes it, with CloudFormation tokens (ARNs,
 * partition) replaced by placeholders: what the local runner executes instead of a hand-written copy.
 */
export function synthesizedMigrationDefinition(tableName: string): MigrationDefinition {
  const stack = new Stack(new App(), 'LocalMigration', { env: { account: PLACEHOLDER_ACCOUNT, region: 'us-east-1' } });
  const fn = (id: string): lambda.IFunction =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:us-east-1:${PLACEHOLDER_ACCOUNT}:function:${id}`);
  // Locally every table is outside CloudFormation: the migration may create (and roll back) the index.
  const table = dynamodb.Table.fromTableName(stack, 'Events', tableName);
  new EventIdIndexMigration(stack, 'Migration', {
    tables: [table],
    indexOwnedTables: [table],
    stateMachineName: 'event-id-index-migration',
    backfillFunction: fn('backfill'),
    verifyFunction: fn('verify'),
  });
  return aslFromTemplate(Template.fromStack(stack));
}

type CfnToken = { Ref: string } | { 'Fn::GetAtt': [string, string] } | { 'Fn::ImportValue': string };

/**
 * A placeholder for a CloudFormation token inside the definition: the partition becomes `aws`, a
 * function's `Arn` a well-formed Lambda ARN named after its logical id (functions are the only
 * resources the definition names by ARN), any other reference the referenced name.
 */
function placeholder(token: CfnToken): string {
  if ('Ref' in token) return token.Ref === 'AWS::Partition' ? 'aws' : token.Ref;
  if ('Fn::GetAtt' in token) {
    const [logicalId] = token['Fn::GetAtt'];
    return `arn:aws:lambda:us-east-1:${PLACEHOLDER_ACCOUNT}:function:${logicalId}`;
  }
  return token['Fn::ImportValue'];
}

/** The ASL of one state machine resource, CloudFormation tokens replaced by placeholders. */
function aslOf(resource: {
  Properties: { DefinitionString: { 'Fn::Join': [string, (string | CfnToken)[]] } | string };
}): AslDefinition {
  const body = resource.Properties.DefinitionString;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : placeholder(part))).join('');
  return JSON.parse(text) as AslDefinition;
}

/**
 * The ASL of the migration's state machine in a synthesized template, CloudFormation tokens replaced by
 * placeholders, with the segment state machine (logical id `...SegmentStateMachine...`) alongside.
 */
export function aslFromTemplate(template: Template): MigrationDefinition {
  const machines = Object.entries(
    template.findResources('AWS::StepFunctions::StateMachine') as Record<
      string,
      { Properties: { DefinitionString: { 'Fn::Join': [string, (string | CfnToken)[]] } | string } }
    >,
  );
  const segment = machines.find(([id]) => id.includes('SegmentStateMachine'));
  const main = machines.find(([id]) => !id.includes('SegmentStateMachine'));
  if (!main) return { StartAt: '', States: {} };
  return { ...aslOf(main[1]), ...(segment && { segmentDefinition: aslOf(segment[1]) }) };
}
