/** Replaces the generated region of a document, between its start and end markers. */
import { GenerateError } from './errors';

export const SLO_TABLE_START = '<!-- slo-table:start -->';
export const SLO_TABLE_END = '<!-- slo-table:end -->';

/** `document` with the text between the markers replaced by `content`; throws when a marker is missing. */
export function replaceMarkedRegion(document: string, content: string, path: string): string {
  const start = document.indexOf(SLO_TABLE_START);
  const end = document.indexOf(SLO_TABLE_END);
  if (start < 0 || end < start) {
    throw new GenerateError(`${path}: expected '${SLO_TABLE_START}' followed by '${SLO_TABLE_END}'`);
  }
  const before = document.slice(0, start + SLO_TABLE_START.length);
  return `${before}\n\n${content.trim()}\n\n${document.slice(end)}`;
}
