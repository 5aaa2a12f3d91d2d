/**
 * The folder rules of src/, checked in CI (`npm run lint:deps`, which cruises src/, test/ and bench/:
 * no import circle anywhere). Layers of src/, bottom up:
 *   report.ts               the report's types: imports nothing
 *   errors.ts, options.ts   errors.ts on report.ts only (a failed run's error carries its report),
 *                           options.ts on errors.ts and the boolean rules (core/config/boolean-rules.ts) only
 *   core/                   imports only zod, node built-ins, errors, options; inside it, rooms bottom up:
 *     ports/                  store, lock, Novita client: the interfaces; import no other room
 *     config/                 the sync policy, the run options, the boolean rules: ports only
 *     plan/                   the pure planner and its rules: ports, config
 *     runtime/                single flight, deadlines, the schedule: ports (and events)
 *     run/                    the steps of one run: ports, config, plan, runtime
 *     doctor/                 the doctor's shared shapes and its policy check: ports, config
 *     reconciler*.ts          the facade: wires them
 *   store/ redis/ novita/ http/   adapters: import core, errors, options; never each other
 *   testing/                the fake Novita, the scripted client, the contract suite: core, adapters
 *   cli/                    on top: anything
 * The entry files (src/index.ts and each folder index.ts) only re-export.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import circle makes the order of module evaluation matter.', from: {}, to: { circular: true } },
    {
      name: 'errors-depend-on-nothing',
      severity: 'error',
      comment: 'errors.ts is the bottom layer: every part may import it; it imports only the report types it carries.',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/', pathNot: '^src/report\\.ts$' },
    },
    {
      name: 'report-imports-nothing',
      severity: 'error',
      from: { path: '^src/report\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'options-depend-on-errors-only',
      severity: 'error',
      from: { path: '^src/options\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/errors\\.ts$', '^src/core/config/boolean-rules\\.ts$'] },
    },
    {
      name: 'core-ports-import-no-room',
      severity: 'error',
      comment: 'The ports are interfaces: what the core calls, nothing about how it decides or runs.',
      from: { path: '^src/core/ports/' },
      to: { path: '^src/core/(config|plan|run|runtime)/|^src/core/reconciler' },
    },
    {
      name: 'core-config-imports-ports-only',
      severity: 'error',
      comment: 'Configuration is read before any plan or run exists.',
      from: { path: '^src/core/config/' },
      to: { path: '^src/core/(plan|run|runtime)/|^src/core/reconciler' },
    },
    {
      name: 'core-plan-is-pure',
      severity: 'error',
      comment: 'The planner is a pure function of (records, listing, policy, now): it never runs, waits or schedules.',
      from: { path: '^src/core/plan/' },
      to: { path: '^src/core/(run|runtime)/|^src/core/reconciler' },
    },
    {
      name: 'core-runtime-knows-no-run',
      severity: 'error',
      comment: 'Single flight, deadlines and the schedule work for any run: the facade hands them one.',
      from: { path: '^src/core/runtime/' },
      to: { path: '^src/core/(plan|run)/|^src/core/reconciler' },
    },
    {
      name: 'core-doctor-imports-ports-and-config-only',
      comment: 'The doctor checks a setup before any run: it knows the policy, never how a run plans or runs.',
      severity: 'error',
      from: { path: '^src/core/doctor/' },
      to: { path: '^src/core/(plan|run|runtime)/|^src/core/reconciler' },
    },
    {
      name: 'core-run-imports-no-facade',
      severity: 'error',
      from: { path: '^src/core/run/' },
      to: { path: '^src/core/reconciler' },
    },
    {
      name: 'core-imports-no-adapter',
      severity: 'error',
      comment: 'The core is pure of I/O libraries and adapters: it reaches the world only through its ports.',
      from: { path: '^src/core/' },
      to: { path: '^src/(store|redis|novita|http|testing|cli)/' },
    },
    {
      name: 'core-imports-no-io-library',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'], pathNot: '^node_modules/zod/' },
    },
    {
      name: 'adapters-never-import-each-other',
      severity: 'error',
      from: { path: '^src/(store|redis|novita|http)/' },
      to: { path: '^src/(store|redis|novita|http)/', pathNot: ['^src/$1/'] },
    },
    {
      name: 'adapters-import-no-testing-or-cli',
      severity: 'error',
      from: { path: '^src/(core|store|redis|novita|http)/' },
      to: { path: '^src/(testing|cli)/' },
    },
    {
      name: 'ioredis-only-in-redis',
      severity: 'error',
      comment: 'ioredis is an optional peer dependency: only the novita-reconciler/redis entry may load it.',
      from: { path: '^src/', pathNot: '^src/redis/' },
      to: { path: '^node_modules/ioredis/' },
    },
    {
      name: 'ofetch-only-in-novita',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/novita/' },
      to: { path: '^node_modules/ofetch/' },
    },
    {
      name: 'testing-imports-no-cli',
      severity: 'error',
      from: { path: '^src/testing/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
