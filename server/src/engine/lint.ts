// The rule engine: one pass over the tree's nodes, dispatching each to the rules that listen for its
// type; then noqa filtering. With a memo (the editor), only the units an edit touched are analysed
// again (units.ts). Offsets are UTF-16 code units (web-tree-sitter's, and LSP's default).
import { Definitions } from '../analysis/defs';
import { Forest, STATEMENT } from '../syntax/forest';
import { applyFixes, isLocal, type Edit, type Fix } from './fix';
import { fitFix } from './layout';
import { importedNames, Names } from '../analysis/names';
import { noqaEdit, parseNoqa, suppresses, type Noqa } from './noqa';
import { nodesOfTypes, parse, ParseError, type Node, type Tree } from '../syntax/parser';
import type { Parser } from 'web-tree-sitter';
import type { Located, ProjectView } from '../analysis/projectView';
import type { Finding, Position, Span } from './finding';
import type { FileFacts, Listeners, Report, Rule, RuleContext, Severity } from './rule';
import { eolOf, lineEndOf, lineStartOf } from '../syntax/text';
import { MODULE_SETUP, MODULE_TEARDOWNS, Testing } from '../analysis/testing';
import { moduleDigest, namesBound, unitsOf, type CachedUnit, type LintMemo, type Unit, type UnitInfo } from './units';

export interface LintOptions {
  /** the rules to run (the host's selection from the registry) */
  rules: readonly Rule[];
  moduleName?: string;
  /** give up (ParseError) once the analysis has run this long: a bound for pathological input */
  budgetMs?: number;
  /** severity per rule code, over the rules' defaults (configuration) */
  severity?: Record<string, Severity>;
  /** the project around the file (settings, base classes, conftest fixtures) */
  project?: ProjectView;
  /**
   * The same memo for every version of one document (the editor): units an edit left alone, under
   * the same module digest, keep their findings instead of being analysed again.
   */
  memo?: LintMemo;
}

function span(node: Node): Span {
  return {
    start: node.startIndex,
    end: node.endIndex,
    startPos: { line: node.startPosition.row, character: node.startPosition.column },
    endPos: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** `part` of `node`'s first line, its columns counted from the node's. */
function partOf(node: Node, part: { start: number; end: number }): Span {
  const { row, column } = node.startPosition;
  const col = (offset: number) => column + offset - node.startIndex;
  return {
    start: part.start,
    end: part.end,
    startPos: { line: row, character: col(part.start) },
    endPos: { line: row, character: col(part.end) },
  };
}

interface Candidate {
  finding: Finding;
  suppressed: boolean;
}

/** Runs `rules` over a parsed file. Findings are sorted by position; suppressed ones are dropped. */
export function lint(source: Tree | Forest, text: string, options: LintOptions): Finding[] {
  const { rules } = options;
  const forest = source instanceof Forest ? source : Forest.of(source);
  const topLevel = forest.topLevel();
  const memo = options.memo;
  const moduleName = options.moduleName ?? '';
  if (memo && memo.moduleName !== moduleName) {
    memo.infos.clear();
    memo.moduleName = moduleName;
  } // relative imports read differently
  const units = unitsOf(topLevel, text, moduleName, memo?.infos);
  // the units an edit added and removed: with none, what the module imports is as it was
  const change =
    memo &&
    diffUnits(
      memo.lastInfos,
      units.map(u => u.info),
    );
  const { digest, headerEnd, imports } = moduleDigest(
    units,
    change && !change.added.length && !change.removed.length ? memo.imports : undefined,
  );
  const key = `${rules.map(r => r.id).join()}\0${JSON.stringify(options.severity ?? {})}\0${options.moduleName}\0${digest}`;
  const mentions = new Map<string | RegExp, boolean>();
  // With a memo, a file-wide mention is a count of units whose text has it, moved by the units an
  // edit added and removed: no unit an edit left alone is asked again.
  const counts = new Map<string | RegExp, number>();
  const memos = new Map<object, unknown>();
  let readEveryUnit = false;
  const file: FileFacts = {
    readsEveryUnit() {
      readEveryUnit = true;
    },
    memo<T>(key: object, compute: () => T): T {
      if (!memos.has(key)) memos.set(key, compute());
      return memos.get(key) as T;
    },
    text,
    topLevel: units.flatMap(u => u.nodes.map(node => ({ node, kind: u.info.kind }))),
    moduleName: options.moduleName ?? 'tests',
    eol: eolOf(text),
    mentions(pattern) {
      return fileWide(pattern, () => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)));
    },
    anyUnit(pattern) {
      return fileWide(pattern, () => units.some(u => unitMentions(u.info, pattern)));
    },
  };
  // A file-wide fact. With a memo, asked of each unit's text (remembered per text; between units there
  // is only whitespace), so an edit costs a test of the units it changed; else `whole` answers it.
  function fileWide(pattern: string | RegExp, whole: () => boolean): boolean {
    let found = mentions.get(pattern);
    if (found === undefined) {
      if (memo) {
        const before = memo.mentionCounts.get(pattern);
        const matching = (infos: UnitInfo[]) => infos.reduce((n, i) => n + (unitMentions(i, pattern) ? 1 : 0), 0);
        const count =
          before === undefined || !change
            ? matching(units.map(u => u.info))
            : before + matching(change.added) - matching(change.removed);
        counts.set(pattern, count);
        found = count > 0;
      } else {
        found = whole();
      }
      mentions.set(pattern, found);
    }
    return found;
  }

  // Which units to analyse: all of them, or (same digest, same file-wide facts) those an edit touched.
  const reused: (CachedUnit | null)[] = units.map(() => null);
  const incremental =
    !!memo &&
    memo.key === key &&
    !memo.readEveryUnit &&
    [...memo.mentions].every(([p, was]) => file.mentions(p) === was);
  if (memo && incremental) {
    for (const [i, u] of units.entries()) {
      const list = memo.units.get(u.text);
      const at = list?.findIndex(c => c.col === u.col) ?? -1;
      if (list && at >= 0) reused[i] = list.splice(at, 1)[0];
    }
    // a name bound by a unit that changed (or went): a class, a function, a constant, changes every
    // unit mentioning it (a subclass, a test using a module constant), and so on
    const changed = new Set<string>();
    for (const [i, u] of units.entries()) if (!reused[i]) for (const name of namesBound(u.info)) changed.add(name);
    for (const list of memo.units.values())
      for (const c of list) for (const name of namesBound(c.info)) changed.add(name);
    // and the other way: a function a changed unit calls (or called) may now run as its helper, or no
    // longer (Testing.owner), so it is analysed again too
    const named = new Set<string>();
    for (const [i, u] of units.entries()) if (!reused[i]) for (const w of u.info.words) named.add(w);
    for (const list of memo.units.values()) for (const c of list) for (const w of c.info.words) named.add(w);
    for (const [i, u] of units.entries()) {
      if (reused[i] && u.info.kind === 'def' && namesBound(u.info).some(n => named.has(n)) && isFunction(u))
        reused[i] = null;
    }
    // a module's setup and teardown hooks are read together: what one changes, the other may undo
    if ([...changed].some(n => MODULE_SETUP.test(n) || MODULE_TEARDOWNS.includes(n)))
      for (const [i, u] of units.entries())
        if (namesBound(u.info).some(n => MODULE_SETUP.test(n) || MODULE_TEARDOWNS.includes(n))) reused[i] = null;
    for (let grew = changed.size > 0; grew;) {
      grew = false;
      for (const [i, u] of units.entries()) {
        if (!reused[i] || !mentionsAny(u.info.words, changed)) continue;
        reused[i] = null;
        for (const name of namesBound(u.info))
          if (!changed.has(name)) {
            changed.add(name);
            grew = true;
          }
      }
    }
  }
  const dirty = units.map((_, i) => !reused[i]);

  const defs = new Definitions(units);
  let imported: Map<string, string[]> | undefined;
  const importedSet = () =>
    (imported ??= forest.whole
      ? importedNames([forest.whole.rootNode])
      : units.reduce((all, u) => {
          for (const [name, values] of (u.info.imported ??= [...importedNames(u.nodes)]))
            all.set(name, [...(all.get(name) ?? []), ...values]);
          return all;
        }, new Map<string, string[]>()));
  const { project } = options;
  const names = new Names(
    units.map(u => u.info.facts),
    defs,
    moduleName,
    importedSet,
    project && (q => project.reexported(q)),
  );
  const reports: { rule: Rule; report: Report; unit: number }[] = [];
  let current = 0;
  const ctxFor = (rule: Rule): RuleContext => ({
    file,
    names,
    testing,
    defs,
    project: options.project,
    report(report) {
      if (report.fix && rule.fix === 'none') throw new Error(`${rule.id} reported a fix but declares fix: 'none'`);
      reports.push({ rule, report, unit: current });
    },
  });
  // only a statement mentioning autouse can be an autouse fixture: do not index the others for it
  const testing = new Testing(
    units.filter(u => u.info.autouse).flatMap(u => u.nodes),
    names,
    defs,
    options.project,
    text,
  );

  const byType = new Map<string, ((node: Node) => void)[]>();
  for (const rule of rules) {
    const listeners: Listeners = rule.create(ctxFor(rule));
    for (const [type, fn] of Object.entries(listeners)) {
      let list = byType.get(type);
      if (!list) byType.set(type, (list = []));
      list.push(fn);
    }
  }

  const noqaByLine = new Map<number, { noqa: Noqa | null; comment: boolean }>();
  // One pass over the nodes someone listens to (found by a query, in document order), unit by unit.
  const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
  const types = [...byType.keys(), 'comment'];
  let visited = 0;
  const visit = (node: Node) => {
    if ((++visited & 255) === 0 && Date.now() > deadline)
      throw new ParseError(`analysis gave up after ${options.budgetMs} ms`);
    if (node.type === 'comment')
      noqaByLine.set(node.startPosition.row, { noqa: parseNoqa(node.text, node.startIndex), comment: true });
    for (const fn of byType.get(node.type) ?? []) fn(node); // comments too: XT900 reads noqa codes
  };
  const whole = forest.whole;
  if (whole && dirty.every(Boolean)) {
    // a whole analysis of one tree: one query over it, each node attributed to its unit as it comes
    for (const node of nodesOfTypes(whole.rootNode, types)) {
      while (current + 1 < units.length && units[current + 1].start <= node.startIndex) current++;
      visit(node);
    }
  } else {
    for (const [i, u] of units.entries()) {
      if (!dirty[i]) continue;
      current = i;
      for (const top of u.nodes) for (const node of nodesOfTypes(top, types)) visit(node);
    }
  }

  // A finding on a line no analysed unit covers (reported from another unit) looks its comment up.
  const noqaOn = (row: number, offset: number) => {
    let line = noqaByLine.get(row);
    if (!line) noqaByLine.set(row, (line = commentOn(forest, text, offset)));
    return line;
  };
  const fresh: Candidate[][] = units.map(() => []);
  for (const { rule, report, unit } of reports) {
    const s = report.part ? partOf(report.node, report.part) : span(report.node);
    const line = noqaOn(s.startPos.line, s.start);
    const { lineText, lineEnd } = lineAt(text, s.start);
    fresh[unit].push({
      suppressed: suppresses(line.noqa, rule.id),
      finding: {
        ...s,
        rule,
        message: report.message,
        severity: options.severity?.[rule.id] ?? report.severity ?? rule.severity,
        fix: report.fix ? fitFix(report.fix, text, file.eol, options.project?.lineLength) : undefined,
        noqa: noqaEdit(rule.id, lineEnd, lineText, line.noqa, line.comment) ?? undefined,
        related: (report.related ?? []).map(r =>
          'node' in r
            ? { ...span(r.node), message: r.message }
            : { ...elsewhere(r.at), message: r.message, file: r.at.file },
        ),
        ...(report.cause && {
          cause: {
            ...elsewhere(report.cause.at),
            file: report.cause.at.file,
            describe: report.cause.describe,
            remedy: report.cause.remedy,
          },
        }),
      },
    });
  }

  const candidates: Candidate[] = [];
  const next = new Map<string, CachedUnit[]>();
  const previousHeaderEnd = memo?.headerEnd ?? 0; // cached units come from a memo
  for (const [i, u] of units.entries()) {
    const cached = reused[i];
    const list = cached ? moved(cached, u, previousHeaderEnd) : fresh[i];
    candidates.push(...list);
    if (cached || (settled(u) && list.every(c => within(c.finding, u, headerEnd)))) {
      let same = next.get(u.text);
      if (!same) next.set(u.text, (same = []));
      same.push({ start: u.start, end: u.end, row: u.row, col: u.col, info: u.info, findings: list });
    }
  }
  if (memo) {
    // cached findings still rest on the file-wide facts earlier analyses read
    memo.mentions = new Map([...(incremental ? memo.mentions : []), ...mentions]);
    memo.mentionCounts = counts;
    memo.readEveryUnit = readEveryUnit;
    memo.lastInfos = units.map(u => u.info);
    memo.imports = imports;
    memo.key = key;
    memo.analysed = dirty.filter(Boolean).length;
    memo.headerEnd = headerEnd;
    memo.units = next;
    memo.infos = new Map(units.map(u => [u.text, u.info]));
  }

  // A rule reporting once per file keeps its first place (suppressed there: nowhere).
  const once = new Set<Rule>();
  const findings: Finding[] = [];
  candidates.sort(
    (a, b) =>
      a.finding.start - b.finding.start ||
      (a.finding.rule.id < b.finding.rule.id ? -1 : a.finding.rule.id > b.finding.rule.id ? 1 : 0),
  );
  for (const { finding, suppressed } of candidates) {
    if (finding.rule.once) {
      if (once.has(finding.rule)) continue;
      once.add(finding.rule);
    }
    if (!suppressed) findings.push(finding);
  }
  return findings;
}

/** A unit that is a function definition (decorated or not): one a test may call as a helper. */
function isFunction(u: Unit): boolean {
  const node = u.nodes[0];
  const def = node?.type === 'decorated_definition' ? node.childForFieldName('definition') : node;
  return def?.type === 'function_definition';
}

function unitMentions(info: UnitInfo, pattern: string | RegExp): boolean {
  let found = info.mentions.get(pattern);
  if (found === undefined)
    info.mentions.set(
      pattern,
      (found = typeof pattern === 'string' ? info.text.includes(pattern) : pattern.test(info.text)),
    );
  return found;
}

function mentionsAny(words: ReadonlySet<string>, names: ReadonlySet<string>): boolean {
  for (const n of names) if (words.has(n)) return true;
  return false;
}

/** The units (by their infos, one per text) that are new, and those gone, since `before`. */
function diffUnits(
  before: readonly UnitInfo[],
  after: readonly UnitInfo[],
): { added: UnitInfo[]; removed: UnitInfo[] } {
  const left = new Map<UnitInfo, number>();
  for (const i of before) left.set(i, (left.get(i) ?? 0) + 1);
  const added: UnitInfo[] = [];
  for (const i of after) {
    const n = left.get(i) ?? 0;
    if (n > 0) left.set(i, n - 1);
    else added.push(i);
  }
  const removed: UnitInfo[] = [];
  for (const [i, n] of left) for (let k = 0; k < n; k++) removed.push(i);
  return { added, removed };
}

/**
 * Whether a unit's text alone decides its tree: one statement in column 0 with no syntax error.
 * Error recovery can place the same broken text differently after different code (a method whose
 * class line is gone), so a broken unit is analysed again every time, never cached.
 */
function settled(u: Unit): boolean {
  const node = u.nodes[0];
  return (
    u.nodes.length === 1 && u.col === 0 && (STATEMENT.test(node.type) || node.type === 'comment') && !node.hasError
  );
}

/**
 * Whether every place a finding points at in this file lies in the header (which never moves under
 * one digest) or in its own unit after the header (which moves as a whole): then it can be cached.
 */
function within(f: Finding, u: Unit, headerEnd: number): boolean {
  const ok = (start: number, end: number) =>
    end <= headerEnd || (u.start > headerEnd && u.start <= start && end <= u.end);
  return (
    ok(f.start, f.end) &&
    f.related.every(r => r.file !== undefined || ok(r.start, r.end)) &&
    (!f.fix || f.fix.edits.every(e => e.file !== undefined || ok(e.start, e.end))) &&
    (!f.noqa || ok(f.noqa.start, f.noqa.end))
  );
}

/** A cached unit's findings where the unit is now: places in it move with it, header places stay. */
function moved(cached: CachedUnit, u: Unit, headerEnd: number): Candidate[] {
  const delta = u.start - cached.start,
    rows = u.row - cached.row;
  if (delta === 0 && rows === 0) return cached.findings;
  const inUnit = (start: number) => start > headerEnd;
  const pos = (p: Position, start: number): Position =>
    inUnit(start) ? { line: p.line + rows, character: p.character } : p;
  const spanOf = <S extends Span>(s: S): S =>
    inUnit(s.start)
      ? {
          ...s,
          start: s.start + delta,
          end: s.end + delta,
          startPos: pos(s.startPos, s.start),
          endPos: pos(s.endPos, s.start),
        }
      : s;
  const edit = (e: Edit): Edit =>
    e.file === undefined && inUnit(e.start) ? { ...e, start: e.start + delta, end: e.end + delta } : e;
  return cached.findings.map(({ finding: f, suppressed }) => ({
    suppressed,
    finding: {
      ...spanOf(f),
      related: f.related.map(r => (r.file === undefined ? spanOf(r) : r)),
      fix: f.fix && { ...f.fix, edits: f.fix.edits.map(edit) },
      noqa: f.noqa && edit(f.noqa),
    },
  }));
}

/** The `# noqa` comment on the line holding `offset`, found through the tree (a `#` in a string is not one). */
function commentOn(forest: Forest, text: string, offset: number): { noqa: Noqa | null; comment: boolean } {
  const { lineText, lineEnd } = lineAt(text, offset);
  const lineStart = lineEnd - lineText.length;
  for (let i = lineText.indexOf('#'); i >= 0; i = lineText.indexOf('#', i + 1)) {
    const node = forest.nodeAt(lineStart + i);
    if (node?.type === 'comment' && node.startIndex === lineStart + i)
      return { noqa: parseNoqa(node.text, node.startIndex), comment: true };
  }
  return { noqa: null, comment: false };
}

function elsewhere(at: Located): Span {
  const pos = { line: at.line, character: at.character };
  return { start: 0, end: 0, startPos: pos, endPos: pos };
}

/** The line holding `offset` (without its line break: \n, \r\n or a lone \r), and where it ends. */
function lineAt(text: string, offset: number): { lineText: string; lineEnd: number } {
  const lineEnd = lineEndOf(text, offset);
  return { lineText: text.slice(lineStartOf(text, offset), lineEnd), lineEnd };
}

export interface FixAllResult {
  text: string;
  passes: number;
  fixed: number;
  remaining: Finding[];
}

/**
 * Applies fixes (safe ones, or also unsafe) and re-lints until nothing changes, at most
 * `maxPasses` times, like ESLint's MAX_AUTOFIX_PASSES. Throws ParseError when the text cannot be parsed.
 */
export function fixAll(
  parser: Parser,
  text: string,
  options: LintOptions & { unsafe?: boolean; maxPasses?: number },
): FixAllResult {
  const maxPasses = options.maxPasses ?? 10;
  let first: Finding[] | undefined;
  for (let pass = 1; ; pass++) {
    const tree = parse(parser, text);
    let findings: Finding[];
    try {
      findings = lint(tree, text, options);
    } finally {
      tree.delete();
    }
    first ??= findings;
    const fixes = findings
      .map(f => f.fix)
      .filter((f): f is Fix => !!f && isLocal(f) && (options.unsafe || f.applicability === 'safe'));
    const next = fixes.length === 0 || pass > maxPasses ? text : applyFixes(text, fixes).text;
    if (next === text) return { text, passes: pass - 1, fixed: gone(first, findings), remaining: findings };
    text = next;
  }
}

/**
 * How many of the findings `before` are no longer among `after`: the hazards fixed. (Not the edits
 * applied: one fix can serve two findings, and a pass can fix what an earlier pass's edit brought.)
 */
function gone(before: readonly Finding[], after: readonly Finding[]): number {
  const left = new Map<string, number>();
  const key = (f: Finding) => `${f.rule.id} ${f.message}`;
  for (const f of after) left.set(key(f), (left.get(key(f)) ?? 0) + 1);
  let count = 0;
  for (const f of before) {
    const n = left.get(key(f)) ?? 0;
    if (n > 0) left.set(key(f), n - 1);
    else count++;
  }
  return count;
}
