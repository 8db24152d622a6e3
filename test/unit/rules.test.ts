// Every rule in the registry is checked against its fixture: each diagnostic matches an
// `# expect:` assertion and each assertion a diagnostic; applying every fix (unsafe included)
// gives the `.fixed.py` snapshot, re-parses with no new syntax errors and is idempotent.
// UPDATE_SNAPSHOTS=1 rewrites the snapshots (review the diff).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { applyFileEdits, type Edit } from '../../server/src/engine/fix';
import type { LintOptions } from '../../server/src/engine/lint';
import { Project, viewFor } from '../../server/src/project/project';
import { rules } from '../../server/src/rules';
import {
  assertExpected,
  assertions,
  fixText,
  lintText,
  seen,
  unmatched,
  withoutStaleAssertions,
  parser,
  ROOT,
  syntaxErrors,
} from './helpers';

const FIXTURES = path.join(ROOT, 'test/fixtures/rules');
/** A fixture may pose as another module with a first line `# module: app.settings.test`. */
const moduleOf = (text: string) => /^# module: ([\w.]+)/.exec(text)?.[1] ?? 'fixtures';
const read = (f: string) => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return null;
  }
};

/** `# project: <name>` makes the fixture a test module of test/fixtures/projects/<name>/ (or of `root`). */
async function optionsFor(text: string, rule: (typeof rules)[number], root?: string): Promise<LintOptions> {
  const name = /^# project: ([\w-]+)/m.exec(text)?.[1];
  const options: LintOptions = { rules: [rule], moduleName: moduleOf(text) };
  if (!name) return options;
  const projectRoot = root ?? path.join(ROOT, 'test/fixtures/projects', name);
  const project = new Project(projectRoot, await parser(), read);
  return {
    ...options,
    moduleName: 'tests.test_fixture',
    project: viewFor(project, path.join(projectRoot, 'tests', 'test_fixture.py')),
  };
}

for (const rule of rules) {
  const file = path.join(FIXTURES, `${rule.name}.py`);
  const fixedFile = path.join(FIXTURES, `${rule.name}.fixed.py`);

  test(`${rule.id} ${rule.name}: diagnostics match the fixture's expect comments`, async () => {
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(assertions(text).length > 0, 'the fixture expects at least one finding');
    assertExpected(text, seen(await lintText(text, await optionsFor(text, rule))));
  });

  // variants (`<name>@<what>.py`) pose the rule in another file context: a conftest, a non-DRF suite
  for (const variant of fs
    .readdirSync(FIXTURES)
    .filter(f => f.startsWith(`${rule.name}@`) && f.endsWith('.py') && !f.endsWith('.fixed.py'))) {
    test(`${rule.id} ${rule.name}: ${variant} matches its expect comments`, async () => {
      const text = fs.readFileSync(path.join(FIXTURES, variant), 'utf8');
      assertExpected(text, seen(await lintText(text, { rules: [rule], moduleName: moduleOf(text) })));
    });
  }

  if (rule.fix === 'none') continue;
  test(`${rule.id} ${rule.name}: fixes give the .fixed.py snapshot, parse clean and are idempotent`, async () => {
    const text = fs.readFileSync(file, 'utf8');
    if (/^# project: /m.test(text)) return projectWideFix(rule, text, fixedFile);
    const options = { rules: [rule], moduleName: moduleOf(text) };
    const result = await fixText(text, { ...options, unsafe: true });
    assert.ok(result.fixed > 0, 'at least one fix applied');
    assert.ok(result.passes <= 10, 'converged within 10 passes');
    // the snapshot is a fixture too: its assertions are exactly what remains after the fixes
    const snapshot = withoutStaleAssertions(result.text, seen(await lintText(result.text, options)));
    if (process.env.UPDATE_SNAPSHOTS) fs.writeFileSync(fixedFile, snapshot);
    assert.equal(snapshot, fs.readFileSync(fixedFile, 'utf8'));
    assertExpected(snapshot, seen(await lintText(snapshot, options)), "the snapshot's own expect comments");
    const before = await syntaxErrors(text);
    assert.deepEqual(await syntaxErrors(result.text), before, 'no new ERROR/MISSING nodes');
    const again = await fixText(result.text, { rules: [rule], unsafe: true, moduleName: moduleOf(text) });
    assert.equal(again.text, result.text, 'applying the fixes again changes nothing');
  });
}

/** A fix that edits another file (the root conftest.py): its snapshot is that file, made in a copy of the project. */
async function projectWideFix(rule: (typeof rules)[number], text: string, fixedFile: string) {
  const name = /^# project: ([\w-]+)/m.exec(text)![1]!;
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), `crosstalk-${name}-`));
  fs.cpSync(path.join(ROOT, 'test/fixtures/projects', name), copy, { recursive: true });
  try {
    const findings = await lintText(text, await optionsFor(text, rule, copy));
    const edits = findings.flatMap(f => f.fix?.edits ?? []) as Edit[];
    assert.ok(edits.length > 0 && edits.every(e => e.file), 'the fix edits other files');
    const changed = applyFileEdits(edits, read);
    assert.equal(changed.size, 1, 'one file, however many findings offer the fix');
    const [[conftest, result]] = [...changed];
    assert.equal(path.basename(conftest), 'conftest.py');
    if (process.env.UPDATE_SNAPSHOTS) fs.writeFileSync(fixedFile, result);
    assert.equal(result, fs.readFileSync(fixedFile, 'utf8'));
    assert.deepEqual(await syntaxErrors(result), []);
    fs.writeFileSync(conftest, result);
    assert.deepEqual(
      await lintText(text, await optionsFor(text, rule, copy)),
      [],
      'with the fixture in place, nothing to fix again',
    );
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

test('assertions pin columns and message fragments: a wrong one is reported on both sides', () => {
  const text = 'x = 1  # expect: 5 [XT001] "shared"\ny = 2  # expect: [XT002, XT002]\n';
  const findings = [
    { line: 1, column: 1, code: 'XT001', message: 'shared by every worker' },
    { line: 2, column: 1, code: 'XT002', message: 'm' },
  ];
  assert.deepEqual(unmatched(assertions(text), findings), {
    unexpected: ['1:1: XT001 shared by every worker'],
    missing: ['1: 5 [XT001] "shared"', '2: [XT002]'],
  });
  assert.deepEqual(withoutStaleAssertions(text, findings.slice(1)), 'x = 1\ny = 2  # expect: [XT002]\n');
});
