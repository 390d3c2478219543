import { lambdaBundling } from '../lambda-bundling';

describe('lambdaBundling', () => {
  it('ships no source map, neither beside the bundle nor inline, so no function needs --enable-source-maps', () => {
    const bundling = lambdaBundling({ externalModules: ['pino-pretty'] });

    expect(bundling.sourceMap).toBe(false);
    expect(bundling.sourceMapMode).toBeUndefined();
    expect(Object.keys(bundling.esbuildArgs ?? {}).filter((arg) => arg.includes('sourcemap'))).toEqual([]);
    expect(bundling.environment?.NODE_OPTIONS).toBeUndefined();
  });
});
