import Router from '@koa/router';
import type { PrometheusSink } from '../../observability/metrics';

/** `GET /metrics`: the Prometheus exposition of the in-process metrics (local only). */
export function prometheusRoute(router: Router, sink: PrometheusSink): void {
  router.get('/metrics', async (ctx) => {
    ctx.type = sink.contentType;
    ctx.body = await sink.metrics();
  });
}
