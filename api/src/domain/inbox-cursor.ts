import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors';

interface CursorBody {
  v: 1;
  /** Tenant the cursor was issued to. */
  t: string;
  /** Sort key of the last event of the page. */
  k: string;
}

/**
 * Supplies the cursor codec. Locally its secret is at hand; in Lambda it is read from Secrets Manager on
 * first use, so getting it may fail (with a `ServiceUnavailableError`) and succeed on a later call.
 */
export type InboxCursors = () => Promise<InboxCursorCodec>;

/**
 * The keys cursors are signed with: new cursors are signed with `current`; a cursor signed with `previous`
 * is still accepted, so the key can be rotated without failing the cursors clients hold.
 */
export interface CursorKeys {
  current: string;
  previous?: string | undefined;
}

/** Opaque inbox cursors: base64url JSON signed with HMAC-SHA256 and bound to the tenant that received them. */
export class InboxCursorCodec {
  private readonly signing: Buffer;
  private readonly accepted: Buffer[];

  /** Signs with `keys.current` (or the one key given) and accepts cursors signed with it or `keys.previous`. */
  constructor(keys: string | CursorKeys) {
    const { current, previous } = typeof keys === 'string' ? { current: keys } : keys;
    for (const key of [current, previous]) {
      if (key !== undefined && key.length < 16) throw new Error('CURSOR_SECRET must be at least 16 characters');
    }
    this.signing = Buffer.from(current, 'utf8');
    this.accepted = [this.signing, ...(previous === undefined ? [] : [Buffer.from(previous, 'utf8')])];
  }

  /** Cursor that resumes a tenant's inbox after `afterSk`. */
  encode(tenantId: string, afterSk: string): string {
    const body: CursorBody = { v: 1, t: tenantId, k: afterSk };
    const data = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    return `${data}.${sign(this.signing, data)}`;
  }

  /** Position encoded in a cursor; throws `ValidationError` if it is malformed, forged or another tenant's. */
  decode(tenantId: string, cursor: string): string {
    const [data, signature, ...rest] = cursor.split('.');
    if (!data || !signature || rest.length > 0 || !this.accepted.some((key) => verify(key, data, signature))) {
      throw new ValidationError('Invalid cursor', [{ field: 'cursor', message: 'is not a cursor issued by this API' }]);
    }
    const body = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as CursorBody;
    if (body.v !== 1 || body.t !== tenantId || typeof body.k !== 'string') {
      throw new ValidationError('Invalid cursor', [{ field: 'cursor', message: 'was not issued to this API key' }]);
    }
    return body.k;
  }
}

function sign(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

function verify(key: Buffer, data: string, signature: string): boolean {
  const expected = Buffer.from(sign(key, data));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
