/**
 * `npm run alarms:drill -- --stage <stage> [--alarm <name>] [--region <region>] [--timeout-seconds <n>]`:
 * pushes a deployed stage's alarms into ALARM and back, prints a table of results and exits non-zero
 * when an alarm's actions did not fire (or it could not be drilled or set back to OK).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AlarmDrillError, DrillUsageError } from './errors';
import { renderDrillTable } from './render-drill-table';
import { drillFailed, runAlarmDrill } from './run-alarm-drill';

const USAGE =
  'usage: npm run alarms:drill -- --stage <stage> [--alarm <name>] [--region <region>] [--timeout-seconds <n>]';

// Composites with an actions suppressor hold their actions for its wait period (60 s by default).
const DEFAULT_TIMEOUT_IN_SECONDS = 180;

/** Parsed command line. */
export interface AlarmDrillArgs {
  readonly stage: string;
  readonly alarmName?: string;
  readonly region?: string;
  readonly timeoutInSeconds: number;
}

/** Reads the flags; throws a `DrillUsageError` naming the bad value and carrying the usage line. */
export function parseAlarmDrillArgs(argv: readonly string[]): AlarmDrillArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stage: { type: 'string' },
      alarm: { type: 'string' },
      region: { type: 'string' },
      'timeout-seconds': { type: 'string' },
    },
    strict: true,
  });
  if (!values.stage) throw new DrillUsageError(`--stage <stage> is required\n${USAGE}`);
  const timeout = values['timeout-seconds'] ?? String(DEFAULT_TIMEOUT_IN_SECONDS);
  const timeoutInSeconds = Number(timeout);
  if (!Number.isInteger(timeoutInSeconds) || timeoutInSeconds <= 0) {
    throw new DrillUsageError(`--timeout-seconds must be a positive integer, got "${timeout}"\n${USAGE}`);
  }
  return {
    stage: values.stage,
    ...(values.alarm ? { alarmName: values.alarm } : {}),
    ...(values.region ? { region: values.region } : {}),
    timeoutInSeconds,
  };
}

async function main(): Promise<void> {
  try {
    const args = parseAlarmDrillArgs(process.argv.slice(2));
    const client = new CloudWatchClient(args.region ? { region: args.region } : {});
    const results = await runAlarmDrill({
      client,
      stage: args.stage,
      ...(args.alarmName ? { alarmName: args.alarmName } : {}),
      now: () => new Date(),
      sleep: (millis) => sleep(millis),
      timeoutMs: args.timeoutInSeconds * 1000,
    });
    process.stdout.write(renderDrillTable(results));
    if (results.some(drillFailed)) process.exitCode = 1;
  } catch (error) {
    // Usage and selection errors are ours to word; SDK errors keep their name (e.g. CredentialsProviderError).
    const message = error instanceof AlarmDrillError ? error.message : describeError(error);
    process.stderr.write(`alarms:drill: ${message}\n`);
    process.exitCode = 1;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

if (require.main === module) void main();
