// Small, allocation-light helpers over tree-sitter-python nodes.
import type { Node } from './parser';

/** The name of a function or class definition. */
export function defName(def: Node): string {
  return def.childForFieldName('name')?.text ?? '';
}

/** The statements of a definition's body (`block`), comments excluded. */
export function bodyStatements(def: Node): Node[] {
  const body = def.childForFieldName('body');
  return body ? body.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment') : [];
}

/** `name=value` arguments of a call (or a decorator call), by name. */
export function keywordArgument(call: Node, name: string): Node | null {
  const args = call.childForFieldName('arguments');
  if (!args) return null;
  for (const arg of args.namedChildren) {
    if (arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === name) {
      return arg.childForFieldName('value');
    }
  }
  return null;
}

export function hasDictionarySplat(call: Node): boolean {
  return !!call.childForFieldName('arguments')?.namedChildren.some(a => a?.type === 'dictionary_splat');
}

/** A call's arguments, keyword arguments and splats included, comments left out. */
export function callArguments(call: Node): Node[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (a): a is Node => a !== null && a.type !== 'comment',
  );
}

export function positionalArguments(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return [];
  return args.namedChildren.filter(
    (a): a is Node =>
      a !== null &&
      a.type !== 'keyword_argument' &&
      a.type !== 'comment' &&
      a.type !== 'list_splat' &&
      a.type !== 'dictionary_splat',
  );
}

/**
 * The value of a plain string literal, or null for f-strings with interpolations, bytes, and
 * anything that is not a single literal.
 */
export function stringValue(node: Node): string | null {
  if (node.type !== 'string') return null;
  const prefix = node.firstChild?.text.toLowerCase() ?? '';
  if (prefix.includes('b')) return null;
  let value = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') return null;
    if (child.type === 'string_content' || child.type === 'escape_sequence') value += child.text;
  }
  return value;
}

/** The text of a string literal's content, interpolations included as written (for f-strings). */
export function stringContentText(node: Node): string {
  const start = node.firstChild,
    end = node.lastChild;
  if (!start || !end || start === end) return '';
  return node.text.slice(start.endIndex - node.startIndex, end.startIndex - node.startIndex);
}

const CONSTANT_LEAVES = new Set(['integer', 'float', 'true', 'false', 'none', 'string', 'concatenated_string']);
const CONSTANT_CONTAINERS = new Set([
  'list',
  'tuple',
  'set',
  'dictionary',
  'pair',
  'unary_operator',
  'parenthesized_expression',
]);

/** A literal that means the same wherever it is evaluated (no names, no calls, no f-string holes). */
export function isConstant(node: Node): boolean {
  if (node.type === 'string') return stringValue(node) !== null;
  if (CONSTANT_LEAVES.has(node.type))
    return node.type !== 'concatenated_string' || node.namedChildren.every(c => !!c && isConstant(c));
  if (!CONSTANT_CONTAINERS.has(node.type)) return false;
  return node.namedChildren.every(c => !c || c.type === 'comment' || isConstant(c));
}

/** `[]`, `list()`, `{}`, `dict()`, `set()`, `()`, `tuple()`: a new empty container, as one text per kind; else null. */
export function emptyContainerText(node: Node): string | null {
  const literal = ({ list: '[]', dictionary: '{}', tuple: '()' } as Record<string, string | undefined>)[node.type];
  if (literal) return node.namedChildren.some(c => c && c.type !== 'comment') ? null : literal;
  if (node.type !== 'call' || node.childForFieldName('arguments')?.namedChildren.length) return null;
  return { list: '[]', dict: '{}', set: 'set()', tuple: '()' }[node.childForFieldName('function')?.text ?? ''] ?? null;
}

/** A constant's text as a value, for comparing two constants: `'a'` and `"a"` alike, spacing aside. */
export function constantText(node: Node): string {
  const value = stringValue(node);
  return value !== null ? JSON.stringify(value) : node.text.replace(/\s+/g, '').replace(/'/g, '"');
}

/**
 * The node types that hold statements (compound statements, their clauses, blocks, definitions): a
 * walk limited to them reaches every statement, and so every enclosing `with`, without entering
 * expressions.
 */
export const BLOCK_TYPES: ReadonlySet<string> = new Set([
  'with_statement',
  'block',
  'if_statement',
  'for_statement',
  'while_statement',
  'try_statement',
  'function_definition',
  'decorated_definition',
  'class_definition',
  'else_clause',
  'elif_clause',
  'except_clause',
  'finally_clause',
]);

/** Parameter names of a function definition, in order. */
export function parameterNames(fn: Node): string[] {
  const params = fn.childForFieldName('parameters');
  if (!params) return [];
  const names: string[] = [];
  for (const p of params.namedChildren) {
    const id = p && parameterIdentifier(p);
    if (id) names.push(id.text);
  }
  return names;
}

export function parameterIdentifier(param: Node): Node | null {
  switch (param.type) {
    case 'identifier':
      return param;
    case 'typed_parameter':
      return param.namedChildren.find(c => c?.type === 'identifier') ?? null;
    case 'default_parameter':
    case 'typed_default_parameter':
      return param.childForFieldName('name');
    case 'list_splat_pattern':
    case 'dictionary_splat_pattern':
      return param.namedChildren.find(c => c?.type === 'identifier') ?? null;
    default:
      return null;
  }
}

/**
 * Depth-first pre-order walk of `root`'s subtree with a cursor; `enter` returning false skips the
 * children. With `only`, nodes of other types are passed through without being materialised as
 * Node objects (the expensive part of walking from JavaScript) and always descended into.
 */
export function walk(root: Node, enter: (node: Node) => boolean | void, only?: ReadonlySet<string>): void {
  const cursor = root.walk();
  try {
    for (;;) {
      const descend = only && !only.has(cursor.nodeType) ? true : enter(cursor.currentNode) !== false;
      if (descend && cursor.gotoFirstChild()) continue;
      // a cursor made from a node cannot leave it: gotoParent fails at `root`
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return;
    }
  } finally {
    cursor.delete();
  }
}

/**
 * The values `scope` assigns to the plain name `name` (`name = value`), in order; with `before`, only
 * those assigned before it. Nested functions and lambdas are scopes of their own: not looked into.
 */
export function assignedValues(scope: Node, name: string, before?: Node): Node[] {
  const out: Node[] = [];
  walk(
    scope,
    n => {
      if (n.type !== 'assignment') return n.startIndex === scope.startIndex; // a nested def or lambda
      if (before && n.startIndex >= before.startIndex) return false;
      const right = n.childForFieldName('right');
      const left = n.childForFieldName('left');
      if (left?.text === name && right) out.push(right);
      // `fd, path = File(...), "/tmp/foo.bak"`: the value in the same place
      else if (left && right && UNPACKED.has(left.type) && PACKED.has(right.type)) {
        const [names, values] = [left.namedChildren, right.namedChildren];
        const at = names.findIndex(t => t?.text === name);
        const value = names.length === values.length && at >= 0 ? values[at] : null;
        if (value) out.push(value);
      }
      return true;
    },
    SCOPE_AND_ASSIGNMENTS,
  );
  return out;
}
const SCOPE_AND_ASSIGNMENTS = new Set(['assignment', 'function_definition', 'lambda']);
const UNPACKED = new Set(['pattern_list', 'tuple_pattern']);
const PACKED = new Set(['expression_list', 'tuple']);

/** The definition a statement stands for: a `decorated_definition`'s function or class, else the statement itself. */
export function definitionOf(stmt: Node): Node {
  return stmt.type === 'decorated_definition' ? (stmt.childForFieldName('definition') ?? stmt) : stmt;
}

/**
 * A field the grammar gives every node of this type (a definition's `name`, a call's `function`).
 * Error recovery inserts a MISSING node rather than leave one out, so its absence is a bug: throw.
 */
export function field(node: Node, name: string): Node {
  const child = node.childForFieldName(name);
  if (!child) throw new Error(`a ${node.type} node without its ${name} field`);
  return child;
}

/**
 * The statements that run at a module's level: its top-level ones, and those inside top-level `if`,
 * `try` and `with` blocks (fuzzmanager's conftest.py defines its autouse fixture under
 * `with contextlib.suppress(ImportError):`), not inside functions or classes.
 */
export function moduleLevelStatements(root: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    for (const c of n.namedChildren) {
      if (!c) continue;
      if (
        /^(if_statement|try_statement|with_statement|block|else_clause|elif_clause|except_clause|finally_clause)$/.test(
          c.type,
        )
      )
        visit(c);
      else out.push(c);
    }
  };
  visit(root);
  return out;
}

/** The value `node` assigns to the plain name or attribute `target`, if it is that assignment statement. */
function assignedBy(node: Node, target: string): Node | null {
  const a = node.type === 'expression_statement' ? node.namedChildren[0] : null;
  return a?.type === 'assignment' && a.childForFieldName('left')?.text === target ? a.childForFieldName('right') : null;
}

/** The one value a module's level gives `name` (in a class or function body is no module value), or null. */
export function moduleValue(root: Node, name: string): Node | null {
  const values = moduleLevelStatements(root).flatMap(stmt => assignedBy(stmt, name) ?? []);
  return values.length === 1 ? (values[0] ?? null) : null;
}

/** The values class `cls` gives attribute `attr`: in its body, or through `self.attr =`/`cls.attr =` in its methods. */
export function classValues(cls: Node, attr: string): Node[] {
  const body = bodyStatements(cls);
  const methods = body.map(definitionOf).filter(def => def.type === 'function_definition');
  return [
    ...body.flatMap(stmt => assignedBy(stmt, attr) ?? []),
    ...methods.flatMap(def => [...assignedValues(def, `self.${attr}`), ...assignedValues(def, `cls.${attr}`)]),
  ];
}
