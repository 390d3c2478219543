/**
 * `npm run slo:generate [-- --check]`: writes the files generated from monitoring/slo-spec.ts, or with
 * `--check` lists the stale ones and exits non-zero.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidSloSpecError } from '../../contract/slo-spec-validation';
import { SLO_SPEC } from '../../contract/slo-spec';
import { GenerateError } from './errors';
import { generatedFiles, staleFiles } from './generated-files';

/** The repository root: two levels above this file. */
const REPO_ROOT = resolve(__dirname, '..', '..');

/** Writes or checks the generated files under `repoRoot`; returns the process exit code. */
export async function runSloGenerate(
  argv: readonly string[],
  repoRoot: string,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { check: { type: 'boolean' } }, strict: true });
  const read = (path: string): Promise<string> => readFile(join(repoRoot, path), 'utf8');
  const files = await generatedFiles(SLO_SPEC, read);
  const stale = await staleFiles(files, read);
  if (values.check) {
    if (stale.length === 0) return 0;
    out.write(`Stale files generated from monitoring/slo-spec.ts (run \`npm run slo:generate\`):\n`);
    for (const file of stale) out.write(`- ${file.path}\n`);
    return 1;
  }
  for (const file of files.filter((f) => stale.some((s) => s.path === f.path))) {
    await mkdir(dirname(join(repoRoot, file.path)), { recursive: true });
    await writeFile(join(repoRoot, file.path), file.content);
    out.write(`wrote ${file.path}\n`);
  }
  if (stale.length === 0) out.write('generated files are up to date\n');
  return 0;
}

async function main(): Promise<void> {
  try {
    process.exitCode = await runSloGenerate(process.argv.slice(2), REPO_ROOT, process.stdout);
  } catch (error) {
    const known =
      error instanceof GenerateError ||
      error instanceof InvalidSloSpecError ||
      (error instanceof TypeError && 'code' in error);
    process.stderr.write(`slo:generate: ${known ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
