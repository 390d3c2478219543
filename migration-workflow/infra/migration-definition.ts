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

const PLACEHOLDER_ACCOUNT = '000000000000';

/**
 * The migration's ASL exactly as the CDK construct synthesizes it, with CloudFormation tokens (ARNs,
 * partition) replaced by placeholders: what the local runner executes instead of a hand-written copy.
 */
export function synthesizedMigrationDefinition(tableName: string): AslDefinition {
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

/** The ASL of the (single) state machine in a synthesized template, CloudFormation tokens replaced by placeholders. */
export function aslFromTemplate(template: Template): AslDefinition {
  const machines = template.findResources('AWS::StepFunctions::StateMachine') as Record<
    string,
    { Properties: { DefinitionString: { 'Fn::Join': [string, (string | CfnToken)[]] } | string } }
  >;
  const body = Object.values(machines)[0]?.Properties.DefinitionString ?? '{}';
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : placeholder(part))).join('');
  return JSON.parse(text) as AslDefinition;
}
