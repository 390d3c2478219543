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
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import { runMigrationLocally } from '../local/run-migration-locally';

export const USAGE = `Usage: npm run migrate -- <command> [options]

Commands:
  start --table <name> [--segments 8] [--rate 1000] [--follow] [--local]
                         start the event-id-index migration of a table (--local: run the same state
                         machine here against DYNAMODB_ENDPOINT / the embedded engine)
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
      const input = {
        tableName: table,
        totalSegments: segments,
        maxWritesPerSecond: rate,
        pollIntervalSeconds: 30,
        maxPolls: 240,
      };
      if (values.local) return startLocal(input, deps);
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

async function startLocal(
  input: { tableName: string; totalSegments: number; maxWritesPerSecond: number; maxPolls: number },
  deps: MigrateDeps,
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
  try {
    const result = (await runMigrationLocally(input, {
      client,
      doc,
      definition: synthesizedMigrationDefinition(input.tableName),
      waitMs: 200,
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

/** A text progress bar: `[######----] 6/10`. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? 0 : Math.round((width * Math.min(done, total)) / total);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** Streams new history events (state entries, segment completions) until the execution ends. */
async function follow(executionArn: string, deps: MigrateDeps): Promise<number> {
  const sfn = deps.sfn();
  const seen = new Set<number>();
  let segmentsTotal = 0;
  let segmentsDone = 0;
  for (;;) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      for (const event of page.events ?? []) {
        if (event.id === undefined || seen.has(event.id)) continue;
        seen.add(event.id);
        ({ segmentsTotal, segmentsDone } = describeEvent(event, deps, segmentsTotal, segmentsDone));
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const { status: state } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (state && state !== 'RUNNING') return status(executionArn, deps);
    await deps.sleep(5000);
  }
}

function describeEvent(
  event: HistoryEvent,
  deps: MigrateDeps,
  segmentsTotal: number,
  segmentsDone: number,
): { segmentsTotal: number; segmentsDone: number } {
  if (event.type === 'MapStateStarted') {
    segmentsTotal = event.mapStateStartedEventDetails?.length ?? segmentsTotal;
    deps.out(`Backfill started over ${segmentsTotal} segments`);
  } else if (event.type === 'MapIterationSucceeded') {
    segmentsDone++;
    deps.out(`Backfill ${progressBar(segmentsDone, segmentsTotal)}`);
  } else if (event.stateEnteredEventDetails?.name) {
    deps.out(`-> ${event.stateEnteredEventDetails.name}`);
  } else if (event.type === 'ExecutionFailed') {
    deps.out(
      `Execution failed: ${event.executionFailedEventDetails?.error ?? ''} ${event.executionFailedEventDetails?.cause ?? ''}`.trim(),
    );
  }
  return { segmentsTotal, segmentsDone };
}
