/**
 * Value checks on a loaded SLO spec. Types catch most mistakes at compile time; these catch what
 * JSON from another git ref can still get wrong: ranges, units and repeated objectives.
 */
import { isRecord } from './cfn-template';
import { objectivesOf } from './spec-objectives';

/** Every rule the spec breaks, as messages naming the value received and the value expected; empty when valid. */
export function findSpecProblems(spec: unknown): string[] {
  if (!isRecord(spec)) return [`the spec must be an object, got ${describe(spec)}`];
  const problems: string[] = [];
  checkNumbers([], spec, problems);
  try {
    objectivesOf(spec);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return problems;
}

function checkNumbers(path: readonly string[], value: unknown, problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkNumbers([...path, String(index)], item, problems));
  } else if (isRecord(value)) {
    for (const [field, nested] of Object.entries(value)) checkNumbers([...path, field], nested, problems);
  } else if (typeof value === 'number') {
    const field = path[path.length - 1] ?? '';
    const where = path.join('.');
    if (!Number.isFinite(value)) problems.push(`${where} must be a finite number, got ${value}`);
    else if (field.endsWith('Percent') && (value <= 0 || value > 100)) {
      problems.push(`${where} must be a percentage in (0, 100], got ${value}`);
    } else if (/(InMillis|InSeconds|InMinutes|PerSecond)$/.test(field) && value <= 0) {
      problems.push(`${where} must be greater than 0, got ${value}`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
