import type { Context, Next } from 'koa';
import type { ApiKeyAuthenticator } from '../domain/authenticator';
import { requestState } from './request-context';

/** Requires a valid `X-API-Key` and records the caller's tenant on the request and its log context. */
export function authMiddleware(authenticator: ApiKeyAuthenticator) {
  return async function authenticate(ctx: Context, next: Next): Promise<void> {
    const state = requestState(ctx);
    const principal = await authenticator.authenticate(ctx.get('x-api-key') || undefined);
    state.principal = principal;
    state.log.tenant_id = principal.tenantId;
    state.log.api_key = principal.keyPrefix;
    await next();
  };
}
