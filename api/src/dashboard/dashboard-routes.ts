import type Router from '@koa/router';
import type { SloSpec } from '../../../contract/slo-spec';
import type { MetricsSnapshot } from '../../../contract/metrics-snapshot';
import { isDashboardAssetName, loadDashboardAssets } from './dashboard-assets';
import { dashboardData, dashboardThresholds } from './dashboard-data';
import { dashboardPage } from './dashboard-page';

/** What the dashboard reads: the recorder's current figures and the SLO spec its lines come from. */
export interface DashboardOptions {
  snapshot: () => MetricsSnapshot;
  slo: SloSpec;
}

/**
 * `GET /dashboard`, `GET /dashboard/data` and `GET /dashboard/assets/:name`: a live page of the
 * recorder's figures. Unauthenticated, so mount it only on a server bound to the local machine.
 */
export function dashboardRoutes(router: Router, options: DashboardOptions): void {
  const assets = loadDashboardAssets();
  const thresholds = dashboardThresholds(options.slo);
  const page = dashboardPage();

  router.get('/dashboard', (ctx) => {
    ctx.type = 'html';
    ctx.body = page;
  });

  router.get('/dashboard/data', (ctx) => {
    // Polled every second: a cached answer would freeze the charts.
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'json';
    ctx.body = dashboardData(options.snapshot(), thresholds);
  });

  router.get('/dashboard/assets/:name', (ctx) => {
    const name = ctx.params.name ?? '';
    if (!isDashboardAssetName(name, assets)) return;
    ctx.type = assets[name].type;
    ctx.body = assets[name].body;
  });
}
