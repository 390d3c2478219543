/**
 * The committed baselines: `load/baselines/<machine class>/<generator>/<scenario>.json`, one per machine
 * class and generator, so the baselines of a laptop, of a CI runner class and of k6 and the local runner
 * live side by side. `npm run load:compare` reads every summary under the folder and picks the one that
 * is comparable with the run (load/src/compare/comparability.ts); the path is a convention for people,
 * the fields inside are what count.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioName } from '../scenarios/scenarios';
import type { LoadSummary } from '../scenarios/summary-format';
import { incomparabilities } from './compare/comparability';
import { InvalidSummaryError, readSummary } from './summary-schema';

/** Where the baseline of one scenario, generator and machine class is recorded. */
export function baselinePath(
  baselinesDir: string,
  key: { machineClass: string; generator: LoadSummary['generator']; scenario: ScenarioName },
): string {
  return join(baselinesDir, key.machineClass, key.generator, `${key.scenario}.json`);
}

/** A file under the baselines folder: its summary, or why it could not be read. */
export type BaselineFile = { path: string; summary: LoadSummary } | { path: string; problem: string };

/** Every `.json` file under `baselinesDir` (none when it does not exist), read and checked against the schema. */
export function readBaselines(baselinesDir: string): BaselineFile[] {
  let entries: string[];
  try {
    entries = readdirSync(baselinesDir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .sort()
    .map((entry) => {
      const path = join(baselinesDir, entry);
      try {
        return { path, summary: readSummary(path) };
      } catch (error) {
        if (!(error instanceof InvalidSummaryError)) throw error;
        return { path, problem: error.problems[0] ?? 'not a valid load summary' };
      }
    });
}

/** The outcome of looking for a run's baseline among the files. */
export interface BaselineChoice {
  /** The comparable baseline; the latest recorded when several are. */
  chosen?: { path: string; summary: LoadSummary };
  /** Baselines of the same scenario that cannot gate the run, each with why. */
  passedOver: { path: string; reasons: string[] }[];
  /** Files that are not valid summaries. */
  unreadable: { path: string; problem: string }[];
}

/** Picks the baseline comparable with `current` (same scenario, generator, target kind, machine class, rate). */
export function chooseBaseline(current: LoadSummary, files: readonly BaselineFile[]): BaselineChoice {
  const choice: BaselineChoice = { passedOver: [], unreadable: [] };
  const comparable: { path: string; summary: LoadSummary }[] = [];
  for (const file of files) {
    if ('problem' in file) {
      choice.unreadable.push(file);
      continue;
    }
    if (file.summary.scenario !== current.scenario) continue;
    const reasons = incomparabilities(current, file.summary);
    if (reasons.length === 0) comparable.push(file);
    else choice.passedOver.push({ path: file.path, reasons });
  }
  const [latest] = comparable.sort((a, b) => Date.parse(b.summary.startedAt) - Date.parse(a.summary.startedAt));
  if (latest) choice.chosen = latest;
  return choice;
}
