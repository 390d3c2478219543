/** The workflow files as the tests read them: the raw text and the parsed YAML, typed loosely. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Concurrency {
  group: string;
  'cancel-in-progress'?: boolean | string;
}

export interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  environment?: string;
  concurrency?: Concurrency | string;
  strategy?: { matrix?: Record<string, unknown> };
  'timeout-minutes'?: number;
  env?: Record<string, string>;
  steps?: Step[];
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: Concurrency | string;
  jobs: Record<string, Job>;
}

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const WORKFLOWS_DIR = join(REPO_ROOT, '.github', 'workflows');

/** The workflow file names, sorted. */
export const WORKFLOW_FILES = readdirSync(WORKFLOWS_DIR)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();

/** A workflow file's text. */
export const workflowSource = (file: string): string => readFileSync(join(WORKFLOWS_DIR, file), 'utf8');

/** A workflow file parsed. */
export const readWorkflow = (file: string): Workflow => parse(workflowSource(file)) as Workflow;

/** Every step of every job. */
export const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps ?? []);

/** A job of a workflow, or a failure naming what is missing. */
export function jobOf(wf: Workflow, id: string): Job {
  const job = wf.jobs[id];
  if (!job) throw new Error(`workflow '${wf.name}' has no job '${id}'`);
  return job;
}
