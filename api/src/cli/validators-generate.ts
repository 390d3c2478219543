/**
 * `npm run validators:generate [-- --check]`: compiles the request schemas into api/src/http/generated/, or
 * with `--check` lists the stale files and exits 1.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { requestValidatorFiles } from '../http/request-validators-source';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** The generated files whose content on disk differs from what the schemas generate now. */
export function staleValidatorFiles(root: string = REPO_ROOT): string[] {
  return requestValidatorFiles()
    .filter((file) => {
      try {
        return readFileSync(join(root, file.path), 'utf8') !== file.content;
      } catch {
        return true;
      }
    })
    .map((file) => file.path);
}

function main(): void {
  const check = process.argv.includes('--check');
  const stale = staleValidatorFiles();
  if (check) {
    for (const path of stale) process.stdout.write(`stale: ${path} (run \`npm run validators:generate\`)\n`);
    process.exitCode = stale.length === 0 ? 0 : 1;
    return;
  }
  for (const file of requestValidatorFiles().filter((f) => stale.includes(f.path))) {
    mkdirSync(dirname(join(REPO_ROOT, file.path)), { recursive: true });
    writeFileSync(join(REPO_ROOT, file.path), file.content);
    process.stdout.write(`wrote ${file.path}\n`);
  }
  if (stale.length === 0) process.stdout.write('generated validators are up to date\n');
}

if (require.main === module) main();
