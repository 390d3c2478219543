import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { packageVersion } from './api/src/version';
import { addTriggersApiStacks } from './cdk-stacks';

/**
 * The deployable app: an ApiStack, its MigrationStack and its MonitoringStack per stage (`-c stage=Staging`,
 * default `Production`); `-c alarmEmail=ops@example.com` subscribes an address to the page topic (and to
 * the ticket topic), `-c ticketEmail=team@example.com` sends tickets to another address.
 */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'Production';
const alarmEmail = nonEmpty(app.node.tryGetContext('alarmEmail'));
const ticketEmail = nonEmpty(app.node.tryGetContext('ticketEmail'));
addTriggersApiStacks(app, {
  stage,
  version: packageVersion(),
  ...(alarmEmail ? { alarmEmail } : {}),
  ...(ticketEmail ? { ticketEmail } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();

/** A context value, unless absent or empty (a workflow passes `-c ticketEmail=` when its variable is unset). */
function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
