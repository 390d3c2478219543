/**
 * Flattens an SLO spec (plain JSON of the `SloSpec` shape) into named objectives and their settings.
 * It reads the shape generically — sections of objectives identified by endpoint/percentile — so
 * fields added to the spec later show up in the diff without changes here.
 */
import { isRecord } from './cfn-template';

/** One setting of an objective, already formatted with its unit: `target` = `100 ms`. */
export interface ObjectiveSetting {
  readonly label: string;
  readonly value: string;
}

/** One objective: `POST /v1/events p95 latency` with its settings keyed by field path. */
export interface Objective {
  readonly id: string;
  readonly label: string;
  readonly settings: ReadonlyMap<string, ObjectiveSetting>;
}

/** Fields that say which objective an entry is, rather than what it requires. */
const IDENTITY_FIELDS = ['endpoint', 'percentile', 'name', 'id', 'tier'] as const;

const UNIT_SUFFIXES: readonly { readonly suffix: string; readonly unit: string }[] = [
  { suffix: 'InMillis', unit: 'ms' },
  { suffix: 'InSeconds', unit: 's' },
  { suffix: 'InMinutes', unit: 'min' },
  { suffix: 'EventsPerSecond', unit: 'events/s' },
  { suffix: 'PerSecond', unit: '/s' },
  { suffix: 'Percent', unit: '%' },
];

/** The objectives of a spec keyed by id; throws on an entry whose id repeats (see `findSpecProblems`). */
export function objectivesOf(spec: unknown): Map<string, Objective> {
  const objectives = new Map<string, Objective>();
  if (!isRecord(spec)) return objectives;
  for (const [section, content] of Object.entries(spec)) {
    const entries = Array.isArray(content) ? content : [content];
    entries.forEach((entry, index) => {
      const objective = objectiveOf(section, entry, Array.isArray(content) ? index : undefined);
      if (objectives.has(objective.id)) throw new Error(`duplicate objective "${objective.label}"`);
      objectives.set(objective.id, objective);
    });
  }
  return objectives;
}

function objectiveOf(section: string, entry: unknown, index: number | undefined): Objective {
  const sectionLabel = words(section);
  if (!isRecord(entry)) {
    const settings = new Map([['value', { label: 'value', value: formatValue(section, entry) }]]);
    return { id: `${section}#${index ?? ''}`, label: sectionLabel, settings };
  }
  const identity = IDENTITY_FIELDS.map((field) => entry[field]).filter((value) => typeof value === 'string');
  const settings = new Map<string, ObjectiveSetting>();
  for (const [field, value] of Object.entries(entry)) {
    if (!(IDENTITY_FIELDS as readonly string[]).includes(field) || typeof value !== 'string') {
      flattenSetting([field], value, settings);
    }
  }
  // Entries with no identity fall back to their position, so reordering them reads as a change.
  const key = identity.length > 0 ? identity.join(' ') : String(index ?? '');
  return { id: `${section}#${key}`, label: [...identity, sectionLabel].join(' '), settings };
}

function flattenSetting(path: readonly string[], value: unknown, into: Map<string, ObjectiveSetting>): void {
  if (isRecord(value)) {
    for (const [field, nested] of Object.entries(value)) flattenSetting([...path, field], nested, into);
    return;
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
    // Nested lists such as burn-rate tiers: one setting per field, named by the item's name or position.
    value.forEach((item, index) => {
      const name = typeof item.name === 'string' ? item.name : String(index);
      const rest = Object.fromEntries(Object.entries(item).filter(([field]) => field !== 'name'));
      flattenSetting([...path, name], rest, into);
    });
    return;
  }
  const field = path[path.length - 1] ?? '';
  const label = path.map((segment) => settingLabel(segment)).join(' ');
  into.set(path.join('.'), { label, value: formatValue(field, value) });
}

/** `minimumEventsPerSecond` -> `minimum`, `targetInMillis` -> `target`. */
function settingLabel(field: string): string {
  const unit = UNIT_SUFFIXES.find(({ suffix }) => field.endsWith(suffix) && field !== suffix);
  return words(unit ? field.slice(0, -unit.suffix.length) : field);
}

/** A value with the unit its field name carries: `targetInMillis: 80` -> `80 ms`. */
function formatValue(field: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const unit = UNIT_SUFFIXES.find(({ suffix }) => field.endsWith(suffix));
  return unit && typeof value === 'number' ? `${text} ${unit.unit}` : text;
}

/** `successRate` -> `success rate`. */
function words(camelCase: string): string {
  return camelCase.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}
