// The editor's incremental work must give exactly what a fresh parse and analysis of the same text
// give, after any edit: the forest (re-parsing only the statements an edit touched) and the memo
// (re-analysing only the units whose findings can have changed).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { lint } from '../../server/src/engine/lint';
import { type Finding } from '../../server/src/engine/finding';
import { Forest, STATEMENT } from '../../server/src/syntax/forest';
import { parse, type Node } from '../../server/src/syntax/parser';
import { LintMemo } from '../../server/src/engine/units';
import { random, testModule } from '../bench/generate';
import { parser, ROOT } from './helpers';
import { rules } from '../../server/src/rules';
import { Project, viewFor } from '../../server/src/project/project';

/** CROSSTALK_EDIT_SCALE=10 for a longer run */
const SCALE = Number(process.env.CROSSTALK_EDIT_SCALE ?? 1);
const INSERTS = ['#', ' ', 'x', '\n', '(', ':', '"', '    ', 'class ', 'cache', '\n\n', 'Base'];

function pointAt(text: string, index: number) {
  const before = text.slice(0, index);
  const row = before.split('\n').length - 1;
  return { row, column: index - (before.lastIndexOf('\n') + 1) };
}

/** One deterministic edit: an insertion, a deletion, or a line duplicated or removed. */
function mutate(text: string, next: () => number): { start: number; end: number; insert: string } {
  const at = Math.floor(next() * (text.length + 1));
  const kind = next();
  if (kind < 0.5) return { start: at, end: at, insert: INSERTS[Math.floor(next() * INSERTS.length)]! };
  if (kind < 0.75) return { start: at, end: Math.min(text.length, at + 1 + Math.floor(next() * 20)), insert: '' };
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  lineEnd = lineEnd < 0 ? text.length : lineEnd + 1;
  return kind < 0.9
    ? { start: lineStart, end: lineStart, insert: text.slice(lineStart, lineEnd) }
    : { start: lineStart, end: lineEnd, insert: '' };
}

/** Spans where top-level nodes of either parse overlap one with an error (so recovery may differ). */
function brokenSpans(nodes: Node[]): [number, number][] {
  const clusters: { start: number; end: number; error: boolean }[] = [];
  for (const n of [...nodes].sort((a, b) => a.startIndex - b.startIndex)) {
    const last = clusters[clusters.length - 1];
    // an error, or anything but a statement at module level (how recovery leaves what it could not place)
    const error = n.hasError || (!STATEMENT.test(n.type) && n.type !== 'comment');
    if (last && n.startIndex < last.end) {
      last.end = Math.max(last.end, n.endIndex);
      last.error ||= error;
    } else clusters.push({ start: n.startIndex, end: n.endIndex, error });
  }
  return clusters.filter(c => c.error).map(c => [c.start, c.end]);
}

const shape = (findings: Finding[]) =>
  findings.map(f => ({
    rule: f.rule.id,
    start: f.start,
    end: f.end,
    startPos: f.startPos,
    endPos: f.endPos,
    message: f.message,
    severity: f.severity,
    fix: f.fix,
    noqa: f.noqa,
    related: f.related,
  }));

async function check(name: string, original: string, edits: number, seed: number): Promise<void> {
  const p = await parser();
  const next = random(seed);
  const memo = new LintMemo();
  const options = { rules, moduleName: 'tests.test_incremental' };
  let text = original;
  const forest = Forest.parse(p, text);
  let reusedSomewhere = false;
  try {
    assert.deepEqual(shape(lint(forest, text, { ...options, memo })), shape(lint(forest, text, options)));
    for (let i = 0; i < edits; i++) {
      const { start, end, insert } = mutate(text, next);
      const after = text.slice(0, start) + insert + text.slice(end);
      forest.edit(
        p,
        after,
        {
          startIndex: start,
          oldEndIndex: end,
          newEndIndex: start + insert.length,
          startPosition: pointAt(text, start),
          oldEndPosition: pointAt(text, end),
          newEndPosition: pointAt(after, start + insert.length),
        },
        offset => pointAt(after, offset),
      );
      text = after;
      const what = `${name}: edit ${i + 1} (${JSON.stringify({ start, end, insert })})`;
      const units = memo.units.size;
      const incremental = shape(lint(forest, text, { ...options, memo }));
      reusedSomewhere ||= units > 0 && memo.units.size > 0;
      const fresh = parse(p, text);
      try {
        // Broken code may be recovered differently with less text after it: everywhere else the forest
        // and its findings must be those of a whole parse.
        const top = forest.topLevel(),
          whole = fresh.rootNode.children.filter((n): n is Node => n !== null);
        const broken = brokenSpans([...top, ...whole]);
        const clean = (start: number) => !broken.some(([s, e]) => s <= start && start <= e);
        const sound = (n: Node) => `${n.startIndex}:${n}`;
        assert.deepEqual(
          top.filter(n => clean(n.startIndex)).map(sound),
          whole.filter(n => clean(n.startIndex)).map(sound),
          `${what}: the forest differs from a whole parse`,
        );
        const comparable = (fs: ReturnType<typeof shape>) =>
          fs.filter(f => clean(f.start) && (broken.length === 0 || f.rule !== 'XT003'));
        assert.deepEqual(
          comparable(incremental),
          comparable(shape(lint(fresh, text, options))),
          `${what} gave different findings`,
        );
      } finally {
        fresh.delete();
      }
    }
  } finally {
    forest.dispose();
  }
  assert.ok(reusedSomewhere, `${name}: the memo never held a unit`);
}

test('after any edit, incremental findings equal a fresh analysis (generated module)', async () => {
  await check('generated', testModule(random(3), 400, 5), 150 * SCALE, 11);
});

test('after any edit, incremental findings equal a fresh analysis (every rule fixture)', async () => {
  const dir = path.join(ROOT, 'test/fixtures/rules');
  for (const [i, name] of fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.py') && !f.endsWith('.fixed.py'))
    .sort()
    .entries()) {
    await check(name, fs.readFileSync(path.join(dir, name), 'utf8'), 40 * SCALE, 100 + i);
  }
});

test('an edit inside one test method analyses that class alone', async () => {
  const p = await parser();
  const memo = new LintMemo();
  const text = testModule(random(3), 400, 5);
  const at = text.indexOf('self.assertEqual(');
  const edited = `${text.slice(0, at)}x = 1; ${text.slice(at)}`;
  for (const t of [text, edited]) {
    const tree = parse(p, t);
    try {
      lint(tree, t, { rules, memo });
    } finally {
      tree.delete();
    }
  }
  assert.equal(memo.analysed, 1);
});

test('a unit naming a changed base class is analysed again', async () => {
  const p = await parser();
  const memo = new LintMemo();
  const base =
    'from django.core.cache import cache\nfrom django.test import TestCase, override_settings\n\n\nclass Base(TestCase):\n    pass\n\n\nclass UsesCache(Base):\n    def test_get(self):\n        cache.set("k", 1)\n';
  const isolated = base.replace(
    'class Base(TestCase)',
    '@override_settings(CACHES={"default": {}})\nclass Base(TestCase)',
  );
  for (const [text, expected] of [
    [base, ['XT001']],
    [isolated, []],
    [base, ['XT001']],
  ] as const) {
    const tree = parse(p, text);
    try {
      assert.deepEqual(
        lint(tree, text, { rules, memo }).map(f => f.rule.id),
        expected,
      );
      if (text !== base || memo.analysed !== 3) assert.ok(memo.analysed >= 2, 'the base class and the class naming it');
    } finally {
      tree.delete();
    }
  }
});

test("a setup hook's write is analysed again when another unit starts or stops reading it", async () => {
  const p = await parser();
  const memo = new LintMemo();
  const alone =
    'from django.conf import settings\nfrom django.test import TestCase\n\n\nclass PagingTests(TestCase):\n    def setUp(self):\n        settings.PAGE_SIZE = 5\n\n    def test_first(self):\n        pass\n';
  const read = `${alone}\n\ndef test_default_page_size():\n    assert settings.PAGE_SIZE == 20\n`;
  const set = read.replace('    assert settings.PAGE_SIZE == 20\n', '    settings.PAGE_SIZE = 20\n');
  for (const [text, expected] of [
    [alone, []],
    [read, ['XT040:6']], // setUp's write reaches the reader
    [alone, []],
    [set, ['XT040:13']], // a test that sets it is no reader: only its own write is reported
  ] as const) {
    const tree = parse(p, text);
    try {
      assert.deepEqual(
        lint(tree, text, { rules, memo }).map(f => `${f.rule.id}:${f.startPos.line}`),
        expected,
      );
    } finally {
      tree.delete();
    }
  }
});

test("a module's setup hook is analysed again when its teardown hook changes", async () => {
  const p = await parser();
  const memo = new LintMemo();
  const restored =
    'import sys\n\n\ndef setup_module(module):\n    sys.path.insert(0, "/opt/plugins")\n\n\ndef teardown_module(module):\n    sys.path.remove("/opt/plugins")\n';
  const leaked = restored.replace('    sys.path.remove("/opt/plugins")\n', '    pass\n');
  for (const [text, expected] of [
    [restored, []],
    [leaked, ['XT070']],
    [restored, []],
  ] as const) {
    const tree = parse(p, text);
    try {
      assert.deepEqual(
        lint(tree, text, { rules, memo }).map(f => f.rule.id),
        expected,
      );
    } finally {
      tree.delete();
    }
  }
});

test('a finding that reads every test of the module is analysed again after an edit to another test', async () => {
  const p = await parser();
  const root = path.join(ROOT, 'test/fixtures/projects/drf-anon-throttle-locmem');
  const file = path.join(root, 'tests', 'test_token_auth.py');
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return null;
    }
  };
  const walk = (dir: string) =>
    (fs.readdirSync(dir, { recursive: true }) as string[]).filter(f => f.endsWith('.py')).map(f => path.join(dir, f));
  const project = viewFor(new Project(root, p, read, null, { walk }), file);
  const options = { rules: rules.filter(r => r.id === 'XT001'), moduleName: 'tests.test_token_auth', project };
  const driven = fs.readFileSync(file, 'utf8');
  // the driving test no longer takes the throttle to its limit: test_login, untouched, is no longer reported
  const calm = driven
    .replace(' for _ in range(7)]', ']')
    .replace('    assert codes[-1] == 429', '    assert codes[-1] == 400');
  assert.notEqual(calm, driven);
  const memo = new LintMemo();
  for (const [text, expected] of [
    [driven, ['XT001:6', 'XT001:14']],
    [calm, []],
    [driven, ['XT001:6', 'XT001:14']],
  ] as const) {
    const tree = parse(p, text);
    try {
      assert.deepEqual(
        lint(tree, text, { ...options, memo }).map(f => `${f.rule.id}:${f.startPos.line}`),
        expected,
      );
    } finally {
      tree.delete();
    }
  }
});
