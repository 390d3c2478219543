import { Names } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { backfill } from './backfill';
import { createAndWait } from './create-and-wait';
import { loggedStateMachine, migrationParts } from './parts';
import { preflight } from './preflight';
import { rollback } from './rollback';
import { verifyAndMark } from './verify-and-mark';

export {
  DYNAMODB_BUSY_ERRORS,
  DYNAMODB_TRANSIENT_ERRORS,
  EXECUTION_TIMEOUT_DAYS,
  MAX_SEGMENTS,
  SDK_ERROR_PREFIX,
  type MigrationInput,
} from './constants';
export { StateNames } from './state-names';

export interface EventIdIndexMigrationProps {
  /**
   * Every events table the migration serves: it reads, backfills, verifies, locks and marks them. A table
   * whose index CloudFormation declares belongs here only: the migration verifies and marks its index.
   */
  readonly tables: ITable[];
  /**
   * Of `tables`, those outside CloudFormation (legacy tables): the only ones the migration may add a
   * derived index to, and so the only ones whose index a rollback may delete. Default: none; a table
   * without the index then fails at once (`IndexNotDeclared`) instead of getting one CloudFormation does not know.
   */
  readonly indexOwnedTables?: ITable[];
  /** Backfills one scan segment; input `{tableName, indexName, segment, totalSegments, maxWritesPerSecond, exclusiveStartKey?}`, output `{done, lastEvaluatedKey?, ...counts}`. */
  readonly backfillFunction: IFunction;
  /** Verifies the index; input `{phase, tableName, indexName, ...}`, output `{ok, ...report}` at the end. */
  readonly verifyFunction: IFunction;
  /** Physical name of the state machine (its executions' ARNs are granted by name). Default: a unique name from the construct path. */
  readonly stateMachineName?: string;
}

/**
 * The Step Functions state machine of DESIGN §10, for any index of DERIVED_INDEXES (the input's
 * `indexName`, default `event-id-index`): preflight -> lock the table -> create index -> poll until
 * ACTIVE -> backfill the derived attributes in a Map over scan segments -> verify -> mark verified. Only a definite
 * failure (a backfill that keeps failing, a verification report that is not ok) rolls back, and only an
 * index this execution's UpdateTable call created; in doubt it fails and leaves the index.
 * Input: `{tableName, indexName?, totalSegments, maxWritesPerSecond, pollIntervalSeconds, maxPolls}`.
 */
export class EventIdIndexMigration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Backfills one scan segment to its end; the main state machine runs one child execution per segment. */
  readonly segmentStateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: EventIdIndexMigrationProps) {
    super(scope, id);
    if (props.tables.length === 0)
      throw new Error('EventIdIndexMigration: tables must name at least one table; received none');
    const stateMachineName = props.stateMachineName ?? Names.uniqueResourceName(this, { maxLength: 80 });
    const parts = migrationParts(this, {
      tableArns: props.tables.map((table) => table.tableArn),
      ownedArns: (props.indexOwnedTables ?? []).map((table) => table.tableArn),
      ownedNames: (props.indexOwnedTables ?? []).map((table) => table.tableName),
      stateMachineName,
    });
    // Built from the end: definite failures lead to the rollback; the backfill leads to the verification.
    const toRollback = rollback(parts);
    const filled = backfill(parts, props.backfillFunction, toRollback);
    this.segmentStateMachine = filled.segmentStateMachine;
    const index = createAndWait(parts, filled.chain.next(verifyAndMark(parts, props.verifyFunction, toRollback)));
    const checkIndexName = preflight(parts, { indexPresent: index.resume, indexAbsent: index.create });

    // The timeout is long enough for the largest backfill the limits allow (docs/MIGRATION.md, "Limits").
    this.stateMachine = loggedStateMachine(this, 'StateMachine', 'ExecutionLogs', stateMachineName, checkIndexName);
  }
}
