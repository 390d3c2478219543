import * as path from 'node:path';
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaBundling } from '../../api/infra/lambda-bundling';
import { EventIdIndexMigration } from './event-id-index-migration';

export interface MigrationStackProps extends StackProps {
  /** The events table the migration adds `event-id-index` to. */
  readonly eventsTable: ITable;
}

/** The event-id-index migration: its state machine and the two functions its Lambda tasks call. */
export class MigrationStack extends Stack {
  readonly migration: EventIdIndexMigration;

  constructor(scope: Construct, id: string, props: MigrationStackProps) {
    super(scope, id, props);
    const entry = path.join(__dirname, '..', 'src', 'lambda.ts');
    const handlerFunction = (name: string, handler: string, timeout: Duration): NodejsFunction =>
      new NodejsFunction(this, name, {
        entry,
        handler,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout,
        tracing: lambda.Tracing.ACTIVE,
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_MONTH }),
        bundling: lambdaBundling(),
      });
    const backfill = handlerFunction('Backfill', 'backfill', Duration.minutes(5));
    const verify = handlerFunction('Verify', 'verify', Duration.minutes(15));
    props.eventsTable.grant(backfill, 'dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable');
    props.eventsTable.grant(verify, 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:DescribeTable');

    this.migration = new EventIdIndexMigration(this, 'EventIdIndexMigration', {
      table: props.eventsTable,
      backfillFunction: backfill,
      verifyFunction: verify,
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.migration.stateMachine.stateMachineArn });

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray trace writes and Step Functions log delivery do not support resource-level permissions',
      },
      {
        // The table arrives as a cross-stack import named after the API stack.
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${Stack.of(props.eventsTable).stackName}:ExportsOutputFnGetAttEventsTableD24865E5Arn2808B4A2/index/*]`,
        reason: 'Verification queries event-id-index, which this migration creates',
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
      Validations.of(fn).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'AWSLambdaBasicExecutionRole only allows the function to write its own logs',
        },
        {
          id: 'AwsSolutions::AwsSolutions-L1',
          reason: 'The project targets Node.js 22 (nodejs22.x), the runtime its local toolchain and tests use',
        },
      );
    }
  }
}
