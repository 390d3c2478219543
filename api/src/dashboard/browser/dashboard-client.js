// @ts-check
// Runs in the browser as served, with no build step: plain JavaScript, typed through JSDoc.
(() => {
  'use strict';

  /** @typedef {import('../../../../contract/metrics-snapshot').MetricsSnapshot} MetricsSnapshot */
  /** @typedef {import('../../../../contract/metrics-snapshot').EndpointFigures} EndpointFigures */
  /** @typedef {import('../dashboard-data').DashboardData} DashboardData */
  /** @typedef {import('../dashboard-data').DashboardThresholds} DashboardThresholds */
  /** @typedef {InstanceType<typeof import('uplot')>} UPlotChart */
  /**
   * One line of a chart; `threshold` marks an SLO line rather than a measured figure.
   * @typedef {{ label: string, stroke: string, threshold?: boolean, value: (s: MetricsSnapshot) => number | null }} SeriesSpec
   */
  /** @typedef {{ id: string, title: string, unit: string, container: string, series: SeriesSpec[] }} ChartSpec */
  /** @typedef {{ t: number, snapshot: MetricsSnapshot }} Sample */

  const POLL_INTERVAL_MS = 1000;
  // Five minutes at one sample a second: enough to see a trend without growing without bound.
  const MAX_SAMPLES = 300;
  const CHART_HEIGHT = 240;
  const THRESHOLD_COLOUR = '#cf222e';
  // No reds: red is kept for the SLO lines.
  const ENDPOINT_COLOURS = ['#0969da', '#1a7f37', '#8250df', '#bf8700', '#1b7c83', '#bf3989', '#6e7781', '#953800'];
  const PERCENTILE_COLOURS = { p50: '#1a7f37', p95: '#0969da', p99: '#8250df' };
  // Whole-second ticks: samples arrive once a second, so sub-second labels would only add noise.
  const TIME_TICKS_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

  /** @type {typeof import('uplot')} */
  const UPlot = /** @type {any} */ (window).uPlot;

  /** @type {Sample[]} */
  const samples = [];
  /** @type {Record<string, UPlotChart>} */
  const charts = {};
  /** @type {ChartSpec[]} */
  let specs = [];
  let layoutKey = '';

  // Read by the browser tests: the live chart objects and the samples they were drawn from.
  /** @type {any} */ (window).__dashboard = { charts, samples };

  /**
   * @param {MetricsSnapshot} snapshot
   * @param {string} endpoint
   * @returns {EndpointFigures | undefined}
   */
  function figures(snapshot, endpoint) {
    return snapshot.window.find((entry) => entry.endpoint === endpoint);
  }

  /**
   * A constant line at an SLO target.
   * @param {string} label
   * @param {number} target
   * @returns {SeriesSpec}
   */
  function thresholdSeries(label, target) {
    return { label, stroke: THRESHOLD_COLOUR, threshold: true, value: () => target };
  }

  /**
   * @param {string[]} endpoints
   * @param {DashboardThresholds} thresholds
   * @param {number} windowSeconds
   * @returns {ChartSpec[]}
   */
  function chartSpecs(endpoints, thresholds, windowSeconds) {
    /** @param {number} index */
    const colour = (index) => ENDPOINT_COLOURS[index % ENDPOINT_COLOURS.length] ?? THRESHOLD_COLOUR;
    // Endpoints sharing one success-rate floor get one line, not one per endpoint.
    const successTargets = [...new Set(Object.values(thresholds.successRateMinPercent))];

    /** @type {ChartSpec[]} */
    const summary = [
      {
        id: 'ingestion',
        title: 'Event ingestion rate (events/s)',
        unit: 'events/s',
        container: 'summary-charts',
        series: [
          { label: 'accepted', stroke: ENDPOINT_COLOURS[0] ?? '', value: (s) => s.ingestion.ratePerSecond },
          thresholdSeries(`SLO ≥ ${thresholds.ingestionMinEventsPerSecond}/s`, thresholds.ingestionMinEventsPerSecond),
        ],
      },
      {
        id: 'requests',
        title: `Requests per endpoint (count over the last ${windowSeconds} s)`,
        unit: 'requests',
        container: 'summary-charts',
        series: endpoints.map((endpoint, index) => ({
          label: endpoint,
          stroke: colour(index),
          value: (s) => figures(s, endpoint)?.requestCount ?? 0,
        })),
      },
      {
        id: 'success-rate',
        title: 'Success rate per endpoint (%, non-5xx / all)',
        unit: '%',
        container: 'summary-charts',
        series: [
          // No requests means no rate: a gap, rather than the recorder's nominal 100 %.
          ...endpoints.map((endpoint, index) => ({
            label: endpoint,
            stroke: colour(index),
            value: (/** @type {MetricsSnapshot} */ s) => {
              const entry = figures(s, endpoint);
              return entry && entry.requestCount > 0 ? entry.successRatePercent : null;
            },
          })),
          ...successTargets.map((target) => thresholdSeries(`SLO ≥ ${target} %`, target)),
        ],
      },
      {
        id: 'error-rate',
        title: 'Error rate, all endpoints (%, 5xx / all)',
        unit: '%',
        container: 'summary-charts',
        series: [
          { label: 'all endpoints', stroke: ENDPOINT_COLOURS[0] ?? '', value: overallErrorRatePercent },
          thresholdSeries(`SLO ≤ ${thresholds.errorRateMaxPercent} %`, thresholds.errorRateMaxPercent),
        ],
      },
    ];

    // Endpoints held to a latency objective come first, in the spec's order.
    const targeted = Object.keys(thresholds.latencyP95InMillis).filter((endpoint) => endpoints.includes(endpoint));
    const latencyOrder = [...targeted, ...endpoints.filter((endpoint) => !targeted.includes(endpoint))];
    /** @type {ChartSpec[]} */
    const latency = latencyOrder.map((endpoint) => {
      const target = thresholds.latencyP95InMillis[endpoint];
      /** @type {SeriesSpec[]} */
      const series = /** @type {const} */ (['p50', 'p95', 'p99']).map((percentile) => ({
        label: percentile,
        stroke: PERCENTILE_COLOURS[percentile],
        value: (/** @type {MetricsSnapshot} */ s) => {
          const entry = figures(s, endpoint)?.latency;
          return entry ? entry[`${percentile}Ms`] : null;
        },
      }));
      if (target !== undefined) series.push(thresholdSeries(`SLO p95 < ${target} ms`, target));
      return {
        id: `latency:${endpoint}`,
        title: `${endpoint} latency (ms)`,
        unit: 'ms',
        container: 'latency-charts',
        series,
      };
    });

    return [...summary, ...latency];
  }

  /**
   * 5xx over all requests across endpoints, or null when there were none.
   * @param {MetricsSnapshot} snapshot
   * @returns {number | null}
   */
  function overallErrorRatePercent(snapshot) {
    const requests = snapshot.window.reduce((sum, entry) => sum + entry.requestCount, 0);
    const errors = snapshot.window.reduce((sum, entry) => sum + entry.errorCount, 0);
    return requests > 0 ? (errors / requests) * 100 : null;
  }

  /**
   * @param {ChartSpec} spec
   * @returns {import('uplot').AlignedData}
   */
  function chartData(spec) {
    return [
      samples.map((sample) => sample.t),
      ...spec.series.map((line) => samples.map((s) => line.value(s.snapshot))),
    ];
  }

  /** @param {ChartSpec[]} nextSpecs */
  function rebuildCharts(nextSpecs) {
    for (const id of Object.keys(charts)) {
      charts[id]?.destroy();
      delete charts[id];
    }
    for (const container of document.querySelectorAll('.grid')) container.replaceChildren();
    specs = nextSpecs;
    for (const spec of specs) {
      const element = document.createElement('div');
      element.className = 'chart';
      element.dataset.chart = spec.id;
      document.getElementById(spec.container)?.append(element);
      charts[spec.id] = new UPlot(
        {
          title: spec.title,
          width: element.clientWidth || 560,
          height: CHART_HEIGHT,
          scales: { x: { time: true } },
          series: [
            { label: 'time', value: (_chart, seconds) => (seconds == null ? '--' : clockTime(seconds)) },
            ...spec.series.map((line) => ({
              label: line.label,
              stroke: line.stroke,
              width: line.threshold ? 1.5 : 2,
              ...(line.threshold ? { dash: [6, 4] } : {}),
              points: { show: false },
            })),
          ],
          axes: [
            { incrs: TIME_TICKS_SECONDS, values: (_chart, ticks) => ticks.map(clockTime) },
            { label: spec.unit, size: 64 },
          ],
        },
        chartData(spec),
        element,
      );
    }
  }

  /** @param {DashboardData} data */
  function update(data) {
    const { snapshot, thresholds } = data;
    const endpoints = [...data.endpoints];
    for (const entry of [...snapshot.window, ...snapshot.total]) {
      if (!endpoints.includes(entry.endpoint)) endpoints.push(entry.endpoint);
    }

    const t = Date.parse(snapshot.timestamp) / 1000;
    const last = samples[samples.length - 1];
    // uPlot needs increasing x values; a snapshot taken in the same instant replaces the previous one.
    if (last && t <= last.t) samples[samples.length - 1] = { t: last.t, snapshot };
    else samples.push({ t, snapshot });
    if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);

    const key = JSON.stringify([endpoints, thresholds, snapshot.windowSeconds]);
    if (key !== layoutKey) {
      layoutKey = key;
      rebuildCharts(chartSpecs(endpoints, thresholds, snapshot.windowSeconds));
    }
    for (const spec of specs) {
      const chart = charts[spec.id];
      const data = chartData(spec);
      chart?.setData(data);
      // Outside a hover the legend shows the latest figures rather than blanks.
      if (chart && (chart.cursor.left ?? -1) < 0) chart.setLegend({ idx: samples.length - 1 });
      const element = document.querySelector(`[data-chart="${CSS.escape(spec.id)}"]`);
      element?.setAttribute('data-points', String(samples.length));
      element?.toggleAttribute('data-empty', !hasMeasurements(spec, data));
    }
  }

  /**
   * Whether any measured (non-threshold) series of the chart has a value to draw.
   * @param {ChartSpec} spec
   * @param {import('uplot').AlignedData} data
   */
  function hasMeasurements(spec, data) {
    return spec.series.some((line, index) => !line.threshold && data[index + 1]?.some((value) => value != null));
  }

  /**
   * `HH:MM:SS` in the viewer's time zone.
   * @param {number} seconds Unix time in seconds, as uPlot's time scale holds it.
   */
  function clockTime(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
  }

  /**
   * @param {'ok' | 'error'} state
   * @param {string} text
   */
  function setStatus(state, text) {
    const status = document.getElementById('status');
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  async function poll() {
    try {
      const response = await fetch('/dashboard/data', { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      /** @type {DashboardData} */
      const data = await response.json();
      update(data);
      const time = clockTime(Date.parse(data.snapshot.timestamp) / 1000);
      setStatus('ok', `updated ${time} · window ${data.snapshot.windowSeconds} s · ${samples.length} samples`);
    } catch (error) {
      setStatus('error', `data unavailable: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      // Scheduled after the answer, so a slow server never gets overlapping polls.
      setTimeout(() => void poll(), POLL_INTERVAL_MS);
    }
  }

  window.addEventListener('resize', () => {
    for (const spec of specs) {
      const element = document.querySelector(`[data-chart="${CSS.escape(spec.id)}"]`);
      if (element) charts[spec.id]?.setSize({ width: element.clientWidth, height: CHART_HEIGHT });
    }
  });

  void poll();
})();
