// Bad input never crashes the engine or hangs it: every case finishes, with findings or a ParseError.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { MAX_FILE_CHARS, parse, ParseError } from '../../server/src/syntax/parser';
import { fixText, lintText, parser, ROOT } from './helpers';

const KPI = fs.readFileSync(path.join(ROOT, 'test/fixtures/incidents/kpi/before/test_throttling.py'), 'utf8');

const CASES: Record<string, string> = {
  'half-typed class': 'class T(TestCase):\n    def test_x(self):\n        cache.se',
  'NUL bytes': KPI.replace('cache.clear()', 'cache.clear(\0)\0'),
  'lone surrogates': KPI.replace('someuser', '\uD800\uDFFF\uDC00'),
  CRLF: KPI.replace(/\n/g, '\r\n'),
  'mixed indentation': KPI.replace(/\n {8}/g, '\n\t'),
  '5,000-deep parentheses': `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`,
  '5,000-deep attribute chain': `def test_x():\n    cache${'.a'.repeat(5000)}.clear()\n`,
  '5,000 nested blocks':
    Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}if x:\n`).join('') + `${' '.repeat(5000)}pass\n`,
  '3 MB test module':
    KPI +
    Array.from({ length: 3_000_000 / KPI.length }, (_, i) =>
      KPI.replace(/SubmissionThrottlingTests/g, `T${i}`).replace(/^(from|import) .*\n/gm, ''),
    ).join('\n'),
};

for (const [name, text] of Object.entries(CASES)) {
  test(`no crash, bounded time: ${name}`, async () => {
    const start = Date.now();
    try {
      const findings = await lintText(text, { budgetMs: 5000 });
      await fixText(text, { unsafe: true, budgetMs: 5000 });
      if (name === 'CRLF')
        assert.deepEqual(
          findings.map(f => f.rule.id),
          ['XT001', 'XT002'],
        );
    } catch (e) {
      // giving up is fine (a time budget, or nesting Python itself rejects), with a one-line reason; crashing is not
      assert.ok(e instanceof ParseError && !e.message.includes('\n'), String(e));
      assert.match(name, /5,000|3 MB/);
    }
    assert.ok(Date.now() - start < 30_000, `took ${Date.now() - start} ms`);
  });
}

test('CRLF files keep CRLF through fixes', async () => {
  const crlf = KPI.replace(/\n/g, '\r\n');
  const { text } = await fixText(crlf);
  assert.notEqual(text, crlf);
  assert.doesNotMatch(text.replace(/\r\n/g, ''), /\n/, 'every inserted line ends in CRLF');
});

test('a file over the size limit is refused with a one-line reason', async () => {
  await assert.rejects(
    lintText('#'.repeat(MAX_FILE_CHARS + 1)),
    (e: Error) => e instanceof ParseError && !e.message.includes('\n'),
  );
});

test('the time budget makes the engine give up with a one-line reason', async () => {
  const big = Array.from({ length: 2000 }, (_, i) => KPI.replace(/SubmissionThrottlingTests/g, `T${i}`)).join('\n');
  await assert.rejects(
    lintText(big, { budgetMs: 1 }),
    (e: Error) => e instanceof ParseError && e.message === 'analysis gave up after 1 ms',
  );
});

test('a parse that runs out of time leaves the parser fresh: the next text is parsed from its start', async () => {
  const p = await parser();
  const big = Array.from({ length: 4000 }, (_, i) => KPI.replace(/SubmissionThrottlingTests/g, `T${i}`)).join('\n');
  assert.throws(
    () => parse(p, big, null, undefined, 0),
    (e: Error) => e instanceof ParseError,
  );
  // without a reset the parser would resume the cancelled parse of `big` and hand back its tree
  const tree = parse(p, KPI);
  try {
    assert.equal(tree.rootNode.text, KPI);
    assert.equal(tree.rootNode.hasError, false);
  } finally {
    tree.delete();
  }
});

test('in a file whose lines end in a lone CR, a new setUp goes into the class, before its first test', async () => {
  const lines = [
    'from rest_framework.test import APITestCase',
    '',
    '',
    'class PingThrottleTests(APITestCase):',
    '    def test_a_five_allowed(self):',
    '        codes = [self.client.get("/api/ping/").status_code for _ in range(5)]',
    '        self.assertEqual(codes, [200] * 5)',
    '',
    '    def test_b_sixth_throttled(self):',
    '        codes = [self.client.get("/api/ping/").status_code for _ in range(6)]',
    '        self.assertEqual(codes, [200] * 5 + [429])',
    '',
  ];
  const { text } = await fixText(lines.join('\r'));
  const fixed = text.split('\r');
  const setUp = fixed.indexOf('    def setUp(self):');
  assert.ok(setUp > 0 && setUp < fixed.indexOf('    def test_a_five_allowed(self):'), text);
  assert.equal(fixed[setUp - 1]?.trimStart().startsWith('class PingThrottleTests'), true, text);
});
