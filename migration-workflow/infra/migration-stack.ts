import * as path from 'node:path';
import { CfnOutput, Duration, Stack, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { functionLogsAndRole } from '../../platform/function-logs';
import { lambdaBundling } from '../../platform/lambda-bundling';
import { DERIVED_INDEX_NAMES } from '../../contract/table-schemas';
import { EventIdIndexMigration } from './event-id-index-migration';

export interface MigrationStackProps extends StackProps {
  /**
   * The stage's events table. Its derived indexes are declared by CloudFormation: the migration verifies
   * and marks them, and may neither create nor delete them (no UpdateTable on this table).
   */
  readonly eventsTable: ITable;
  /**
   * Names of events tables outside CloudFormation in this account and region that the migration serves in
   * full: it may add any derived index to them and roll it back. Default none.
   */
  readonly legacyTableNames?: string[];
}

/** The migration of derived indexes (DERIVED_INDEXES): its state machine and the two functions its Lambda tasks call. */
export class MigrationStack extends Stack {
  readonly migration: EventIdIndexMigration;

  constructor(scope: Construct, id: string, props: MigrationStackProps) {
    super(scope, id, props);
    const legacyTables = (props.legacyTableNames ?? []).map((name, i) => {
      if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
        throw new Error(
          `MigrationStack: legacyTableNames[${i}] must be a DynamoDB table name; received ${JSON.stringify(name)}`,
        );
      }
      return dynamodb.Table.fromTableName(this, `LegacyTable${i}`, name);
    });
    const tables = [props.eventsTable, ...legacyTables];
    const entry = path.join(__dirname, '..', 'src', 'lambda.ts');
    const handlerFunction = (name: string, handler: string, timeout: Duration): NodejsFunction => {
      const { logGroup, role } = functionLogsAndRole(this, name);
      return new NodejsFunction(this, name, {
        entry,
        handler,
        role,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout,
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
        bundling: lambdaBundling(),
      });
    };
    const backfill = handlerFunction('Backfill', 'backfill', Duration.minutes(5));
    const verify = handlerFunction('Verify', 'verify', Duration.minutes(15));
    const tableArns = tables.map((table) => table.tableArn);
    backfill.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable'],
        resources: tableArns,
      }),
    );
    // Verification reads the table and the indexes it may verify (every derived index), nothing else.
    verify.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:DescribeTable'],
        resources: [
          ...tableArns,
          ...tableArns.flatMap((arn) => DERIVED_INDEX_NAMES.map((name) => `${arn}/index/${name}`)),
        ],
      }),
    );

    this.migration = new EventIdIndexMigration(this, 'EventIdIndexMigration', {
      tables,
      indexOwnedTables: legacyTables,
      backfillFunction: backfill,
      verifyFunction: verify,
      stateMachineName: `${this.stackName}-event-id-index`,
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.migration.stateMachine.stateMachineArn });

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray trace writes and Step Functions log delivery do not support resource-level permissions',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.stackName}-event-id-index:*]`,
        reason:
          "The table lock reads the state of the execution holding it: any execution of this stack's own state machine",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${this.getLogicalId(this.migration.segmentStateMachine.node.defaultChild as CfnElement)}"}]}]}*]`,
        reason:
          'The state machine follows and stops the executions of its own segment state machine it starts (startExecution.sync)',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<Verify04AA6CE7.Arn>:*]',
        reason: 'The state machine invokes the verify function by any of its versions',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<Backfill58F8EA17.Arn>:*]',
        reason: 'The state machine invokes the backfill function by any of its versions',
      },
    );
    for (const fn of [backfill, verify]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'The project targets Node.js 22 (nodejs22.x), the runtime its local toolchain and tests use',
      });
    }
  }
}
