// Every function, class and lambda of a file, indexed by position, built from one query.
// Why: tree-sitter's `node.parent` searches down from the root (O(top-level statements) per call),
// so climbing ancestors per identifier is quadratic on large files. Lookups here are a binary
// search plus a walk up the (shallow) chain of enclosing definitions.
import { nodesOfTypes, type Node, type Tree } from './parser';

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

const DEF_TYPES = new Set(['function_definition', 'class_definition', 'lambda']);

export class Definitions {
  private readonly list: Def[] = [];
  private readonly byId = new Map<number, Def>();

  constructor(tree: Tree) {
    const open: Def[] = [];
    let lastDecorated: Node | null = null;
    for (const node of nodesOfTypes(tree.rootNode, [...DEF_TYPES, 'decorated_definition'])) {
      if (node.type === 'decorated_definition') { lastDecorated = node; continue; }
      while (open.length && open[open.length - 1]!.end <= node.startIndex) open.pop();
      const body = node.childForFieldName('body');
      const def: Def = {
        node, type: node.type as Def['type'], start: node.startIndex, end: node.endIndex,
        bodyStart: body?.startIndex ?? node.endIndex, bodyEnd: body?.endIndex ?? node.endIndex,
        decorated: lastDecorated && lastDecorated.endIndex === node.endIndex ? lastDecorated : null,
        parent: open[open.length - 1] ?? null,
      };
      this.list.push(def);
      this.byId.set(node.id, def);
      open.push(def);
    }
  }

  /** Every class definition in the file, in source order. */
  *classes(): Generator<Node> {
    for (const d of this.list) if (d.type === 'class_definition') yield d.node;
  }

  get(def: Node): Def | undefined {
    return this.byId.get(def.id);
  }

  /** The innermost definition whose whole range (decorators excluded) contains [start, end). */
  enclosing(node: Node): Def | null {
    const start = node.startIndex, end = node.endIndex;
    let lo = 0, hi = this.list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.list[mid]!.start <= start) lo = mid + 1; else hi = mid; }
    for (let d: Def | null = this.list[lo - 1] ?? null; d; d = d.parent) {
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
    const decorated = this.byId.get(def.id)?.decorated;
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
    return this.byId.get(def.id)?.decorated ?? def;
  }

  /** The class whose body directly holds `fn` (a method), if any. */
  methodClass(fn: Node): Node | null {
    const parent = this.byId.get(fn.id)?.parent;
    return parent?.type === 'class_definition' && parent.bodyStart <= fn.startIndex ? parent.node : null;
  }

  isModuleLevel(def: Node): boolean {
    return !this.byId.get(def.id)?.parent;
  }
}
