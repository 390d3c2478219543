/** Every file generated from the SLO spec, already in the form the repository's prettier leaves it. */
import { validateSloSpec } from '../../contract/slo-spec-validation';
import type { SloSpec } from '../../contract/slo-spec';
import { K6_THRESHOLDS_PATH, renderK6Thresholds } from './k6-thresholds';
import { replaceMarkedRegion } from './marked-region';
import { renderSloTable, SLO_DOC_PATH } from './slo-table';

/** One generated file: its repository-relative path and its full expected content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Reads a repository-relative file; injected so tests and the CLI share the logic. */
export type ReadRepoFile = (path: string) => Promise<string>;

/** A path whose committed content differs from what the spec generates. */
export interface StaleFile {
  readonly path: string;
}

/** The generated files for `spec`; docs/SLO.md keeps everything outside its marked region. */
export async function generatedFiles(spec: SloSpec, readFile: ReadRepoFile): Promise<GeneratedFile[]> {
  validateSloSpec(spec);
  const doc = await readFile(SLO_DOC_PATH);
  return [
    { path: K6_THRESHOLDS_PATH, content: renderK6Thresholds(spec) },
    { path: SLO_DOC_PATH, content: replaceMarkedRegion(doc, renderSloTable(spec), SLO_DOC_PATH) },
  ];
}

/** The generated files whose committed content is missing or different. */
export async function staleFiles(files: readonly GeneratedFile[], readFile: ReadRepoFile): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const file of files) {
    const committed = await readFile(file.path).catch(() => undefined);
    if (committed !== file.content) stale.push({ path: file.path });
  }
  return stale;
}
