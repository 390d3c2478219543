import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import { SDK_ERROR_PREFIX, StateNames, type MigrationInput } from '../../infra/event-id-index-migration';
import {
  BACKFILL_FUNCTION,
  VERIFY_FUNCTION,
  type AslDefinition,
  type MigrationDefinition,
} from '../../infra/migration-definition';
import type { ProgressEvent } from '../cli/migration-progress';
import {
  LAMBDA_SETTINGS,
  migrationFunctions,
  type BackfillEvent,
  type VerifyEvent,
} from '../handlers/migration-functions';

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** The state machine's input; locally the index is polled every second unless said otherwise. */
export type LocalMigrationInput = Omit<MigrationInput, 'pollIntervalSeconds'> & { pollIntervalSeconds?: number };

export interface LocalMigrationOptions {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** The synthesized definition (`synthesizedMigrationDefinition`), with its segment state machine. */
  definition: MigrationDefinition;
  /** Every Wait state pauses this long instead (default 100 ms). */
  waitMs?: number;
  /** Time budget of one backfill invocation (default 2 s). */
  backfillBudgetMs?: number;
  /** Writes in flight per segment (default 4, as the Lambda function). */
  backfillWriteConcurrency?: number;
  sampleSize?: number;
  /** Time budget of one verification segment invocation (default 2 s). */
  verifyBudgetMs?: number;
  /** Items per verification Scan page (default: 1 MB pages). */
  verifyPageSize?: number;
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
  /**
   * Fault injection: the first this many segment starts are refused as Step Functions refuses them at the
   * account's running-executions limit (`StepFunctions.ExecutionLimitExceeded`). Default 0.
   */
  refuseSegmentStarts?: number;
}

/** One Lambda task's function: payload in, result out. */
export type LambdaTask = (payload: unknown) => Promise<unknown>;

/**
 * The error name Step Functions gives a failed service call, by integration kind: an AWS SDK integration
 * (`arn:aws:states:::aws-sdk:dynamodb:getItem`) prefixes the service name in Pascal case (`DynamoDb.`,
 * `Sfn.`), an optimized one (`arn:aws:states:::dynamodb:getItem`) `DynamoDB.`. Errors that are not the
 * service's answer (a network failure) keep their name.
 */
export function statesErrorName(resource: string, error: unknown): string {
  const source = error as { name?: string; $metadata?: unknown };
  const name = source.name ?? 'Error';
  if (source.$metadata === undefined) return name;
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):/.exec(resource);
  if (sdk) {
    const service = sdk[1] as keyof typeof SDK_ERROR_PREFIX;
    // Step Functions suffixes every SDK error name with `Exception`, even where the service's own name has
    // none (DynamoDB's `InternalServerError`, `RequestLimitExceeded`).
    const aws = name.endsWith('Exception') ? name : `${name}Exception`;
    return `${SDK_ERROR_PREFIX[service] ?? service}.${aws}`;
  }
  if (resource.startsWith('arn:aws:states:::dynamodb:')) return `DynamoDB.${name}`;
  return name;
}

/** The DynamoDB actions the definition calls, sent with the SDK. */
function dynamodbAction(client: DynamoDBClient, action: string): ((input: never) => Promise<unknown>) | undefined {
  switch (action) {
    case 'describeTable':
      return (input) => client.send(new DescribeTableCommand(input));
    case 'getItem':
      return (input) => client.send(new GetItemCommand(input));
    case 'putItem':
      return (input) => client.send(new PutItemCommand(input));
    case 'deleteItem':
      return (input) => client.send(new DeleteItemCommand(input));
    case 'updateTable':
      return (input) => client.send(new UpdateTableCommand(input));
    default:
      return undefined;
  }
}

/** Executions running in this process: what a local `sfn:describeExecution` answers from. */
const runningLocally = new Set<string>();

/** Answers a service-integration Task locally, raising errors named as Step Functions names them. */
function serviceTask(resource: string, client: DynamoDBClient): ((input: unknown) => Promise<unknown>) | undefined {
  const call = async (send: () => Promise<unknown>): Promise<never> => {
    try {
      return JSON.parse(JSON.stringify(await send())) as never;
    } catch (error) {
      const failure = new Error((error as { message?: string }).message ?? String(error));
      failure.name = statesErrorName(resource, error);
      throw failure;
    }
  };
  const action = /^arn:aws:states:::(?:aws-sdk:)?(dynamodb|sfn):(\w+)$/.exec(resource);
  if (!action) return undefined;
  const [, service, name] = action;
  if (service === 'sfn' && name === 'describeExecution') {
    // A local execution is RUNNING while this process runs it; any other has ended (or never ran here).
    return (input) => {
      const arn = (input as { ExecutionArn: string }).ExecutionArn;
      return Promise.resolve({ ExecutionArn: arn, Status: runningLocally.has(arn) ? 'RUNNING' : 'ABORTED' });
    };
  }
  const send = service === 'dynamodb' ? dynamodbAction(client, name ?? '') : undefined;
  if (!send) return undefined;
  return (input) => call(() => send(input as never));
}

/** Every Task state of the definition, the Map's item processor included. */
function taskStates(definition: AslDefinition): [string, Record<string, unknown>][] {
  return [...Object.entries(definition.States), ...Object.entries(mapProcessorStates(definition))].filter(
    ([, state]) => state.Type === 'Task',
  );
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
  const { client } = options;
  const functions = migrationFunctions(options, {
    backfillBudgetMs: options.backfillBudgetMs ?? 2000,
    backfillWriteConcurrency: options.backfillWriteConcurrency ?? LAMBDA_SETTINGS.backfillWriteConcurrency,
    sampleSize: options.sampleSize ?? 25,
    settleMs: options.verifySettleMs ?? 1000,
    verifyBudgetMs: options.verifyBudgetMs ?? 2000,
    ...(options.verifyPageSize && { verifyPageSize: options.verifyPageSize }),
  });
  const backfill = async (payload: unknown) => {
    const result = (await (options.lambdaTasks?.backfill ?? functions.backfill)(payload as BackfillEvent)) as {
      scanned: number;
      updated: number;
    };
    options.onProgress?.({ kind: 'backfill-progress', scanned: result.scanned, updated: result.updated });
    return result;
  };
  const verify = (payload: unknown) => (options.lambdaTasks?.verify ?? functions.verify)(payload as VerifyEvent);
  /** The Lambda task of a state, by the function its Resource names (the definition's `backfill` and `verify`). */
  const lambdaTask = (resource: string) =>
    resource.endsWith(`:function:${BACKFILL_FUNCTION}`)
      ? backfill
      : resource.endsWith(`:function:${VERIFY_FUNCTION}`)
        ? verify
        : undefined;
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of [
    ...taskStates(options.definition),
    ...taskStates(options.definition.segmentDefinition ?? { StartAt: '', States: {} }),
  ]) {
    const resource = String(state.Resource);
    const handler = lambdaTask(resource) ?? serviceTask(resource, client);
    // Never let the runner call a real AWS service for a function it does not know.
    if (!handler && resource.startsWith('arn:aws:lambda:')) {
      throw new Error(`State ${name} invokes ${resource}, which is neither the backfill nor the verify function`);
    }
    if (handler) handlers[name] = handler;
  }
  const { segmentDefinition, ...definition } = options.definition;
  const start = (asl: AslDefinition, machineName: string, machineInput: unknown) => {
    const waits = Object.entries(asl.States)
      .filter(([, state]) => state.Type === 'Wait')
      .map(([name]) => name);
    const retried = taskStates(asl)
      .filter(([, state]) => Array.isArray(state.Retry))
      .map(([name]) => name);
    const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
    const started = new Date().toISOString();
    const name = `local-${started.replace(/[^0-9]/g, '')}-${randomUUID().slice(0, 8)}`;
    const arn = `arn:aws:states:local:000000000000:execution:${machineName}:${name}`;
    const execution = machine.run(machineInput as never, {
      // The context Step Functions would provide; the runner does not fill it in by itself.
      context: {
        Execution: { Id: arn, Name: name, StartTime: started, RoleArn: 'local' },
        State: { Name: '', EnteredTime: started, RetryCount: 0 },
        StateMachine: { Id: `local:${machineName}`, Name: machineName },
      },
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: Object.fromEntries(waits.map((wait) => [wait, options.waitMs ?? 100])),
        ...(options.retryIntervalMs === undefined
          ? {}
          : {
              retryIntervalOverrides: Object.fromEntries(retried.map((task) => [task, options.retryIntervalMs ?? 0])),
            }),
      },
    });
    return { execution, arn };
  };
  const lastError = new Map<string, string>();
  if (segmentDefinition) {
    // `startExecution.sync:2`: run the segment's state machine here and answer as Step Functions does;
    // a failed child fails the task with States.TaskFailed and the child's description as the cause.
    let refusals = options.refuseSegmentStarts ?? 0;
    const runSegment = async (parameters: unknown) => {
      if (refusals > 0) {
        refusals--;
        const refused = new Error('The maximum number of running executions has been reached');
        refused.name = 'StepFunctions.ExecutionLimitExceeded';
        throw refused;
      }
      const segmentInput = (parameters as { Input?: unknown }).Input;
      const child = start(segmentDefinition, 'event-id-index-migration-segment', segmentInput);
      let failure: { Error?: string } | undefined;
      for await (const event of child.execution.eventLogs) {
        if (event.type === 'StateFailed') lastError.set(event.state.name, event.Error);
        if (event.type === 'ExecutionFailed') failure = { Error: event.Error };
        else if (event.type === 'StateRetried' || event.type === 'StateEntered') {
          const progress = toProgressEvent(event, input.totalSegments, lastError);
          if (progress) options.onProgress?.(progress);
        }
      }
      try {
        const output: unknown = await child.execution.result;
        return { ExecutionArn: child.arn, Status: 'SUCCEEDED', Output: output };
      } catch (error) {
        // As DescribeExecution describes the child: its error name, and its cause as text.
        const thrown = (error as { cause?: { name?: string; message?: string } }).cause;
        const cause = {
          ExecutionArn: child.arn,
          Status: 'FAILED',
          Error: failure?.Error ?? thrown?.name ?? 'Error',
          Cause: thrown?.message ?? String(error),
        };
        const taskFailed = new Error(JSON.stringify(cause));
        taskFailed.name = 'States.TaskFailed';
        throw taskFailed;
      }
    };
    for (const [name, state] of taskStates(definition)) {
      if (String(state.Resource).startsWith('arn:aws:states:::states:startExecution')) handlers[name] = runSegment;
    }
  }
  const { execution, arn: executionArn } = start(definition, 'event-id-index-migration', {
    pollIntervalSeconds: 1,
    ...input,
  });
  runningLocally.add(executionArn);
  // Step Functions fails an execution whose state output exceeds 256 KB, with an error no Catch sees;
  // the local run does the same, so that a payload that would outgrow it fails here too.
  let oversized: { state: string; bytes: number } | undefined;
  const ended = execution.result.finally(() => runningLocally.delete(executionArn));
  const watching = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateFailed') lastError.set(event.state.name, event.Error);
      if (event.type === 'StateExited') {
        const bytes = Buffer.byteLength(JSON.stringify(event.state.output ?? null));
        if (bytes > MAX_PAYLOAD_BYTES && !oversized) {
          oversized = { state: event.state.name, bytes };
          execution.abort();
        }
      }
      const progress = toProgressEvent(event, input.totalSegments, lastError);
      if (progress) options.onProgress?.(progress);
    }
  })();
  try {
    return await ended;
  } catch (error) {
    if (!oversized) throw error;
    const limit = new Error(
      `The output of state ${oversized.state} is ${oversized.bytes} bytes, over Step Functions' ${MAX_PAYLOAD_BYTES}`,
    );
    limit.name = 'States.DataLimitExceeded';
    throw limit;
  } finally {
    await watching;
  }
}

/** The largest input or output of a state Step Functions accepts (256 KB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** The states of the Map states' item processors (the per-segment loops). */
function mapProcessorStates(definition: AslDefinition): Record<string, Record<string, unknown>> {
  const processors = Object.values(definition.States).map(
    (state) => (state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined)?.States ?? {},
  );
  return Object.assign({}, ...processors) as Record<string, Record<string, unknown>>;
}

function toProgressEvent(
  event: EventLog,
  totalSegments: number,
  lastError: Map<string, string>,
): ProgressEvent | undefined {
  switch (event.type) {
    case 'StateEntered':
      return event.state.name === StateNames.backfill
        ? { kind: 'backfill-started', segments: totalSegments }
        : { kind: 'state', name: event.state.name };
    case 'MapIterationSucceeded':
      return event.parentState.name === StateNames.backfill ? { kind: 'segment-done' } : undefined;
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
