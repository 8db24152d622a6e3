// The registry is the one list of rules: everything that names rules must agree with it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
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
  const files = fs.readdirSync(path.join(ROOT, 'server/src/rules')).filter(f => f.endsWith('.ts') && f !== 'index.ts').map(f => f.replace(/\.ts$/, ''));
  const fixtures = fs.readdirSync(path.join(ROOT, 'test/fixtures/rules')).map(f => f.replace(/(@[\w-]+)?(\.fixed)?\.py$/, ''));
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
    assert.match(r.docs.incidentUrl, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(issues|pull)\/\d+$/, `${r.id}: the incident's issue or pull request`);
    assert.ok(fs.existsSync(path.join(ROOT, 'test/fixtures/rules', `${r.name}.py`)), `${r.name}.py`);
    assert.equal(fs.existsSync(path.join(ROOT, 'test/fixtures/rules', `${r.name}.fixed.py`)), r.fix !== 'none', `${r.name}.fixed.py`);
  }
});

test('package.json settings enumerate every rule id', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const properties = pkg.contributes.configuration.properties;
  for (const key of ['crosstalk.select', 'crosstalk.ignore']) assert.deepEqual(properties[key].items.enum, ids, key);
  assert.deepEqual(Object.keys(properties['crosstalk.severity'].properties), ids, 'crosstalk.severity');
});

test('the README rule table has a row for every rule, linking its page', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| (XT\d{3}) \| \[([a-z-]+)\]\(docs\/rules\/([a-z-]+)\.md\) \|/gm)]
    .map(m => `${m[1]} ${m[2]}${m[2] === m[3] ? '' : ' (links elsewhere)'}`);
  assert.deepEqual(rows, rules.map(r => `${r.id} ${r.name}`));
});
