import { appendFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { cliClients } from '../../../platform/cli-clients';
import { runMigrateCommand } from './migrate-command';

// Entry point of `npm run migrate`: clients are built from the environment only when a command needs them.
const argv = process.argv.slice(2);
runMigrateCommand(argv, {
  sfn: () => new SFNClient({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' }),
  dynamodb: () => cliClients(process.env, false).clients,
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  appendToFile: (path, text) => appendFileSync(path, text),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
