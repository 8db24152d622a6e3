// Every rule in the registry is checked against its fixture: each diagnostic matches an
// `# expect:` assertion and each assertion a diagnostic; applying every fix (unsafe included)
// gives the `.fixed.py` snapshot, re-parses with no new syntax errors and is idempotent.
// UPDATE_SNAPSHOTS=1 rewrites the snapshots (review the diff).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { rules } from '../../server/src/rules';
import { expectations, fixText, found, lintText, ROOT, syntaxErrors } from './helpers';

const FIXTURES = path.join(ROOT, 'test/fixtures/rules');
/** A fixture may pose as another module with a first line `# module: app.settings.test`. */
const moduleOf = (text: string) => /^# module: ([\w.]+)/.exec(text)?.[1] ?? 'fixtures';

for (const rule of rules) {
  const file = path.join(FIXTURES, `${rule.name}.py`);
  const fixedFile = path.join(FIXTURES, `${rule.name}.fixed.py`);

  test(`${rule.id} ${rule.name}: diagnostics match the fixture's expect comments`, async () => {
    const text = fs.readFileSync(file, 'utf8');
    const expected = expectations(text);
    assert.ok(expected.length > 0, 'the fixture expects at least one finding');
    assert.deepEqual(found(await lintText(text, { rules: [rule], moduleName: moduleOf(text) })), expected);
  });

  // variants (`<name>@<what>.py`) pose the rule in another file context: a conftest, a non-DRF suite
  for (const variant of fs.readdirSync(FIXTURES).filter(f => f.startsWith(`${rule.name}@`) && f.endsWith('.py') && !f.endsWith('.fixed.py'))) {
    test(`${rule.id} ${rule.name}: ${variant} matches its expect comments`, async () => {
      const text = fs.readFileSync(path.join(FIXTURES, variant), 'utf8');
      assert.deepEqual(found(await lintText(text, { rules: [rule], moduleName: moduleOf(text) })), expectations(text));
    });
  }

  if (rule.fix === 'none') continue;
  test(`${rule.id} ${rule.name}: fixes give the .fixed.py snapshot, parse clean and are idempotent`, async () => {
    const text = fs.readFileSync(file, 'utf8');
    const result = await fixText(text, { rules: [rule], unsafe: true, moduleName: moduleOf(text) });
    assert.ok(result.fixed > 0, 'at least one fix applied');
    assert.ok(result.passes <= 10, 'converged within 10 passes');
    if (process.env.UPDATE_SNAPSHOTS) fs.writeFileSync(fixedFile, result.text);
    assert.equal(result.text, fs.readFileSync(fixedFile, 'utf8'));
    const before = await syntaxErrors(text);
    assert.deepEqual(await syntaxErrors(result.text), before, 'no new ERROR/MISSING nodes');
    const again = await fixText(result.text, { rules: [rule], unsafe: true, moduleName: moduleOf(text) });
    assert.equal(again.text, result.text, 'applying the fixes again changes nothing');
  });
}
