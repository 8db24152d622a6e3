import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { fixAll, lint, type LintOptions } from '../../server/src/engine/lint';
import { type Finding } from '../../server/src/engine/finding';
import { getParser, parse } from '../../server/src/syntax/parser';
import { walk } from '../../server/src/syntax/nodes';
import { rules } from '../../server/src/rules';

/**
 * The repository root: tests run bundled from test/out/unit, or file by file from test/out/cov/test/unit (coverage).
 */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const parser = () => getParser(__dirname);

/**
 * kpi's hazard in brief: a Django test case that clears the shared cache and asserts a 429 (XT001 on line 5, XT002 on
 * line 7).
 */
export const KPI = `from django.core.cache import cache
from django.test import TestCase


class AliceApiTests(TestCase):
    def setUp(self):
        cache.clear()

    def test_throttled(self):
        self.assertEqual(self.client.get("/api/").status_code, 429)
`;

/** Lints with every rule unless `options.rules` names some. */
export async function lintText(text: string, options: Partial<LintOptions> = {}): Promise<Finding[]> {
  const tree = parse(await parser(), text);
  try {
    return lint(tree, text, { rules, ...options });
  } finally {
    tree.delete();
  }
}

export async function fixText(text: string, options: Partial<LintOptions> & { unsafe?: boolean } = {}) {
  return fixAll(await parser(), text, { rules, ...options });
}

/** ERROR and MISSING nodes of a parse, as `type@line` strings. */
export async function syntaxErrors(text: string): Promise<string[]> {
  const tree = parse(await parser(), text);
  const out: string[] = [];
  try {
    walk(tree.rootNode, n => {
      if (n.isError || n.isMissing) out.push(`${n.isMissing ? 'MISSING' : 'ERROR'}@${n.startPosition.row + 1}`);
      return true;
    });
  } finally {
    tree.delete();
  }
  return out;
}

/**
 * An assertion in a fixture (ruff's mdtest grammar): `# expect: [XT001, XT002]`, optionally with the
 * finding's column and a fragment of its message, `# expect: 9 [XT001] "shared by every xdist worker"`
 * (one code then). A trailing assertion applies to its own line, a stack of full-line ones to the next
 * code line; a line may hold several (`# expect: [XT001] "a"  # expect: [XT002]`).
 */
export interface Assertion {
  line: number;
  code: string;
  column?: number;
  message?: string;
  /** the 1-based line the comment is on */ at: number;
}

const ASSERTION = /#\s*expect:\s*(?:(\d+)\s+)?\[([^\]]*)\](?:\s*"((?:[^"\\]|\\.)*)")?/g;

export function assertions(text: string): Assertion[] {
  const out: Assertion[] = [];
  let pending: Omit<Assertion, 'line'>[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const here: Omit<Assertion, 'line'>[] = [];
    for (const m of line.matchAll(ASSERTION)) {
      const codes = m[2]!
        .split(',')
        .map(s => s.trim())
        .filter(Boolean);
      const column = m[1] === undefined ? undefined : Number(m[1]);
      const message = m[3]?.replace(/\\(.)/g, '$1');
      if ((column !== undefined || message !== undefined) && codes.length !== 1)
        throw new Error(`line ${i + 1}: a column or message goes with one code`);
      for (const code of codes)
        here.push({
          code,
          at: i + 1,
          ...(column !== undefined && { column }),
          ...(message !== undefined && { message }),
        });
    }
    if (line.trimStart().startsWith('#')) {
      pending.push(...here);
      return;
    }
    if (line.trim() === '') return;
    for (const a of [...pending, ...here]) out.push({ line: i + 1, ...a });
    pending = [];
  });
  return out;
}

/** A finding as assertions see it: 1-based line and column. */
export interface Seen {
  line: number;
  column: number;
  code: string;
  message: string;
}
export const seen = (findings: Finding[]): Seen[] =>
  findings.map(f => ({
    line: f.startPos.line + 1,
    column: f.startPos.character + 1,
    code: f.rule.id,
    message: f.message,
  }));

/**
 * Pairs assertions with findings: each assertion takes an unpaired finding on its line with its code
 * (and its column and message fragment, when it names them). What is left on either side is reported
 * as `line:column: CODE message` (a finding nobody expected) or `line: CODE ...` (an assertion nothing
 * met): both lists must be empty.
 */
export function unmatched(
  expected: readonly Assertion[],
  findings: readonly Seen[],
): { unexpected: string[]; missing: string[] } {
  const left = [...findings];
  const missing: string[] = [];
  // the most specific assertions choose first, so a bare [XT001] cannot take the finding a column names
  const order = [...expected].sort(
    (a, b) =>
      Number(b.column !== undefined) +
      Number(b.message !== undefined) -
      Number(a.column !== undefined) -
      Number(a.message !== undefined),
  );
  for (const a of order) {
    const i = left.findIndex(
      f =>
        f.line === a.line &&
        f.code === a.code &&
        (a.column === undefined || f.column === a.column) &&
        (a.message === undefined || f.message.includes(a.message)),
    );
    if (i >= 0) left.splice(i, 1);
    else
      missing.push(
        `${a.line}: ${a.column !== undefined ? `${a.column} ` : ''}[${a.code}]${a.message !== undefined ? ` "${a.message}"` : ''}`,
      );
  }
  return { unexpected: left.map(f => `${f.line}:${f.column}: ${f.code} ${f.message}`).sort(), missing: missing.sort() };
}

/**
 * `text` without the assertions no finding meets any longer: a fix's result keeps the fixture's
 * comments, and a snapshot must not claim findings its fixes removed. An emptied `# expect: [...]`
 * goes with the blanks before it, and a line left empty goes too.
 */
export function withoutStaleAssertions(text: string, findings: readonly Seen[]): string {
  const stale = new Map<number, string[]>();
  const all = assertions(text);
  const left = [...findings];
  for (const a of all) {
    const i = left.findIndex(
      f =>
        f.line === a.line &&
        f.code === a.code &&
        (a.column === undefined || f.column === a.column) &&
        (a.message === undefined || f.message.includes(a.message)),
    );
    if (i >= 0) left.splice(i, 1);
    else stale.set(a.at, [...(stale.get(a.at) ?? []), a.code]);
  }
  const eol = /\r\n|\r|\n/.exec(text)?.[0] ?? '\n';
  const lines = text.split(/\r\n|\r|\n/);
  const out: string[] = [];
  lines.forEach((line, i) => {
    const gone = stale.get(i + 1);
    if (!gone) {
      out.push(line);
      return;
    }
    const kept = line.replace(
      /[ \t]*#\s*expect:\s*(?:\d+\s+)?\[([^\]]*)\](?:\s*"(?:[^"\\]|\\.)*")?/g,
      (whole, list: string) => {
        const codes = list
          .split(',')
          .map(s => s.trim())
          .filter(Boolean);
        const rest = codes.filter(c => {
          const k = gone.indexOf(c);
          if (k < 0) return true;
          gone.splice(k, 1);
          return false;
        });
        return rest.length === codes.length
          ? whole
          : rest.length
            ? whole.replace(`[${list}]`, `[${rest.join(', ')}]`)
            : '';
      },
    );
    if (kept.trim() !== '' || line.trim() === '') out.push(kept);
  });
  return out.join(eol);
}

/** Asserts that `findings` are exactly what `text`'s assertions expect. */
export function assertExpected(text: string, findings: readonly Seen[], what = ''): void {
  assert.deepEqual(unmatched(assertions(text), findings), { unexpected: [], missing: [] }, what);
}
