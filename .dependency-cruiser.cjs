/**
 * DESIGN.md's folder table ("Folders (one per capability)") as dependency-cruiser rules. `npm run
 * boundaries` (part of `npm run check`) runs them on the tree; scripts/check-boundaries.test.ts
 * proves each rule rejects a wrong import in scripts/fixtures/wrong-imports/. The folders DESIGN.md's
 * table does not name and the readings below are listed in README.md, "Folders: who may import what".
 */

/** Tests, fixtures and the test-support helpers: everything that is not product code. */
const TEST_CODE = ['\\.test\\.ts$', '(^|/)fixtures/', '^test-support/'];
/** Besides tests: code DESIGN.md says may import anything. */
const NOT_PRODUCT = [...TEST_CODE, '^bench/', '^reliability/'];

/**
 * What product code of each folder may import besides itself, as DESIGN.md's table says (folders as
 * `name/`, single files as their path; null: anything). Imports of `cli/`, `demo/`, test code and, from engines,
 * `runner/` are the named rules' below, so one wrong import gives one violation.
 */
const ROWS = {
  core: [],
  telemetry: ['core/'],
  canaries: ['core/', 'telemetry/'],
  load: ['core/'],
  chaos: ['core/', 'telemetry/'],
  assertions: ['core/', 'telemetry/'],
  // "core (result types only)": the result model, the pure readers of the values it carries (a
  // check's `threshold` is KPI syntax, read by format-value.ts; durations; a drill's deltas) and,
  // for the screenshot reporter, the one place that finds Chromium.
  reports: ['core/(run-result|events|statuses|drill-delta|duration|threshold|tools)\\.ts$'],
  // "core types, canaries packager".
  infra: ['core/', 'canaries/package-canaries\\.ts$'],
  runner: ['core/', 'telemetry/', 'canaries/', 'load/', 'chaos/', 'assertions/', 'reports/'],
  cli: null, // everything
  // Its own deps only; its canaries and suite import the public API as any user's suite does.
  demo: ['index\\.ts$', 'package\\.json$'],
  // The redacting reporter wraps reporters, so it knows the Reporter interface (type only).
  security: ['core/', 'reports/reporter\\.ts$'],
  history: ['core/'],
  scaffold: ['core/'],
  // Not in the table: the JSON Schema writer reads core's schema; setup.mjs imports nothing of ours.
  scripts: ['core/'],
  // The launcher: runs cli/main.ts through tsx.
  bin: ['cli/'],
  'ci-templates': [],
  schema: [],
  bench: null,
  reliability: null,
  'test-support': null,
};

/** Targets the named rules own, left out of the row rules. */
const NAMED_TARGETS = [
  '^cli/',
  '^demo/',
  '^test-support/',
  '^bench/',
  '^reliability/',
  '(^|/)fixtures/',
  '\\.test\\.ts$',
];
const ENGINES = ['canaries', 'load', 'chaos'];
const FOLDERS = `^(${Object.keys(ROWS).join('|')})/`;

const rowRules = Object.entries(ROWS)
  .filter(([, allowed]) => allowed !== null)
  .map(([folder, allowed]) => ({
    name: `folder-row-${folder}`,
    comment: `${folder}/ imports only what its row in DESIGN.md's folder table says: ${allowed.join(', ') || 'nothing of ours'}`,
    severity: 'error',
    from: { path: `^${folder}/`, pathNot: TEST_CODE },
    to: {
      // anything of ours: not a package, not a Node built-in, not an import that does not resolve
      pathNot: [
        '(^|/)node_modules/',
        `^${folder}/`,
        ...allowed.map((a) => `^${a}`),
        ...NAMED_TARGETS,
        ...(ENGINES.includes(folder) ? ['^runner/'] : []),
      ],
      dependencyTypesNot: ['core'],
      couldNotResolve: false,
    },
  }));

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment:
        'No import cycles (DESIGN.md, Folders): a module that needs its importer shares a third one with it.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-cli',
      comment:
        'Nothing imports cli/ (DESIGN.md). bin/ launches it; reliability/ drives commands in-process to kill them at random points.',
      severity: 'error',
      from: { pathNot: ['^cli/', '^bin/', '^reliability/'] },
      to: { path: '^cli/' },
    },
    {
      name: 'engines-never-import-runner',
      comment: 'Engines (canaries/, load/, chaos/) never import runner/: the runner hands them ports.',
      severity: 'error',
      from: { path: `^(${ENGINES.join('|')})/` },
      to: { path: '^runner/' },
    },
    {
      name: 'telemetry-providers-apart',
      comment:
        'telemetry/aws and telemetry/embedded never import each other: what both need lives in telemetry/.',
      severity: 'error',
      from: { path: '^telemetry/(aws|embedded)/' },
      to: { path: '^telemetry/(aws|embedded)/', pathNot: '^telemetry/$1/' },
    },
    {
      name: 'telemetry-shared-above-providers',
      comment:
        'telemetry/ outside the providers (the port, the types, the evaluators) is what both providers use; only create-telemetry.ts picks one.',
      severity: 'error',
      from: {
        path: '^telemetry/',
        pathNot: ['^telemetry/(aws|embedded)/', '^telemetry/create-telemetry\\.ts$', ...TEST_CODE],
      },
      to: { path: '^telemetry/(aws|embedded)/' },
    },
    {
      name: 'product-never-imports-test-code',
      comment:
        'Product code never imports test-support/, fixtures, tests, bench/ or reliability/; tests may.',
      severity: 'error',
      from: { pathNot: NOT_PRODUCT },
      to: { path: ['^test-support/', '(^|/)fixtures/', '\\.test\\.ts$', '^bench/', '^reliability/'] },
    },
    {
      name: 'only-cli-imports-demo',
      comment:
        'demo/ is the service under test. `opsproof demo` (cli/demo.ts) starts its stack in-process; the runner starts demo/server.ts as a child process by path, never by import. Tests and benches may run it.',
      severity: 'error',
      from: { pathNot: ['^demo/', '^cli/', ...NOT_PRODUCT] },
      to: { path: '^demo/' },
    },
    {
      name: 'folder-has-a-row',
      comment:
        "A new top-level folder gets a row in DESIGN.md's folder table and in ROWS here before its files import anything.",
      severity: 'error',
      from: { path: '^[^/]+/', pathNot: FOLDERS },
      to: {},
    },
    ...rowRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      path: [
        '(^|/)node_modules/',
        '^\\.',
        '^cdk\\.out/',
        // run directories; reports/*.ts are sources
        '^reports/(?!__snapshots__/)[^/]+/',
        // each file there imports the wrong way on purpose (scripts/check-boundaries.test.ts)
        '^scripts/fixtures/wrong-imports/',
      ],
    },
    // type-only imports count: a type is a dependency too (core/events.ts once imported telemetry's).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
