import { createDynamoDbClients, type DynamoDbClients } from './dynamodb-client';

/**
 * Clients for the command-line tools: `DYNAMODB_ENDPOINT` when set, the embedded engine's default
 * endpoint otherwise, or AWS itself (default credential chain) with `--aws`.
 */
export function cliClients(
  env: Record<string, string | undefined>,
  useAws: boolean,
): { clients: DynamoDbClients; target: string } {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (useAws) return { clients: createDynamoDbClients({ region }), target: `AWS DynamoDB (${region})` };
  const endpoint = env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.DYNAMODB_PORT ?? '8000'}`;
  return { clients: createDynamoDbClients({ region, endpoint, maxAttempts: 2 }), target: endpoint };
}

/** Runs a CLI's main, printing a failure as one line and exiting non-zero. */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const e = error as { name?: string; message?: string; code?: string };
      const reason =
        e.code === 'ECONNREFUSED' || e.name === 'TimeoutError'
          ? `cannot reach DynamoDB (${e.message ?? e.code})`
          : (e.message ?? String(error));
      process.stderr.write(`Error: ${reason}\n`);
      process.exit(1);
    },
  );
}
