import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The CDK app as `npm run synth` writes it (templates and bundled Lambda assets), read back for tests and
 * benchmarks that run what ships rather than the sources.
 */

const ROOT = join(__dirname, '..');

/** A CloudFormation value as it appears in a template: a literal or an intrinsic such as `{Ref}`. */
export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  Metadata?: Record<string, CfnValue>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** A Lambda function of a synthesized stack and the asset folder its code comes from. */
export interface SynthesizedFunction {
  stackName: string;
  logicalId: string;
  /** The construct path, e.g. `TriggersApi-Production/Handler/Resource`. */
  constructPath: string;
  /** Absolute path of the asset folder (`cdk.out/asset.<hash>`). */
  assetDir: string;
  /** True when CDK bundled the asset from this project's sources (false for CDK's own prebuilt code). */
  bundled: boolean;
  handler: string;
  runtime: string;
  /** `Environment.Variables`, CloudFormation intrinsics unresolved. */
  environment: Record<string, CfnValue>;
}

/** Runs `cdk synth` (the project's cdk.json app, cdk-nag checks included) into `outDir`. */
export async function synthesizeApp(outDir: string, context: Record<string, string> = {}): Promise<void> {
  const args = [require.resolve('aws-cdk/bin/cdk'), 'synth', '--quiet', '--no-notices', '--output', outDir];
  for (const [key, value] of Object.entries(context)) args.push('--context', `${key}=${value}`);
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0) throw new Error(`cdk synth failed (exit ${output.code}):\n${output.text}`);
}

/** The stacks' templates in a cloud assembly, by stack name. */
export function readTemplates(outDir: string): Record<string, CfnTemplate> {
  return Object.fromEntries(
    readdirSync(outDir)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => [
        file.replace(/\.template\.json$/, ''),
        JSON.parse(readFileSync(join(outDir, file), 'utf8')) as CfnTemplate,
      ]),
  );
}

/** A template value that must be a plain string (a property or metadata entry). */
function text(value: CfnValue | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string: ${JSON.stringify(value)}`);
  return value;
}

/** Every Lambda function the stacks deploy, with its asset folder. */
export function synthesizedFunctions(outDir: string): SynthesizedFunction[] {
  return Object.entries(readTemplates(outDir)).flatMap(([stackName, template]) =>
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([logicalId, resource]) => {
        const metadata = resource.Metadata ?? {};
        const properties = resource.Properties ?? {};
        const asset = metadata['aws:asset:path'];
        if (typeof asset !== 'string') throw new Error(`${stackName}/${logicalId} has no asset path in its metadata`);
        const variables = (properties.Environment as { Variables?: Record<string, CfnValue> } | undefined)?.Variables;
        return {
          stackName,
          logicalId,
          constructPath: text(metadata['aws:cdk:path'] ?? logicalId, `${logicalId} aws:cdk:path`),
          assetDir: join(outDir, asset),
          bundled: metadata['aws:asset:is-bundled'] === true,
          handler: text(properties.Handler, `${logicalId}.Handler`),
          runtime: text(properties.Runtime, `${logicalId}.Runtime`),
          environment: variables ?? {},
        };
      }),
  );
}

/** The function whose construct path is `<stack>/<id>/Resource` (e.g. `Handler`), or an error naming what exists. */
export function functionAt(functions: SynthesizedFunction[], constructId: string): SynthesizedFunction {
  const found = functions.find((fn) => fn.constructPath.endsWith(`/${constructId}/Resource`));
  if (!found) {
    throw new Error(`no function at '${constructId}'; found: ${functions.map((fn) => fn.constructPath).join(', ')}`);
  }
  return found;
}

/**
 * Resolves CloudFormation intrinsics in a function's environment to plain strings: `Ref` and `Fn::GetAtt`
 * through `resolve` (given the logical id and attribute), `Fn::Join` and literals as CloudFormation would.
 */
export function resolveEnvironment(
  environment: Record<string, CfnValue>,
  resolve: (logicalId: string, attribute?: string) => string,
): Record<string, string> {
  const value = (raw: CfnValue): string => {
    if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    if (raw && !Array.isArray(raw) && typeof raw === 'object') {
      if (typeof raw.Ref === 'string') return resolve(raw.Ref);
      const getAtt = raw['Fn::GetAtt'];
      if (Array.isArray(getAtt)) return resolve(text(getAtt[0], 'Fn::GetAtt'), text(getAtt[1], 'Fn::GetAtt'));
      const join = raw['Fn::Join'];
      if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(value).join(text(join[0], 'Fn::Join'));
    }
    throw new Error(`cannot resolve ${JSON.stringify(raw)}`);
  };
  return Object.fromEntries(Object.entries(environment).map(([name, raw]) => [name, value(raw)]));
}

/** The `AWS::DynamoDB::Table` resources of a template as CreateTable inputs (what the stack would create). */
export function tablesOf(template: CfnTemplate): Record<string, CreateTableCommandInput> {
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
      .map(([logicalId, resource]) => {
        const p = resource.Properties ?? {};
        const input = {
          TableName: p.TableName,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          BillingMode: p.BillingMode,
          ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
        } as unknown as CreateTableCommandInput;
        return [logicalId, input];
      }),
  );
}
