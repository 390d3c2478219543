import Router from '@koa/router';
import type { MetricsRecorder, PrometheusSink } from '../../observability/metrics';

/** `GET /metrics`: the Prometheus exposition of the in-process metrics (local only), up to date at each scrape. */
export function prometheusRoute(router: Router, metrics: MetricsRecorder, sink: PrometheusSink): void {
  router.get('/metrics', async (ctx) => {
    // Hands the minutes recorded since the last scrape to the sink, the current one included.
    await metrics.flush();
    ctx.type = sink.contentType;
    ctx.body = await sink.metrics();
  });
}
