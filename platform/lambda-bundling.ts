import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every function of the stacks is bundled (one esbuild configuration, so what the artifact tests load
 * is what each stack deploys):
 * - the AWS SDK goes into the bundle: what runs is the version the tests ran, not whichever version the
 *   Lambda runtime happens to ship, and a bundle needs nothing beside it;
 * - ESM builds first (`module` before `main`), so esbuild drops the SDK commands and schemas a function never
 *   calls (the API's bundle loads in about two thirds of the time);
 * - dynamic `import()` of Node's built-ins becomes `require`: the SDK imports `node:http` lazily, and
 *   Node's ESM facade of that module evaluates every lazy export, loading its bundled undici (~60 ms);
 * - neither minified nor source-mapped: stack traces keep real function names and readable lines, and
 *   `--enable-source-maps` would add ~50 ms to every cold start (docs/PERFORMANCE.md, `npm run bench:lambda`).
 */
export function lambdaBundling(options: { externalModules?: string[] } = {}): BundlingOptions {
  return {
    format: OutputFormat.CJS,
    target: 'node22',
    bundleAwsSDK: true,
    mainFields: ['module', 'main'],
    minify: false,
    sourceMap: false,
    externalModules: options.externalModules ?? [],
    esbuildArgs: { '--supported:dynamic-import': 'false' },
  };
}
