// Bundles the client, the language server, the CLI and the unit tests; `tsc -b` only type-checks.
// web-tree-sitter is loaded through require() in server/src/parser.ts: its ESM build crashes once
// bundled (createRequire(undefined)), see STYLE.md §8.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};
const wasm = [
  require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
  join(dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm'),
];
const unitTests = readdirSync('test/unit')
  .filter(f => f.endsWith('.test.ts'))
  .map(f => join('test/unit', f));

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['client/src/extension.ts'],
    outfile: 'client/out/extension.js',
    external: ['vscode'],
  }),
  esbuild.build({
    ...common,
    entryPoints: { server: 'server/src/node/main.ts', cli: 'server/src/cli/main.ts' },
    outdir: 'server/out',
  }),
  esbuild.build({ ...common, entryPoints: unitTests, outdir: 'test/out/unit', sourcemap: 'inline', minify: false }),
  esbuild.build({ ...common, entryPoints: ['test/props/run.ts'], outdir: 'test/out/props', minify: false }),
  esbuild.build({ ...common, entryPoints: ['test/fuzz/run.ts'], outdir: 'test/out/fuzz', minify: false }),
  esbuild.build({
    ...common,
    entryPoints: [
      'test/bench/workspaceScan.ts',
      'test/bench/bench.ts',
      'test/bench/profileLint.ts',
      'test/bench/profileScan.ts',
    ],
    outdir: 'test/out/bench',
    minify: false,
  }),
]);
for (const dir of ['server/out', 'test/out/unit', 'test/out/fuzz']) {
  mkdirSync(dir, { recursive: true });
  for (const file of wasm) copyFileSync(file, join(dir, file.split('/').pop()));
}
