import type { CursorKeys } from '../domain/inbox-cursor';

/**
 * The cursor keys a Secrets Manager secret's string holds: JSON `{"current": "...", "previous": "..."}`
 * (`previous` optional), or a bare key, which is the current one (the value the stack generates).
 */
export function parseCursorSecret(text: string): CursorKeys {
  if (!text.trimStart().startsWith('{')) return { current: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the cursor secret starts with { but is not JSON');
  }
  const { current, previous, ...rest } = parsed as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new Error(`the cursor secret holds unknown fields (${unknown.join(', ')}); expected current and previous`);
  }
  if (typeof current !== 'string') throw new Error('the cursor secret has no string "current" key');
  if (previous !== undefined && typeof previous !== 'string') {
    throw new Error('the cursor secret\'s "previous" key is not a string');
  }
  return previous === undefined ? { current } : { current, previous };
}
