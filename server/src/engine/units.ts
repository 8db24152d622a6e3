// A module's top-level statements as units of analysis, and what one analysis leaves for the next.
// Why: the server analyses on every keystroke, and an edit nearly always lands inside one test class
// or function. Findings depend on the unit's own text, on module-level code (imports, constants,
// autouse fixtures) and on the classes it names (base classes, models); so after an edit only the
// units whose text changed, and those naming a changed class, are analysed again. Everything that
// may reach further is in the module digest, and a change to it means a whole analysis.
import type { Segment } from '../analysis/defs';
import { foldFacts, moduleFactsOf, type ModuleFacts } from '../analysis/names';
import type { Finding } from './finding';
import type { Node } from '../syntax/parser';

export interface UnitInfo {
  kind: 'def' | 'comment' | 'other';
  /** what it binds, defines and assigns at module level */
  facts: ModuleFacts;
  /** every identifier-like word of the text: the classes a unit may name */
  readonly words: Set<string>;
  /**
   * an autouse fixture can isolate every test of the module, a module's `pytestmark` deselect them: part
   * of the module digest in full
   */
  autouse: boolean;
  text: string;
  /** answers to `FileFacts.mentions` for this text */
  mentions: Map<string | RegExp, boolean>;
  /** the names its import statements bind, in any scope (computed when first needed) */
  imported?: [string, string[]][];
}

export interface Unit extends Segment {
  /** the unit covers whole lines: from its first node to the end of its last line */
  start: number;
  end: number;
  row: number;
  col: number;
  text: string;
  nodes: Node[];
  info: UnitInfo;
}

const DEF_TYPES = new Set(['function_definition', 'class_definition', 'decorated_definition']);

/**
 * The module's top-level nodes as units, statements sharing a line (or indented by error recovery)
 * merged. `infos` caches what each unit's text says (by text: an edit leaves most units unchanged).
 */
export function unitsOf(
  topLevel: readonly Node[],
  text: string,
  moduleName: string,
  infos?: Map<string, UnitInfo>,
): Unit[] {
  // A node in column 0 starts a line, so a unit; one further right shares a line with the unit
  // before (`a = 1; b = 2`) or was placed by error recovery. Only start positions are read: they
  // are fields of a node, while its end and type are calls into WASM.
  const groups: { nodes: Node[]; start: number; row: number; col: number }[] = [];
  for (const node of topLevel) {
    const last = groups[groups.length - 1];
    const { row, column } = node.startPosition;
    if (last && column !== 0) last.nodes.push(node);
    else groups.push({ nodes: [node], start: node.startIndex, row, col: column });
  }
  return groups.map((g, i) => {
    // a unit runs to the end of its last line that is not blank before the next unit
    const next = groups[i + 1]?.start ?? text.length;
    let end = next;
    while (end > g.start && /\s/.test(text[end - 1])) end--;
    const eol = text.indexOf('\n', end);
    end = eol < 0 || eol > next ? Math.max(end, Math.min(next, text.length)) : eol;
    const unitText = text.slice(g.start, end);
    let info = infos?.get(unitText);
    if (!info) {
      info = describe(g.nodes, unitText, moduleName);
      infos?.set(unitText, info);
    }
    return {
      start: g.start,
      end,
      row: g.row,
      col: g.col,
      text: unitText,
      nodes: g.nodes,
      info,
      classes: info.facts.classes,
    };
  });
}

function describe(nodes: Node[], text: string, moduleName: string): UnitInfo {
  const kind = nodes.every(n => n.type === 'comment')
    ? 'comment'
    : nodes.length === 1 && DEF_TYPES.has(nodes[0].type)
      ? 'def'
      : 'other';
  let words: Set<string> | undefined;
  return {
    kind,
    facts: moduleFactsOf(nodes, moduleName),
    autouse: /\bautouse\b|^pytestmark\b/m.test(text),
    text,
    mentions: new Map(),
    get words() {
      return (words ??= new Set(text.match(/[A-Za-z_]\w*/g)));
    }, // only the editor's memo asks
  };
}

/**
 * The module-level facts any unit's analysis may read, whatever names it mentions: the code before
 * the first definition as written, with its offsets (fixes add imports there); what the module's
 * names import (fixes reuse an import under any alias); autouse fixtures in full. Comments are left
 * out: a `# noqa` concerns its own line. What else a unit binds (a class, a function, a constant)
 * matters only to units naming it: see `lint`. `headerEnd`: where the code before the first
 * definition ends, a new import line included.
 */
export function moduleDigest(
  units: readonly Unit[],
  imports = importsDigest(units),
): { digest: string; headerEnd: number; imports: string } {
  const parts: string[] = [];
  let seenDef = false,
    headerEnd = 0;
  for (const u of units) {
    const { kind, autouse } = u.info;
    if (kind === 'comment') continue;
    seenDef ||= kind === 'def';
    if (!seenDef) {
      parts.push(`H${u.start}\0${u.text}`);
      headerEnd = u.end + 1; // a new import line goes at the start of the next line
    } else if (autouse) {
      parts.push(`T${u.text}`);
    }
  }
  return { digest: [...parts, imports].join('\n\0'), headerEnd, imports };
}

/** What the module's names import, as folded from every unit (the same units give the same string). */
export function importsDigest(units: readonly Unit[]): string {
  const scope = foldFacts(units.map(u => u.info.facts));
  const imports = [...scope.bindings]
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `I${name}=${value}`)
    .sort();
  return [...imports, scope.star ? '*' : ''].join('\n\0');
}

/** The module-level names a unit binds: code naming them reads differently when the unit changes. */
export function namesBound(info: UnitInfo): string[] {
  return info.facts.bindings.map(([name]) => name);
}

/** A unit's findings from an earlier analysis, with whether each was suppressed by `# noqa`. */
export interface CachedUnit {
  start: number;
  end: number;
  row: number;
  col: number;
  info: UnitInfo;
  findings: { finding: Finding; suppressed: boolean }[];
}

/** What one analysis of a document leaves for the next: pass the same memo for every version. */
export class LintMemo {
  /** options and module digest the cached units were analysed under */
  key = '';
  headerEnd = 0;
  /** file-wide text tests rules made, with their answers */
  mentions = new Map<string | RegExp, boolean>();
  /** per file-wide text test, how many units of the last analysis have it */
  mentionCounts = new Map<string | RegExp, number>();
  /** a rule read every unit of the last analysis at once (FileFacts.readsEveryUnit): the next is whole */
  readEveryUnit = false;
  /** the units of the last analysis, in order */
  lastInfos: UnitInfo[] = [];
  /** and what their names import (see importsDigest) */
  imports = '';
  /** cacheable units by text */
  units = new Map<string, CachedUnit[]>();
  infos = new Map<string, UnitInfo>();
  /** the module name `infos` were read under (relative imports) */
  moduleName = '';
  /** how many units the last analysis ran the rules on (the rest were reused) */
  analysed = 0;
}
