import {
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../infra/migration-definition';
import type { ProgressEvent } from '../cli/migration-progress';
import { backfillSegment, verifyEventIdIndex } from '../handlers';

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface LocalMigrationInput {
  tableName: string;
  indexName?: string;
  totalSegments: number;
  maxWritesPerSecond: number;
  /** Polls of the index status before giving up. */
  maxPolls: number;
}

export interface LocalMigrationOptions {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** The synthesized definition (`synthesizedMigrationDefinition`). */
  definition: AslDefinition;
  /** Every Wait state pauses this long instead (default 100 ms). */
  waitMs?: number;
  /** Time budget of one backfill invocation (default 2 s). */
  backfillBudgetMs?: number;
  /** Writes in flight per segment (default 4, as the Lambda function). */
  backfillWriteConcurrency?: number;
  sampleSize?: number;
  /** Verification's settle time (default 1 s: the embedded engine updates its indexes with the write). */
  verifySettleMs?: number;
  /** Every Retry waits this long instead of its interval and backoff (default: as defined). */
  retryIntervalMs?: number;
  /** Receives state transitions, retries and backfill progress as the execution runs. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Runs the Lambda tasks somewhere else than in this process (e.g. the bundled functions in Lambda
   * sandboxes): each receives the payload the state machine sends and returns what the function returns,
   * or throws an error whose `name` is the function's error type, as Step Functions sees it.
   */
  lambdaTasks?: { backfill: LambdaTask; verify: LambdaTask };
}

/** One Lambda task's function: payload in, result out. */
export type LambdaTask = (payload: unknown) => Promise<unknown>;

/** Step Functions matches Retry/Catch on `<Service>.<Exception>` for SDK integrations. */
function asStatesError(error: unknown): Error {
  const source = error as { name?: string; message?: string };
  const failure = new Error(source.message ?? String(error));
  failure.name =
    source.name && /Exception$|Error$/.test(source.name) && !source.name.includes('.')
      ? `DynamoDB.${source.name}`
      : (source.name ?? 'Error');
  return failure;
}

function sdk<I, O>(call: (input: I) => Promise<O>): (input: unknown) => Promise<never> {
  return async (input) => {
    try {
      return JSON.parse(JSON.stringify(await call(input as I))) as never;
    } catch (error) {
      throw asStatesError(error);
    }
  };
}

/**
 * Runs the migration's synthesized state machine on this machine with aws-local-stepfunctions: the
 * DynamoDB service integrations go to the given client (the embedded engine), the Lambda tasks to the
 * same handler code the functions run, and waits are shortened.
 */
export async function runMigrationLocally(
  input: LocalMigrationInput,
  options: LocalMigrationOptions,
): Promise<unknown> {
  const { client, doc } = options;
  const describe = sdk((i: object) => client.send(new DescribeTableCommand(i as never)));
  const updateTable = sdk((i: object) => client.send(new UpdateTableCommand(i as never)));
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {
    'Describe table': describe,
    'Describe index': describe,
    'Describe for rollback': describe,
    'Describe after delete': describe,
    'Read control record': sdk((i: object) => client.send(new GetItemCommand(i as never))),
    'Create index': updateTable,
    'Delete index': updateTable,
    'Mark verified': sdk((i: object) => client.send(new PutItemCommand(i as never))),
    'Backfill segment': async (payload) => {
      if (options.lambdaTasks) {
        const result = (await options.lambdaTasks.backfill(payload)) as { scanned: number; updated: number };
        options.onProgress?.({ kind: 'backfill-progress', scanned: result.scanned, updated: result.updated });
        return result;
      }
      const p = payload as {
        tableName: string;
        segment: number;
        totalSegments: number;
        maxWritesPerSecond: number;
        exclusiveStartKey?: { tenant_id: string; sk: string };
      };
      const result = await backfillSegment({
        doc,
        ...p,
        timeBudgetMs: options.backfillBudgetMs ?? 2000,
        writeConcurrency: options.backfillWriteConcurrency ?? 4,
      });
      options.onProgress?.({ kind: 'backfill-progress', scanned: result.scanned, updated: result.updated });
      return result;
    },
    'Verify index': async (payload) =>
      options.lambdaTasks?.verify(payload) ??
      verifyEventIdIndex({
        doc,
        client,
        tableName: (payload as { tableName: string }).tableName,
        sampleSize: options.sampleSize ?? 25,
        settleMs: options.verifySettleMs ?? 1000,
      }),
  };
  const states = Object.entries(options.definition.States);
  const waits = states.filter(([, state]) => state.Type === 'Wait').map(([name]) => name);
  const retried = [...states, ...Object.entries(backfillProcessorStates(options.definition))]
    .filter(([, state]) => Array.isArray(state.Retry))
    .map(([name]) => name);
  const machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
  const started = new Date().toISOString();
  const executionName = `local-${started.replace(/[^0-9]/g, '')}`;
  const execution = machine.run(
    { pollIntervalSeconds: 1, ...input },
    {
      // The context Step Functions would provide; the runner does not fill it in by itself.
      context: {
        Execution: { Id: `local:${executionName}`, Name: executionName, StartTime: started, RoleArn: 'local' },
        State: { Name: '', EnteredTime: started, RetryCount: 0 },
        StateMachine: { Id: 'local:event-id-index-migration', Name: 'event-id-index-migration' },
      },
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: Object.fromEntries(waits.map((name) => [name, options.waitMs ?? 100])),
        ...(options.retryIntervalMs === undefined
          ? {}
          : {
              retryIntervalOverrides: Object.fromEntries(retried.map((name) => [name, options.retryIntervalMs ?? 0])),
            }),
      },
    },
  );
  const onProgress = options.onProgress;
  if (!onProgress) return execution.result;
  const lastError = new Map<string, string>();
  const forwarding = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateFailed') lastError.set(event.state.name, event.Error);
      const progress = toProgressEvent(event, input.totalSegments, lastError);
      if (progress) onProgress(progress);
    }
  })();
  try {
    return await execution.result;
  } finally {
    await forwarding;
  }
}

/** The states of the Map's item processor (the per-segment loop). */
function backfillProcessorStates(definition: AslDefinition): Record<string, Record<string, unknown>> {
  const processor = definition.States.Backfill?.ItemProcessor as { States?: Record<string, Record<string, unknown>> };
  return processor?.States ?? {};
}

function toProgressEvent(
  event: EventLog,
  totalSegments: number,
  lastError: Map<string, string>,
): ProgressEvent | undefined {
  switch (event.type) {
    case 'StateEntered':
      return event.state.type === 'Map'
        ? { kind: 'backfill-started', segments: totalSegments }
        : { kind: 'state', name: event.state.name };
    case 'MapIterationSucceeded':
      return { kind: 'segment-done' };
    case 'StateRetried':
      return {
        kind: 'retry',
        state: event.state.name,
        attempt: event.retry.attempt,
        error: lastError.get(event.state.name) ?? 'an error',
      };
    case 'ExecutionFailed':
      return { kind: 'failed', error: event.Error, cause: String(event.Cause) };
    default:
      return undefined;
  }
}
