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

/** The names of the two functions in the synthesized definition: a Lambda task's Resource ends with `:function:<name>`. */
export const BACKFILL_FUNCTION = 'backfill';
export const VERIFY_FUNCTION = 'verify';

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
    backfillFunction: fn(BACKFILL_FUNCTION),
    verifyFunction: fn(VERIFY_FUNCTION),
  });
  return aslFromTemplate(Template.fromStack(stack));
}

type CfnToken = { Ref: string } | { 'Fn::GetAtt': [string, string] } | { 'Fn::ImportValue': string };

/**
 * A placeholder for a CloudFormation token inside the definition: the partition becomes `aws`, a
 * function's `Arn` a well-formed Lambda ARN named after the export its handler runs (`backfill`,
 * `verify`: the names the local runner dispatches on) or else its logical id (functions are the only
 * resources the definition names by ARN), any other reference the referenced name.
 */
function placeholder(token: CfnToken, functionNames: Record<string, string>): string {
  if ('Ref' in token) return token.Ref === 'AWS::Partition' ? 'aws' : token.Ref;
  if ('Fn::GetAtt' in token) {
    const [logicalId] = token['Fn::GetAtt'];
    return `arn:aws:lambda:us-east-1:${PLACEHOLDER_ACCOUNT}:function:${functionNames[logicalId] ?? logicalId}`;
  }
  return token['Fn::ImportValue'];
}

/** The ASL of one state machine resource, CloudFormation tokens replaced by placeholders. */
function aslOf(
  resource: {
    Properties: { DefinitionString: { 'Fn::Join': [string, (string | CfnToken)[]] } | string };
  },
  functionNames: Record<string, string>,
): AslDefinition {
  const body = resource.Properties.DefinitionString;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : placeholder(part, functionNames)))
          .join('');
  return JSON.parse(text) as AslDefinition;
}

/** The template's functions by logical id, named after the export their handler runs (`index.backfill` -> `backfill`). */
function functionNamesOf(template: Template): Record<string, string> {
  const functions = template.findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Handler?: string } }
  >;
  return Object.fromEntries(
    Object.entries(functions).flatMap(([id, fn]) => {
      const exported = fn.Properties.Handler?.split('.').pop();
      return exported ? [[id, exported]] : [];
    }),
  );
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
  const names = functionNamesOf(template);
  return { ...aslOf(main[1], names), ...(segment && { segmentDefinition: aslOf(segment[1], names) }) };
}
