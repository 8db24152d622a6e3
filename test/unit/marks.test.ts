// pytest's `-m` expressions, read as pytest reads them: which tests a run selects by their marks.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { markMatcher, marksIn } from '../../server/src/analysis/marks';

function selects(expression: string, ...marks: string[]): boolean | null {
  const matcher = markMatcher(expression);
  return matcher ? matcher(new Set(marks)) : null;
}

test('not, and, or and parentheses, with and binding tighter than or', () => {
  assert.equal(selects('not slow'), true);
  assert.equal(selects('not slow', 'slow'), false);
  assert.equal(selects('not stripe and not paypal', 'paypal'), false);
  assert.equal(selects('not stripe and not paypal', 'django_db'), true);
  assert.equal(selects('a or b and c', 'a'), true);
  assert.equal(selects('a or b and c', 'b'), false);
  assert.equal(selects('(a or b) and c', 'b', 'c'), true);
  assert.equal(selects('not (selenium or live)', 'live'), false);
  assert.equal(selects('not not slow', 'slow'), true);
});

test('an expression this does not read selects nothing away (null)', () => {
  for (const bad of ['', '   ', 'not', 'a and', '(a or b', 'a b', 'slow(reason=1)', 'a && b'])
    assert.equal(markMatcher(bad), null, bad);
});

test('the marks a decorator or pytestmark applies', () => {
  assert.deepEqual(marksIn('@pytest.mark.stripe'), ['stripe']);
  assert.deepEqual(marksIn('[pytest.mark.django_db, mark.selenium(reason="x")]'), ['django_db', 'selenium']);
  assert.deepEqual(marksIn('@other.mark.x'), []);
});
