import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { startEmbeddedEngine, type EmbeddedEngine } from '../engine/src/embedded-engine';
import { createDynamoDbClients, type DynamoDbClients } from '../platform/dynamodb-client';
import {
  functionAt,
  readTemplates,
  resolveEnvironment,
  synthesizedFunctions,
  tablesOf,
  type CfnTemplate,
  type CfnValue,
  type SynthesizedFunction,
} from './cloud-assembly';
import { startLambdaSandbox, type LambdaSandbox } from './lambda-sandbox';
import { startSecretsManagerDouble, type SecretsManagerDouble } from './secrets-manager-double';

/**
 * A synthesized stage run on this machine, for the artifact tests and `npm run bench:lambda`: the embedded
 * engine holding the tables the API stack's template declares, a Secrets Manager stand-in holding the
 * stack's secrets, and the stacks' bundled functions started in Lambda sandboxes with their template
 * environment, CloudFormation references resolved to those local resources.
 */
export interface LocalStage {
  readonly outDir: string;
  readonly engine: EmbeddedEngine;
  readonly secrets: SecretsManagerDouble;
  /** Admin clients on the engine (setup and assertions). */
  readonly db: DynamoDbClients;
  readonly templates: Record<string, CfnTemplate>;
  readonly functions: SynthesizedFunction[];
  /** Table names by logical id, as the template names them. */
  readonly tableNames: Record<string, string>;
  /** The ARN the stand-in serves for a secret's logical id. */
  secretArn(logicalId: string): string;
  /** The value the stand-in holds for a secret's logical id. */
  secretValue(logicalId: string): string;
  /** Resolves a function's template environment against this stage, plus the local endpoints. */
  environmentOf(fn: SynthesizedFunction, extra?: Record<string, string>): Record<string, string>;
  /** Starts the function at `<stack>/<constructId>/Resource` in a sandbox (closed with the stage). */
  start(constructId: string, extra?: Record<string, string>): Promise<LambdaSandbox>;
  /** A template value with its `Ref`s and `Fn::GetAtt`s resolved against this stage. */
  resolve(value: Record<string, CfnValue>): Record<string, string>;
  close(): Promise<void>;
}

/** Starts a stage from a cloud assembly (`synthesizeApp`'s output folder). */
export async function startLocalStage(outDir: string): Promise<LocalStage> {
  const templates = readTemplates(outDir);
  const functions = synthesizedFunctions(outDir);
  const engine = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
  const secrets = await startSecretsManagerDouble();
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
  const tableNames: Record<string, string> = {};
  const secretArns = new Map<string, string>();
  const secretValues = new Map<string, string>();
  const resources = Object.values(templates).flatMap((template) => Object.entries(template.Resources));
  for (const template of Object.values(templates)) {
    for (const [logicalId, input] of Object.entries(tablesOf(template))) {
      await db.client.send(new CreateTableCommand(input));
      tableNames[logicalId] = String(input.TableName);
    }
  }
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::SecretsManager::Secret') continue;
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${logicalId}-${randomBytes(3).toString('hex')}`;
    const value = randomBytes(36).toString('base64url');
    secretArns.set(logicalId, arn);
    secretValues.set(logicalId, value);
    secrets.put(arn, value);
  }
  const resolveToken = (logicalId: string, attribute?: string): string => {
    const table = tableNames[logicalId];
    if (table !== undefined && attribute === undefined) return table;
    if (table !== undefined && attribute === 'Arn') return `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`;
    const secret = secretArns.get(logicalId);
    if (secret !== undefined) return secret;
    throw new Error(`the local stage cannot resolve ${logicalId}${attribute ? `.${attribute}` : ''}`);
  };
  const sandboxes: LambdaSandbox[] = [];
  const stage: LocalStage = {
    outDir,
    engine,
    secrets,
    db,
    templates,
    functions,
    tableNames,
    secretArn(logicalId) {
      const arn = secretArns.get(logicalId);
      if (!arn) throw new Error(`no secret ${logicalId} in the templates`);
      return arn;
    },
    secretValue(logicalId) {
      const value = secretValues.get(logicalId);
      if (!value) throw new Error(`no secret ${logicalId} in the templates`);
      return value;
    },
    environmentOf(fn, extra = {}) {
      return {
        ...resolveEnvironment(fn.environment, resolveToken),
        DYNAMODB_ENDPOINT: engine.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        ...extra,
      };
    },
    async start(constructId, extra) {
      const fn = functionAt(functions, constructId);
      const sandbox = await startLambdaSandbox({
        assetDir: fn.assetDir,
        handler: fn.handler,
        environment: stage.environmentOf(fn, extra),
        functionName: fn.logicalId,
      });
      sandboxes.push(sandbox);
      return sandbox;
    },
    resolve(value) {
      return resolveEnvironment(value, resolveToken);
    },
    async close() {
      await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
      db.client.destroy();
      await secrets.close();
      await engine.close();
    },
  };
  return stage;
}
