// The .vsix listing check of scripts/package.js (npm run package runs it on the real listing).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

// the packaging script, as the repository has it (plain JavaScript, not part of the bundle)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkListing } = require(path.join(ROOT, 'scripts/package.js')) as {
  checkListing: (files: string[]) => string[];
};

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const complete = [
  'package.json',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
  'client/out/extension.js',
  'server/out/server.js',
  'server/out/web-tree-sitter.wasm',
  'server/out/tree-sitter-python.wasm',
  pkg.icon,
  ...pkg.contributes.grammars.map((g: { path: string }) => g.path.replace(/^\.\//, '')),
  ...fs.readdirSync(path.join(ROOT, 'docs/rules')).map(f => `docs/rules/${f}`),
  'docs/project-model.md',
  ...(pkg.contributes.walkthroughs ?? []).flatMap((w: { steps: { media: { markdown: string } }[] }) =>
    w.steps.map(s => s.media.markdown),
  ),
];

test('a listing with everything the extension needs, and nothing else, passes', () => {
  assert.deepEqual(checkListing(complete), []);
});

test('node_modules, sources, source maps and the CLI bundle are refused', () => {
  const extra = [
    'node_modules/vscode-languageclient/lib/main.js',
    'server/src/server.ts',
    'server/out/server.js.map',
    'server/out/cli.js',
    'test/e2e/runE2e.js',
  ];
  assert.deepEqual(
    checkListing([...complete, ...extra]),
    extra.map(f => `not on the allowlist: ${f}`),
  );
});

test('a missing wasm file, rule page or grammar is reported', () => {
  const missing = [
    'server/out/tree-sitter-python.wasm',
    'docs/rules/shared-cache.md',
    'syntaxes/noqa.injection.tmLanguage.json',
  ];
  assert.deepEqual(
    checkListing(complete.filter(f => !missing.includes(f))).sort(),
    missing.map(f => `missing: ${f}`).sort(),
  );
});
