import type { App } from 'aws-cdk-lib';
import { ApiStack } from './api/infra/api-stack';
import { MonitoringStack } from './monitoring/monitoring-stack';
import { SLO_SPEC, type SloSpec } from './monitoring/slo-spec';

export interface TriggersApiStacksOptions {
  stage: string;
  version: string;
  /** Subscribed to the alarm topic when given. */
  alarmEmail?: string;
  /** Default: the project's SLO spec. */
  spec?: SloSpec;
}

/** Adds one stage's stacks to an app: the API and its monitoring (the MigrationStack comes next to them). */
export function addTriggersApiStacks(
  app: App,
  options: TriggersApiStacksOptions,
): { api: ApiStack; monitoring: MonitoringStack } {
  const { stage } = options;
  const api = new ApiStack(app, `TriggersApi-${stage}`, { stage, version: options.version });
  const monitoring = new MonitoringStack(app, `TriggersApi-${stage}-Monitoring`, {
    stage,
    spec: options.spec ?? SLO_SPEC,
    handler: api.handler,
    httpApi: api.httpApi,
    eventsTable: api.eventsTable,
    apiKeysTable: api.apiKeysTable,
    logGroup: api.logGroup,
    ...(options.alarmEmail ? { alarmEmail: options.alarmEmail } : {}),
  });
  return { api, monitoring };
}
