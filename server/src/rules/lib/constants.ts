// The values a module's constants have, read from the file's top-level units (so an analysis of one
// unit after an edit reads them as a whole-file analysis does).
import type { RuleContext } from '../../engine/rule';
import type { Node } from '../../syntax/parser';
import { assignedValues } from '../../syntax/nodes';

/** The values module-level assignments give `name`. */
export function moduleValues(ctx: RuleContext, name: string): Node[] {
  return ctx.file.topLevel
    .filter(c => c.kind === 'other' && c.node.isNamed)
    .flatMap(c => {
      const assign = c.node.type === 'expression_statement' ? c.node.firstNamedChild : null;
      const right = assign?.type === 'assignment' ? assign.childForFieldName('right') : null;
      return right && assign?.childForFieldName('left')?.text === name ? [right] : [];
    });
}

/** how many names an integer is followed through (`LIMITE_ETA = 35`, `AGE = LIMIT + 1`) */
const MOST_NAME_STEPS = 3;
/** how deeply nested an integer expression is read */
const MOST_DEPTH = 32;

/**
 * The whole number `node` surely is: a literal, a sum, difference or product of them, or a module
 * constant (this module's or the project's, imported even inside the test: jorvik's `from
 * anagrafica.costanti import LIMITE_ETA`, 35, so `year - (LIMITE_ETA + 1)` moves 36 years). Null when
 * any part is unknown.
 */
export function integerValue(ctx: RuleContext, node: Node, steps = 0, depth = 0): number | null {
  // `1 + 1 + ...` thousands deep in hostile input: an expression this deep is no one's year offset
  if (depth > MOST_DEPTH) return null;
  const value = (n: Node, s = steps) => integerValue(ctx, n, s, depth + 1);
  switch (node.type) {
    case 'integer':
      return /^\d+$/.test(node.text) ? Number(node.text) : null;
    case 'parenthesized_expression': {
      const inner = node.namedChildren[0];
      return inner ? value(inner) : null;
    }
    case 'unary_operator': {
      const operand = node.childForFieldName('argument');
      const v = operand && node.childForFieldName('operator')?.text === '-' ? value(operand) : null;
      return v === null ? null : -v;
    }
    case 'binary_operator': {
      const op = node.childForFieldName('operator')?.text;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const [a, b] = [left && value(left), right && value(right)];
      if (a == null || b == null) return null;
      return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : null;
    }
    case 'identifier': {
      if (steps >= MOST_NAME_STEPS) return null;
      const fn = ctx.defs.enclosingFunction(node);
      if (fn && assignedValues(fn, node.text, node).length) return null; // a local: its value may vary
      const own = moduleValues(ctx, node.text);
      if (own.length === 1 && own[0]) return value(own[0], steps + 1);
      if (own.length) return null;
      const qualified = ctx.names.resolve(node);
      const text = qualified ? ctx.project?.attributeDefault(qualified) : null;
      return text && /^\d+$/.test(text) ? Number(text) : null;
    }
    default:
      return null;
  }
}
