import { parseSloDiffArgs } from '../../slo-diff/cli';
import { describeCloudFormationDiff } from '../../slo-diff/cloudformation-diff';
import { compareSloTemplates } from '../../slo-diff/compare-slo-templates';
import { COMMENT_BUDGET_BYTES, GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../slo-diff/render-markdown';
import { joinedDashboard, specWith, templatesWith, type LatencyFixture } from './synthetic-templates';

const INGEST: LatencyFixture = { endpoint: 'POST /v1/events', targetInMillis: 100 };
const INBOX: LatencyFixture = { endpoint: 'GET /v1/inbox', targetInMillis: 200 };
const RUN_URL = 'https://github.com/acme/triggers-api/actions/runs/42';
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Templates whose dashboard also holds `fillers` large widgets, so that changing one target line makes
 * the CloudFormation diff print two whole dashboard bodies, as a real widget change does.
 */
function bigDashboardTemplates(latency: readonly LatencyFixture[], fillers: number): Record<string, unknown> {
  const templates = templatesWith(latency) as Record<string, { Resources: Record<string, any> }>;
  const stack = templates['TriggersMonitoring-Production'];
  const widgets = latency.map(({ endpoint, targetInMillis }) => ({
    type: 'metric',
    properties: { title: `${endpoint} latency`, annotations: { horizontal: [{ value: targetInMillis }] } },
  }));
  for (let index = 0; index < fillers; index++) {
    widgets.push({
      type: 'metric',
      properties: {
        title: `Filler widget ${index} ${'─'.repeat(40)}`,
        annotations: { horizontal: [{ value: index }] },
      },
    });
  }
  if (stack) stack.Resources.Dashboard.Properties.DashboardBody = joinedDashboard(widgets);
  return templates;
}

/** A report with an objective, an alarm and a widget change, and the CloudFormation diff that goes with it. */
function hugeChange() {
  const before = { templates: bigDashboardTemplates([INGEST, INBOX], 1500), spec: specWith([INGEST, INBOX]) };
  const tighter = [{ ...INGEST, targetInMillis: 80 }, INBOX];
  const after = { templates: bigDashboardTemplates(tighter, 1500), spec: specWith(tighter) };
  return {
    report: compareSloTemplates(before, after),
    diff: describeCloudFormationDiff(before.templates, after.templates),
  };
}

/** The lines inside the folded block's code fence, or none. */
function fencedLines(markdown: string): string[] {
  const details = markdown.slice(markdown.indexOf('<details>'));
  const match = /\n```\n([\s\S]*?)\n```\n/.exec(details);
  return match?.[1]?.split('\n') ?? [];
}

describe('renderMarkdown capped for a pull-request comment', () => {
  const { report, diff } = hugeChange();
  const full = renderMarkdown(report, diff);
  const capped = renderMarkdown(report, diff, { maxBytes: COMMENT_BUDGET_BYTES, fullReportUrl: RUN_URL });

  it('starts from a report GitHub would refuse as a comment', () => {
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
  });

  it("stays under GitHub's limit with a margin, in characters and in UTF-8 bytes", () => {
    expect(bytes(capped)).toBeLessThanOrEqual(COMMENT_BUDGET_BYTES);
    expect(capped.length).toBeLessThan(GITHUB_COMMENT_LIMIT - 5000);
    // The cap uses the room it has instead of dropping the diff outright.
    expect(bytes(capped)).toBeGreaterThan(COMMENT_BUDGET_BYTES - 2000);
  });

  it('keeps the objective, alarm and widget tables whole', () => {
    const tables = full.slice(0, full.indexOf('<details>'));

    expect(tables).toContain('| POST /v1/events p95 latency | Threshold | 100 | 80 |');
    expect(tables).toContain('### Dashboard widgets changed');
    expect(capped.startsWith(tables)).toBe(true);
  });

  it('keeps the first lines of the CloudFormation diff, unaltered, inside a closed code fence', () => {
    const kept = fencedLines(capped);
    const diffLines = diff.split('\n');

    expect(kept.length).toBeGreaterThan(0);
    expect(kept.slice(0, -1)).toEqual(diffLines.slice(0, kept.length - 1));
    expect(capped.match(/^```$/gm)).toHaveLength(2);
  });

  it('says after the fence, in a plain line, that the diff was cut and where the full report is', () => {
    const kept = fencedLines(capped);
    const notice = capped.split('\n').find((line) => line.startsWith('The CloudFormation diff was cut'));

    expect(notice).toBe(
      `The CloudFormation diff was cut after ${(kept.length - 1).toLocaleString('en-US')} of ` +
        `${diff.split('\n').length.toLocaleString('en-US')} lines to keep this comment under GitHub's 65,536-character ` +
        `limit. The full report is in the job summary of [this workflow run](${RUN_URL}).`,
    );
    expect(capped.lastIndexOf('```')).toBeLessThan(capped.indexOf(notice ?? '?'));
    expect(capped.trimEnd().endsWith('</details>')).toBe(true);
    expect(capped).toContain('<summary>CloudFormation diff (cut)</summary>');
  });

  it('cuts a single line longer than the whole budget, ending it with an ellipsis', () => {
    const oneLine = `Stack TriggersMonitoring-Production ${'{"widgets":[]}'.repeat(20_000)}`;
    const text = renderMarkdown(report, oneLine, { maxBytes: COMMENT_BUDGET_BYTES });
    const kept = fencedLines(text);

    expect(bytes(text)).toBeLessThanOrEqual(COMMENT_BUDGET_BYTES);
    expect(kept).toHaveLength(1);
    expect(kept[0]?.endsWith('…')).toBe(true);
    expect(oneLine.startsWith(kept[0]?.slice(0, -1) ?? '?')).toBe(true);
    expect(text).toContain('cut after 0 of 1 lines');
    expect(text).toContain('The full report is in the job summary.');
  });

  it('leaves a report that fits exactly as it renders without a cap', () => {
    const small = describeCloudFormationDiff(
      templatesWith([INGEST]),
      templatesWith([{ ...INGEST, targetInMillis: 80 }]),
    );

    expect(renderMarkdown(report, small, { maxBytes: COMMENT_BUDGET_BYTES })).toBe(renderMarkdown(report, small));
  });

  it('still fits, cut at a line with a plain notice, when even the tables exceed the cap', () => {
    const text = renderMarkdown(report, diff, { maxBytes: 400, fullReportUrl: RUN_URL });

    expect(bytes(text)).toBeLessThanOrEqual(400);
    expect(text.startsWith('## SLO changes')).toBe(true);
    expect(text.trimEnd()).toMatch(/This report was cut to keep this comment under GitHub's 65,536-character limit\./);
  });
});

describe('parseSloDiffArgs', () => {
  it('reads the base ref, the capped comment file and the address of the full report', () => {
    expect(
      parseSloDiffArgs(['--base', 'origin/main', '--comment-out', 'slo-comment.md', '--report-url', RUN_URL]),
    ).toEqual({ baseRef: 'origin/main', commentOut: 'slo-comment.md', reportUrl: RUN_URL });
    expect(parseSloDiffArgs(['--base', 'origin/main'])).toEqual({ baseRef: 'origin/main' });
  });

  it('fails with the usage line without --base', () => {
    expect(() => parseSloDiffArgs(['--comment-out', 'x.md'])).toThrow(/--base <git-ref> is required\nusage:/);
  });
});
