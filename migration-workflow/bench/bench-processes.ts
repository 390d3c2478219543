import type { Pool } from 'undici';
import type { EmbeddedEngine } from '../../engine/src/embedded-engine';
import type { DynamoDbClients } from '../../platform/dynamodb-client';
import type { ServerProcess } from '../../tooling/server-process';

/** Prints one line of the benchmark's output. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A whole number with thousands separators. */
export const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** Everything the benchmark started, so it can be stopped on any exit. */
export const running: {
  engine?: EmbeddedEngine;
  servers: ServerProcess[];
  pools: Pool[];
  clients: DynamoDbClients[];
} = { servers: [], pools: [], clients: [] };

/** Stops what was started: pools, SDK clients, API processes, then the engine. */
export async function cleanUp(): Promise<void> {
  await Promise.allSettled(running.pools.map((pool) => pool.close()));
  for (const clients of running.clients) clients.client.destroy();
  await Promise.allSettled(
    running.servers.map((server) => {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
      return server.exited;
    }),
  );
  await running.engine?.close();
}

/** A benchmark interrupted half-way must not leave API processes behind. */
export function stopEverythingOnExit(): void {
  process.on('exit', () => {
    for (const server of running.servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`\n${signal}: stopping`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
}
