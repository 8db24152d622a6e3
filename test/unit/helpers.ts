import * as fs from 'fs';
import * as path from 'path';
import { fixAll, lint, type LintOptions } from '../../server/src/engine/lint';
import { type Finding } from '../../server/src/engine/finding';
import { getParser, parse } from '../../server/src/syntax/parser';
import { walk } from '../../server/src/syntax/nodes';
import { rules } from '../../server/src/rules';

/** The repository root: tests run bundled from test/out/unit, or file by file from test/out/cov/test/unit (coverage). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const parser = () => getParser(__dirname);

/** kpi's hazard in brief: a Django test case that clears the shared cache and asserts a 429 (XT001 on line 5, XT002 on line 7). */
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
  try { return lint(tree, text, { rules, ...options }); } finally { tree.delete(); }
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
  } finally { tree.delete(); }
  return out;
}

/**
 * `# expect: [XT001, XT002]` assertions (ruff's mdtest grammar): a trailing one applies to its own line,
 * a stack of full-line ones to the next code line. Returns "line:CODE" strings, 1-based lines.
 */
export function expectations(text: string): string[] {
  const out: string[] = [];
  let pending: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /#\s*expect:\s*\[([^\]]*)\]/.exec(line);
    const codes = m ? m[1]!.split(',').map(s => s.trim()).filter(Boolean) : [];
    const fullLine = line.trimStart().startsWith('#');
    if (fullLine) { pending.push(...codes); return; }
    if (line.trim() === '') return;
    for (const c of [...pending, ...codes]) out.push(`${i + 1}:${c}`);
    pending = [];
  });
  return out.sort();
}

export const found = (findings: Finding[]) => findings.map(f => `${f.startPos.line + 1}:${f.rule.id}`).sort();
