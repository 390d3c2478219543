/** The pure core of the SLO diff: what a change to the spec does to objectives, alarms and dashboards. */
import { ALARM_FIELDS, alarmsOf, type AlarmField, type AlarmSummary } from './alarm-settings';
import type { TemplateSet } from './cfn-template';
import { widgetsOf, type WidgetSummary } from './dashboard-widgets';
import { objectivesOf, type Objective } from './spec-objectives';

/** One tree (base or head): its synthesized templates by stack name and its SLO spec as plain JSON. */
export interface SloSnapshot {
  readonly templates: TemplateSet;
  readonly spec: unknown;
}

/** A setting of an objective that differs: `POST /v1/events p95 latency target 100 ms -> 80 ms`. */
export interface ObjectiveChange {
  readonly objective: string;
  readonly setting: string;
  readonly oldValue: string;
  readonly newValue: string;
  readonly summary: string;
}

/** An objective present on one side only, with its settings in one line: `target 100 ms`. */
export interface ObjectiveSummary {
  readonly objective: string;
  readonly settings: string;
}

/** An alarm present on both sides whose compared fields differ. */
export interface AlarmChange {
  readonly key: string;
  readonly kind: AlarmSummary['kind'];
  readonly changes: readonly { readonly field: AlarmField; readonly oldValue: string; readonly newValue: string }[];
}

/** Everything the SLO diff found; every list is empty when the change leaves SLOs alone. */
export interface SloDiffReport {
  readonly objectives: {
    readonly changed: readonly ObjectiveChange[];
    readonly added: readonly ObjectiveSummary[];
    readonly removed: readonly ObjectiveSummary[];
  };
  readonly alarms: {
    readonly added: readonly AlarmSummary[];
    readonly removed: readonly AlarmSummary[];
    readonly changed: readonly AlarmChange[];
  };
  readonly widgets: {
    readonly added: readonly WidgetSummary[];
    readonly removed: readonly WidgetSummary[];
    readonly changed: readonly WidgetSummary[];
  };
  /** Things the diff could not read, e.g. a dashboard body that is not JSON. */
  readonly warnings: readonly string[];
}

/** Compares the objectives, alarms and dashboard widgets of a base and a head tree. */
export function compareSloTemplates(base: SloSnapshot, head: SloSnapshot): SloDiffReport {
  const baseWidgets = widgetsOf(base.templates);
  const headWidgets = widgetsOf(head.templates);
  return {
    objectives: compareObjectives(objectivesOf(base.spec), objectivesOf(head.spec)),
    alarms: compareAlarms(alarmsOf(base.templates), alarmsOf(head.templates)),
    widgets: compareWidgets(baseWidgets.widgets, headWidgets.widgets),
    warnings: [...baseWidgets.warnings.map((w) => `base: ${w}`), ...headWidgets.warnings.map((w) => `head: ${w}`)],
  };
}

/** True when the report lists any objective, alarm or widget difference. */
export function hasSloChanges(report: SloDiffReport): boolean {
  const { objectives, alarms, widgets } = report;
  const lists: readonly (readonly unknown[])[] = [
    ...Object.values(objectives),
    ...Object.values(alarms),
    ...Object.values(widgets),
  ];
  return lists.some((list) => list.length > 0);
}

function compareObjectives(
  base: ReadonlyMap<string, Objective>,
  head: ReadonlyMap<string, Objective>,
): SloDiffReport['objectives'] {
  const changed: ObjectiveChange[] = [];
  for (const [id, newObjective] of head) {
    const oldObjective = base.get(id);
    if (!oldObjective) continue;
    const fields = new Set([...oldObjective.settings.keys(), ...newObjective.settings.keys()]);
    for (const field of fields) {
      const before = oldObjective.settings.get(field);
      const after = newObjective.settings.get(field);
      if (before?.value === after?.value) continue;
      const setting = (after ?? before)?.label ?? field;
      const oldValue = before?.value ?? '(none)';
      const newValue = after?.value ?? '(none)';
      const summary = `${newObjective.label} ${setting} ${oldValue} -> ${newValue}`;
      changed.push({ objective: newObjective.label, setting, oldValue, newValue, summary });
    }
  }
  return {
    changed,
    added: onlyIn(head, base).map(summarizeObjective),
    removed: onlyIn(base, head).map(summarizeObjective),
  };
}

function summarizeObjective(objective: Objective): ObjectiveSummary {
  const settings = [...objective.settings.values()].map(({ label, value }) => `${label} ${value}`).join(', ');
  return { objective: objective.label, settings };
}

function compareAlarms(
  base: ReadonlyMap<string, AlarmSummary>,
  head: ReadonlyMap<string, AlarmSummary>,
): SloDiffReport['alarms'] {
  const changed: AlarmChange[] = [];
  for (const [key, after] of head) {
    const before = base.get(key);
    if (!before) continue;
    const changes = ALARM_FIELDS.filter((field) => before.settings[field] !== after.settings[field]).map((field) => ({
      field,
      oldValue: before.settings[field] ?? '(none)',
      newValue: after.settings[field] ?? '(none)',
    }));
    if (changes.length > 0) changed.push({ key, kind: after.kind, changes });
  }
  return { added: onlyIn(head, base), removed: onlyIn(base, head), changed };
}

/** Widgets are matched by dashboard and title; repeated titles are paired in order of appearance. */
function compareWidgets(base: readonly WidgetSummary[], head: readonly WidgetSummary[]): SloDiffReport['widgets'] {
  const added: WidgetSummary[] = [];
  const removed: WidgetSummary[] = [];
  const changed: WidgetSummary[] = [];
  const baseByKey = groupBy(base, widgetKey);
  const headByKey = groupBy(head, widgetKey);
  for (const key of new Set([...baseByKey.keys(), ...headByKey.keys()])) {
    const before = baseByKey.get(key) ?? [];
    const after = headByKey.get(key) ?? [];
    after.forEach((widget, index) => {
      const previous = before[index];
      if (!previous) added.push(widget);
      else if (previous.json !== widget.json) changed.push(widget);
    });
    removed.push(...before.slice(after.length));
  }
  return { added, removed, changed };
}

function widgetKey(widget: WidgetSummary): string {
  return `${widget.dashboard}\u0000${widget.title}`;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

function onlyIn<T>(side: ReadonlyMap<string, T>, other: ReadonlyMap<string, unknown>): T[] {
  return [...side].filter(([key]) => !other.has(key)).map(([, value]) => value);
}
