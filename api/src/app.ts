import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { MetricsRecorder } from './observability/metrics/metrics-recorder';
import type { ApiKeyAuthenticator } from './domain/authenticator';
import type { EventService } from './domain/event-service';
import type { InboxCursors } from './domain/inbox-cursor';
import type { HealthCheck } from './health/health-check';
import { accessLog } from './http/access-log';
import { authMiddleware } from './http/auth-middleware';
import { errorMiddleware } from './http/error-middleware';
import { metricsMiddleware } from './http/metrics-middleware';
import { requestContext } from './http/request-context';
import { eventRoutes } from './http/routes/events';
import { healthRoutes } from './http/routes/health';
import { inboxRoutes } from './http/routes/inbox';
import { recordRouteTemplate } from './http/route-template';

export interface AppDependencies {
  service: EventService;
  metrics: MetricsRecorder;
  /**
   * Mounts unauthenticated local-only pages (the live dashboard, `/metrics`) next to the health route.
   * The local server passes it; the Lambda app has none, so their code stays out of its bundle.
   */
  localRoutes?: (router: Router) => void;
  authenticator: ApiKeyAuthenticator;
  cursors: InboxCursors;
  /** What `GET /v1/health` reports: the store's reachability and, locally, the embedded engine's state. */
  health: HealthCheck;
  /** Answers 503 before authentication while the local engine is down; absent where no engine is supervised. */
  storeGate?: Middleware;
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
  healthRoutes(publicRoutes, deps.version, deps.health);
  deps.localRoutes?.(publicRoutes);

  const apiRoutes = new Router();
  apiRoutes.use(recordRouteTemplate);
  if (deps.storeGate) apiRoutes.use(deps.storeGate);
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
