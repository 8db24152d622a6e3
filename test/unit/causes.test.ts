// The CLI tells findings that rest on one cause elsewhere once, at the cause (cli/causes.ts): when, where,
// in which rule, and what stays as it is.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { groupByCause, isCauseFinding } from '../../server/src/cli/causes';
import type { Finding } from '../../server/src/engine/finding';
import type { Severity } from '../../server/src/engine/rule';
import { rules } from '../../server/src/rules';

const CWD = '/project';
const SETTINGS = path.join(CWD, 'app/settings/test.py');
const rule = (id: string) => rules.find(r => r.id === id)!;

function finding(id: string, line: number, opts: { cause?: boolean; severity?: Severity } = {}): Finding {
  const pos = { line, character: 4 };
  return {
    start: line * 10,
    end: line * 10 + 3,
    startPos: pos,
    endPos: pos,
    rule: rule(id),
    message: `${id} at ${line}`,
    severity: opts.severity ?? 'warning',
    related: [],
    ...(opts.cause !== false && {
      cause: {
        start: 0,
        end: 0,
        startPos: { line: 4, character: 19 },
        endPos: { line: 4, character: 19 },
        file: SETTINGS,
        describe: 'the default cache is django_redis.cache.RedisCache, shared by every xdist worker',
        remedy: 'one change here removes them all: a LocMemCache in the test settings',
      },
    }),
  };
}
const result = (file: string, findings: Finding[]) => ({ file, text: '', findings });

test('three findings in two files that share a cause become one, at the cause, in the rule most of them are of', () => {
  const a = [finding('XT001', 3), finding('XT003', 5), finding('XT090', 9, { cause: false })];
  const b = [finding('XT001', 7, { severity: 'info' }), finding('XT002', 8, { severity: 'error' })];
  const out = groupByCause([result('tests/test_a.py', a), result('tests/test_b.py', b)], CWD);
  assert.deepEqual(
    out.map(r => r.file),
    ['app/settings/test.py', 'tests/test_a.py', 'tests/test_b.py'],
  );
  const [cause] = out[0]!.findings;
  assert.ok(cause && isCauseFinding(cause));
  assert.equal(cause.rule.id, 'XT001');
  assert.equal(cause.severity, 'error', 'the most severe of those it stands for');
  assert.deepEqual(cause.startPos, { line: 4, character: 19 });
  assert.equal(cause.members, 4);
  assert.match(
    cause.message,
    /^The default cache is .*: 4 findings in 2 test files rest on it \(XT001 2, XT002 1, XT003 1\)\. /,
  );
  assert.match(cause.message, /\. One change here removes them all: a LocMemCache in the test settings$/, 'its remedy');
  assert.deepEqual(
    cause.related.map(r => `${path.relative(CWD, r.file!)}:${r.startPos.line} ${r.message}`),
    [
      'tests/test_a.py:3 XT001 XT001 at 3',
      'tests/test_a.py:5 XT003 XT003 at 5',
      'tests/test_b.py:7 XT001 XT001 at 7',
      'tests/test_b.py:8 XT002 XT002 at 8',
    ],
  );
  assert.deepEqual(
    out[1]!.findings.map(f => f.rule.id),
    ['XT090'],
    'a finding with no cause stays',
  );
  assert.deepEqual(out[2]!.findings, []);
});

test('a cause under three findings, or under findings of one file, is not grouped: each test keeps its own', () => {
  const two = [result('tests/test_a.py', [finding('XT001', 3)]), result('tests/test_b.py', [finding('XT001', 7)])];
  assert.equal(groupByCause(two, CWD), two);
  const oneFile = [result('tests/test_a.py', [finding('XT001', 3), finding('XT001', 9), finding('XT003', 12)])];
  assert.equal(groupByCause(oneFile, CWD), oneFile);
});

test('a finding at the cause itself (within the CACHES entry) tells the others: its rule, place and fix stay', () => {
  const at = finding('XT031', 5, { cause: false });
  const out = groupByCause(
    [
      result('app/settings/test.py', [at]),
      result('tests/test_a.py', [finding('XT001', 3), finding('XT003', 5)]),
      result('tests/test_b.py', [finding('XT001', 7)]),
    ],
    CWD,
  );
  assert.deepEqual(
    out.map(r => r.findings.length),
    [1, 0, 0],
  );
  const head = out[0]!.findings[0]!;
  assert.ok(isCauseFinding(head));
  assert.equal(head.rule.id, 'XT031');
  assert.equal(head.startPos.line, 5);
  assert.match(
    head.message,
    /^XT031 at 5\. The default cache .*: 3 findings in 2 test files rest on it \(XT001 2, XT003 1\); one change here/,
  );
  assert.equal(head.related.length, 3);
});

test('findings of one file saying the same are told once, at the first; two, or other words, stay', () => {
  const same = (line: number, id = 'XT040') => ({
    ...finding(id, line, { cause: false }),
    message: 'settings.SAML_CONFIG is changed for the rest of this process',
  });
  const other = finding('XT040', 20, { cause: false });
  const out = groupByCause(
    [
      result('tests/test_a.py', [same(3), same(9), other, same(30)]),
      result('tests/test_b.py', [same(4), same(8), same(12, 'XT070')]),
    ],
    CWD,
  );
  const [head, ...rest] = out[0]!.findings;
  assert.ok(head && isCauseFinding(head));
  assert.equal(head.startPos.line, 3);
  assert.equal(head.members, 3);
  assert.equal(
    head.message,
    'settings.SAML_CONFIG is changed for the rest of this process (the same at 2 more places of this file)',
  );
  assert.deepEqual(
    head.related.map(r => `${path.relative(CWD, r.file!)}:${r.startPos.line} ${r.message}`),
    ['tests/test_a.py:9 XT040 the same', 'tests/test_a.py:30 XT040 the same'],
  );
  assert.deepEqual(rest, [other], 'a finding saying something else stays, in its place');
  assert.deepEqual(
    out[1]!.findings.map(f => f.startPos.line),
    [4, 8, 12],
    'two of one rule and one of another stay',
  );
});

test('findings resting on a cause elsewhere are told there, not again as repeats of their file', () => {
  const a = [finding('XT001', 3), finding('XT001', 5), finding('XT001', 7)].map(f => ({ ...f, message: 'same' }));
  const out = groupByCause([result('tests/test_a.py', a), result('tests/test_b.py', [finding('XT001', 2)])], CWD);
  const cause = out[0]!.findings[0]!;
  assert.ok(isCauseFinding(cause));
  assert.equal(cause.members, 4);
  assert.deepEqual(
    out.slice(1).map(r => r.findings.length),
    [0, 0],
  );
});
