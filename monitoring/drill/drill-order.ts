/** The order that keeps one drilled alarm from suppressing the actions of the next. */
import type { DrillAlarm } from './drill-alarms';

/**
 * A composite with an actions suppressor is drilled before its suppressor and everything that feeds
 * it: pushing those into ALARM first would silence its actions for the suppressor's extension
 * period (the slower burn-rate tiers are suppressed by the faster ones). Otherwise name order.
 */
export function orderForDrill(alarms: readonly DrillAlarm[]): DrillAlarm[] {
  const byName = new Map(alarms.map((alarm) => [alarm.alarmName, alarm]));
  const mustFollow = new Map<string, Set<string>>(alarms.map((alarm) => [alarm.alarmName, new Set<string>()]));
  for (const alarm of alarms) {
    if (!alarm.actionsSuppressor) continue;
    for (const upstream of feeding(alarm.actionsSuppressor, byName)) {
      if (upstream !== alarm.alarmName) mustFollow.get(upstream)?.add(alarm.alarmName);
    }
  }
  return topologicalByName(alarms, mustFollow);
}

/** `name` and every alarm its rule reads, transitively. */
function feeding(name: string, byName: ReadonlyMap<string, DrillAlarm>): Set<string> {
  const seen = new Set<string>();
  const pending = [name];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(byName.get(next)?.ruleInputs ?? []));
  }
  return seen;
}

// Kahn's algorithm, always taking the first ready name; a cycle falls back to name order.
function topologicalByName(alarms: readonly DrillAlarm[], mustFollow: Map<string, Set<string>>): DrillAlarm[] {
  const remaining = [...alarms].sort((a, b) => a.alarmName.localeCompare(b.alarmName));
  const done = new Set<string>();
  const ordered: DrillAlarm[] = [];
  while (remaining.length > 0) {
    const readyIndex = remaining.findIndex((alarm) =>
      [...(mustFollow.get(alarm.alarmName) ?? [])].every((before) => done.has(before)),
    );
    const [next] = remaining.splice(Math.max(readyIndex, 0), 1);
    if (!next) break;
    done.add(next.alarmName);
    ordered.push(next);
  }
  return ordered;
}
