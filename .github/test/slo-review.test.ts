/**
 * slo-review.yml: the full report goes to the job summary and the report capped for GitHub's comment
 * limit to the comment (the steps' shell run here with a stand-in npm; the cap itself is tested in
 * monitoring/test/slo-diff/render-markdown.test.ts).
 *
 * It runs only when a pull request touches its `paths`. Those paths must cover every file
 * the SLO diff depends on: the import closure of the CDK app (`cdk-app.ts`, `cdk-stacks.ts`) and of
 * `monitoring/`, followed through relative imports, plus package-lock.json (the installed version of
 * cdk-monitoring-constructs and aws-cdk-lib shapes the alarms and dashboards). The closure is derived
 * from the sources, so a file someone adds to it later is checked too.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import * as ts from 'typescript';
import { evaluateString } from './support/actions-expression';
import { jobOf, readWorkflow, REPO_ROOT } from './support/workflow-files';

const posix = (path: string): string => path.split(sep).join('/');

/** Every `.ts` file under a folder, tests excluded: tests do not change what the SLO diff synthesizes. */
function sourcesUnder(folder: string): string[] {
  return readdirSync(join(REPO_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .map((file) => posix(join(folder, file)))
    .filter((file) => file.endsWith('.ts') && !file.split('/').includes('test'));
}

/** A relative import resolved as TypeScript resolves it here: `./x` is `x.ts` (or `x` itself), or `x/index.ts`. */
function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = join(dirname(join(REPO_ROOT, fromFile)), specifier);
  const found = [`${base}.ts`, base, join(base, 'index.ts')].find(
    (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
  );
  return found === undefined ? undefined : posix(relative(REPO_ROOT, found));
}

/** The files reachable from `entries` through relative imports (packages are not followed). */
function importClosure(entries: readonly string[]): { files: string[]; unresolved: string[] } {
  const files = new Set<string>();
  const unresolved: string[] = [];
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.ts')) continue;
    const { importedFiles } = ts.preProcessFile(readFileSync(join(REPO_ROOT, file), 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const resolved = resolveImport(file, fileName);
      if (resolved === undefined) unresolved.push(`${file} -> ${fileName}`);
      else queue.push(resolved);
    }
  }
  return { files: [...files].sort(), unresolved };
}

/**
 * GitHub's `paths` filter: glob patterns (picomatch with dot files, as GitHub's `*` and `**` match them),
 * read in order, a `!pattern` excluding what earlier patterns included.
 */
function pathsFilter(patterns: readonly string[]): (file: string) => boolean {
  const rules = patterns.map((pattern) => ({
    negated: pattern.startsWith('!'),
    matches: picomatch(pattern.replace(/^!/, ''), { dot: true }),
  }));
  return (file) => rules.reduce((included, rule) => (rule.matches(file) ? !rule.negated : included), false);
}

describe('slo-review.yml paths', () => {
  const wf = readWorkflow('slo-review.yml');
  const paths = (wf.on.pull_request as { paths?: string[] } | undefined)?.paths ?? [];
  const triggers = pathsFilter(paths);
  const closure = importClosure(['cdk-app.ts', 'cdk-stacks.ts', ...sourcesUnder('monitoring')]);

  it('follows every relative import of the closure to a file', () => {
    expect(closure.unresolved).toEqual([]);
    // The stacks and their inputs from outside monitoring/ are reached, not only the entry points.
    expect(closure.files).toEqual(
      expect.arrayContaining(['contract/slo-spec.ts', 'api/infra/api-stack.ts', 'contract/table-schemas.ts']),
    );
  });

  it('match every file the SLO diff depends on', () => {
    expect(closure.files.filter((file) => !triggers(file))).toEqual([]);
  });

  it("match package-lock.json, which pins the construct library's version", () => {
    expect(triggers('package-lock.json')).toBe(true);
  });

  it('leave out API code the stacks do not import, so an ordinary API change runs no SLO review', () => {
    const apiSources = sourcesUnder('api/src').filter((file) => !closure.files.includes(file));

    expect(apiSources.length).toBeGreaterThan(0);
    expect(apiSources.filter(triggers)).toEqual([]);
  });

  it('run the review job on every path it lists (no job-level condition narrows it)', () => {
    expect(jobOf(wf, 'slo-diff').if).toBeUndefined();
  });
});

describe('slo-review.yml report and comment', () => {
  const job = jobOf(readWorkflow('slo-review.yml'), 'slo-diff');
  const diffStep = job.steps?.find((step) => step.run?.includes('npm run --silent slo:diff'));
  const summaryStep = job.steps?.find((step) => step.run?.includes('$GITHUB_STEP_SUMMARY'));
  const commentStep = job.steps?.find((step) => step.uses?.startsWith('marocchino/sticky-pull-request-comment@'));
  const contexts = {
    github: { server_url: 'https://github.com', repository: 'acme/triggers-api', run_id: 42, base_ref: 'main' },
  };

  /**
   * Runs the diff step and the summary step (`bash -e`, as GitHub runs a `run:` without `shell:`) with a
   * stand-in npm that prints the full report and writes the capped one where --comment-out says.
   */
  function runSteps(): { files: Record<string, string>; npmArgs: string[]; summary: string } {
    if (!diffStep?.run || !summaryStep?.run) throw new Error('slo-review.yml has no diff or summary step');
    const dir = mkdtempSync(join(tmpdir(), 'slo-review-job-'));
    try {
      mkdirSync(join(dir, 'bin'));
      writeFileSync(
        join(dir, 'bin', 'npm'),
        [
          '#!/usr/bin/env bash',
          `printf '%s\\n' "$@" > "${dir}/npm-args"`,
          'while [ $# -gt 0 ]; do [ "$1" = --comment-out ] && echo "CAPPED REPORT" > "$2"; shift; done',
          'echo "FULL REPORT"',
          '',
        ].join('\n'),
      );
      chmodSync(join(dir, 'bin', 'npm'), 0o755);
      const summaryFile = join(dir, 'step-summary.md');
      writeFileSync(summaryFile, '');
      const stepEnv = Object.fromEntries(
        Object.entries(diffStep.env ?? {}).map(([name, value]) => [name, evaluateString(value, contexts)]),
      );
      const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, GITHUB_STEP_SUMMARY: summaryFile };
      for (const script of [diffStep.run, summaryStep.run]) {
        const result = spawnSync('bash', ['--noprofile', '--norc', '-e', '-c', script], {
          cwd: dir,
          env: { ...env, ...stepEnv },
          encoding: 'utf8',
        });
        if (result.status !== 0) throw new Error(`step failed: ${result.stderr}`);
      }
      const files = Object.fromEntries(
        readdirSync(dir)
          .filter((file) => file.endsWith('.md') && file !== 'step-summary.md')
          .map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
      );
      return {
        files,
        npmArgs: readFileSync(join(dir, 'npm-args'), 'utf8').trimEnd().split('\n'),
        summary: readFileSync(summaryFile, 'utf8'),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('puts the full report in the job summary and posts the capped one as the comment', () => {
    const run = runSteps();
    const commentFile = String(commentStep?.with?.path);

    expect(run.summary).toBe('FULL REPORT\n');
    expect(run.files[commentFile]).toBe('CAPPED REPORT\n');
    expect(commentStep?.if).toContain(`hashFiles('${commentFile}')`);
  });

  it('gives the diff the address of this run, where the cut comment sends its reader', () => {
    const run = runSteps();

    expect(run.npmArgs[run.npmArgs.indexOf('--report-url') + 1]).toBe(
      'https://github.com/acme/triggers-api/actions/runs/42',
    );
  });
});
