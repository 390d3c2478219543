import type { Context, Next } from 'koa';
import { routeTemplate } from '../../../contract/metrics';
import { requestState } from './request-context';

interface MatchedLayer {
  path: string | RegExp;
  methods: string[];
}

/**
 * Records the matched route's template in the request's log context (mounted with `router.use`).
 * Inside `use` middleware the router reports the `use` layer's own path, so the route is found among
 * the layers that matched the path and the method.
 */
export async function recordRouteTemplate(ctx: Context, next: Next): Promise<void> {
  const matched = (ctx as Context & { matched?: MatchedLayer[] }).matched ?? [];
  const route = matched.findLast((layer) => layer.methods.includes(ctx.method));
  if (route && typeof route.path === 'string') requestState(ctx).log.endpoint = routeTemplate(route.path);
  await next();
}
