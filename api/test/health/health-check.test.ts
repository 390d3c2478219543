import { createHealthCheck, type ComponentHealth } from '../../src/health/health-check';

// The check composes component states; the components themselves are tested against the engine.
const reachable = (): Promise<ComponentHealth> => Promise.resolve({ healthy: true, state: 'reachable' });
const unreachable = (): Promise<ComponentHealth> =>
  Promise.resolve({ healthy: false, state: 'unreachable', reason: 'the event store is unreachable (ECONNREFUSED)' });

describe('createHealthCheck', () => {
  it('is healthy when the store answers and the engine runs', async () => {
    const check = createHealthCheck({ store: reachable, engine: () => ({ healthy: true, state: 'running' }) });

    await expect(check()).resolves.toEqual({
      healthy: true,
      checks: { engine: 'running', store: 'reachable' },
      retryAfterSeconds: 0,
    });
  });

  it('reports an unreachable store with its reason', async () => {
    const check = createHealthCheck({ store: unreachable });

    await expect(check()).resolves.toEqual({
      healthy: false,
      checks: { store: 'unreachable' },
      reason: 'the event store is unreachable (ECONNREFUSED)',
      retryAfterSeconds: 2,
    });
  });

  it('reports a restarting engine without probing the store', async () => {
    let probes = 0;
    const check = createHealthCheck({
      store: () => {
        probes += 1;
        return reachable();
      },
      engine: () => ({
        healthy: false,
        state: 'restarting',
        reason: 'the engine exited (signal SIGKILL) and is restarting',
      }),
    });

    await expect(check()).resolves.toMatchObject({
      healthy: false,
      checks: { engine: 'restarting', store: 'not checked' },
      reason: 'the engine exited (signal SIGKILL) and is restarting',
    });
    expect(probes).toBe(0);
  });
});
