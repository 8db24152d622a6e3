// What the fuzz suite (test/fuzz) found, kept as regression inputs: the files in test/fixtures/fuzz/
// and a few generated ones too large to keep, each through the analyser (with the fix properties),
// the language server and the CLI, as `npm run test:fuzz` runs them. Each must pass all three.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { getParser, parse, ParseError } from '../../server/src/syntax/parser';
import { MAX_INDENT_WIDTHS, unparsableReason } from '../../server/src/syntax/parseGuard';
import { indentOf } from '../../server/src/syntax/text';
import { analyse, checkWithCli, ServerTarget } from '../fuzz/targets';
import { ROOT } from './helpers';

const DIR = path.join(ROOT, 'test/fixtures/fuzz');

/**
 * Nested defs, one column deeper each, around a string: past ~510 levels the grammar's scanner overran its buffer (a
 * WASM trap).
 */
const nestedDefs = (n: number) =>
  Buffer.from(
    `import os\n\n\ndef test_deep(settings):\n${Array.from({ length: n }, (_, i) => `${' '.repeat(4 + i)}def test_${i}(self):`).join('\n')}\n${' '.repeat(4 + n)}os.environ["X"] = "1"\n`,
  );

const CASES: Record<string, Buffer> = {
  ...Object.fromEntries(
    fs
      .readdirSync(DIR)
      .filter(f => f.endsWith('.py'))
      .map(f => [f, fs.readFileSync(path.join(DIR, f))]),
  ),
  // 5,000 implicitly concatenated "/tmp/x" pieces: 5,000 findings whose fixes broke the concatenation
  'concatenated-tmp-paths.py': Buffer.from(
    `import os\n\n\ndef test_x():\n    open(${Array.from({ length: 5000 }, () => '"/tmp/x"').join(' ')}, "w")\n    os.system("rm " ${'"/tmp/y" '.repeat(50)})\n`,
  ),
  'nested-defs-around-a-string.py': nestedDefs(520),
  // a year moved by a sum 100,000 terms long: XT110's reading of the number overflowed the stack
  'year-moved-by-a-long-sum.py': Buffer.from(
    `import datetime\n\n\ndef test_x():\n    today = datetime.date.today()\n    today.replace(year=today.year - (${Array(100_000).fill('1').join('+')}))\n`,
  ),
};

let server: ServerTarget;
before(async () => {
  server = await ServerTarget.start(__dirname);
});
after(async () => {
  await server.close();
});

for (const [name, bytes] of Object.entries(CASES)) {
  test(`fuzz regression ${name}: the analyser, the server and the CLI`, async () => {
    const a = await analyse(__dirname, bytes, { moduleName: 'tests.regression' });
    assert.deepEqual(a.problems, [], 'analyser');
    const l = await server.exercise(bytes, `test_${name.replace(/\W/g, '_')}`, 1);
    assert.deepEqual(l.problems, [], 'language server');
    const c = await checkWithCli(__dirname, new Map([[`test_${name.replace(/-/g, '_')}`, bytes]]));
    assert.deepEqual(c.problems, [], 'CLI');
  });
}

test('deep indentation is refused in one line before it reaches the parser, which keeps working', async () => {
  const parser = await getParser(__dirname);
  for (const text of [nestedDefs(520).toString(), nestedDefs(520).toString().replace(/\n/g, '\r')]) {
    assert.throws(
      () => parse(parser, text),
      (e: Error) =>
        e instanceof ParseError && /^indentation too deep to analyse/.test(e.message) && !e.message.includes('\n'),
    );
  }
  const tree = parse(parser, 'def f():\n    return "a"\n');
  assert.equal(tree.rootNode.hasError, false);
  tree.delete();
  // Python's own limit is 100 levels: those files still parse
  assert.equal(unparsableReason(nestedDefs(200).toString()), null);
  assert.notEqual(unparsableReason(nestedDefs(MAX_INDENT_WIDTHS + 1).toString()), null);
});

test('a WASM trap in the parser becomes a one-line ParseError and a fresh parser', async () => {
  const real = await getParser(__dirname);
  const calls: string[] = [];
  const trapping = {
    language: real.language,
    parse() {
      throw Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
    },
    delete() {
      calls.push('delete');
      throw new Error('its memory is what trapped');
    },
    initialize() {
      calls.push('initialize');
    },
    setLanguage(l: unknown) {
      calls.push(l === real.language ? 'setLanguage' : 'setLanguage(other)');
    },
  } as unknown as Parameters<typeof parse>[0];
  assert.throws(
    () => parse(trapping, 'x = 1\n'),
    (e: Error) =>
      e instanceof ParseError && e.message === 'the Python parser failed on this input (memory access out of bounds)',
  );
  assert.deepEqual(calls, ['delete', 'initialize', 'setLanguage']);
  // any other error is not the parser's: it propagates as it is
  const failing = {
    ...trapping,
    parse() {
      throw new TypeError('not a trap');
    },
  } as unknown as Parameters<typeof parse>[0];
  assert.throws(() => parse(failing, 'x = 1\n'), TypeError);
});

test('3 MB files stay linear: the guard and line starts scan a line, not the file (each took seconds)', () => {
  const big = 'def test_x(self):\n    cache.set("k", 1)\n'.repeat(80_000); // 3.2 MB, no \r anywhere
  let started = Date.now();
  assert.equal(unparsableReason(big), null);
  assert.ok(Date.now() - started < 1000, `the guard took ${Date.now() - started} ms`);
  started = Date.now();
  for (let i = 0; i < 2000; i++) assert.equal(indentOf(big, big.length - 10 - (i % 7)), '    ');
  assert.ok(Date.now() - started < 1000, `2,000 line starts took ${Date.now() - started} ms`);
});
