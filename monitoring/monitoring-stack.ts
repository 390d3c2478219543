/** Dashboards and alarms for one stage of the API, generated from the SLO spec (DESIGN §8). */
import { Annotations, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnQueryDefinition, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DefaultDashboardFactory, MonitoringFacade } from 'cdk-monitoring-constructs';
import type { Construct } from 'constructs';
import { LOGS_INSIGHTS_QUERIES } from '../contract/log-queries';
import { eventsTableDefinition } from '../contract/table-schemas';
import { describeAlarm, type SeverityActions } from './alarm-naming';
import { BurnRateAlarms } from './burn-rate-alarms';
import { InfrastructureAlarms } from './infrastructure-alarms';
import { ObjectiveAlarms } from './objective-alarms';
import { addSloDashboardSections } from './slo-dashboard';
import { SloMetrics } from './slo-metrics';
import { alertingPolicy, type AlertSeverity, type SloSpec } from '../contract/slo-spec';
import { validateSloSpec } from '../contract/slo-spec-validation';

export interface MonitoringStackProps extends StackProps {
  /** Stage name, as given to the ApiStack: selects the metric namespace `TriggersAPI/<stage>`. */
  readonly stage: string;
  readonly spec: SloSpec;
  readonly handler: IFunction;
  /** The derived indexes the events table declares, as given to the ApiStack (default all): each gets its widgets. */
  readonly derivedIndexes?: readonly string[];
  readonly httpApi: HttpApi;
  readonly eventsTable: Table;
  readonly apiKeysTable: Table;
  /** The API function's log group, which the saved Logs Insights queries read. */
  readonly logGroup: ILogGroup;
  /**
   * Subscribed to the page topic, and to the ticket topic unless `ticketEmail` is given. Without it no one
   * is told of any alarm: synth warns (default: no subscription).
   */
  readonly alarmEmail?: string;
  /** Subscribed to the ticket topic instead of `alarmEmail` (default: `alarmEmail`). */
  readonly ticketEmail?: string;
  /**
   * Whether the stage always has traffic, as production does (default true): then no event accepted for
   * three periods pages; otherwise (a staging stage that sits idle) it opens a ticket.
   */
  readonly trafficExpected?: boolean;
  /** The event-id-index migration: a failed execution raises an alarm. */
  readonly migrationStateMachine?: IStateMachine;
}

/** One SNS topic per severity, dashboards (summary and detail), objective, burn-rate and infrastructure alarms, saved queries. */
export class MonitoringStack extends Stack {
  /** Alarms that need someone now. */
  readonly pageTopic: sns.Topic;
  /** Alarms that wait for working hours. */
  readonly ticketTopic: sns.Topic;
  readonly objectiveAlarms: ObjectiveAlarms;
  readonly burnRateAlarms: BurnRateAlarms;
  readonly infrastructureAlarms: InfrastructureAlarms;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    validateSloSpec(props.spec);
    const alarmNamePrefix = `TriggersApi-${props.stage}`;
    const metrics = new SloMetrics(props.stage);

    this.pageTopic = this.createAlarmTopic('PageTopic', `Triggers API ${props.stage} pages`, alarmNamePrefix);
    this.ticketTopic = this.createAlarmTopic('TicketTopic', `Triggers API ${props.stage} tickets`, alarmNamePrefix);
    this.subscribe(this.pageTopic, 'page', props.alarmEmail);
    this.subscribe(this.ticketTopic, 'ticket', props.ticketEmail ?? props.alarmEmail);
    const actions: SeverityActions = { page: new SnsAction(this.pageTopic), ticket: new SnsAction(this.ticketTopic) };

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
    const schema = eventsTableDefinition(props.eventsTable.tableName, {
      ...(props.derivedIndexes ? { derivedIndexes: props.derivedIndexes } : {}),
    });
    for (const index of schema.GlobalSecondaryIndexes ?? []) {
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
      actions,
    });
    this.burnRateAlarms = new BurnRateAlarms(this, 'BurnRateAlarms', {
      spec: props.spec,
      metrics,
      alarmNamePrefix,
      actions,
    });
    this.infrastructureAlarms = new InfrastructureAlarms(this, 'InfrastructureAlarms', {
      spec: props.spec,
      metrics,
      alarmNamePrefix,
      actions,
      handler: props.handler,
      httpApi: props.httpApi,
      trafficExpected: props.trafficExpected ?? true,
    });

    if (props.migrationStateMachine) {
      facade.monitorStepFunction({ stateMachine: props.migrationStateMachine, humanReadableName: 'Index migration' });
      const failed = new Alarm(this, 'MigrationFailed', {
        alarmName: `${alarmNamePrefix}-migration-failed`,
        alarmDescription: describeAlarm(
          alertingPolicy(props.spec),
          '[ticket] An execution of the event-id-index migration failed or timed out (a definite failure rolled back the index it created; any other left it for a rerun: see the cause).',
          'migration-failed',
        ),
        // A timed-out execution runs no Catch and holds the table's lock until the next run takes it over.
        metric: new MathExpression({
          label: 'Migration executions failed or timed out',
          expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
          usingMetrics: {
            failed: props.migrationStateMachine.metricFailed({ statistic: 'Sum' }),
            timedOut: props.migrationStateMachine.metricTimedOut({ statistic: 'Sum' }),
          },
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      failed.addAlarmAction(actions.ticket);
    }

    for (const query of LOGS_INSIGHTS_QUERIES) {
      new CfnQueryDefinition(this, `Query-${query.name.replace(/[^A-Za-z0-9]/g, '-')}`, {
        name: query.name,
        queryString: query.queryString,
        logGroupNames: [props.logGroup.logGroupName],
      });
    }
  }

  /**
   * A topic CloudWatch may publish to. With `enforceSSL` CDK writes a topic policy holding only the
   * deny-insecure-transport statement, and a topic policy without an allow for the CloudWatch service
   * principal makes every alarm action fail; the allow is limited to this account's alarms of this stage.
   */
  private createAlarmTopic(id: string, displayName: string, alarmNamePrefix: string): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisStage',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:${alarmNamePrefix}-*`,
          },
        },
      }),
    );
    return topic;
  }

  private subscribe(topic: sns.Topic, severity: AlertSeverity, email: string | undefined): void {
    if (email) {
      topic.addSubscription(new EmailSubscription(email));
      return;
    }
    Annotations.of(topic).addWarningV2(
      `triggers-api:monitoring.no-${severity}-subscriber`,
      `The ${severity} topic has no subscriber: every ${severity} alarm of this stage reaches no one. ` +
        `Deploy with -c alarmEmail=<address>${severity === 'ticket' ? ' (or -c ticketEmail=<address>)' : ''}, ` +
        `or subscribe the topic (${topic.node.path}) another way.`,
    );
  }
}
