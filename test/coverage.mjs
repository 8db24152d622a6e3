// `npm run test:coverage`: the unit tests under c8, for line and branch coverage of server/src (the
// engine, the language server and the CLI). c8 cannot map bundled code back to its sources (every
// line came out covered), so the sources and tests are transpiled file by file into test/out/cov,
// each with its own source map, and the same tests run from there. Fails under COVERAGE_LINES
// (default 90) per cent of lines.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const OUT = 'test/out/cov';
const ts = dir =>
  readdirSync(dir, { recursive: true })
    .filter(f => f.endsWith('.ts'))
    .map(f => join(dir, f));

rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [...ts('server/src'), ...ts('test/unit'), ...ts('test/props'), ...ts('test/fuzz'), ...ts('test/bench')],
  outdir: OUT,
  outbase: '.',
  bundle: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
const wasm = [
  require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
  join(dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm'),
];
for (const dir of [`${OUT}/test/unit`, `${OUT}/server/src/syntax`])
  for (const f of wasm) copyFileSync(f, join(dir, f.split('/').pop()));

const lines = process.env.COVERAGE_LINES ?? '90';
const r = spawnSync(
  'npx',
  [
    'c8',
    '--include',
    'server/src/**',
    '--exclude-after-remap',
    '--reporter',
    'text',
    '--reporter',
    'text-summary',
    '--reporter',
    'json-summary',
    '--reports-dir',
    'test/out/coverage',
    '--temp-directory',
    'test/out/coverage/tmp',
    '--check-coverage',
    '--lines',
    lines,
    'node',
    '--test',
    '--test-reporter=spec',
    `${OUT}/test/unit/`,
  ],
  { stdio: 'inherit' },
);
const { total } = JSON.parse(readFileSync('test/out/coverage/coverage-summary.json', 'utf8'));
console.log(
  `coverage: server and CLI (server/src): ${total.lines.pct}% of lines, ${total.branches.pct}% of branches, ${total.functions.pct}% of functions (goal: ${lines}% of lines)`,
);
process.exit(r.status ?? 1);
