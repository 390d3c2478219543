import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * A function's own log group (`<id>Logs`) and a role (`<id>Role`) whose only grant so far is writing to
 * it: an inline grant instead of AWSLambdaBasicExecutionRole, which allows writing to any log group.
 */
export function functionLogsAndRole(
  scope: Construct,
  id: string,
  options: { retention?: logs.RetentionDays; removalPolicy?: RemovalPolicy; description?: string } = {},
): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: options.retention ?? logs.RetentionDays.ONE_MONTH,
    ...(options.removalPolicy && { removalPolicy: options.removalPolicy }),
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    ...(options.description && { description: options.description }),
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  return { logGroup, role };
}
