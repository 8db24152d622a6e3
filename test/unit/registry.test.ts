// The registry is the one list of rules: everything that names rules must agree with it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { renderRuleTable } from '../../server/src/engine/ruleDocs';
import { rules } from '../../server/src/rules';
import { ROOT } from './helpers';

const ids = rules.map(r => r.id);

test('ids are unique XTnnn codes and names are kebab-case, sorted by id', () => {
  assert.equal(new Set(ids).size, ids.length);
  for (const r of rules) {
    assert.match(r.id, /^XT\d{3}$/);
    assert.match(r.name, /^[a-z]+(-[a-z]+)*$/);
  }
  assert.deepEqual(ids, [...ids].sort());
});

test('each rule lives in rules/<name>.ts, and every rule module is registered', () => {
  const files = fs
    .readdirSync(path.join(ROOT, 'server/src/rules'))
    .filter(f => f.endsWith('.ts') && f !== 'index.ts')
    .map(f => f.replace(/\.ts$/, ''));
  const fixtures = fs
    .readdirSync(path.join(ROOT, 'test/fixtures/rules'))
    .map(f => f.replace(/(@[\w-]+)?(\.fixed)?\.py$/, ''));
  assert.deepEqual([...new Set(fixtures)].sort(), rules.map(r => r.name).sort(), 'every fixture belongs to a rule');
  assert.deepEqual(files.sort(), rules.map(r => r.name).sort());
  for (const r of rules) {
    const source = fs.readFileSync(path.join(ROOT, 'server/src/rules', `${r.name}.ts`), 'utf8');
    assert.match(source, new RegExp(`id: '${r.id}'`), `${r.name}.ts defines ${r.id}`);
  }
});

test('each rule has docs, a fixture, and a fixed snapshot when it fixes', () => {
  for (const r of rules) {
    for (const [k, v] of Object.entries(r.docs)) assert.ok(v.trim().length > 20, `${r.id} docs.${k}`);
    assert.match(
      r.docs.incidentUrl,
      /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(issues|pull)\/\d+$/,
      `${r.id}: the incident's issue or pull request`,
    );
    assert.ok(fs.existsSync(path.join(ROOT, 'test/fixtures/rules', `${r.name}.py`)), `${r.name}.py`);
    assert.equal(
      fs.existsSync(path.join(ROOT, 'test/fixtures/rules', `${r.name}.fixed.py`)),
      r.fix !== 'none',
      `${r.name}.fixed.py`,
    );
  }
});

/**
 * What the registry decides elsewhere: the settings' rule enums in package.json and the README's rule
 * table. UPDATE_SNAPSHOTS=1 writes them; otherwise they must be current.
 */
function generated(file: string, render: (current: string) => string): void {
  const full = path.join(ROOT, file);
  const current = fs.readFileSync(full, 'utf8');
  if (process.env.UPDATE_SNAPSHOTS) fs.writeFileSync(full, render(current));
  assert.equal(current, render(current), `${file} is not current: UPDATE_SNAPSHOTS=1 npm run test:unit`);
}

test('package.json settings enumerate every rule id', () => {
  generated('package.json', text => {
    const pkg = JSON.parse(text);
    const properties = pkg.contributes.configuration.properties;
    for (const key of ['crosstalk.select', 'crosstalk.ignore']) properties[key].items.enum = ids;
    const level = properties['crosstalk.severity'];
    level.properties = Object.fromEntries(ids.map(id => [id, { type: 'string', enum: ['error', 'warning', 'info'] }]));
    return JSON.stringify(pkg, null, 2) + '\n';
  });
});

test("the README rule table is the registry's", () => {
  generated('README.md', text =>
    text.replace(
      /(<!-- rules:[^\n]*-->\n)[\s\S]*?(\n<!-- \/rules -->)/,
      (_, open, close) => open + renderRuleTable(rules) + close,
    ),
  );
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| (XT\d{3}) \| \[([a-z-]+)\]\(docs\/rules\/([a-z-]+)\.md\) \|/gm)].map(
    m => `${m[1]} ${m[2]}`,
  );
  assert.deepEqual(
    rows,
    rules.map(r => `${r.id} ${r.name}`),
  );
});
