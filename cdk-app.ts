import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from './api/infra/api-stack';
import { MonitoringStack } from './monitoring/monitoring-stack';
import { SLO_SPEC } from './monitoring/slo-spec';
import { packageVersion } from './api/src/version';

/**
 * The deployable app: an ApiStack and its MonitoringStack per stage (`-c stage=Staging`, default
 * `Production`); `-c alarmEmail=ops@example.com` subscribes an address to the alarm topic.
 */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'Production';
const api = new ApiStack(app, `TriggersApi-${stage}`, { stage, version: packageVersion() });
const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
new MonitoringStack(app, `TriggersApi-${stage}-Monitoring`, {
  stage,
  spec: SLO_SPEC,
  handler: api.handler,
  httpApi: api.httpApi,
  eventsTable: api.eventsTable,
  apiKeysTable: api.apiKeysTable,
  logGroup: api.logGroup,
  ...(alarmEmail ? { alarmEmail } : {}),
});
// The MigrationStack (next issue) is added here, next to the stacks whose tables it migrates.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
