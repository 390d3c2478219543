import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { hashApiKey } from '../../src/domain/api-keys';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../engine/src/embedded-engine';
import { createDynamoDbClients, type DynamoDbClients } from '../../../platform/dynamodb-client';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

async function cli(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('command-line tools against the embedded engine', () => {
  let engine: EmbeddedEngine;
  let db: DynamoDbClients;
  let env: Record<string, string>;

  beforeAll(async () => {
    engine = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
    db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
    env = { DYNAMODB_ENDPOINT: engine.endpoint, EVENTS_TABLE: 'cli-events', API_KEYS_TABLE: 'cli-keys' };
  });
  afterAll(async () => {
    db.client.destroy();
    await engine.close();
  });

  it('tables:create --legacy --seed makes a table without event-id-index holding legacy-shaped items', async () => {
    const result = await cli(
      'api/src/cli/tables-create.ts',
      ['--legacy', '--seed', '60', '--tenants', 'acme,globex'],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('created  cli-events (legacy: no event-id-index)');
    expect(result.stdout).toContain('seeded   60 legacy events');

    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: 'cli-events' }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['inbox-index']);
    const items = (await db.doc.send(new ScanCommand({ TableName: 'cli-events' }))).Items ?? [];
    expect(items).toHaveLength(60);
    expect(items.every((item) => item.event_id === undefined && /^EVENT#.+#[0-9a-f-]{36}$/.test(String(item.sk)))).toBe(
      true,
    );
    expect(new Set(items.map((item) => item.tenant_id))).toEqual(new Set(['acme', 'globex']));
  });

  it('tables:create leaves existing tables unchanged', async () => {
    const result = await cli('api/src/cli/tables-create.ts', [], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('exists   cli-events (left unchanged)');
  });

  it('refuses --seed without --legacy', async () => {
    const result = await cli('api/src/cli/tables-create.ts', ['--seed', '5'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('needs --legacy');
  });

  it('keys create prints a key once and stores only its hash', async () => {
    const result = await cli('api/src/cli/keys.ts', ['create', '--tenant', 'acme', '--name', 'ci'], env);
    expect(result.code).toBe(0);
    const key = result.stdout.trim();
    expect(key).toMatch(/^tk_[A-Za-z0-9_-]{43}$/);
    const items = (await db.doc.send(new ScanCommand({ TableName: 'cli-keys' }))).Items ?? [];
    expect(items).toContainEqual(
      expect.objectContaining({ key_hash: hashApiKey(key), tenant_id: 'acme', name: 'ci', revoked: false }),
    );
    expect(JSON.stringify(items)).not.toContain(key);

    const revoked = await cli('api/src/cli/keys.ts', ['revoke', '--key', key], env);
    expect(revoked.code).toBe(0);
    const listed = await cli('api/src/cli/keys.ts', ['list'], env);
    expect(listed.stdout).toContain(`${hashApiKey(key).slice(0, 12)}  acme`);
    expect(listed.stdout).toContain('revoked');
  });

  it('keys create rejects an invalid tenant id', async () => {
    const result = await cli('api/src/cli/keys.ts', ['create', '--tenant', '#control'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Invalid tenant id '#control'");
  });

  it('reports an unreachable endpoint in one line', async () => {
    const result = await cli('api/src/cli/keys.ts', ['list'], { ...env, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: /);
  });
});
