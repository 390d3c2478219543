/** Dashboards and alarms for one stage of the API, generated from the SLO spec (DESIGN §8). */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnQueryDefinition, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DefaultDashboardFactory, MonitoringFacade } from 'cdk-monitoring-constructs';
import type { Construct } from 'constructs';
import { LOGS_INSIGHTS_QUERIES } from '../api/src/observability/logs-insights-queries';
import { eventsTableDefinition } from '../api/src/store/table-schemas';
import { describeAlarm } from './alarm-naming';
import { BurnRateAlarms } from './burn-rate-alarms';
import { ObjectiveAlarms } from './objective-alarms';
import { addSloDashboardSections } from './slo-dashboard';
import { SloMetrics } from './slo-metrics';
import { alertingPolicy, type SloSpec } from './slo-spec';
import { validateSloSpec } from './slo-spec-validation';

export interface MonitoringStackProps extends StackProps {
  /** Stage name, as given to the ApiStack: selects the metric namespace `TriggersAPI/<stage>`. */
  readonly stage: string;
  readonly spec: SloSpec;
  readonly handler: IFunction;
  readonly httpApi: HttpApi;
  readonly eventsTable: Table;
  readonly apiKeysTable: Table;
  /** The API function's log group, which the saved Logs Insights queries read. */
  readonly logGroup: ILogGroup;
  /** Subscribed to the alarm topic when given (default: no subscription). */
  readonly alarmEmail?: string;
  /** The event-id-index migration: a failed execution raises an alarm. */
  readonly migrationStateMachine?: IStateMachine;
}

/** SNS alarm topic, dashboards (summary and detail), objective and burn-rate alarms, saved queries. */
export class MonitoringStack extends Stack {
  readonly alarmTopic: sns.Topic;
  readonly objectiveAlarms: ObjectiveAlarms;
  readonly burnRateAlarms: BurnRateAlarms;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    validateSloSpec(props.spec);
    const alarmNamePrefix = `TriggersApi-${props.stage}`;
    const metrics = new SloMetrics(props.stage);

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Triggers API ${props.stage} alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.alarmTopic);

    const facade = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: { alarmNamePrefix, actionsEnabled: true },
      metricFactoryDefaults: {},
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: alarmNamePrefix,
        createDashboard: true,
        createSummaryDashboard: true,
        createAlarmDashboard: false,
      }),
    });
    addSloDashboardSections(facade, props.spec, metrics);
    facade
      .addLargeHeader('Resources')
      .monitorLambdaFunction({ lambdaFunction: props.handler, humanReadableName: 'API function' })
      .monitorApiGatewayV2HttpApi({ api: props.httpApi, humanReadableName: 'HTTP API' })
      .monitorDynamoTable({ table: props.eventsTable, humanReadableName: 'Events table' })
      .monitorDynamoTable({ table: props.apiKeysTable, humanReadableName: 'API keys table' });
    for (const index of eventsTableDefinition(props.eventsTable.tableName).GlobalSecondaryIndexes ?? []) {
      facade.monitorDynamoTableGlobalSecondaryIndex({
        table: props.eventsTable,
        globalSecondaryIndexName: index.IndexName ?? '',
        humanReadableName: `Events table index ${index.IndexName}`,
      });
    }

    this.objectiveAlarms = new ObjectiveAlarms(this, 'ObjectiveAlarms', {
      spec: props.spec,
      metrics,
      alarmNamePrefix,
      action,
    });
    this.burnRateAlarms = new BurnRateAlarms(this, 'BurnRateAlarms', {
      spec: props.spec,
      metrics,
      alarmNamePrefix,
      action,
    });

    if (props.migrationStateMachine) {
      facade.monitorStepFunction({ stateMachine: props.migrationStateMachine, humanReadableName: 'Index migration' });
      const failed = new Alarm(this, 'MigrationFailed', {
        alarmName: `${alarmNamePrefix}-migration-failed`,
        alarmDescription: describeAlarm(
          alertingPolicy(props.spec),
          'An execution of the event-id-index migration failed (it rolled back the index it created).',
          'migration-failed',
        ),
        metric: props.migrationStateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      failed.addAlarmAction(action);
    }

    for (const query of LOGS_INSIGHTS_QUERIES) {
      new CfnQueryDefinition(this, `Query-${query.name.replace(/[^A-Za-z0-9]/g, '-')}`, {
        name: query.name,
        queryString: query.queryString,
        logGroupNames: [props.logGroup.logGroupName],
      });
    }
  }
}
