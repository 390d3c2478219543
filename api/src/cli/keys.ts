import { parseArgs } from 'node:util';
import { hashApiKey } from '../domain/api-keys';
import { mintApiKey } from '../domain/mint-api-key';
import { DynamoDbApiKeyStore } from '../store/dynamodb-api-key-store';
import { DEFAULT_TABLE_NAMES } from '../../../contract/table-schemas';
import { cliClients, runCli } from '../../../platform/cli-clients';

const USAGE = `Usage: npm run keys -- <command> [options]

Commands:
  create --tenant <id> [--name <label>]   mint a key; it is printed once and stored only as a SHA-256 hash
  list                                    list keys (hash prefix, tenant, name, created, revoked)
  revoke --key <key> | --hash <sha256>    revoke a key

Options:
  --aws            use AWS DynamoDB (default credentials) instead of DYNAMODB_ENDPOINT / the local engine
  --table <name>   keys table (default: API_KEYS_TABLE or ${DEFAULT_TABLE_NAMES.apiKeys})
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      hash: { type: 'string' },
      table: { type: 'string' },
      aws: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const { clients, target } = cliClients(process.env, values.aws);
  const store = new DynamoDbApiKeyStore(
    clients.doc,
    values.table ?? process.env.API_KEYS_TABLE ?? DEFAULT_TABLE_NAMES.apiKeys,
  );
  try {
    switch (command) {
      case 'create': {
        if (!values.tenant) {
          process.stderr.write('create needs --tenant <id>\n');
          return 2;
        }
        const key = await mintApiKey(store, { tenantId: values.tenant, name: values.name ?? 'api-key' });
        process.stderr.write(
          `Created a key for tenant '${values.tenant}' in ${target}. Store it now: it is not shown again.\n`,
        );
        process.stdout.write(`${key}\n`);
        return 0;
      }
      case 'list': {
        for (const k of await store.list()) {
          process.stdout.write(
            `${k.keyHash.slice(0, 12)}  ${k.tenantId.padEnd(16)} ${k.name.padEnd(16)} ${k.createdAt}${k.revoked ? '  revoked' : ''}\n`,
          );
        }
        return 0;
      }
      case 'revoke': {
        const hash = values.hash ?? (values.key ? hashApiKey(values.key) : undefined);
        if (!hash) {
          process.stderr.write('revoke needs --key <key> or --hash <sha256>\n');
          return 2;
        }
        if (!(await store.revoke(hash))) {
          process.stderr.write(`No key with hash ${hash.slice(0, 12)}...\n`);
          return 1;
        }
        process.stderr.write(
          `Revoked ${hash.slice(0, 12)}... (cached authorisations expire within AUTH_CACHE_TTL_SECONDS)\n`,
        );
        return 0;
      }
      default:
        process.stderr.write(`Unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } finally {
    clients.client.destroy();
  }
}

runCli(main);
