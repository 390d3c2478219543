import { readFileSync } from 'node:fs';
import { SLO_SPEC } from '../../../contract/slo-spec';
import type { LoadSummary } from '../../scenarios/summary-format';
import { reportCharts, type ReportChart } from '../../src/report/report-charts';
import { endpointRows, reportHtml } from '../../src/report/report-html';
import { syntheticSummary } from '../../src/synthetic-summary';

/** The parsed content of `<script type="application/json" id="...">`. */
function embeddedJson(html: string, id: string): unknown {
  const match = new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(html);
  if (!match?.[1]) throw new Error(`no embedded JSON #${id}`);
  return JSON.parse(match[1]);
}

/** The `<tr>` of one endpoint in the endpoint table. */
function endpointRow(html: string, endpoint: string): string {
  const escaped = endpoint.replace(/[{}/]/g, (char) => `\\${char}`);
  const match = new RegExp(`<tr data-endpoint="${escaped}">.*?</tr>`).exec(html);
  if (!match) throw new Error(`no row for ${endpoint}`);
  return match[0];
}

function chart(charts: ReportChart[], id: ReportChart['id']): ReportChart {
  const found = charts.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} chart in ${charts.map((c) => c.id).join(', ')}`);
  return found;
}

describe('reportHtml', () => {
  describe.each(['event_ingestion', 'inbox_polling', 'mixed_workload', 'stress_test'] as const)(
    'for %s',
    (scenario) => {
      const summary = syntheticSummary({ scenario });
      const html = reportHtml(summary);

      it('names the scenario in the title and heading', () => {
        expect(html).toContain(`<title>Load report – ${scenario} –`);
        expect(html).toContain(`<h1>Load report: ${scenario}</h1>`);
      });

      it('has a row for every endpoint the scenario exercises, with its request count', () => {
        for (const endpoint of summary.expectedEndpoints) {
          expect(endpointRow(html, endpoint)).toContain(
            `<td>${summary.endpoints[endpoint]?.requests.toLocaleString('en-US')}</td>`,
          );
        }
      });

      it('embeds the summary it was made from', () => {
        expect(embeddedJson(html, 'load-summary')).toEqual(summary);
      });

      it('loads nothing over the network: every http(s) URL outside the inlined uPlot is the run target', () => {
        const uplot = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
        const page = html.replace(uplot, '');

        expect(html).toContain(uplot);
        expect(page).not.toMatch(/<(link|img|iframe)\b/i);
        expect(page).not.toMatch(/<script[^>]*\ssrc=/i);
        expect(page).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
        expect(new Set(page.match(/https?:\/\/[^\s"'<&]+/g))).toEqual(new Set([summary.target]));
      });
    },
  );

  it('shows each exercised p95 target in the table and draws it as a constant line', () => {
    const summary = syntheticSummary({ scenario: 'inbox_polling' });
    const html = reportHtml(summary);
    const latency = chart(embeddedJson(html, 'report-charts') as ReportChart[], 'latency');

    for (const { endpoint, targetInMillis } of SLO_SPEC.latency.filter((o) =>
      summary.expectedEndpoints.includes(o.endpoint),
    )) {
      expect(endpointRow(html, endpoint)).toContain(`&lt; ${targetInMillis} ms`);
      const line = latency.series.find((s) => s.label === `SLO p95 < ${targetInMillis} ms (${endpoint})`);
      expect(new Set(line?.values)).toEqual(new Set([targetInMillis]));
      expect(line?.dashed).toBe(true);
    }
    expect(latency.series.filter((s) => s.label.startsWith('SLO'))).toHaveLength(2);
  });

  it('draws no target line for an exercised endpoint without a latency objective', () => {
    const latency = chart(reportCharts(syntheticSummary({ scenario: 'mixed_workload' })), 'latency');

    expect(latency.series.map((s) => s.label)).not.toContainEqual(expect.stringContaining('/ack'));
    expect(latency.series.map((s) => s.label)).not.toContainEqual(expect.stringContaining('DELETE'));
  });

  it('marks the p95 objective held or missed per endpoint and says which one was missed', () => {
    // The synthetic inbox p95 (231 ms) is over its 200 ms target; POST /v1/events (38.2 ms) is under 100 ms.
    const html = reportHtml(syntheticSummary({ scenario: 'inbox_polling' }));

    expect(endpointRow(html, 'POST /v1/events')).toContain('<td class="status" data-state="good">holds</td>');
    expect(endpointRow(html, 'GET /v1/inbox')).toContain('<td class="status" data-state="bad">missed</td>');
    expect(html).toContain(
      '<p class="verdict" data-verdict="missed">SLO missed: GET /v1/inbox p95 231 ms ≥ 200 ms.</p>',
    );
  });

  it('says the SLO held when every exercised endpoint is within its targets', () => {
    const html = reportHtml(syntheticSummary({ scenario: 'event_ingestion' }));

    expect(html).toContain('data-verdict="held"');
  });

  it('reports an exercised endpoint that got no requests as a miss', () => {
    const summary = syntheticSummary({ scenario: 'event_ingestion' });
    const html = reportHtml({ ...summary, endpoints: {} });

    expect(endpointRow(html, 'POST /v1/events')).toContain('no samples');
    expect(html).toContain('SLO missed: POST /v1/events got no requests.');
  });

  it('shows the no-timeline note and no charts for a summary without a timeline', () => {
    const summary = syntheticSummary({ scenario: 'mixed_workload', generator: 'k6', timeline: 'none' });
    const html = reportHtml(summary);

    expect(summary.timeline).toBeUndefined();
    expect(html).toContain('<p class="note" id="no-timeline">');
    expect(html).not.toContain('<div class="chart"');
    expect(embeddedJson(html, 'report-charts')).toEqual([]);
    expect(html).toContain('<dd>k6</dd>');
  });

  it('draws the charts from the timeline, one value per second, with gaps where a second had no responses', () => {
    const summary = syntheticSummary({ scenario: 'event_ingestion' });
    const timeline = summary.timeline!.map((point, t) => (t === 10 ? { ...point, latency: undefined } : point));
    const charts = reportCharts({ ...summary, timeline });
    const p95 = chart(charts, 'latency').series.find((s) => s.label === 'p95');
    const throughput = chart(charts, 'throughput');

    expect(chart(charts, 'latency').seconds).toEqual(Array.from({ length: 60 }, (_, t) => t));
    expect(p95?.values[10]).toBeNull();
    expect(p95?.values[11]).toBe(timeline[11]?.latency?.p95Ms);
    expect(throughput.series.map((s) => s.label)).toEqual([
      'target rate',
      'iterations started',
      'dropped iterations',
      'events accepted',
      'failed requests',
    ]);
    expect(throughput.series.find((s) => s.label === 'events accepted')?.values).toEqual(
      timeline.map((p) => p.eventsAccepted),
    );
    expect(throughput.series.find((s) => s.label === 'failed requests')?.axis).toBe('right');
  });

  it('shows the knee of a stress run in the header and marks it on both charts', () => {
    const summary = syntheticSummary({ scenario: 'stress_test', seconds: 90 });
    const knee = summary.knee!;
    const html = reportHtml(summary);
    const charts = embeddedJson(html, 'report-charts') as ReportChart[];

    expect(html).toContain(`<span class="value">at ${knee.atSeconds} s</span>`);
    expect(html).toContain(knee.reason);
    expect(charts.map((c) => c.marker)).toEqual([
      { atSeconds: knee.atSeconds, label: `knee at ${knee.atSeconds} s` },
      { atSeconds: knee.atSeconds, label: `knee at ${knee.atSeconds} s` },
    ]);
  });

  it('draws the charts of a k6 summary a point per 5-second window, in counts per second', () => {
    const summary = syntheticSummary({ scenario: 'event_ingestion', generator: 'k6', timeline: 'windows' });
    const charts = reportCharts(summary);
    const throughput = chart(charts, 'throughput');

    expect(chart(charts, 'latency').seconds).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
    expect(chart(charts, 'latency').title).toBe('Latency per 5-second window, all requests (ms)');
    expect(throughput.series.find((s) => s.label === 'iterations started')?.values[0]).toBe(
      summary.timeline![0].iterations / 5,
    );
    expect(throughput.series.find((s) => s.label === 'target rate')?.values[0]).toBe(summary.timeline![0].targetRate);
    expect(reportHtml(summary)).toContain('Latency is over all requests of each 5-second window');
  });

  it('says there was no knee when a stress run measured none', () => {
    const html = reportHtml({ ...syntheticSummary({ scenario: 'stress_test' }), knee: null });

    expect(html).toContain(
      '<span class="value">none</span><span class="detail">measured: p95, errors and dropped iterations held in every 5-second window</span>',
    );
    expect(embeddedJson(html, 'report-charts')).not.toContainEqual(
      expect.objectContaining({ marker: expect.anything() }),
    );
  });

  it('says the knee was not measured when a stress summary has none, rather than that it held', () => {
    const unmeasured: LoadSummary = syntheticSummary({ scenario: 'stress_test' });
    delete unmeasured.knee;
    const html = reportHtml(unmeasured);

    expect(html).toContain(
      '<div class="fact" data-state="bad"><span class="label">Knee</span><span class="value">not measured</span>',
    );
    expect(html).not.toContain('held in every');
  });

  it('escapes text from the summary, including a closing script tag in the embedded JSON', () => {
    const hostile = '</script><img src=x onerror=alert(1)>';
    const summary: LoadSummary = { ...syntheticSummary({ scenario: 'event_ingestion' }), target: hostile };
    const html = reportHtml(summary);

    expect(html).not.toContain(hostile);
    expect(html).toContain('&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;');
    expect(embeddedJson(html, 'load-summary')).toEqual(summary);
  });
});

describe('endpointRows', () => {
  const summary = syntheticSummary({ scenario: 'event_ingestion' });
  const withPost = (figures: Partial<LoadSummary['endpoints'][string]>): LoadSummary => ({
    ...summary,
    endpoints: { 'POST /v1/events': { ...summary.endpoints['POST /v1/events'], ...figures } },
  });

  it.each([
    [99.9, 'holds'],
    [100, 'missed'],
    [100.1, 'missed'],
  ])('holds the 100 ms p95 objective only below it: p95 %s ms %s', (p95Ms, expected) => {
    const rows = endpointRows(withPost({ latency: { p50Ms: 1, p95Ms, p99Ms: 200, maxMs: 300 } }));

    expect(rows[0]?.p95).toBe(expected);
  });

  it.each([
    [1, 1001, 'holds'],
    [1, 1000, 'missed'],
    [0, 10, 'holds'],
  ])(
    'holds the 99.9 %% success objective only below 0.1 %% failed: %s of %s failed %s',
    (failed, requests, expected) => {
      const rows = endpointRows(withPost({ failed, requests, successRate: (requests - failed) / requests }));

      expect(rows[0]?.success).toBe(expected);
    },
  );
});
