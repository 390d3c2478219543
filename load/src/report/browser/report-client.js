// @ts-check
// Inlined into the report page as is, with no build step: plain JavaScript, typed through JSDoc.
// It only hands the charts computed by report-charts.ts to uPlot.
(() => {
  'use strict';

  /** @typedef {import('../report-charts').ReportChart} ReportChart */
  /** @typedef {import('../report-charts').ChartMarker} ChartMarker */
  /** @typedef {InstanceType<typeof import('uplot')>} UPlotChart */

  const CHART_HEIGHT = 300;
  const DASH = [6, 4];
  // Tick steps for counts: no half failures.
  const WHOLE_NUMBER_STEPS = [0, 1, 2, 3, 4, 5, 6].flatMap((power) => [1, 2, 5].map((step) => step * 10 ** power));

  /** @type {typeof import('uplot')} */
  const UPlot = /** @type {any} */ (window).uPlot;
  /** @type {Record<string, UPlotChart>} */
  const charts = {};

  // Read by the browser tests and the PNG writer.
  /** @type {any} */ (window).__report = { charts };

  /**
   * From zero to a little above the highest value, so lines never sit on the frame.
   * @param {unknown} _chart
   * @param {number | null} _min
   * @param {number | null} max
   * @returns {[number, number]}
   */
  function fromZero(_chart, _min, max) {
    return [0, Math.max(1, (max ?? 0) * 1.1)];
  }

  /** @param {number} value */
  function formatNumber(value) {
    return value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 1 : 0 });
  }

  /**
   * A dashed vertical line with a label, kept in uPlot's overlay so it follows the plot's size.
   * @param {UPlotChart} chart
   * @param {ChartMarker} marker
   */
  function placeMarker(chart, marker) {
    let element = /** @type {HTMLElement | null} */ (chart.over.querySelector('.marker'));
    if (!element) {
      element = document.createElement('div');
      element.className = 'marker';
      element.dataset.atSeconds = String(marker.atSeconds);
      const label = document.createElement('span');
      label.textContent = marker.label;
      element.append(label);
      chart.over.append(element);
    }
    element.style.left = `${chart.valToPos(marker.atSeconds, 'x')}px`;
  }

  /**
   * Writes each labelled line's label just above its left end, on a white ground so data lines under it stay readable.
   * @param {UPlotChart} chart
   * @param {ReportChart} spec
   */
  function drawInlineLabels(chart, spec) {
    const ratio = window.devicePixelRatio || 1;
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = `${12 * ratio}px system-ui, sans-serif`;
    // uPlot leaves the context as its last axis drew it.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    for (const line of spec.series) {
      const value = line.values.find((v) => v != null);
      if (!line.inlineLabel || value == null) continue;
      const x = chart.bbox.left + 8 * ratio;
      const y = chart.valToPos(value, line.axis, true) - 3 * ratio;
      const width = ctx.measureText(line.inlineLabel).width;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.fillRect(x - 3 * ratio, y - 14 * ratio, width + 6 * ratio, 14 * ratio);
      ctx.fillStyle = line.colour;
      ctx.fillText(line.inlineLabel, x, y);
    }
    ctx.restore();
  }

  /**
   * @param {ReportChart} spec
   * @param {HTMLElement} element
   * @returns {UPlotChart}
   */
  function drawChart(spec, element) {
    const marker = spec.marker;
    const rightSeries = spec.series.find((line) => line.axis === 'right');
    /** @type {import('uplot').Axis[]} */
    const axes = [
      { label: 'seconds since start', values: (_chart, ticks) => ticks.map((t) => `${t} s`) },
      { scale: 'left', label: spec.leftAxisLabel, size: 64, values: (_chart, ticks) => ticks.map(formatNumber) },
    ];
    if (rightSeries) {
      axes.push({
        scale: 'right',
        side: 1,
        label: spec.rightAxisLabel ?? '',
        stroke: rightSeries.colour,
        incrs: WHOLE_NUMBER_STEPS,
        size: 64,
        grid: { show: false },
        values: (_chart, ticks) => ticks.map(formatNumber),
      });
    }
    return new UPlot(
      {
        title: spec.title,
        width: element.clientWidth,
        height: CHART_HEIGHT,
        scales: { x: { time: false }, left: { range: fromZero }, right: { range: fromZero } },
        series: [
          { label: 'second', value: (_chart, t) => (t == null ? '--' : `${t} s`) },
          ...spec.series.map((line) => ({
            label: line.label,
            stroke: line.colour,
            scale: line.axis,
            width: line.dashed ? 1.5 : 2,
            ...(line.dashed ? { dash: DASH } : {}),
            points: { show: false },
            value: (/** @type {unknown} */ _chart, /** @type {number | null} */ v) =>
              v == null ? '--' : formatNumber(v),
          })),
        ],
        axes,
        hooks: {
          draw: [(chart) => drawInlineLabels(chart, spec)],
          ...(marker && {
            ready: [(/** @type {UPlotChart} */ chart) => placeMarker(chart, marker)],
            setSize: [(/** @type {UPlotChart} */ chart) => placeMarker(chart, marker)],
          }),
        },
      },
      [spec.seconds, ...spec.series.map((line) => line.values)],
      element,
    );
  }

  /** @type {ReportChart[]} */
  const specs = JSON.parse(document.getElementById('report-charts')?.textContent ?? '[]');
  for (const spec of specs) {
    const element = document.querySelector(`[data-chart="${spec.id}"]`);
    if (element instanceof HTMLElement) charts[spec.id] = drawChart(spec, element);
  }

  window.addEventListener('resize', () => {
    for (const chart of Object.values(charts)) {
      const width = chart.root.parentElement?.clientWidth;
      if (width) chart.setSize({ width, height: CHART_HEIGHT });
    }
  });

  // The signal that the page is drawn: the PNG writer and the browser tests wait for it.
  document.body.dataset.reportReady = 'true';
})();
