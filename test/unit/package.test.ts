// The .vsix listing check of scripts/package.js (npm run package runs it on the real listing).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

// the packaging script, as the repository has it (plain JavaScript, not part of the bundle)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkListing, checkReadmeLinks } = require(path.join(ROOT, 'scripts/package.js')) as {
  checkListing: (files: string[]) => string[];
  checkReadmeLinks: (readme: string, blob: string, raw: string) => string[];
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

test('the manifest names the repository, its issues and home page; the README installs from the same repository', () => {
  const repo = pkg.repository.url as string;
  assert.match(repo, /^https:\/\/github\.com\/[^/]+\/crosstalk$/);
  assert.equal(pkg.bugs.url, `${repo}/issues`);
  assert.equal(pkg.homepage, `${repo}#readme`);
  assert.ok(pkg.categories.length > 0 && pkg.keywords.length > 0);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const installs = [...readme.matchAll(/https:\/\/github\.com\/[^/\s"]+\/crosstalk(?=[\s"])/g)].map(m => m[0]);
  assert.ok(installs.length >= 2, 'the workflow and the pre-commit config');
  assert.deepEqual([...new Set(installs)], [repo]);
});

test("the README's relative links name files of this repository (vsce makes them links to it)", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const relative = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map(m => m[1]!).filter(t => !/^(https?:|#)/.test(t));
  assert.ok(relative.length > 20);
  assert.deepEqual(
    relative.filter(t => !fs.existsSync(path.join(ROOT, t.split('#')[0]!))),
    [],
  );
});

test('the packaged README check: links left relative or into files the repository lacks are reported', () => {
  const blob = 'https://github.com/o/crosstalk/blob/v1/',
    raw = 'https://github.com/o/crosstalk/raw/v1/';
  const readme = [
    `[ok](${blob}docs/rules/shared-cache.md) ![ok](${raw}docs/images/hover.png) [anchor](#in-ci)`,
    `[elsewhere](https://example.org/x) [left](docs/rules/shared-cache.md) [gone](${blob}docs/rules/no-such-rule.md)`,
  ].join('\n');
  assert.deepEqual(checkReadmeLinks(readme, blob, raw), [
    'README link left relative: docs/rules/shared-cache.md',
    `README link to a file this repository does not have: ${blob}docs/rules/no-such-rule.md`,
  ]);
});
