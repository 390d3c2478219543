import { applyOnlineIndexExtension } from '../../src/online-index/index';
import { startEngine, stopEngine } from './support';

// The extension's entry (index.ts): how it hooks into dynalite's modules, and when it refuses to.
describe('applyOnlineIndexExtension', () => {
  it('can be applied again once dynalite is loaded', async () => {
    const engine = await startEngine({});
    try {
      expect(() => applyOnlineIndexExtension()).not.toThrow();
    } finally {
      await stopEngine(engine);
    }
  });

  it('refuses to apply to a dynalite that was loaded first, whose UpdateTable it could no longer replace', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module registry, dynalite first
      require('dynalite');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../src/online-index/index') as typeof import('../../src/online-index/index');

      expect(() => fresh.applyOnlineIndexExtension()).toThrow(/dynalite was loaded before the online index extension/);
    });
  });
});
