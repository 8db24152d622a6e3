// The fix properties of issue 7, checked on one file: every fix Crosstalk offers (safe and unsafe,
// one at a time, then all together) must leave code that re-parses with no new ERROR/MISSING nodes,
// resolve what it fixed (so applying it again changes nothing), converge within 10 fix-all passes,
// import each name once (merged into an existing `from m import ...`), keep the decorators, comments
// and blank lines above a definition, and keep the file's line endings and tab indentation.
// Pure functions over text: the unit tests run them on the fixtures, test/props/run.ts on corpora.
import type { Parser } from 'web-tree-sitter';
import { applyFileEdits, applyFixes, isLocal, type Edit } from '../../server/src/engine/fix';
import { fixAll, lint, type LintOptions } from '../../server/src/engine/lint';
import { type Finding } from '../../server/src/engine/finding';
import { Definitions } from '../../server/src/analysis/defs';
import { nodesOfTypes, parse, type Node, type Tree } from '../../server/src/syntax/parser';
import type { ProjectView } from '../../server/src/analysis/projectView';
import type { ReadFile } from '../../server/src/project/project';
import type { Rule } from '../../server/src/engine/rule';
import { eolOf } from '../../server/src/syntax/text';

/**
 * The project around a file: how to read its other files, its view, and a view of it with some files
 * changed in memory (a project-wide fix applied), to be disposed after use.
 */
export interface ProjectContext {
  read: ReadFile;
  view: ProjectView;
  overlay(read: ReadFile): { view: ProjectView; dispose(): void };
}

export interface Violation {
  property: string;
  line: number;
  rule: string;
  detail: string;
}

export interface FileReport {
  findings: number;
  /** fixes applied one at a time (each checked on its own) */
  fixesTried: number;
  /** the rules whose fixes were tried */
  fixingRules: Rule[];
  /** whether a fix tried adds a line (only those can break CRLF or tab indentation) */
  addsLines: boolean;
  /** whether fix-all changed the text */
  fixAllChanged: boolean;
  violations: Violation[];
}

/** ERROR and MISSING nodes of a tree (only subtrees that contain an error are walked). */
export function syntaxProblemCount(tree: Tree): number {
  let count = 0;
  const stack: Node[] = [tree.rootNode];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.isMissing || node.type === 'ERROR') count++;
    if (!node.hasError) continue;
    for (const child of node.children) if (child && (child.hasError || child.isMissing)) stack.push(child);
  }
  return count;
}

/** Import statements bound in module scope (not inside functions or classes), as comparable keys. */
export function moduleImports(root: Node): { names: Map<string, number>; fromStatements: Map<string, number> } {
  const names = new Map<string, number>(),
    fromStatements = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const defs = new Definitions(root.tree);
  for (const stmt of nodesOfTypes(root, ['import_statement', 'import_from_statement'])) {
    if (defs.enclosing(stmt)) continue;
    if (stmt.type === 'import_from_statement') {
      const module = stmt.childForFieldName('module_name')?.text ?? '';
      add(fromStatements, module);
      for (const n of stmt.childrenForFieldName('name')) if (n) add(names, `from ${module} import ${n.text}`);
    } else {
      for (const n of stmt.childrenForFieldName('name')) if (n) add(names, `import ${n.text}`);
    }
  }
  return { names, fromStatements };
}

/** Where `offset` of the old text ends up after `edits` (sorted); insertions at `offset` go before it. */
export function mapOffset(offset: number, edits: readonly Edit[]): number {
  let delta = 0;
  for (const e of edits) {
    if (e.end <= offset) delta += e.text.length - (e.end - e.start);
    else if (e.start < offset)
      return e.start + delta; // inside a replaced range
    else break;
  }
  return offset + delta;
}

interface Range {
  start: number;
  end: number;
}

/** Statement node types of tree-sitter-python (a block's or module's children). */
const STATEMENTS = [
  'expression_statement',
  'return_statement',
  'pass_statement',
  'delete_statement',
  'raise_statement',
  'assert_statement',
  'global_statement',
  'nonlocal_statement',
  'break_statement',
  'continue_statement',
  'import_statement',
  'import_from_statement',
  'future_import_statement',
  'if_statement',
  'for_statement',
  'while_statement',
  'try_statement',
  'with_statement',
  'function_definition',
  'class_definition',
  'decorated_definition',
  'match_statement',
];

/** Where each edit's new text lies in the text after the edits (sorted, non-overlapping). */
function insertedRanges(edits: readonly Edit[]): Range[] {
  let delta = 0;
  return edits.map(e => {
    const start = e.start + delta;
    delta += e.text.length - (e.end - e.start);
    return { start, end: start + e.text.length };
  });
}

interface Decorated {
  defStart: number;
  lines: { text: string; start: number; end: number }[];
  decorators: { start: number; end: number }[];
}

/** Per decorated definition: the lines from its first decorator down to (not including) `def`/`class`. */
function decoratedDefinitions(root: Node, text: string): Decorated[] {
  return nodesOfTypes(root, ['decorated_definition']).flatMap(d => {
    const def = d.childForFieldName('definition');
    const decorators = d.namedChildren
      .filter(c => c?.type === 'decorator')
      .map(c => ({ start: c!.startIndex, end: c!.endIndex }));
    return def
      ? [{ defStart: def.startIndex, lines: linesBetween(text, d.startIndex, def.startIndex), decorators }]
      : [];
  });
}

/** The lines from the one holding `from` up to `to`, ended as Python ends them: `\r\n`, `\n` or a lone `\r`. */
function linesBetween(text: string, from: number, to: number): Decorated['lines'] {
  const lines: Decorated['lines'] = [];
  let start = Math.max(text.lastIndexOf('\n', from - 1), text.lastIndexOf('\r', from - 1)) + 1;
  const eol = /\r\n|\r|\n/g;
  while (start < to) {
    eol.lastIndex = start;
    const m = eol.exec(text);
    const end = !m || m.index > to ? to : m.index;
    lines.push({ text: text.slice(start, end), start, end });
    start = end + (m && m.index <= to ? m[0].length : 1);
  }
  return lines;
}

/** Whether `sub` occurs in `seq` in order (not necessarily contiguous). */
function isSubsequence(sub: readonly string[], seq: readonly string[]): boolean {
  let i = 0;
  for (const s of seq) if (i < sub.length && s === sub[i]) i++;
  return i === sub.length;
}

/** Tab indentation instead of the file's indent unit of spaces (continuation lines keep their extra spaces). */
export function toTabs(text: string): string {
  const unit = Math.min(...[...text.matchAll(/:[ \t]*\r?\n( +)\S/g)].map(m => m[1]!.length), 8) || 4;
  return text.replace(/^( +)(?=\S)/gm, s => '\t'.repeat(Math.floor(s.length / unit)) + ' '.repeat(s.length % unit));
}

/** A line of code indented with spaces (tab files must stay tab files). */
const SPACE_INDENTED = /^ +\S/m;
const bareLf = (s: string) => (s.match(/(?<!\r)\n/g) ?? []).length;

interface Parsed {
  tree: Tree;
  problems: number;
}

export class PropertyChecker {
  constructor(private readonly parser: Parser) {}

  private parsed(text: string): Parsed {
    const tree = parse(this.parser, text);
    return { tree, problems: syntaxProblemCount(tree) };
  }

  private lint(text: string, options: LintOptions): Finding[] {
    const tree = parse(this.parser, text);
    try {
      return lint(tree, text, options);
    } finally {
      tree.delete();
    }
  }

  /**
   * Checks every property on `text`. With `project`, findings may carry project-wide fixes: their
   * edits are applied in memory only (`read` gives the other files' text), never written.
   */
  /**
   * `limits.maxFixes` tries an evenly spread sample of the fixes; `limits.layoutOnly` checks only what a
   * file's layout can change (re-parsing, line endings, tabs, convergence), for the CRLF and tab
   * variants of a file whose other properties were checked as it is.
   */
  check(
    text: string,
    options: LintOptions,
    project?: ProjectContext,
    limits: { maxFixes?: number; layoutOnly?: boolean } = {},
  ): FileReport {
    if (project) options = { ...options, project: project.view };
    const violations: Violation[] = [];
    const before = this.parsed(text);
    let findings: Finding[];
    let beforeImports: ReturnType<typeof moduleImports>;
    let beforeDecorated: Decorated[];
    let beforeStatements: Range[];
    let beforeFunctions: (Range & { def: number })[];
    let beforeClasses: (Range & { def: number })[];
    try {
      findings = lint(before.tree, text, options);
      if (!findings.some(f => f.fix))
        return {
          findings: findings.length,
          fixesTried: 0,
          fixingRules: [],
          addsLines: false,
          fixAllChanged: false,
          violations,
        };
      const root = before.tree.rootNode;
      beforeImports = moduleImports(root);
      beforeDecorated = decoratedDefinitions(root, text);
      beforeStatements = nodesOfTypes(root, STATEMENTS).map(n => ({ start: n.startIndex, end: n.endIndex }));
      const defs = new Definitions(before.tree);
      const ranges = (type: string) =>
        nodesOfTypes(root, [type]).map(d => ({
          start: defs.statement(d).startIndex,
          end: d.endIndex,
          def: d.startIndex,
        }));
      beforeFunctions = ranges('function_definition');
      beforeClasses = ranges('class_definition');
    } finally {
      before.tree.delete();
    }
    const tabFile = /^\t+\S/m.test(text) && !SPACE_INDENTED.test(text);
    const eol = eolOf(text);
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
    const report = (f: Finding | null, property: string, detail: string) =>
      violations.push({ property, line: f ? f.startPos.line + 1 : 0, rule: f?.rule.id ?? 'fix-all', detail });

    /** The checks every result of fixing must pass (one fix, or fix-all). */
    const checkResult = (f: Finding | null, after: string, edits: readonly Edit[] | null) => {
      const result = this.parsed(after);
      try {
        if (result.problems > before.problems)
          report(f, 'reparse', `${result.problems - before.problems} new ERROR/MISSING node(s)`);
        const imports = moduleImports(result.tree.rootNode);
        for (const [key, n] of imports.names) {
          if (n > 1 && n > (beforeImports.names.get(key) ?? 0)) report(f, 'imports', `"${key}" now appears ${n} times`);
        }
        for (const [module, n] of imports.fromStatements) {
          const was = beforeImports.fromStatements.get(module) ?? 0;
          if (was > 0 && n > was)
            report(f, 'imports', `a second "from ${module} import" instead of merging into the existing one`);
        }
        if (edits && f && !limits.layoutOnly) {
          this.checkDecorators(f, text, after, edits, beforeDecorated, result.tree.rootNode, report);
          // a fix removes at most the one statement it fixes (never its neighbours on a shared line); one
          // it re-indents (into a `with` block) is still there
          // (or splits over lines, with a trailing comma, to keep to the line length)
          const dedent = (s: string) => s.replace(/\s+/g, '').replace(/,([)\]}])/g, '$1');
          const kept = dedent(after);
          const removed = beforeStatements.filter(
            st =>
              edits.some(e => e.end > e.start && e.start <= st.start && st.end <= e.end) &&
              !kept.includes(dedent(text.slice(st.start, st.end))) &&
              !importLeftUnused(text.slice(st.start, st.end), after),
          );
          if (removed.length > 1)
            report(
              f,
              'removes',
              `removes ${removed.length} statements: ${removed.map(r => JSON.stringify(text.slice(r.start, r.end).slice(0, 60))).join(', ')}`,
            );
          // statements it adds run in the function of the finding (or of the test it decorates)
          const home = beforeFunctions
            .filter(fn => fn.start <= f.start && f.start < fn.end)
            .sort((a, b) => b.start - a.start)[0];
          const expected = home ? mapOffset(home.def, edits) : null;
          // a finding on a class (not in a function of it), or in a method of a class whose fix isolates the
          // whole class (XT002's clear() in a test, fixed like XT001 on its test case): its statements may
          // go in a method of that class
          const homeClass = beforeClasses
            .filter(c => c.start <= f.start && f.start < c.end && (!home || f.rule.id === 'XT002'))
            .sort((a, b) => b.start - a.start)[0];
          const expectedClass = homeClass ? mapOffset(homeClass.def, edits) : null;
          const defs = new Definitions(result.tree);
          const added = insertedRanges(edits);
          for (const st of nodesOfTypes(result.tree.rootNode, STATEMENTS)) {
            if (
              /import|definition/.test(st.type) ||
              !added.some(r => r.start <= st.startIndex && st.startIndex < r.end)
            )
              continue;
            const fn = defs.enclosingFunction(st);
            const cls = fn && defs.methodClass(fn);
            if (expectedClass !== null && cls?.startIndex === expectedClass) continue;
            if ((fn?.startIndex ?? null) !== expected)
              report(
                f,
                'placement',
                `"${st.text.slice(0, 60)}" lands ${fn ? `in ${fn.childForFieldName('name')?.text}()` : 'outside any function'}, not in the function of its finding`,
              );
          }
        }
      } finally {
        result.tree.delete();
      }
      if (eol === '\r\n' && bareLf(after) > bareLf(text)) report(f, 'crlf', 'a line ending in LF in a CRLF file');
      if (eol === '\n' && (after.match(/\r\n/g) ?? []).length > (text.match(/\r\n/g) ?? []).length)
        report(f, 'eol', 'a CRLF in an LF file');
      if (tabFile && SPACE_INDENTED.test(after))
        report(
          f,
          'tabs',
          `a line indented with spaces in a tab-indented file (line ${lineOf(after.search(SPACE_INDENTED))})`,
        );
    };

    let fixesTried = 0;
    const withFixes = findings.filter(f => f.fix);
    // with a limit (the fuzz suite), an evenly spread sample of the fixes
    const step = limits.maxFixes && withFixes.length > limits.maxFixes ? withFixes.length / limits.maxFixes : 1;
    for (let i = 0; i < withFixes.length; i += step) {
      const f = withFixes[Math.floor(i)]!;
      fixesTried++;
      if (!f.fix || !isLocal(f.fix)) {
        if (project && f.fix) this.checkProjectWide(f, text, options, project, report);
        continue;
      }
      const after = applyFixes(text, [f.fix]).text;
      if (after === text) {
        report(f, 'effect', `the fix "${f.fix.title}" changes nothing`);
        continue;
      }
      checkResult(f, after, f.fix.edits);
      if (limits.layoutOnly) continue;
      // applying the same fix again changes nothing: the finding is gone, or its fix is now a no-op (the
      // same finding: rule, place and message; another at that place, such as the next unknown code of
      // a noqa list moving up into the removed one's, is another finding)
      const at = mapOffset(f.start, f.fix.edits);
      const again = this.lint(after, { ...options, rules: [f.rule] }).find(
        g => g.rule.id === f.rule.id && g.start === at && g.message === f.message && g.fix && isLocal(g.fix),
      );
      if (again && applyFixes(after, [again.fix!]).text !== after)
        report(f, 'idempotent', `after "${f.fix.title}", the same finding offers "${again.fix!.title}" again`);
    }

    // fix-all, unsafe included: converges within 10 passes, and the checks above hold for the result
    const fixingRules = [...new Set(findings.filter(f => f.fix).map(f => f.rule))];
    const all = fixAll(this.parser, text, { ...options, unsafe: true, maxPasses: 10 });
    if (all.text !== text) {
      checkResult(null, all.text, null);
      const next = fixAll(this.parser, all.text, { ...options, unsafe: true, maxPasses: 1 });
      if (next.text !== all.text)
        report(null, 'converges', `fix-all still changes the text after ${all.passes} passes`);
    }
    const addsLines = withFixes.some(f => f.fix!.edits.some(e => /[\r\n]/.test(e.text)));
    return {
      findings: findings.length,
      fixesTried,
      fixingRules,
      addsLines,
      fixAllChanged: all.text !== text,
      violations,
    };
  }

  /**
   * The decorators, comments and blank lines above each definition are still there, unchanged and in
   * order, after one fix (a decorator the fix removes whole excepted): a new decorator goes among them.
   */
  private checkDecorators(
    f: Finding,
    text: string,
    after: string,
    edits: readonly Edit[],
    beforeDecorated: Decorated[],
    afterRoot: Node,
    report: (f: Finding, property: string, detail: string) => void,
  ): void {
    const afterByDef = new Map(decoratedDefinitions(afterRoot, after).map(d => [d.defStart, d]));
    for (const d of beforeDecorated) {
      // a decorator the fix removes as a whole is the fix's business (XT041 moves one into the body)
      const removed = d.decorators.filter(dec => edits.some(e => e.start <= dec.start && dec.end <= e.end));
      const kept = d.lines.filter(l => !removed.some(dec => dec.start < l.end && l.start < dec.end)).map(l => l.text);
      const now = afterByDef.get(mapOffset(d.defStart, edits));
      if (!now) {
        if (kept.length)
          report(
            f,
            'decorators',
            `the definition at line ${text.slice(0, d.defStart).split('\n').length} lost its decorators`,
          );
        continue;
      }
      if (
        !isSubsequence(
          kept,
          now.lines.map(l => l.text),
        )
      ) {
        report(
          f,
          'decorators',
          `the decorators above line ${text.slice(0, d.defStart).split('\n').length} changed: ${JSON.stringify(kept)} → ${JSON.stringify(now.lines.map(l => l.text))}`,
        );
      }
    }
  }

  /** A fix to another file (XT003's conftest.py): that file parses, imports once, and the finding goes. */
  private checkProjectWide(
    f: Finding,
    text: string,
    options: LintOptions,
    project: ProjectContext,
    report: (f: Finding | null, property: string, detail: string) => void,
  ): void {
    const { read } = project;
    const changed = applyFileEdits(f.fix!.edits, read);
    for (const [file, content] of changed) {
      const original = read(file);
      const result = this.parsed(content);
      try {
        const was =
          original === null
            ? 0
            : (() => {
                const t = parse(this.parser, original);
                try {
                  return syntaxProblemCount(t);
                } finally {
                  t.delete();
                }
              })();
        if (result.problems > was) report(f, 'reparse', `${file}: ${result.problems - was} new ERROR/MISSING node(s)`);
        for (const [key, n] of moduleImports(result.tree.rootNode).names)
          if (n > 1) report(f, 'imports', `${file}: "${key}" appears ${n} times`);
      } finally {
        result.tree.delete();
      }
    }
    // with the other files changed (in memory), the finding has no project-wide fix any more
    const overlay = project.overlay(file => changed.get(file) ?? read(file));
    let again: Finding | undefined;
    try {
      again = this.lint(text, { ...options, project: overlay.view }).find(
        g => g.rule.id === f.rule.id && g.fix && !isLocal(g.fix),
      );
    } finally {
      overlay.dispose();
    }
    if (again) report(f, 'idempotent', `after "${f.fix!.title}", the project-wide fix is offered again`);
  }
}

/**
 * `statement` is an import (`import os`, `from os import environ`) none of whose names the fixed text
 * still uses: taking it out with the fix's last use is the fix's business (flake8's F401).
 */
function importLeftUnused(statement: string, after: string): boolean {
  const m = /^(?:from\s+[\w.]+\s+)?import\s+([\w., ]+)$/.exec(statement.trim());
  if (!m?.[1]) return false;
  const names = m[1].split(',').map(
    n =>
      (
        n
          .trim()
          .split(/\s+as\s+/)
          .pop() ?? ''
      ).split('.')[0] ?? '',
  );
  // (an attribute of the same name, `self.settings(...)`, is not the imported name)
  return names.every(n => n && !new RegExp(`(?<!\\.)\\b${n}\\b`).test(after));
}
