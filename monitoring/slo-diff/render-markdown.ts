/** Renders an SLO diff report as markdown for a pull-request comment. */
import type { AlarmField, AlarmSummary } from './alarm-settings';
import { hasSloChanges, type SloDiffReport } from './compare-slo-templates';
import type { WidgetSummary } from './dashboard-widgets';

/** Text shown when base and head have the same objectives, alarms and widgets. */
export const NO_SLO_CHANGES = 'No SLO changes: objectives, alarms and dashboard widgets are the same as the base.';

const FIELD_HEADINGS: Readonly<Record<AlarmField, string>> = {
  threshold: 'Threshold',
  comparisonOperator: 'Comparison',
  statistic: 'Statistic',
  period: 'Period (s)',
  evaluationPeriods: 'Evaluation periods',
  datapointsToAlarm: 'Datapoints to alarm',
  metric: 'Metric',
  alarmRule: 'Rule',
  actionsSuppressor: 'Suppressed by',
};

const ADDED_ALARM_COLUMNS: readonly AlarmField[] = [
  'threshold',
  'comparisonOperator',
  'statistic',
  'period',
  'evaluationPeriods',
  'alarmRule',
];

/** The report as markdown, with `cloudFormationDiff` (plain text) folded in a `<details>` block below. */
export function renderMarkdown(report: SloDiffReport, cloudFormationDiff?: string): string {
  const sections = ['## SLO changes', ...(hasSloChanges(report) ? changeSections(report) : [NO_SLO_CHANGES])];
  if (report.warnings.length > 0) {
    sections.push(['**Warnings**', '', ...report.warnings.map((warning) => `- ${warning}`)].join('\n'));
  }
  if (cloudFormationDiff !== undefined) {
    const body = cloudFormationDiff.trim() === '' ? 'No CloudFormation changes.' : cloudFormationDiff.trimEnd();
    sections.push(
      ['<details>', '<summary>CloudFormation diff</summary>', '', '```', body, '```', '', '</details>'].join('\n'),
    );
  }
  return `${sections.join('\n\n')}\n`;
}

function changeSections(report: SloDiffReport): string[] {
  const { objectives, alarms, widgets } = report;
  return [
    section(
      '### Objectives changed',
      ['Objective', 'Setting', 'Old', 'New'],
      objectives.changed.map((change) => [change.objective, change.setting, change.oldValue, change.newValue]),
    ),
    section(
      '### Objectives added',
      ['Objective', 'Settings'],
      objectives.added.map((o) => [o.objective, o.settings]),
    ),
    section(
      '### Objectives removed',
      ['Objective', 'Settings'],
      objectives.removed.map((o) => [o.objective, o.settings]),
    ),
    alarmSection('### Alarms added', alarms.added),
    alarmSection('### Alarms removed', alarms.removed),
    section(
      '### Alarms changed',
      ['Alarm', 'Field', 'Old', 'New'],
      alarms.changed.flatMap((alarm) =>
        alarm.changes.map((change) => [alarm.key, FIELD_HEADINGS[change.field], change.oldValue, change.newValue]),
      ),
    ),
    widgetSection('### Dashboard widgets added', widgets.added),
    widgetSection('### Dashboard widgets removed', widgets.removed),
    widgetSection('### Dashboard widgets changed', widgets.changed),
  ].filter((text) => text !== '');
}

function alarmSection(heading: string, alarms: readonly AlarmSummary[]): string {
  return section(
    heading,
    ['Alarm', 'Kind', ...ADDED_ALARM_COLUMNS.map((field) => FIELD_HEADINGS[field])],
    alarms.map((alarm) => [alarm.key, alarm.kind, ...ADDED_ALARM_COLUMNS.map((field) => alarm.settings[field] ?? '')]),
  );
}

function widgetSection(heading: string, widgets: readonly WidgetSummary[]): string {
  return section(
    heading,
    ['Dashboard', 'Widget', 'Type'],
    widgets.map((widget) => [widget.dashboard, widget.title, widget.type]),
  );
}

/** A heading and a table, or nothing when there are no rows. */
function section(heading: string, headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [heading, '', line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
