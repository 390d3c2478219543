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
  treatMissingData: 'Missing data',
  alarmRule: 'Rule',
  actionsSuppressor: 'Suppressed by',
  suppressionExtension: 'Suppressed after recovery (s)',
  notifies: 'Notifies',
};

const ADDED_ALARM_COLUMNS: readonly AlarmField[] = [
  'threshold',
  'comparisonOperator',
  'statistic',
  'period',
  'evaluationPeriods',
  'alarmRule',
];

/** GitHub refuses a pull-request comment longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/**
 * What a report capped for a comment may take, in UTF-8 bytes: GitHub's limit less a margin for the
 * hidden header the sticky-comment action adds. Bytes are never fewer than characters, so the cap
 * holds however GitHub counts (the CloudFormation diff draws its tree with multi-byte characters).
 */
export const COMMENT_BUDGET_BYTES = 60_000;

/** Options of `renderMarkdown`. */
export interface RenderOptions {
  /** Cut the folded CloudFormation diff so that the whole report fits in this many UTF-8 bytes. */
  readonly maxBytes?: number;
  /** Where the full report is (the workflow run), linked from the line that says the diff was cut. */
  readonly fullReportUrl?: string;
}

/**
 * The report as markdown, with `cloudFormationDiff` (plain text) folded in a `<details>` block below.
 * With `maxBytes`, only the folded diff is cut, at a line, and a plain line says so and where the full
 * report is: the objective, alarm and widget tables stay whole.
 */
export function renderMarkdown(
  report: SloDiffReport,
  cloudFormationDiff?: string,
  options: RenderOptions = {},
): string {
  const sections = ['## SLO changes', ...(hasSloChanges(report) ? changeSections(report) : [NO_SLO_CHANGES])];
  if (report.warnings.length > 0) {
    sections.push(['**Warnings**', '', ...report.warnings.map((warning) => `- ${warning}`)].join('\n'));
  }
  const compose = (details?: string) => `${[...sections, ...(details === undefined ? [] : [details])].join('\n\n')}\n`;
  if (cloudFormationDiff === undefined) return capMarkdown(compose(), options);
  const body = cloudFormationDiff.trim() === '' ? 'No CloudFormation changes.' : cloudFormationDiff.trimEnd();
  const full = compose(foldedDiff(body));
  const { maxBytes } = options;
  if (maxBytes === undefined || byteLength(full) <= maxBytes) return full;

  const lines = body.split('\n');
  const notice = (shown: number) =>
    `The CloudFormation diff was cut after ${shown.toLocaleString('en-US')} of ${lines.length.toLocaleString('en-US')} ` +
    `lines to keep this comment under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character limit. ` +
    `The full report is in the job summary${options.fullReportUrl ? ` of [this workflow run](${options.fullReportUrl})` : ''}.`;
  // Everything but the kept lines, with a one-byte stand-in for them (the code fence is there once any
  // line is kept); the notice's numbers take at most as many digits as the line count.
  const budget = maxBytes - (byteLength(compose(cutDiff('-', notice(lines.length)))) - 1);
  if (budget < 0) return capMarkdown(compose(cutDiff('', notice(0))), options);
  const kept = leadingLines(lines, budget);
  return compose(cutDiff(kept.text, notice(kept.whole)));
}

/**
 * The last resort when even the tables exceed `maxBytes`: the text cut at a line, with a plain line
 * saying so. Also caps an error message bound for a comment. Text within the limit is returned as is.
 */
export function capMarkdown(text: string, options: RenderOptions): string {
  const { maxBytes } = options;
  if (maxBytes === undefined || byteLength(text) <= maxBytes) return text;
  const notice = `\n\nThis report was cut to keep this comment under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character limit. The full report is in the job summary${options.fullReportUrl ? ` of [this workflow run](${options.fullReportUrl})` : ''}.\n`;
  const kept = leadingLines(text.split('\n'), Math.max(0, maxBytes - byteLength(notice)));
  return `${kept.text}${notice}`;
}

function foldedDiff(body: string): string {
  return ['<details>', '<summary>CloudFormation diff</summary>', '', '```', body, '```', '', '</details>'].join('\n');
}

function cutDiff(kept: string, notice: string): string {
  const code = kept === '' ? [] : ['```', kept, '```', ''];
  return ['<details>', '<summary>CloudFormation diff (cut)</summary>', '', ...code, notice, '', '</details>'].join(
    '\n',
  );
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The first lines of `lines` that fit in `budget` bytes joined by newlines, then as much of the next
 * line as fits, ending in `…` (a dashboard body can be one line longer than the whole budget).
 */
function leadingLines(lines: readonly string[], budget: number): { text: string; whole: number } {
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = byteLength(line) + (kept.length > 0 ? 1 : 0);
    if (used + cost > budget) {
      const ellipsis = '…';
      let room = budget - used - (kept.length > 0 ? 1 : 0) - byteLength(ellipsis);
      let partial = '';
      for (const char of line) {
        room -= byteLength(char);
        if (room < 0) break;
        partial += char;
      }
      const whole = kept.length;
      if (partial !== '') kept.push(`${partial}${ellipsis}`);
      return { text: kept.join('\n'), whole };
    }
    kept.push(line);
    used += cost;
  }
  return { text: kept.join('\n'), whole: kept.length };
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
