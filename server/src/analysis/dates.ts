// Dates a test fixes: built from constants, the same at every run, with no wall clock in them.
import type { Node } from '../syntax/parser';
import { field, isConstant } from '../syntax/nodes';

/** Calls that build a date, a time or a datetime from their arguments. */
const BUILDERS = new Set(['date', 'datetime', 'time', 'strptime', 'fromisoformat', 'parse_date', 'parse_datetime']);
/** Methods of a date that keep it fixed. */
const KEEPS = new Set(['date', 'replace', 'astimezone']);
/** Calls that give their first argument, a date, a time zone: `make_aware(d, tz)`, `tz.localize(d)`. */
const ZONES = new Set(['make_aware', 'localize']);

/** `date(2022, 12, 31)`, `datetime.strptime(DAY, "%d-%m-%y").date()`: a date built from constants. */
export function fixedDateExpression(expr: Node): boolean {
  if (expr.type !== 'call') return false;
  const fn = field(expr, 'function');
  const name = fn.type === 'attribute' ? field(fn, 'attribute').text : fn.text;
  const args = expr.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a) ?? [];
  if (fn.type === 'attribute' && KEEPS.has(name) && fixedDateExpression(field(fn, 'object')))
    return args.every(fixedArgument);
  if (ZONES.has(name)) return !!args[0] && fixedDateExpression(args[0]);
  return BUILDERS.has(name) && args.length > 0 && args.every(fixedArgument);
}

/** A literal, or a constant by name (`DAY`, `self.DAY`, `Cls.DAY`), keyword values alike. */
function fixedArgument(arg: Node): boolean {
  const value = arg.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
  if (!value) return false;
  if (isConstant(value)) return true;
  const last =
    value.type === 'attribute' ? field(value, 'attribute').text : value.type === 'identifier' ? value.text : '';
  return /^[A-Z][A-Z0-9_]*$/.test(last);
}

/**
 * Whether fixture `fn` hands its tests a fixed date: its body (after a docstring) is one `return` of a
 * date built from constants (portail-rse's `date_cloture_dernier_exercice`, `return date(2022, 12, 31)`).
 */
export function returnsFixedDate(fn: Node): boolean {
  const body = field(fn, 'body').namedChildren.filter((s): s is Node => !!s && s.type !== 'comment');
  const docstring = body[0]?.type === 'expression_statement' && body[0].firstNamedChild?.type === 'string';
  const rest = docstring ? body.slice(1) : body;
  const value = rest.length === 1 && rest[0].type === 'return_statement' ? rest[0].firstNamedChild : null;
  return !!value && fixedDateExpression(value);
}
