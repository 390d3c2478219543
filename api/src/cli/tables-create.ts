import { parseArgs } from 'node:util';
import { ensureTables } from '../store/ensure-tables';
import { seedLegacyEvents } from '../store/legacy-seed';
import { DEFAULT_TABLE_NAMES } from '../../../contract/table-schemas';
import { cliClients, runCli } from '../../../platform/cli-clients';

const USAGE = `Usage: npm run tables:create -- [options]

Creates the events and API keys tables when missing (existing tables are left as they are).

Options:
  --legacy              create a pre-migration events table, without event-id-index
  --seed <n>            with --legacy: write n legacy-shaped events (no event_id attribute)
  --tenants <a,b,...>   tenants the seeded events belong to (default: legacy)
  --events-table <name> (default: EVENTS_TABLE or ${DEFAULT_TABLE_NAMES.events})
  --keys-table <name>   (default: API_KEYS_TABLE or ${DEFAULT_TABLE_NAMES.apiKeys})
  --aws                 use AWS DynamoDB (default credentials) instead of DYNAMODB_ENDPOINT / the local engine
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      legacy: { type: 'boolean', default: false },
      seed: { type: 'string' },
      tenants: { type: 'string', default: 'legacy' },
      'events-table': { type: 'string' },
      'keys-table': { type: 'string' },
      aws: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 10_000_000) {
    process.stderr.write(`--seed must be a whole number of events, got '${values.seed}'\n`);
    return 2;
  }
  if (seed > 0 && !values.legacy) {
    process.stderr.write('--seed writes legacy-shaped events and needs --legacy\n');
    return 2;
  }
  const tables = {
    events: values['events-table'] ?? process.env.EVENTS_TABLE ?? DEFAULT_TABLE_NAMES.events,
    apiKeys: values['keys-table'] ?? process.env.API_KEYS_TABLE ?? DEFAULT_TABLE_NAMES.apiKeys,
  };
  const { clients, target } = cliClients(process.env, values.aws);
  try {
    const result = await ensureTables(clients.client, clients.doc, tables, { legacy: values.legacy });
    for (const name of result.created)
      process.stdout.write(
        `created  ${name}${values.legacy && name === tables.events ? ' (legacy: no event-id-index)' : ''}\n`,
      );
    for (const name of result.existing) process.stdout.write(`exists   ${name} (left unchanged)\n`);
    if (seed > 0) {
      const tenants = values.tenants
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      await seedLegacyEvents(clients.doc, { tableName: tables.events, count: seed, tenants });
      process.stdout.write(`seeded   ${seed} legacy events into ${tables.events} for ${tenants.join(', ')}\n`);
    }
    process.stderr.write(`Target: ${target}\n`);
    return 0;
  } finally {
    clients.client.destroy();
  }
}

runCli(main);
