// What a name means in a file: imports and aliases resolved to canonical qualified names, with
// Python's scoping (a parameter, local or class attribute of the same name shadows the import).
import type { Definitions } from './defs';
import { nodesOfTypes, type Node } from '../syntax/parser';
import { parameterIdentifier, walk } from '../syntax/nodes';

/** Re-exports: every spelling on the left means the name on the right. Longest prefix wins. */
const CANONICAL: ReadonlyArray<[string, string]> = [
  ['django.test.utils.override_settings', 'django.test.override_settings'],
  ['django.test.utils.modify_settings', 'django.test.modify_settings'],
  ['django.db.models.base.Model', 'django.db.models.Model'],
  // GeoDjango's models module re-exports Django's (`from django.db.models import *`)
  ['django.contrib.gis.db.models.Model', 'django.db.models.Model'],
  ['django.test.testcases', 'django.test'],
];

export function canonical(name: string): string {
  for (const [from, to] of CANONICAL) {
    if (name === from || name.startsWith(from + '.')) return to + name.slice(from.length);
  }
  return name;
}

/** the name a dotted expression starts with (`self` in `self.client.get(...)`); else no match */
const LEADING_NAME = /^([A-Za-z_]\w*)\s*\./;

/** A binding: a qualified name for imports, or `null` for anything else (a local, a parameter, a def). */
type Binding = string | null;
const UNBOUND = Symbol('unbound');
export interface Scope {
  bindings: Map<string, Binding>;
  star: boolean;
}

const NESTED = new Set([
  'function_definition',
  'class_definition',
  'lambda',
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
  'generator_expression',
]);
/** the node types that bind names (the rest of a scope's body is passed through unmaterialised) */
const BINDING_TYPES = new Set([
  ...NESTED,
  'import_statement',
  'import_from_statement',
  'assignment',
  'augmented_assignment',
  'for_statement',
  'for_in_clause',
  'as_pattern',
  'named_expression',
  'except_clause',
  'global_statement',
  'nonlocal_statement',
]);

export class Names {
  private readonly scopes = new Map<number, Scope>();

  private module: Scope | undefined;

  /**
   * `module`: the module's root node, or what each of its top-level statements binds (when the caller
   * has that already). `moduleName` (dotted) resolves relative imports: in `app.tests.test_api`,
   * `.base` is `app.tests.base`.
   */
  constructor(
    private readonly root: Node | readonly ModuleFacts[],
    private readonly defs: Definitions,
    private readonly moduleName = '',
    private readonly imported?: () => ReadonlyMap<string, readonly string[]>,
    /** a name imported from a project module that re-exports it: what it really is (ProjectView.reexported) */
    private readonly reexported?: (qualified: string) => string,
  ) {}

  /**
   * Only a name some import statement binds (in any scope) can resolve to a qualified name: for any
   * other, skip the walk up the scopes (most names in a test are locals, `self` and builtins).
   */
  mayBeImported(name: string): boolean {
    return !this.imported || this.imported().has(name);
  }

  /**
   * Whether the callee `fn` may be something whose last name is one of `lastNames` (`rmtree` for
   * shutil.rmtree), read from the text: `x.rmtree`, `rmtree`, or a name an import binds to one
   * (`rmtree as rm`). A cheap test before resolving: most calls in a test are none of these.
   */
  mayCall(fn: Node, lastNames: ReadonlySet<string>): boolean {
    const name = /(\w+)\s*$/.exec(fn.text)?.[1] ?? '';
    if (lastNames.has(name)) return true;
    if (fn.type !== 'identifier' || !this.imported) return !this.imported;
    return (this.imported().get(name) ?? []).some(q => lastNames.has(q.slice(q.lastIndexOf('.') + 1)));
  }

  /**
   * The canonical qualified name `node` refers to (`cache`, `c.get`, `django.test.override_settings`),
   * or undefined when it is not an import-rooted name or is shadowed.
   */
  resolve(node: Node): string | undefined {
    if (node.type === 'identifier') return this.mayBeImported(node.text) ? this.lookup(node.text, node) : undefined;
    if (node.type === 'attribute') {
      // `self.client.get`: the leftmost name, read from the text, settles most chains unresolved
      const head = LEADING_NAME.exec(node.text)?.[1];
      if (head !== undefined && !this.mayBeImported(head)) return undefined;
      // Iterative, not recursive: `a.b.c....` may be thousands deep in hostile input.
      const parts: string[] = [];
      let cur: Node | null = node;
      while (cur?.type === 'attribute') {
        parts.push(cur.childForFieldName('attribute')?.text ?? '');
        cur = cur.childForFieldName('object');
      }
      if (cur?.type !== 'identifier' || !this.mayBeImported(cur.text)) return undefined;
      const base = this.lookup(cur.text, cur);
      return base === undefined ? undefined : canonical([base, ...parts.reverse()].join('.'));
    }
    return undefined;
  }

  /**
   * In a chain like `settings.CACHES["default"]["LOCATION"]`, the attribute whose object resolves to
   * `qualified` (here `settings.CACHES` for `django.conf.settings`). One pass, however deep the chain.
   */
  memberOf(node: Node, qualified: string): Node | null {
    const chain: Node[] = [];
    let cur: Node | null = node;
    while (cur?.type === 'attribute' || cur?.type === 'subscript') {
      chain.push(cur);
      cur = cur.childForFieldName(cur.type === 'attribute' ? 'object' : 'value');
    }
    if (cur?.type !== 'identifier' || !this.mayBeImported(cur.text)) return null;
    let name = this.lookup(cur.text, cur);
    for (let i = chain.length - 1; i >= 0 && name !== undefined; i--) {
      const link = chain[i];
      if (link.type === 'subscript') return null;
      if (name === qualified) return link;
      name = canonical(`${name}.${link.childForFieldName('attribute')?.text}`);
    }
    return null;
  }

  /** Whether `node` resolves to one of `names` (canonical spellings). */
  is(node: Node | null | undefined, ...names: string[]): boolean {
    if (!node) return false;
    const q = this.resolve(node);
    return q !== undefined && names.includes(q);
  }

  /** The module-level name bound to `qualified` (`override_settings`, `os_`), if any. */
  moduleNameFor(qualified: string): string | undefined {
    const { bindings } = this.moduleScope();
    for (const [name, q] of bindings) if (q !== null && canonical(q) === qualified) return name;
    // `import django.test` makes `django.test.override_settings` reachable through its module
    for (const [name, q] of bindings) {
      if (q !== null && qualified.startsWith(q + '.')) return name + qualified.slice(q.length);
    }
    return undefined;
  }

  /** What the module's imports bind: each name with the qualified name it means. */
  moduleImports(): [string, string][] {
    return [...this.moduleScope().bindings].flatMap(([name, q]) =>
      q === null ? [] : [[name, canonical(q)] as [string, string]],
    );
  }

  /** Module-level names through which `qualified` can be reached (`cache`, `c` for `cache as c`, `django`). */
  moduleNamesReaching(qualified: string): string[] {
    const out: string[] = [];
    for (const [name, q] of this.moduleScope().bindings) {
      if (q !== null && (q === qualified || qualified.startsWith(q + '.') || q.startsWith(qualified + '.')))
        out.push(name);
    }
    return out;
  }

  /** Whether `node` is the builtin `name` (not bound by any enclosing scope or a star import). */
  isBuiltin(node: Node | null | undefined, name: string): boolean {
    return node?.type === 'identifier' && node.text === name && this.lookup(name, node, true) === UNBOUND;
  }

  private lookup(name: string, at: Node): string | undefined;
  private lookup(name: string, at: Node, unbound: true): string | typeof UNBOUND | undefined;
  private lookup(name: string, at: Node, unbound = false): string | typeof UNBOUND | undefined {
    let first = true;
    for (let def = this.defs.scopeOf(at); ; def = def && this.defs.scopeOf(def.node)) {
      // A class body's names are visible only to code directly in that body, not to its methods.
      if (def?.type === 'class_definition' && !first) continue;
      first = false;
      const scope = def ? this.scopeOf(def.node, this.moduleName) : this.moduleScope();
      const b = scope.bindings.get(name);
      if (b !== undefined) return b === null ? undefined : canonical(this.reexported?.(b) ?? b);
      if (scope.star) return undefined;
      if (!def) return unbound ? UNBOUND : undefined;
    }
  }

  private moduleScope(): Scope {
    this.module ??= Array.isArray(this.root)
      ? foldFacts(this.root as readonly ModuleFacts[])
      : collectBindings(this.root as Node, this.moduleName);
    return this.module;
  }

  private scopeOf(node: Node, moduleName: string): Scope {
    let scope = this.scopes.get(node.id);
    if (!scope) {
      scope = collectBindings(node, moduleName);
      this.scopes.set(node.id, scope);
    }
    return scope;
  }
}

/** `..base` seen from module `app.tests.test_api` is `app.base`; null when it climbs out of the package. */
export function absoluteModule(spec: string, moduleName: string): string | null {
  const dots = spec.length - spec.replace(/^\.+/, '').length;
  if (dots === 0) return spec;
  const parts = moduleName.split('.').filter(Boolean);
  if (parts.length < dots) return null;
  const base = parts.slice(0, parts.length - dots);
  const rest = spec.slice(dots);
  return [...base, ...(rest ? [rest] : [])].join('.') || null;
}

function bind(scope: Scope, name: string, value: Binding): void {
  if (!scope.bindings.has(name)) scope.bindings.set(name, value);
  // Two different bindings for one name in one scope: we cannot tell which is live, so it is unknown.
  else if (scope.bindings.get(name) !== value) scope.bindings.set(name, null);
}

/** The module's scope from what each of its top-level statements binds. */
export function foldFacts(facts: readonly ModuleFacts[]): Scope {
  const scope: Scope = { bindings: new Map(), star: false };
  for (const f of facts) {
    for (const [name, value] of f.bindings) bind(scope, name, value);
    scope.star ||= f.star;
  }
  return scope;
}

/** Where a walk over a scope's statements reports what it finds. */
interface Sink {
  bind(name: string, value: Binding): void;
  star(): void;
  /** a class defined directly in the scope */
  classDef?(name: string): void;
}

/**
 * What some top-level statements contribute to their module, in order: the names they bind (imports
 * with what they import), star imports, and the classes they define. Folding these per statement
 * gives the module's scope; the names tell which other code an edit of these statements can affect.
 */
export interface ModuleFacts {
  bindings: [string, Binding][];
  star: boolean;
  classes: string[];
}

/** The names import statements anywhere under `nodes` bind (in whatever scope), with what they import. */
export function importedNames(nodes: readonly Node[], into = new Map<string, string[]>()): Map<string, string[]> {
  const sink: Sink = {
    bind: (name, value) => {
      let list = into.get(name);
      if (!list) into.set(name, (list = []));
      list.push(value ?? '');
    },
    star: () => undefined,
  };
  for (const top of nodes)
    for (const stmt of nodesOfTypes(top, ['import_statement', 'import_from_statement']))
      walkScope(stmt, '', sink, true);
  return into;
}

export function moduleFactsOf(statements: readonly Node[], moduleName: string): ModuleFacts {
  const facts: ModuleFacts = { bindings: [], star: false, classes: [] };
  const sink: Sink = {
    bind: (name, value) => facts.bindings.push([name, value]),
    star: () => {
      facts.star = true;
    },
    classDef: name => facts.classes.push(name),
  };
  for (const stmt of statements) walkScope(stmt, moduleName, sink, true);
  return facts;
}

function bindTargets(sink: Sink, target: Node | null): void {
  if (!target) return;
  if (target.type === 'identifier') {
    sink.bind(target.text, null);
    return;
  }
  if (
    [
      'pattern_list',
      'tuple_pattern',
      'list_pattern',
      'tuple',
      'list',
      'list_splat_pattern',
      'parenthesized_expression',
    ].includes(target.type)
  ) {
    for (const c of target.namedChildren) bindTargets(sink, c);
  }
}

/** The names a scope binds: its own statements, not those of nested functions, classes or comprehensions. */
function collectBindings(scopeNode: Node, moduleName: string): Scope {
  const scope: Scope = { bindings: new Map(), star: false };
  const sink: Sink = {
    bind: (name, value) => bind(scope, name, value),
    star: () => {
      scope.star = true;
    },
  };
  if (scopeNode.type === 'function_definition' || scopeNode.type === 'lambda') {
    const params = scopeNode.childForFieldName('parameters');
    for (const p of params?.namedChildren ?? []) {
      const id = p && parameterIdentifier(p);
      if (id) bind(scope, id.text, null);
    }
  }
  const body = scopeNode.type === 'module' ? scopeNode : scopeNode.childForFieldName('body');
  if (body) walkScope(body, moduleName, sink, false);
  return scope;
}

/** Walks `from` (a scope's body, or one statement of it when `inclusive`), reporting bindings to `sink`. */
function walkScope(from: Node, moduleName: string, sink: Sink, inclusive: boolean): void {
  walk(
    from,
    node => {
      if ((inclusive || node.id !== from.id) && NESTED.has(node.type)) {
        if (node.type === 'function_definition' || node.type === 'class_definition') {
          const name = node.childForFieldName('name');
          if (name) sink.bind(name.text, null);
          if (name && node.type === 'class_definition') sink.classDef?.(name.text);
        }
        return false;
      }
      switch (node.type) {
        case 'import_statement':
          for (const n of node.childrenForFieldName('name')) {
            if (!n) continue;
            if (n.type === 'aliased_import') {
              const alias = n.childForFieldName('alias'),
                mod = n.childForFieldName('name');
              if (alias && mod) sink.bind(alias.text, mod.text);
            } else {
              const top = n.text.split('.')[0];
              sink.bind(top, top);
            }
          }
          return false;
        case 'import_from_statement': {
          const mod = node.childForFieldName('module_name');
          const from = mod ? absoluteModule(mod.text, moduleName) : null;
          if (node.namedChildren.some(c => c?.type === 'wildcard_import')) {
            sink.star();
            return false;
          }
          for (const n of node.childrenForFieldName('name')) {
            if (!n) continue;
            const [nameNode, aliasNode] =
              n.type === 'aliased_import' ? [n.childForFieldName('name'), n.childForFieldName('alias')] : [n, n];
            if (!nameNode || !aliasNode) continue;
            sink.bind(aliasNode.text, from === null ? null : `${from}.${nameNode.text}`);
          }
          return false;
        }
        case 'assignment':
        case 'augmented_assignment':
          bindTargets(sink, node.childForFieldName('left'));
          return true;
        case 'for_statement':
        case 'for_in_clause':
          bindTargets(sink, node.childForFieldName('left'));
          return true;
        case 'as_pattern': {
          const alias = node.childForFieldName('alias');
          for (const c of alias?.namedChildren ?? []) bindTargets(sink, c);
          if (alias?.namedChildCount === 0) bindTargets(sink, alias);
          return true;
        }
        case 'named_expression':
          bindTargets(sink, node.childForFieldName('name'));
          return true;
        case 'except_clause': {
          // `except E as name`: tree-sitter-python puts the name after `as` as a plain identifier child
          const children = node.children;
          const asIndex = children.findIndex(c => c?.type === 'as');
          if (asIndex >= 0) bindTargets(sink, children[asIndex + 1] ?? null);
          return true;
        }
        case 'global_statement':
        case 'nonlocal_statement':
          for (const c of node.namedChildren) if (c) sink.bind(c.text, null);
          return false;
        default:
          return true;
      }
    },
    BINDING_TYPES,
  );
}
