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
  const expr = (): Test | null => {
    let left = andExpr();
    while (left && peek() === 'or') {
      at++;
      const right = andExpr();
      if (!right) return null;
      const l = left;
      left = m => l(m) || right(m);
    }
    return left;
  };
  const andExpr = (): Test | null => {
    let left = notExpr();
    while (left && peek() === 'and') {
      at++;
      const right = notExpr();
      if (!right) return null;
      const l = left;
      left = m => l(m) && right(m);
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
  if (tokens.length === 0) return null;
  const whole = expr();
  return whole && at === tokens.length ? whole : null;
}

/** The marks (`pytest.mark.NAME`, `mark.NAME`) that a decorator or a `pytestmark = ...` text applies. */
export function marksIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w.])(?:pytest\.)?mark\.(\w+)/g)].map(m => m[1] ?? '');
}
