// docs/rules/<name>.md is rendered from the rule's module; UPDATE_SNAPSHOTS=1 rewrites the pages.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { renderRuleDoc } from '../../server/src/engine/ruleDocs';
import { rules } from '../../server/src/rules';
import { ROOT } from './helpers';

for (const rule of rules) {
  test(`docs/rules/${rule.name}.md is current`, () => {
    const file = path.join(ROOT, 'docs/rules', `${rule.name}.md`);
    if (process.env.UPDATE_SNAPSHOTS) fs.writeFileSync(file, renderRuleDoc(rule));
    assert.equal(fs.readFileSync(file, 'utf8'), renderRuleDoc(rule));
  });
}

test('no page without a rule', () => {
  assert.deepEqual(fs.readdirSync(path.join(ROOT, 'docs/rules')).sort(), rules.map(r => `${r.name}.md`).sort());
});

test('every relative link and image in the README and the walkthrough exists', () => {
  const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs/walkthrough')).map(f => `docs/walkthrough/${f}`)];
  const missing: string[] = [];
  for (const page of pages) {
    const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      if (!fs.existsSync(path.join(ROOT, path.dirname(page), target!))) missing.push(`${page}: ${target}`);
    }
  }
  assert.deepEqual(missing, []);
});
