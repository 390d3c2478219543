import { parseArgs } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DynamoDbClients } from '../../../platform/dynamodb-client';
import { DERIVED_INDEX_NAMES, DERIVED_INDEXES, EVENT_ID_INDEX } from '../../../contract/table-schemas';
import { MAX_SEGMENTS, type MigrationInput } from '../../infra/event-id-index-migration';
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import { runMigrationLocally, type LocalMigrationInput } from '../local/run-migration-locally';
import { ProgressPrinter, type ProgressEvent } from './migration-progress';
import { executionSummary, followAgainText, outcomeSummary, stillRunningSummary } from './migration-summary';

export const USAGE = `Usage: npm run migrate -- <command> [options]

Commands:
  start --table <name> [--index ${EVENT_ID_INDEX}] [--segments 8 (1-40)] [--rate 1000] [--follow] [--local]
                         add an index to a table: create it, backfill its attributes, verify it and
                         mark it verified (--index: one of the indexes below; --local: run the same
                         state machine here against DYNAMODB_ENDPOINT / the embedded engine;
                         --follow streams its progress; --rate: backfill writes per second, all
                         segments together)
  status <execution-arn> print an execution's status and result
  follow <execution-arn> stream state transitions and backfill progress until the execution ends
  list                   list recent executions

Options:
  --state-machine-arn <arn>  (default: MIGRATION_STATE_MACHINE_ARN)
  --summary <file>           append markdown to <file> (e.g. $GITHUB_STEP_SUMMARY): the execution ARN as
                             soon as it is known, the outcome at the end
  --follow-minutes <n>       stop following after n minutes, the execution still running (exit code 3)

Indexes (--index, one per run; migrate them in turn):
${DERIVED_INDEX_NAMES.map((name) => `  ${name.padEnd(25)}${DERIVED_INDEXES[name]?.membership === 'permanent' ? 'every event' : 'pending events only'}`).join('\n')}

Exit codes: 0 succeeded or already verified, 1 the execution failed, timed out or was aborted, 2 bad
usage or input, 3 still running when following stopped (--follow-minutes).
`;

/** Exit code when following stopped at --follow-minutes while the execution goes on. */
export const STILL_RUNNING_EXIT_CODE = 3;

/** How often `follow` reads the execution history. */
const FOLLOW_POLL_MS = 5000;

export interface MigrateDeps {
  sfn: () => SFNClient;
  dynamodb: () => DynamoDbClients;
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch: the clock `--follow-minutes` is measured on. */
  now: () => number;
  /** Appends text to a file, creating it if needed (`--summary`). */
  appendToFile: (path: string, text: string) => void;
}

/** Where a command's summary and following deadline go. */
interface FollowOptions {
  /** Appends markdown to the `--summary` file; does nothing without one. */
  summary: (markdown: string) => void;
  /** `--follow-minutes`, and the clock reading at which following stops. */
  limit?: { minutes: number; deadline: number };
}

/**
 * Runs one CLI command; resolves the process exit code (0 ok or no-op, 1 failed execution, 2 usage or
 * input error, 3 still running when following stopped).
 */
export async function runMigrateCommand(argv: string[], deps: MigrateDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      table: { type: 'string' },
      index: { type: 'string', default: EVENT_ID_INDEX },
      segments: { type: 'string', default: '8' },
      rate: { type: 'string', default: '1000' },
      follow: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      'state-machine-arn': { type: 'string' },
      summary: { type: 'string' },
      'follow-minutes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    deps.out(USAGE);
    return values.help ? 0 : 2;
  }
  const summaryFile = values.summary;
  const options: FollowOptions = {
    summary: summaryFile ? (markdown) => deps.appendToFile(summaryFile, `${markdown}\n`) : () => undefined,
  };
  if (values['follow-minutes'] !== undefined) {
    const minutes = Number(values['follow-minutes']);
    if (!(minutes > 0)) return usageError(deps, `--follow-minutes ${values['follow-minutes']}: give a positive number`);
    options.limit = { minutes, deadline: deps.now() + minutes * 60_000 };
  }
  const stateMachineArn = values['state-machine-arn'] ?? deps.env.MIGRATION_STATE_MACHINE_ARN;
  switch (command) {
    case 'start': {
      const table = values.table;
      const segments = Number(values.segments);
      const rate = Number(values.rate);
      if (
        !table ||
        !Number.isInteger(segments) ||
        segments < 1 ||
        segments > MAX_SEGMENTS ||
        !Number.isInteger(rate) ||
        rate < 1 ||
        rate > 100_000
      ) {
        deps.err(
          `start needs --table <name>; --segments must be a whole number from 1 to ${MAX_SEGMENTS}, --rate one from 1 to 100000`,
        );
        return 2;
      }
      if (!DERIVED_INDEX_NAMES.includes(values.index)) {
        deps.err(
          `--index ${values.index}: not an index the migration can add; give one of ${DERIVED_INDEX_NAMES.join(', ')}`,
        );
        return 2;
      }
      const input: MigrationInput = {
        tableName: table,
        indexName: values.index,
        totalSegments: segments,
        maxWritesPerSecond: rate,
        pollIntervalSeconds: 30,
        maxPolls: 240,
      };
      if (values.local) return startLocal(input, values.follow, deps, options);
      if (!stateMachineArn) return missingArn(deps);
      const started = await deps
        .sfn()
        .send(
          new StartExecutionCommand({ stateMachineArn, name: `${table}-${deps.now()}`, input: JSON.stringify(input) }),
        );
      const executionArn = started.executionArn ?? '';
      deps.out(`Started ${executionArn}`);
      options.summary(executionSummary(executionArn, 'started'));
      return values.follow && executionArn ? follow(executionArn, deps, options) : 0;
    }
    case 'status':
      return target ? status(target, deps) : usageError(deps, 'status needs an execution ARN');
    case 'follow':
      if (!target) return usageError(deps, 'follow needs an execution ARN');
      options.summary(executionSummary(target, 'followed'));
      return follow(target, deps, options);
    case 'list': {
      if (!stateMachineArn) return missingArn(deps);
      const { executions = [] } = await deps.sfn().send(new ListExecutionsCommand({ stateMachineArn, maxResults: 20 }));
      for (const e of executions)
        deps.out(`${e.status ?? ''}\t${e.startDate?.toISOString() ?? ''}\t${e.executionArn ?? ''}`);
      return 0;
    }
    default:
      return usageError(deps, `Unknown command '${command}'`);
  }
}

function usageError(deps: MigrateDeps, message: string): number {
  deps.err(`${message}\n${USAGE}`);
  return 2;
}

function missingArn(deps: MigrateDeps): number {
  deps.err('No state machine: pass --state-machine-arn or set MIGRATION_STATE_MACHINE_ARN (a MigrationStack output)');
  return 2;
}

async function startLocal(
  input: LocalMigrationInput,
  follow: boolean,
  deps: MigrateDeps,
  options: FollowOptions,
): Promise<number> {
  const { client, doc } = deps.dynamodb();
  try {
    await client.send(new DescribeTableCommand({ TableName: input.tableName }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      deps.err(`Unknown table '${input.tableName}'`);
      return 2;
    }
    throw error;
  }
  deps.out(`Running the migration of ${input.tableName} locally (the synthesized state machine)...`);
  const printer = new ProgressPrinter(deps.out);
  try {
    const result = (await runMigrationLocally(input, {
      client,
      doc,
      definition: synthesizedMigrationDefinition(input.tableName),
      waitMs: 200,
      retryIntervalMs: 500,
      ...(follow && { onProgress: (event: ProgressEvent) => printer.handle(event) }),
    })) as Record<string, unknown>;
    if (result.control !== undefined && result.ok === undefined) {
      deps.out(`${input.indexName ?? EVENT_ID_INDEX} is already verified: nothing to do`);
      options.summary(
        outcomeSummary({ status: 'SUCCEEDED', output: `${input.indexName ?? EVENT_ID_INDEX} is already verified` }),
      );
      return 0;
    }
    deps.out(`Succeeded: ${JSON.stringify(result)}`);
    options.summary(outcomeSummary({ status: 'SUCCEEDED', output: JSON.stringify(result) }));
    return 0;
  } catch (error) {
    deps.err(`Migration failed: ${(error as Error).message}`);
    options.summary(outcomeSummary({ status: 'FAILED', cause: (error as Error).message }));
    return 1;
  }
}

async function status(
  executionArn: string,
  deps: MigrateDeps,
  summary: FollowOptions['summary'] = () => undefined,
): Promise<number> {
  const e = await deps.sfn().send(new DescribeExecutionCommand({ executionArn }));
  deps.out(
    `${e.status ?? 'UNKNOWN'} (started ${e.startDate?.toISOString() ?? '?'}${e.stopDate ? `, stopped ${e.stopDate.toISOString()}` : ''})`,
  );
  if (e.output) deps.out(`Output: ${e.output}`);
  if (e.error || e.cause) deps.out(`Failed: ${e.error ?? ''} ${e.cause ?? ''}`.trim());
  summary(
    outcomeSummary({
      status: e.status ?? 'UNKNOWN',
      ...(e.startDate && { startDate: e.startDate }),
      ...(e.stopDate && { stopDate: e.stopDate }),
      ...(e.output && { output: e.output }),
      ...(e.error && { error: e.error }),
      ...(e.cause && { cause: e.cause }),
    }),
  );
  return e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED' ? 1 : 0;
}

/**
 * Streams new history events (state entries, backfill counts, segment completions) until the execution
 * ends, or until `--follow-minutes` have passed: then it says how to follow again and leaves the
 * execution running, so that a caller with a time limit (a GitHub job) still ends cleanly.
 */
async function follow(executionArn: string, deps: MigrateDeps, options: FollowOptions): Promise<number> {
  const sfn = deps.sfn();
  const printer = new ProgressPrinter(deps.out);
  const seen = new Set<number>();
  // The Map state last entered: the backfill's Map reports segments, the verification's does not.
  let lastMap: string | undefined;
  for (;;) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      for (const event of page.events ?? []) {
        if (event.id === undefined || seen.has(event.id)) continue;
        seen.add(event.id);
        if (event.type === 'MapStateEntered') lastMap = event.stateEnteredEventDetails?.name;
        const progress = toProgressEvent(event, lastMap);
        if (progress) printer.handle(progress);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const { status: state } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (state && state !== 'RUNNING') return status(executionArn, deps, options.summary);
    const { limit } = options;
    if (limit && deps.now() + FOLLOW_POLL_MS > limit.deadline) {
      deps.out(
        `Stopped following after ${limit.minutes} minutes: the execution is still ${state ?? 'RUNNING'} and goes on. ${followAgainText(executionArn)}`,
      );
      options.summary(stillRunningSummary(executionArn, limit.minutes));
      return STILL_RUNNING_EXIT_CODE;
    }
    await deps.sleep(FOLLOW_POLL_MS);
  }
}

/** The verification's Map state: its iterations are not backfill segments. */
const VERIFY_MAP = 'Verify segments';

/** What an execution history event means to the operator, if anything. */
function toProgressEvent(event: HistoryEvent, lastMap: string | undefined): ProgressEvent | undefined {
  switch (event.type) {
    case 'MapStateStarted':
      return lastMap === VERIFY_MAP
        ? undefined
        : { kind: 'backfill-started', segments: event.mapStateStartedEventDetails?.length ?? 0 };
    case 'MapIterationSucceeded':
      return (event.mapIterationSucceededEventDetails?.name ?? lastMap) === VERIFY_MAP
        ? undefined
        : { kind: 'segment-done' };
    case 'LambdaFunctionSucceeded': {
      const output = JSON.parse(event.lambdaFunctionSucceededEventDetails?.output ?? '{}') as {
        scanned?: unknown;
        updated?: unknown;
      };
      return typeof output.scanned === 'number' && typeof output.updated === 'number'
        ? { kind: 'backfill-progress', scanned: output.scanned, updated: output.updated }
        : undefined;
    }
    case 'ExecutionFailed':
      return {
        kind: 'failed',
        error: event.executionFailedEventDetails?.error ?? '',
        cause: event.executionFailedEventDetails?.cause ?? '',
      };
    default:
      return event.stateEnteredEventDetails?.name
        ? { kind: 'state', name: event.stateEnteredEventDetails.name }
        : undefined;
  }
}
