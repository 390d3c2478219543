// The import rules of docs/ARCHITECTURE.md ("Layers"), checked by `npm run lint`.
// Runtime code is everything outside test/ and bench/ folders in contract/, platform/, engine/, api/,
// monitoring/ and migration-workflow/; tooling/, load/, .github/ and the tests and benchmarks are the
// developer side, which may import any runtime layer but is never imported by it.
const TESTS = '(^|/)(test|bench)/';
const RUNTIME = '^(contract|platform|engine|api|monitoring|migration-workflow)/';
const DEVELOPER_SIDE = '^(tooling|load|\\.github)/|(^|/)(test|bench)/';

/** A rule that `from` (runtime code only) may import nothing but `allowed` and packages. */
const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: TESTS },
  to: { pathNot: [...allowed, 'node_modules', '^node:'], dependencyTypesNot: ['core'] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No module imports itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    only(
      'contract-imports-nothing',
      '^contract/',
      ['^contract/'],
      'contract/ holds names, schemas and types every layer shares: it depends on no other folder.',
    ),
    only(
      'platform-on-contract',
      '^platform/',
      ['^contract/', '^platform/'],
      'platform/ (SDK clients, error classification, bundling) builds on contract/ only.',
    ),
    only(
      'engine-below-api',
      '^engine/',
      ['^contract/', '^platform/', '^engine/'],
      'The embedded engine knows nothing of the API.',
    ),
    only(
      'api-on-lower-layers',
      '^api/',
      ['^contract/', '^platform/', '^engine/', '^api/'],
      'The API depends on contract/, platform/ and engine/ only.',
    ),
    only(
      'migration-on-lower-layers',
      '^migration-workflow/',
      ['^contract/', '^platform/', '^migration-workflow/'],
      'The migration reaches the table through contract/ and platform/, never through the API.',
    ),
    only(
      'monitoring-on-lower-layers',
      '^monitoring/',
      ['^contract/', '^platform/', '^monitoring/', '^api/infra/', '^migration-workflow/infra/'],
      'Monitoring watches the stacks it is given; it reads the API and migration constructs, never their runtime code.',
    ),
    {
      name: 'runtime-never-imports-developer-side',
      comment: 'Runtime code never imports tooling, load, workflow scripts, tests or benchmarks.',
      severity: 'error',
      from: { path: RUNTIME, pathNot: TESTS },
      to: { path: DEVELOPER_SIDE },
    },
    {
      name: 'tests-keep-to-their-folder',
      comment: "A test imports shared test tooling from tooling/, never another folder's test or bench code.",
      severity: 'error',
      from: { path: '^([^/]+)/' },
      to: { path: TESTS, pathNot: '^$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
  },
};
