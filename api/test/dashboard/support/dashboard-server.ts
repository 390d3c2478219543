import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { SLO_SPEC, type SloSpec } from '../../../../contract/slo-spec';
import { dashboardRoutes } from '../../../src/dashboard';
import type { MetricsSnapshot } from '../../../../contract/metrics-snapshot';

/** A Koa app serving only the dashboard, listening on an ephemeral loopback port. */
export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/** Mounts the dashboard on a fresh app, as the local server does, and starts listening. */
export async function startDashboardServer(
  snapshot: () => MetricsSnapshot,
  slo: SloSpec = SLO_SPEC,
): Promise<DashboardServer> {
  const router = new Router();
  dashboardRoutes(router, { snapshot, slo });
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());

  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The page keeps a connection alive between polls; drop it so close() does not wait for it.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
