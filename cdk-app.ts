import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { packageVersion } from './api/src/version';
import { addTriggersApiStacks } from './cdk-stacks';

/**
 * The deployable app: an ApiStack and its MonitoringStack per stage (`-c stage=Staging`, default
 * `Production`); `-c alarmEmail=ops@example.com` subscribes an address to the alarm topic.
 */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'Production';
const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
addTriggersApiStacks(app, { stage, version: packageVersion(), ...(alarmEmail ? { alarmEmail } : {}) });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
