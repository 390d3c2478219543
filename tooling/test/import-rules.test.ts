import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');

/** Runs the project's import rules (what `npm run lint:imports` runs) on a tree of files written under a temp folder. */
async function cruise(files: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  const root = await mkdtemp(join(tmpdir(), 'import-rules-'));
  try {
    const tree = { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs' } }), ...files };
    for (const [path, text] of Object.entries(tree)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const folders = [...new Set(Object.keys(files).map((path) => path.split('/')[0] ?? path))];
    const run = await promisify(execFile)(DEPCRUISE, [...folders, '--config', CONFIG], { cwd: root }).then(
      ({ stdout }) => ({ exitCode: 0, output: stdout }),
      (error: { code?: number; stdout?: string }) => ({ exitCode: error.code ?? 1, output: error.stdout ?? '' }),
    );
    return run;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('the import rules of docs/ARCHITECTURE.md', () => {
  it('accept imports that run downward: api on contract, tooling on api', async () => {
    const result = await cruise({
      'contract/names.ts': 'export const NAME = "n";\n',
      'api/src/app.ts': 'import { NAME } from "../../contract/names";\nexport const app = NAME;\n',
      'tooling/server.ts': 'import { app } from "../api/src/app";\nexport const server = app;\n',
    });

    expect(result).toMatchObject({ exitCode: 0, output: expect.stringContaining('no dependency violations') });
  }, 30_000);

  it.each([
    [
      'contract-imports-nothing',
      { 'contract/names.ts': 'import { app } from "../api/src/app";\nexport const NAME = app;\n' },
    ],
    [
      'runtime-never-imports-developer-side',
      { 'api/src/app.ts': 'import { helper } from "../../tooling/helper";\nexport const app = helper;\n' },
    ],
    [
      'migration-on-lower-layers',
      { 'migration-workflow/src/step.ts': 'import { app } from "../../api/src/app";\nexport const step = app;\n' },
    ],
    [
      'api-on-lower-layers',
      { 'api/src/app.ts': 'import { SPEC } from "../../monitoring/spec";\nexport const app = SPEC;\n' },
    ],
    [
      'tests-keep-to-their-folder',
      {
        'load/test/a.test.ts': 'import { fixture } from "../../api/test/support/fixture";\nexport const a = fixture;\n',
      },
    ],
  ])(
    'fail a wrong-way import (%s)',
    async (rule, wrong) => {
      const result = await cruise({
        'contract/names.ts': 'export const NAME = "n";\n',
        'api/src/app.ts': 'export const app = 1;\n',
        'api/test/support/fixture.ts': 'export const fixture = 1;\n',
        'monitoring/spec.ts': 'export const SPEC = 1;\n',
        'tooling/helper.ts': 'export const helper = 1;\n',
        ...wrong,
      });

      expect(result.exitCode).not.toBe(0);
      expect(result.output).toContain(`error ${rule}:`);
    },
    30_000,
  );
});
