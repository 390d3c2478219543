import { readFileSync } from 'node:fs';
import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { dashboardThresholds, type DashboardData } from '../../src/dashboard';
import { API_ENDPOINTS } from '../../../contract/metrics';
import { startDashboardServer, type DashboardServer } from './support/dashboard-server';
import { FakeMetricsRecorder, trafficStep } from './support/fake-metrics-recorder';

describe('dashboard routes', () => {
  const clock = { now: new Date('2030-01-02T03:04:05.000Z') };
  let recorder: FakeMetricsRecorder;
  let server: DashboardServer;

  beforeAll(async () => {
    recorder = new FakeMetricsRecorder(() => clock.now);
    server = await startDashboardServer(recorder.snapshot);
  });
  afterAll(async () => {
    await server.close();
  });

  async function readData(): Promise<DashboardData> {
    return (await (await fetch(`${server.url}/dashboard/data`)).json()) as DashboardData;
  }

  describe('GET /dashboard', () => {
    it('serves an HTML page that loads uPlot and the dashboard script', async () => {
      const res = await fetch(`${server.url}/dashboard`);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).toContain('<script src="/dashboard/assets/uplot.js"></script>');
      expect(html).toContain('<link rel="stylesheet" href="/dashboard/assets/uplot.css">');
      expect(html).toContain('<script src="/dashboard/assets/dashboard.js"></script>');
    });
  });

  describe('GET /dashboard/data', () => {
    it('returns the current snapshot with the thresholds from the SLO spec', async () => {
      recorder.feed(trafficStep(1));

      const res = await fetch(`${server.url}/dashboard/data`);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as DashboardData;
      expect(body.snapshot).toEqual(recorder.snapshot());
      expect(body.thresholds).toEqual({
        latencyP95InMillis: { 'POST /v1/events': 100, 'GET /v1/inbox': 200, 'GET /v1/events/{event_id}': 50 },
        successRateMinPercent: Object.fromEntries(API_ENDPOINTS.map((endpoint) => [endpoint, 99.9])),
        errorRateMaxPercent: 0.1,
        ingestionMinEventsPerSecond: 1000,
      });
      expect(body.endpoints).toEqual([...API_ENDPOINTS]);
    });

    it('reads the recorder on every request, so the figures follow the traffic', async () => {
      recorder.feed(trafficStep(1));
      const first = await readData();
      recorder.feed(trafficStep(2));
      clock.now = new Date(clock.now.getTime() + 1000);

      const second = await readData();

      expect(second.snapshot.timestamp).not.toBe(first.snapshot.timestamp);
      expect(second.snapshot.ingestion.ratePerSecond).toBe(trafficStep(2).ingestionRatePerSecond);
      expect(second.snapshot.ingestion.ratePerSecond).not.toBe(first.snapshot.ingestion.ratePerSecond);
    });
  });

  describe('GET /dashboard/assets/:name', () => {
    it.each([
      ['uplot.js', 'text/javascript; charset=utf-8', 'uplot/dist/uPlot.iife.min.js'],
      ['uplot.css', 'text/css; charset=utf-8', 'uplot/dist/uPlot.min.css'],
    ])('serves %s from the uplot package as %s', async (name, contentType, file) => {
      const res = await fetch(`${server.url}/dashboard/assets/${name}`);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(contentType);
      expect(await res.text()).toBe(readFileSync(require.resolve(file), 'utf8'));
    });

    it('serves the page script as JavaScript', async () => {
      const res = await fetch(`${server.url}/dashboard/assets/dashboard.js`);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await res.text()).toContain("fetch('/dashboard/data'");
    });

    it.each(['other.js', 'toString', '..%2Fdashboard-routes.ts'])('answers 404 for %s', async (name) => {
      const res = await fetch(`${server.url}/dashboard/assets/${name}`);

      expect(res.status).toBe(404);
    });
  });
});

describe('dashboardThresholds', () => {
  it('draws the targets of the spec it is given', () => {
    const spec: SloSpec = {
      latency: [{ endpoint: 'GET /v1/health', percentile: 'p95', targetInMillis: 5 }],
      successRate: [{ endpoint: 'GET /v1/health', minimumPercent: 99 }],
      errorRate: { maximumPercent: 1 },
      ingestion: { endpoint: 'POST /v1/events', minimumEventsPerSecond: 10 },
    };

    expect(dashboardThresholds(spec)).toEqual({
      latencyP95InMillis: { 'GET /v1/health': 5 },
      successRateMinPercent: { 'GET /v1/health': 99 },
      errorRateMaxPercent: 1,
      ingestionMinEventsPerSecond: 10,
    });
  });

  it('leaves out endpoints without a latency objective', () => {
    expect(Object.keys(dashboardThresholds(SLO_SPEC).latencyP95InMillis)).not.toContain('GET /v1/health');
  });
});
