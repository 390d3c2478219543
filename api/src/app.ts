import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { MetricsRecorder, PrometheusSink } from './observability/metrics';
import type { ApiKeyAuthenticator } from './domain/authenticator';
import type { EventService } from './domain/event-service';
import type { InboxCursorCodec } from './domain/inbox-cursor';
import type { SloSpec } from '../../monitoring/slo-spec';
import { dashboardRoutes } from './dashboard';
import { accessLog } from './http/access-log';
import { authMiddleware } from './http/auth-middleware';
import { errorMiddleware } from './http/error-middleware';
import { metricsMiddleware } from './http/metrics-middleware';
import { requestContext } from './http/request-context';
import { eventRoutes } from './http/routes/events';
import { healthRoutes } from './http/routes/health';
import { inboxRoutes } from './http/routes/inbox';
import { prometheusRoute } from './http/routes/prometheus';
import { recordRouteTemplate } from './http/route-template';

export interface AppDependencies {
  service: EventService;
  metrics: MetricsRecorder;
  /** Local-only pages: the live dashboard and the Prometheus endpoint. */
  localPages?: { prometheus?: PrometheusSink; slo: SloSpec };
  authenticator: ApiKeyAuthenticator;
  cursors: InboxCursorCodec;
  logger: Logger;
  version: string;
}

/** The Triggers API as a Koa app; the same app serves the local server and the Lambda handler. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.proxy = true;
  // Errors are logged by the error middleware, once.
  app.silent = true;

  const publicRoutes = new Router();
  publicRoutes.use(recordRouteTemplate);
  healthRoutes(publicRoutes, deps.version);
  if (deps.localPages) {
    const { prometheus, slo } = deps.localPages;
    dashboardRoutes(publicRoutes, { snapshot: () => deps.metrics.snapshot(), slo });
    if (prometheus) prometheusRoute(publicRoutes, prometheus);
  }

  const apiRoutes = new Router();
  apiRoutes.use(recordRouteTemplate);
  apiRoutes.use(authMiddleware(deps.authenticator));
  eventRoutes(apiRoutes, deps.service, deps.metrics);
  inboxRoutes(apiRoutes, deps.service, deps.cursors);

  app.use(requestContext);
  app.use(accessLog(deps.logger));
  app.use(metricsMiddleware(deps.metrics));
  app.use(errorMiddleware(deps.logger));
  app.use(publicRoutes.routes()).use(publicRoutes.allowedMethods());
  app.use(apiRoutes.routes()).use(apiRoutes.allowedMethods());
  return app;
}
