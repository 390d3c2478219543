/**
 * What the report's charts draw, computed from a summary's timeline: plain data the page script hands
 * to uPlot, so the choice of lines and targets is made (and tested) here rather than in the browser.
 */
import type { LoadSummary, TimelinePoint } from '../../scenarios/summary-format';
import { SLO_SPEC, type LatencyObjective, type SloSpec } from '../../../contract/slo-spec';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  colour: string;
  /** Dashed lines are what was asked for (targets, the arrival rate), solid ones what was measured. */
  dashed: boolean;
  /** `right` puts failures on their own axis, so a handful stays visible next to rates in the thousands. */
  axis: 'left' | 'right';
  /** One value per timeline point; null where the second had nothing to measure. */
  values: (number | null)[];
  /** Written on the chart next to the line: target lines are told apart by it, not by their shade of red. */
  inlineLabel?: string;
}

/** A vertical marker at a point in time, e.g. the knee of a stress run. */
export interface ChartMarker {
  atSeconds: number;
  label: string;
}

/** One chart of the report. */
export interface ReportChart {
  id: 'latency' | 'throughput';
  title: string;
  leftAxisLabel: string;
  /** Set when some series uses the right axis; the axis takes that series' colour. */
  rightAxisLabel?: string;
  /** Seconds since the start of the run: the x values. */
  seconds: number[];
  series: ChartSeries[];
  marker?: ChartMarker;
}

const COLOURS = {
  p50: '#1a7f37',
  p95: '#0969da',
  p99: '#8250df',
  targetRate: '#6e7781',
  iterations: '#0969da',
  eventsAccepted: '#1a7f37',
  failed: '#cf222e',
  dropped: '#bf8700',
};
// Reds, kept for SLO lines; a scenario exercises at most three endpoints with a latency objective today.
const TARGET_COLOURS = ['#cf222e', '#a40e26', '#fa4549'];

/** The p95 objectives of the endpoints the run exercised, in the spec's order. */
export function exercisedLatencyObjectives(summary: LoadSummary, spec: SloSpec = SLO_SPEC): LatencyObjective[] {
  return spec.latency.filter((objective) => summary.expectedEndpoints.includes(objective.endpoint));
}

/** The legend label of a p95 target line, e.g. `SLO p95 < 100 ms (POST /v1/events)`. */
export function targetLineLabel(objective: LatencyObjective): string {
  return `SLO ${objective.percentile} < ${objective.targetInMillis} ms (${objective.endpoint})`;
}

/** The length of the timeline's points in seconds: 1 for the local runner's, 5 for k6's windows. */
export function timelinePointSeconds(summary: LoadSummary): number {
  return summary.timeline?.[0]?.lengthSeconds ?? 1;
}

/** The latency and throughput charts of a run; none when the summary has no timeline. */
export function reportCharts(summary: LoadSummary, spec: SloSpec = SLO_SPEC): ReportChart[] {
  const timeline = summary.timeline;
  if (!timeline || timeline.length === 0) return [];
  const seconds = timeline.map((point) => point.t);
  const marker = summary.knee
    ? { atSeconds: summary.knee.atSeconds, label: `knee at ${summary.knee.atSeconds} s` }
    : undefined;
  const pointSeconds = timelinePointSeconds(summary);
  return [
    {
      ...latencyChart(timeline, exercisedLatencyObjectives(summary, spec), pointSeconds),
      seconds,
      ...(marker && { marker }),
    },
    { ...throughputChart(timeline), seconds, ...(marker && { marker }) },
  ];
}

type ChartBody = Omit<ReportChart, 'seconds' | 'marker'>;

function latencyChart(timeline: TimelinePoint[], objectives: LatencyObjective[], pointSeconds: number): ChartBody {
  const percentile = (key: 'p50Ms' | 'p95Ms' | 'p99Ms') => timeline.map((point) => point.latency?.[key] ?? null);
  return {
    id: 'latency',
    title: `Latency per ${pointSeconds === 1 ? 'second' : `${pointSeconds}-second window`}, all requests (ms)`,
    leftAxisLabel: 'ms',
    series: [
      measured('p50', COLOURS.p50, percentile('p50Ms')),
      measured('p95', COLOURS.p95, percentile('p95Ms')),
      measured('p99', COLOURS.p99, percentile('p99Ms')),
      ...objectives.map((objective, index) => ({
        label: targetLineLabel(objective),
        colour: TARGET_COLOURS[index % TARGET_COLOURS.length] ?? COLOURS.failed,
        dashed: true,
        axis: 'left' as const,
        values: timeline.map(() => objective.targetInMillis),
        inlineLabel: `${objective.endpoint}: p95 target ${objective.targetInMillis} ms`,
      })),
    ],
  };
}

function throughputChart(timeline: TimelinePoint[]): ChartBody {
  // Counts per second whatever the length of a point: k6's 5-second windows are averaged over theirs.
  const values = (read: (point: TimelinePoint) => number) =>
    timeline.map((point) => read(point) / (point.lengthSeconds ?? 1));
  return {
    id: 'throughput',
    title: 'Throughput per second',
    leftAxisLabel: 'per second',
    rightAxisLabel: 'failed requests per second',
    series: [
      // Iterations started plus dropped add up to the target rate, so the three share an axis.
      {
        ...measured(
          'target rate',
          COLOURS.targetRate,
          timeline.map((p) => p.targetRate),
        ),
        dashed: true,
      },
      measured(
        'iterations started',
        COLOURS.iterations,
        values((p) => p.iterations),
      ),
      measured(
        'dropped iterations',
        COLOURS.dropped,
        values((p) => p.dropped),
      ),
      measured(
        'events accepted',
        COLOURS.eventsAccepted,
        values((p) => p.eventsAccepted),
      ),
      {
        ...measured(
          'failed requests',
          COLOURS.failed,
          values((p) => p.failed),
        ),
        axis: 'right',
      },
    ],
  };
}

function measured(label: string, colour: string, values: (number | null)[]): ChartSeries {
  return { label, colour, dashed: false, axis: 'left', values };
}
