// The rule engine: one pass over the tree's nodes, dispatching each to the rules that listen for its
// type; then noqa filtering. Offsets are UTF-16 code units (web-tree-sitter's, and LSP's default).
import { Definitions } from './defs';
import { applyFixes, isLocal, type Edit, type Fix } from './fix';
import { Names } from './names';
import { noqaEdit, parseNoqa, suppresses, type Noqa } from './noqa';
import { nodesOfTypes, parse, ParseError, type Node, type Tree } from './parser';
import type { Parser } from 'web-tree-sitter';
import type { Located, ProjectView } from './project';
import type { FileFacts, Listeners, Report, Rule, RuleContext, Severity } from './rule';
import { rules as allRules } from './rules';
import { eolOf } from './syntax';
import { Testing } from './testing';

export interface Position { line: number; character: number }
export interface Span { start: number; end: number; startPos: Position; endPos: Position }

export interface Finding extends Span {
  rule: Rule;
  message: string;
  severity: Severity;
  fix?: Fix;
  /** "Disable XTnnn for this line" */
  noqa?: Edit;
  /** related places; `file` is set when the place is in another file */
  related: (Span & { message: string; file?: string })[];
}

export interface LintOptions {
  /** the rules to run (default: all) */
  rules?: readonly Rule[];
  moduleName?: string;
  /** give up (ParseError) once the analysis has run this long: a bound for pathological input */
  budgetMs?: number;
  /** severity per rule code, over the rules' defaults (configuration) */
  severity?: Record<string, Severity>;
  /** the project around the file (settings, base classes, conftest fixtures) */
  project?: ProjectView;
}

function span(node: Node): Span {
  return {
    start: node.startIndex, end: node.endIndex,
    startPos: { line: node.startPosition.row, character: node.startPosition.column },
    endPos: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** Runs `rules` over a parsed file. Findings are sorted by position; suppressed ones are dropped. */
export function lint(tree: Tree, text: string, options: LintOptions = {}): Finding[] {
  const rules = options.rules ?? allRules;
  const root = tree.rootNode;
  const defs = new Definitions(tree);
  const names = new Names(root, defs, options.moduleName);
  const file: FileFacts = { text, tree, moduleName: options.moduleName ?? 'tests', eol: eolOf(text) };
  const reports: { rule: Rule; report: Report }[] = [];
  const ctxFor = (rule: Rule): RuleContext => ({
    file, names, testing, defs, project: options.project,
    report(report) {
      if (report.fix && rule.fix === 'none') throw new Error(`${rule.id} reported a fix but declares fix: 'none'`);
      reports.push({ rule, report });
    },
  });
  const testing = new Testing(root, names, defs, options.project);

  const byType = new Map<string, ((node: Node) => void)[]>();
  for (const rule of rules) {
    const listeners: Listeners = rule.create(ctxFor(rule));
    for (const [type, fn] of Object.entries(listeners)) {
      let list = byType.get(type);
      if (!list) byType.set(type, list = []);
      list.push(fn);
    }
  }

  const noqaByLine = new Map<number, { noqa: Noqa | null; comment: boolean }>();
  // One pass over the nodes someone listens to (found by a query, in document order).
  const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
  let visited = 0;
  for (const node of nodesOfTypes(root, [...byType.keys(), 'comment'])) {
    if ((++visited & 255) === 0 && Date.now() > deadline) throw new ParseError(`analysis gave up after ${options.budgetMs} ms`);
    if (node.type === 'comment') noqaByLine.set(node.startPosition.row, { noqa: parseNoqa(node.text, node.startIndex), comment: true });
    for (const fn of byType.get(node.type) ?? []) fn(node); // comments too: XT900 reads noqa codes
  }

  const findings: Finding[] = [];
  for (const { rule, report } of reports) {
    const s = span(report.node);
    const line = noqaByLine.get(s.startPos.line);
    if (suppresses(line?.noqa, rule.id)) continue;
    const { lineText, lineEnd } = lineAt(text, s.start);
    findings.push({
      ...s, rule, message: report.message, severity: options.severity?.[rule.id] ?? report.severity ?? rule.severity,
      fix: report.fix ?? undefined,
      noqa: noqaEdit(rule.id, lineEnd, lineText, line?.noqa ?? null, !!line?.comment) ?? undefined,
      related: (report.related ?? []).map(r => ('node' in r ? { ...span(r.node), message: r.message } : { ...elsewhere(r.at), message: r.message, file: r.at.file })),
    });
  }
  return findings.sort((a, b) => a.start - b.start || a.rule.id.localeCompare(b.rule.id));
}

function elsewhere(at: Located): Span {
  const pos = { line: at.line, character: at.character };
  return { start: 0, end: 0, startPos: pos, endPos: pos };
}

function lineAt(text: string, offset: number): { lineText: string; lineEnd: number } {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let end = text.indexOf('\n', offset);
  if (end < 0) end = text.length;
  if (end > start && text[end - 1] === '\r') end--;
  return { lineText: text.slice(start, end), lineEnd: end };
}

export interface FixAllResult { text: string; passes: number; fixed: number; remaining: Finding[] }

/**
 * Applies fixes (safe ones, or also unsafe) and re-lints until nothing changes, at most
 * `maxPasses` times, like ESLint's MAX_AUTOFIX_PASSES. Throws ParseError when the text cannot be parsed.
 */
export function fixAll(parser: Parser, text: string, options: LintOptions & { unsafe?: boolean; maxPasses?: number } = {}): FixAllResult {
  const maxPasses = options.maxPasses ?? 10;
  let fixed = 0;
  for (let pass = 1; ; pass++) {
    const tree = parse(parser, text);
    let findings: Finding[];
    try {
      findings = lint(tree, text, options);
    } finally {
      tree.delete();
    }
    const fixes = findings.map(f => f.fix).filter((f): f is Fix => !!f && isLocal(f) && (options.unsafe || f.applicability === 'safe'));
    if (fixes.length === 0 || pass > maxPasses) return { text, passes: pass - 1, fixed, remaining: findings };
    const result = applyFixes(text, fixes);
    if (result.text === text) return { text, passes: pass - 1, fixed, remaining: findings };
    text = result.text;
    fixed += result.applied;
  }
}
