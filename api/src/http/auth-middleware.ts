import type { Context, Next } from 'koa';
import type { ApiKeyAuthenticator } from '../domain/authenticator';
import { requestState } from './request-context';

/** Requires a valid `X-API-Key` and records the caller's tenant on the request. */
export function authMiddleware(authenticator: ApiKeyAuthenticator) {
  return async function authenticate(ctx: Context, next: Next): Promise<void> {
    requestState(ctx).principal = await authenticator.authenticate(ctx.get('x-api-key') || undefined);
    await next();
  };
}
