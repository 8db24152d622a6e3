// pytest's `-m` marker expressions (`not selenium and not integration`): which tests a run selects by
// their marks. The grammar is pytest's (_pytest/mark/expression.py), without keyword arguments to marks:
//   expr: and_expr ('or' and_expr)* ; and_expr: not_expr ('and' not_expr)* ;
//   not_expr: 'not' not_expr | '(' expr ')' | ident

/** Whether a test with `marks` is selected. */
export type MarkMatcher = (marks: ReadonlySet<string>) => boolean;

const TOKEN = /\s*(\(|\)|[\w:+\-.[\]\\/]+)\s*/y;

/** The selection `expression` makes; null when it is not one this reads (then take every test as run). */
export function markMatcher(expression: string): MarkMatcher | null {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    const m = TOKEN.exec(expression);
    if (!m) return null;
    tokens.push(m[1] ?? '');
  }
  let at = 0;
  const peek = () => tokens[at];
  type Test = (marks: ReadonlySet<string>) => boolean;
  // `operand (word operand)*`, joined left to right
  const chain = (word: string, operand: () => Test | null, join: (l: Test, r: Test) => Test) => (): Test | null => {
    let left = operand();
    while (left && peek() === word) {
      at++;
      const right = operand();
      if (!right) return null;
      left = join(left, right);
    }
    return left;
  };
  const notExpr = (): Test | null => {
    const t = peek();
    if (t === undefined || t === ')' || t === 'and' || t === 'or') return null;
    at++;
    if (t === 'not') {
      const inner = notExpr();
      return inner && (m => !inner(m));
    }
    if (t === '(') {
      const inner = expr();
      if (!inner || peek() !== ')') return null;
      at++;
      return inner;
    }
    return m => m.has(t);
  };
  const andExpr = chain('and', notExpr, (l, r) => m => l(m) && r(m));
  const expr: () => Test | null = chain('or', andExpr, (l, r) => m => l(m) || r(m));
  if (tokens.length === 0) return null;
  const whole = expr();
  return whole && at === tokens.length ? whole : null;
}

/** The marks (`pytest.mark.NAME`, `mark.NAME`) that a decorator or a `pytestmark = ...` text applies. */
export function marksIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w.])(?:pytest\.)?mark\.(\w+)/g)].map(m => m[1] ?? '');
}
