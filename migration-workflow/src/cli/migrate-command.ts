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
import type { DynamoDbClients } from '../../../api/src/store/dynamodb-client';
import { EVENT_ID_INDEX } from '../../../api/src/store/table-schemas';
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import { runMigrationLocally, type LocalMigrationInput } from '../local/run-migration-locally';
import { ProgressPrinter, type ProgressEvent } from './migration-progress';

export const USAGE = `Usage: npm run migrate -- <command> [options]

Commands:
  start --table <name> [--index event-id-index] [--segments 8] [--rate 1000] [--follow] [--local]
                         start the event-id-index migration of a table (--local: run the same state
                         machine here against DYNAMODB_ENDPOINT / the embedded engine; --follow
                         streams its progress; --rate: backfill writes per second, all segments
                         together)
  status <execution-arn> print an execution's status and result
  follow <execution-arn> stream state transitions and backfill progress until the execution ends
  list                   list recent executions

Options:
  --state-machine-arn <arn>  (default: MIGRATION_STATE_MACHINE_ARN)
`;

export interface MigrateDeps {
  sfn: () => SFNClient;
  dynamodb: () => DynamoDbClients;
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
}

/** Runs one CLI command; resolves the process exit code (0 ok or no-op, 1 failed execution, 2 usage or input error). */
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
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    deps.out(USAGE);
    return values.help ? 0 : 2;
  }
  const stateMachineArn = values['state-machine-arn'] ?? deps.env.MIGRATION_STATE_MACHINE_ARN;
  switch (command) {
    case 'start': {
      const table = values.table;
      const segments = Number(values.segments);
      const rate = Number(values.rate);
      if (!table || !Number.isInteger(segments) || segments < 1 || !Number.isInteger(rate) || rate < 1) {
        deps.err('start needs --table <name>, and --segments/--rate must be positive whole numbers');
        return 2;
      }
      if (values.index !== EVENT_ID_INDEX) {
        deps.err(`--index ${values.index}: this migration builds ${EVENT_ID_INDEX}, the index the API reads`);
        return 2;
      }
      const input = {
        tableName: table,
        indexName: values.index,
        totalSegments: segments,
        maxWritesPerSecond: rate,
        pollIntervalSeconds: 30,
        maxPolls: 240,
      };
      if (values.local) return startLocal(input, values.follow, deps);
      if (!stateMachineArn) return missingArn(deps);
      const started = await deps
        .sfn()
        .send(
          new StartExecutionCommand({ stateMachineArn, name: `${table}-${Date.now()}`, input: JSON.stringify(input) }),
        );
      deps.out(`Started ${started.executionArn ?? ''}`);
      return values.follow && started.executionArn ? follow(started.executionArn, deps) : 0;
    }
    case 'status':
      return target ? status(target, deps) : usageError(deps, 'status needs an execution ARN');
    case 'follow':
      return target ? follow(target, deps) : usageError(deps, 'follow needs an execution ARN');
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

async function startLocal(input: LocalMigrationInput, follow: boolean, deps: MigrateDeps): Promise<number> {
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
      deps.out('event-id-index is already verified: nothing to do');
      return 0;
    }
    deps.out(`Succeeded: ${JSON.stringify(result)}`);
    return 0;
  } catch (error) {
    deps.err(`Migration failed: ${(error as Error).message}`);
    return 1;
  }
}

async function status(executionArn: string, deps: MigrateDeps): Promise<number> {
  const e = await deps.sfn().send(new DescribeExecutionCommand({ executionArn }));
  deps.out(
    `${e.status ?? 'UNKNOWN'} (started ${e.startDate?.toISOString() ?? '?'}${e.stopDate ? `, stopped ${e.stopDate.toISOString()}` : ''})`,
  );
  if (e.output) deps.out(`Output: ${e.output}`);
  if (e.error || e.cause) deps.out(`Failed: ${e.error ?? ''} ${e.cause ?? ''}`.trim());
  return e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED' ? 1 : 0;
}

/** Streams new history events (state entries, backfill counts, segment completions) until the execution ends. */
async function follow(executionArn: string, deps: MigrateDeps): Promise<number> {
  const sfn = deps.sfn();
  const printer = new ProgressPrinter(deps.out);
  const seen = new Set<number>();
  for (;;) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      for (const event of page.events ?? []) {
        if (event.id === undefined || seen.has(event.id)) continue;
        seen.add(event.id);
        const progress = toProgressEvent(event);
        if (progress) printer.handle(progress);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const { status: state } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (state && state !== 'RUNNING') return status(executionArn, deps);
    await deps.sleep(5000);
  }
}

/** What an execution history event means to the operator, if anything. */
function toProgressEvent(event: HistoryEvent): ProgressEvent | undefined {
  switch (event.type) {
    case 'MapStateStarted':
      return { kind: 'backfill-started', segments: event.mapStateStartedEventDetails?.length ?? 0 };
    case 'MapIterationSucceeded':
      return { kind: 'segment-done' };
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
