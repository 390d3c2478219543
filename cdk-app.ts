import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from './api/infra/api-stack';
import { packageVersion } from './api/src/version';

/** The deployable app: one ApiStack per stage (`-c stage=Staging`, default `Production`). */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'Production';
new ApiStack(app, `TriggersApi-${stage}`, { stage, version: packageVersion() });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
