/**
 * Wraps an async call so that concurrent callers share one call in flight and callers within `ttlMs` of its
 * end reuse its result: however often health is asked, the store sees at most one probe per `ttlMs`.
 * A rejection is passed to the callers sharing it and not cached.
 */
export function sharedResult<T>(call: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  let cached: { value: T; at: number } | undefined;
  return () => {
    if (cached !== undefined && now() - cached.at < ttlMs) return Promise.resolve(cached.value);
    inFlight ??= call()
      .then((value) => {
        cached = { value, at: now() };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
