/**
 * The "k6 by hand" commands of docs/LOAD_TESTING.md, run as written by a user with a fresh clone and
 * `npm start` running: a copy of the repository without `load/results/` (k6 does not create folders),
 * k6 on PATH, the development key and URL filled in.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../../../tooling/server-process';
import { readSummary } from '../../src/summary-schema';
import { findK6, REPO_ROOT, runShell, withK6OnPath } from '../support/k6-binary';

const DOC = join(REPO_ROOT, 'docs', 'LOAD_TESTING.md');
const DOCUMENTED_URL = 'http://127.0.0.1:8080';

/** The first `sh` block under the "k6 by hand" heading. */
function documentedCommands(): string {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(text.indexOf('## k6 by hand'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`${DOC} has no sh block under "## k6 by hand"`);
  return block;
}

/** A copy of the files a clone would have (tracked, plus new files not ignored), with the installed node_modules. */
function freshClone(): string {
  const root = mkdtempSync(join(tmpdir(), 'load-fresh-clone-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(REPO_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(root, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  return root;
}

describe('the documented k6 command, from a fresh clone', () => {
  let env: NodeJS.ProcessEnv;
  let api: ServerProcess;
  let clone: string;

  beforeAll(async () => {
    env = withK6OnPath(findK6());
    delete env.LOAD_MACHINE_CLASS;
    clone = freshClone();
    api = await startServerProcess({});
  }, 60_000);

  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it('writes its summary into load/results/, which the clone does not have, and load:compare reads it', async () => {
    const commands = documentedCommands();
    expect(commands).toContain(DOCUMENTED_URL);
    expect(commands).toContain('<key>');
    expect(existsSync(join(clone, 'load', 'results'))).toBe(false);

    // Line by line as typed, not stopping when k6 exits 99 on a threshold this busy machine may miss.
    const typed = commands.replaceAll(DOCUMENTED_URL, api.url).replaceAll('<key>', api.apiKey);
    const result = await runShell(`set +e\n${typed}`, clone, env);

    expect(result.stderr).not.toMatch(/no such file or directory/i);
    const summary = readSummary(join(clone, 'load', 'results', 'event_ingestion.json'));
    expect(summary).toMatchObject({ scenario: 'event_ingestion', generator: 'k6', targetKind: 'given-url' });
    expect(summary.endpoints['POST /v1/events']?.requests).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/## Load gate: (✅ PASS|❌ FAIL) — `event_ingestion` \(generator: k6\)/);
    // k6 alone knows no machine class: the gate holds the run to the SLO only, and says why.
    expect(result.stdout).toContain(
      'No comparable baseline in load/baselines/ for this run (event_ingestion, k6, given-url, unknown machine class, 50/s)',
    );
  }, 90_000);
});
