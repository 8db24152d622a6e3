// Every function, class and lambda of a file, indexed by position, built from one query per
// top-level statement, on first use.
// Why: tree-sitter's `node.parent` searches down from the root (O(top-level statements) per call),
// so climbing ancestors per identifier is quadratic on large files. Lookups here are a binary
// search plus a walk up the (shallow) chain of enclosing definitions. Built lazily per top-level
// statement, so re-analysing one test class after a keystroke indexes that class, not the file.
import { nodesOfTypes, type Node, type Tree } from '../syntax/parser';

export interface Def {
  node: Node;
  type: 'function_definition' | 'class_definition' | 'lambda';
  start: number;
  end: number;
  /** the body's range: code inside it runs in this definition's scope */
  bodyStart: number;
  bodyEnd: number;
  /** the `decorated_definition` wrapping it, if decorated */
  decorated: Node | null;
  parent: Def | null;
}

/** A top-level statement (or a few on one line): the unit the index is built by. */
export interface Segment {
  start: number;
  end: number;
  nodes: readonly Node[];
  /** the classes it defines at module level, when known (else it is searched) */
  classes?: readonly string[];
}

const DEF_TYPES = ['function_definition', 'class_definition', 'lambda', 'decorated_definition'];

export class Definitions {
  private readonly segments: readonly Segment[];
  private readonly lists: (Def[] | undefined)[];
  private readonly byId = new Map<number, Def>();
  private functions: Map<string, Node[]> | undefined;

  /** `source`: a tree (one segment), or the file's top-level statements in order. */
  constructor(source: Tree | readonly Segment[]) {
    this.segments = Array.isArray(source) ? source : [{ start: 0, end: Infinity, nodes: [(source as Tree).rootNode] }];
    this.lists = new Array(this.segments.length);
  }

  private list(i: number): Def[] {
    let list = this.lists[i];
    if (list) return list;
    list = this.lists[i] = [];
    const open: Def[] = [];
    let lastDecorated: Node | null = null;
    for (const top of this.segments[i].nodes) {
      for (const node of nodesOfTypes(top, DEF_TYPES)) {
        if (node.type === 'decorated_definition') {
          lastDecorated = node;
          continue;
        }
        while (open.length && open[open.length - 1].end <= node.startIndex) open.pop();
        const body = node.childForFieldName('body');
        const def: Def = {
          node,
          type: node.type as Def['type'],
          start: node.startIndex,
          end: node.endIndex,
          bodyStart: body?.startIndex ?? node.endIndex,
          bodyEnd: body?.endIndex ?? node.endIndex,
          decorated: lastDecorated && lastDecorated.endIndex === node.endIndex ? lastDecorated : null,
          parent: open[open.length - 1] ?? null,
        };
        list.push(def);
        this.byId.set(node.id, def);
        open.push(def);
      }
    }
    return list;
  }

  /** The index of the segment holding `offset` (the last one starting at or before it). */
  private segmentAt(offset: number): number {
    let lo = 0,
      hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid].start <= offset) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  private defOf(node: Node): Def | undefined {
    let def = this.byId.get(node.id);
    if (!def) {
      this.list(this.segmentAt(node.startIndex));
      def = this.byId.get(node.id);
    }
    return def;
  }

  /** Top-level classes named `name`, and classes of that name in the statement holding `near`. */
  classesNamed(name: string, near?: Node): Node[] {
    const out: Node[] = [];
    const own = near ? this.segmentAt(near.startIndex) : -1;
    this.segments.forEach((s, i) => {
      if (i === own || (s.classes && !s.classes.includes(name))) return;
      for (const d of this.list(i))
        if (d.type === 'class_definition' && !d.parent && d.node.childForFieldName('name')?.text === name)
          out.push(d.node);
    });
    if (own >= 0)
      for (const d of this.list(own))
        if (d.type === 'class_definition' && d.node.childForFieldName('name')?.text === name) out.push(d.node);
    return out;
  }

  /** Top-level functions named `name`, in source order (indexed by name on first use). */
  functionsNamed(name: string): Node[] {
    if (!this.functions) {
      this.functions = new Map();
      for (const s of this.segments)
        for (const top of s.nodes.flatMap(n => (n.type === 'module' ? n.namedChildren : [n]))) {
          const node = top?.type === 'decorated_definition' ? top.childForFieldName('definition') : top;
          const fn = node?.type === 'function_definition' ? node.childForFieldName('name')?.text : undefined;
          if (node && fn) this.functions.set(fn, [...(this.functions.get(fn) ?? []), node]);
        }
    }
    return this.functions.get(name) ?? [];
  }

  /** Class definitions inside `def` (at any depth), in source order. */
  classesIn(def: Node): Node[] {
    return this.list(this.segmentAt(def.startIndex))
      .filter(d => d.type === 'class_definition' && d.start > def.startIndex && d.end <= def.endIndex)
      .map(d => d.node);
  }

  /** The innermost definition whose whole range (decorators excluded) contains [start, end). */
  enclosing(node: Node): Def | null {
    const start = node.startIndex,
      end = node.endIndex;
    const list = this.list(this.segmentAt(start));
    let lo = 0,
      hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].start <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let d: Def | null = list[lo - 1] ?? null; d; d = d.parent) {
      if (d.start <= start && end <= d.end && !(d.node.id === node.id)) return d;
    }
    return null;
  }

  /** Enclosing definitions, innermost first. */
  *around(node: Node): Generator<Def> {
    for (let d = this.enclosing(node); d; d = d.parent) yield d;
  }

  /** The definition whose *scope* holds `node` (inside its body), or null for module scope. */
  scopeOf(node: Node): Def | null {
    for (const d of this.around(node)) if (d.bodyStart <= node.startIndex && node.endIndex <= d.bodyEnd) return d;
    return null;
  }

  enclosingFunction(node: Node): Node | null {
    for (const d of this.around(node)) if (d.type === 'function_definition') return d.node;
    return null;
  }

  decorators(def: Node): Node[] {
    const decorated = this.defOf(def)?.decorated;
    if (!decorated) return [];
    const out: Node[] = [];
    for (const child of decorated.namedChildren) {
      if (child?.type !== 'decorator') continue;
      const expr = child.namedChildren.find(c => c?.type !== 'comment');
      if (expr) out.push(expr);
    }
    return out;
  }

  /** The statement a definition stands as: its `decorated_definition`, or itself. */
  statement(def: Node): Node {
    return this.defOf(def)?.decorated ?? def;
  }

  /** The outermost function whose body holds `offset`, if any (the code running there is that function's). */
  outermostFunctionAt(offset: number): Node | null {
    const list = this.list(this.segmentAt(offset));
    let found: Node | null = null;
    for (const d of list) {
      if (d.start > offset) break;
      if (d.type === 'function_definition' && d.bodyStart <= offset && offset < d.bodyEnd) {
        found = d.node;
        break; // definitions are in document order: the first holding it is the outermost
      }
    }
    return found;
  }

  /**
   * Whether method `fn` is replaced by a later definition of the same name in its class's body: the
   * class keeps only the last, so `fn` never runs (neoexchange's two `test_S3_data`).
   */
  replacedInClass(fn: Node): boolean {
    const cls = this.methodClass(fn);
    if (!cls) return false;
    const name = fn.childForFieldName('name')?.text;
    const body = cls.childForFieldName('body');
    let after = false;
    for (const st of body?.namedChildren ?? []) {
      const def = st?.type === 'decorated_definition' ? st.childForFieldName('definition') : st;
      if (!def) continue;
      if (def.id === fn.id) after = true;
      else if (after && def.type === 'function_definition' && def.childForFieldName('name')?.text === name) return true;
    }
    return false;
  }

  /** The class whose body directly holds `fn` (a method), if any. */
  methodClass(fn: Node): Node | null {
    const parent = this.defOf(fn)?.parent;
    return parent?.type === 'class_definition' && parent.bodyStart <= fn.startIndex ? parent.node : null;
  }

  isModuleLevel(def: Node): boolean {
    return !this.defOf(def)?.parent;
  }
}
