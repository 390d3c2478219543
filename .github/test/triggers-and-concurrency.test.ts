/**
 * When the workflows run and what they cancel, with their `if:` and `concurrency:` expressions
 * evaluated for the events GitHub sends: load tests are not cancelled by an unrelated label and the
 * nightly's scenarios do not block each other; a deploy follows a green CI run of its exact commit, one
 * at a time per environment; CI cancels superseded pull-request runs only.
 */
import {
  evaluateCondition,
  evaluateString,
  evaluateValue,
  type ExpressionContexts,
  type ExpressionValue,
} from './support/actions-expression';
import { SCENARIO_NAMES } from '../../load/scenarios/scenarios';
import { jobOf, readWorkflow, type Concurrency, type Job, type Workflow } from './support/workflow-files';

interface EvaluatedConcurrency {
  group: string;
  cancelInProgress: boolean;
}

/** A `concurrency:` block as GitHub evaluates it for one event. */
function evaluateConcurrency(
  concurrency: Concurrency | string | undefined,
  contexts: ExpressionContexts,
): EvaluatedConcurrency | undefined {
  if (concurrency === undefined) return undefined;
  const block = typeof concurrency === 'string' ? { group: concurrency } : concurrency;
  return {
    group: evaluateString(block.group, contexts),
    cancelInProgress: evaluateCondition(block['cancel-in-progress'] ?? false, contexts),
  };
}

/** The job's own concurrency for one event, failing when it has none. */
function jobConcurrency(job: Job, contexts: ExpressionContexts): EvaluatedConcurrency {
  const evaluated = evaluateConcurrency(job.concurrency, contexts);
  if (!evaluated) throw new Error(`job '${job.name ?? ''}' declares no concurrency`);
  return evaluated;
}

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

/** The contexts of a `pull_request` event of PR `number`. */
function pullRequest(number: number, action: string, labels: string[], label?: string): ExpressionContexts {
  return {
    github: {
      event_name: 'pull_request',
      ref: `refs/pull/${number}/merge`,
      sha: SHA_A,
      event: {
        action,
        number,
        pull_request: { number, labels: labels.map((name) => ({ name })) },
        ...(label === undefined ? {} : { label: { name: label } }),
      },
    },
    inputs: {},
    vars: {},
  };
}

const push = (sha: string): ExpressionContexts => ({
  github: { event_name: 'push', ref: 'refs/heads/main', sha, event: { after: sha } },
  inputs: {},
  vars: {},
});

const schedule: ExpressionContexts = {
  github: { event_name: 'schedule', ref: 'refs/heads/main', sha: SHA_A, event: { schedule: '17 3 * * *' } },
  inputs: {},
  vars: {},
};

const dispatch = (inputs: Record<string, string>): ExpressionContexts => ({
  github: { event_name: 'workflow_dispatch', ref: 'refs/heads/main', sha: SHA_A, event: { inputs } },
  inputs,
  vars: {},
});

const withMatrix = (contexts: ExpressionContexts, matrix: Record<string, ExpressionValue>): ExpressionContexts => ({
  ...contexts,
  matrix,
  strategy: { 'fail-fast': false },
});

describe('load-test.yml', () => {
  const wf = readWorkflow('load-test.yml');
  const job = jobOf(wf, 'load-test');
  const scenariosFor = (contexts: ExpressionContexts): string[] =>
    evaluateValue(job.strategy?.matrix?.scenario, contexts) as string[];
  const concurrencyFor = (contexts: ExpressionContexts, scenario: string) =>
    jobConcurrency(job, withMatrix(contexts, { scenario }));
  const labelled = pullRequest(7, 'synchronize', ['performance']);

  it('declares no workflow-level concurrency, which a run whose job is skipped would still join', () => {
    expect(wf.concurrency).toBeUndefined();
  });

  it('skips the job when a label other than performance is added, and runs it for performance', () => {
    const otherLabel = pullRequest(7, 'labeled', ['performance', 'docs'], 'docs');
    const performanceLabel = pullRequest(7, 'labeled', ['performance'], 'performance');

    expect(evaluateCondition(job.if, withMatrix(otherLabel, { scenario: 'mixed_workload' }))).toBe(false);
    expect(evaluateCondition(job.if, withMatrix(performanceLabel, { scenario: 'mixed_workload' }))).toBe(true);
    expect(evaluateCondition(job.if, withMatrix(labelled, { scenario: 'mixed_workload' }))).toBe(true);
    expect(evaluateCondition(job.if, withMatrix(pullRequest(7, 'synchronize', []), { scenario: 'x' }))).toBe(false);
  });

  it("gives each of the nightly's scenarios its own group, none cancelling another", () => {
    const scenarios = scenariosFor(schedule);
    const groups = scenarios.map((scenario) => concurrencyFor(schedule, scenario));

    expect(scenarios).toEqual([...SCENARIO_NAMES]);
    expect(new Set(groups.map((c) => c.group)).size).toBe(SCENARIO_NAMES.length);
    expect(groups.map((c) => c.cancelInProgress)).toEqual(SCENARIO_NAMES.map(() => false));
  });

  it("lets a new push to a labelled pull request cancel that pull request's run of the same scenario only", () => {
    const [first, second] = scenariosFor(labelled);
    const running = concurrencyFor(pullRequest(7, 'labeled', ['performance'], 'performance'), first ?? '');
    const newPush = concurrencyFor(labelled, first ?? '');

    expect(newPush).toEqual({ group: running.group, cancelInProgress: true });
    expect(concurrencyFor(labelled, second ?? '').group).not.toBe(running.group);
    expect(concurrencyFor(pullRequest(8, 'synchronize', ['performance']), first ?? '').group).not.toBe(running.group);
  });

  it('keeps pull-request runs, the nightly and manual runs in separate groups', () => {
    const manual = dispatch({ scenario: 'mixed_workload', duration: '60s', target: '', rate: '', baseline: '' });

    expect(scenariosFor(manual)).toEqual(['mixed_workload']);
    const groups = [labelled, schedule, manual].map((contexts) => concurrencyFor(contexts, 'mixed_workload'));
    expect(new Set(groups.map((c) => c.group)).size).toBe(3);
    expect(concurrencyFor(manual, 'mixed_workload').cancelInProgress).toBe(false);
  });
});

describe('deploy.yml', () => {
  const wf = readWorkflow('deploy.yml');
  const ciName = readWorkflow('ci.yml').name;
  const jobs = Object.entries(wf.jobs);

  /** The `workflow_run` event of a completed CI run. */
  const ciCompleted = (conclusion: string, event: string, headSha = SHA_A): ExpressionContexts => ({
    github: {
      event_name: 'workflow_run',
      // A workflow_run workflow runs on the default branch, at its tip: not necessarily the commit CI tested.
      ref: 'refs/heads/main',
      sha: SHA_B,
      event: {
        action: 'completed',
        workflow_run: { name: ciName, conclusion, event, head_branch: 'main', head_sha: headSha },
      },
    },
    inputs: {},
    vars: {
      ALARM_EMAIL: '',
      TICKET_EMAIL: '',
      AWS_DEPLOY_ROLE_ARN: 'arn:aws:iam::1:role/deploy',
      AWS_REGION: 'eu-west-1',
    },
  });

  it(`runs when the CI workflow ('${ciName}') completes on main, and on nothing else`, () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_run']);
    expect(wf.on.workflow_run).toEqual({ workflows: [ciName], types: ['completed'], branches: ['main'] });
  });

  it('has deploy jobs for staging then production', () => {
    expect(jobs.map(([, job]) => job.environment)).toEqual(['staging', 'production']);
  });

  describe.each(jobs)('job %s', (_id, job) => {
    it('runs only after a successful CI run of a push to main', () => {
      expect(evaluateCondition(job.if, ciCompleted('success', 'push'))).toBe(true);
      for (const conclusion of ['failure', 'cancelled', 'timed_out', 'skipped']) {
        expect(evaluateCondition(job.if, ciCompleted(conclusion, 'push'))).toBe(false);
      }
      // A pull request from a branch named main also reports head_branch 'main'.
      expect(evaluateCondition(job.if, ciCompleted('success', 'pull_request'))).toBe(false);
    });

    it('checks out and deploys the commit CI tested, not the tip of main', () => {
      const checkouts = (job.steps ?? []).filter((step) => step.uses?.startsWith('actions/checkout@'));

      expect(checkouts).toHaveLength(1);
      expect(evaluateValue(checkouts[0]?.with?.ref, ciCompleted('success', 'push', SHA_A))).toBe(SHA_A);
    });

    it('waits for a deploy of its environment under way, never cancels it, and never waits for the other environment', () => {
      const thisCommit = jobConcurrency(job, ciCompleted('success', 'push', SHA_A));
      const nextCommit = jobConcurrency(job, ciCompleted('success', 'push', SHA_B));

      expect(thisCommit.group).toBe(nextCommit.group);
      expect(thisCommit.group).toContain(job.environment);
      expect(thisCommit.cancelInProgress).toBe(false);
      const others = jobs.filter(([, other]) => other !== job);
      for (const [, other] of others) {
        expect(jobConcurrency(other, ciCompleted('success', 'push')).group).not.toBe(thisCommit.group);
      }
    });
  });

  it('holds no workflow-level concurrency group, which a production approval would keep staging waiting on', () => {
    expect(wf.concurrency).toBeUndefined();
  });
});

describe('ci.yml', () => {
  const wf: Workflow = readWorkflow('ci.yml');
  const concurrencyFor = (contexts: ExpressionContexts) => {
    const evaluated = evaluateConcurrency(wf.concurrency, contexts);
    if (!evaluated) throw new Error('ci.yml declares no concurrency');
    return evaluated;
  };

  it('gives every push to main its own group, so no run on main is cancelled or replaced while pending', () => {
    const first = concurrencyFor(push(SHA_A));
    const second = concurrencyFor(push(SHA_B));

    expect(first.group).not.toBe(second.group);
    expect([first.cancelInProgress, second.cancelInProgress]).toEqual([false, false]);
  });

  it("cancels a pull request's run when a newer push supersedes it, and no other pull request's", () => {
    const older = concurrencyFor(pullRequest(5, 'opened', []));
    const newer = concurrencyFor(pullRequest(5, 'synchronize', []));

    expect(newer).toEqual({ group: older.group, cancelInProgress: true });
    expect(concurrencyFor(pullRequest(6, 'synchronize', [])).group).not.toBe(older.group);
    expect(concurrencyFor(push(SHA_A)).group).not.toBe(older.group);
  });
});
