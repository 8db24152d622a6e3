// Edits that fixes share: a decorator above a definition, a parameter on a function, a statement
// after another, a statement removed. They keep existing decorators, comments and order as written.
import { Edit } from './fix';
import type { Node } from './parser';
import type { RuleContext } from './rule';
import { bodyStatements, indentOf, parameterNames } from './syntax';

/** `@decorator` directly above `def`, below any decorators it already has. */
export function addDecorator(ctx: RuleContext, def: Node, decorator: string): Edit {
  const indent = indentOf(ctx.file.text, def.startIndex);
  return Edit.insert(def.startIndex, `@${decorator}${ctx.file.eol}${indent}`);
}

/** Adds parameter `name` to `fn` unless it has it (after `self`; at the end when that is valid). */
export function addParameter(ctx: RuleContext, fn: Node, name: string): Edit[] {
  if (parameterNames(fn).includes(name)) return [];
  const params = fn.childForFieldName('parameters')!;
  const list = params.namedChildren.filter((p): p is Node => p !== null && p.type !== 'comment');
  if (list.length === 0) return [Edit.insert(params.startIndex + 1, name)];
  if (list.every(p => p.type === 'identifier' || p.type === 'typed_parameter')) return [Edit.insert(list[list.length - 1]!.endIndex, `, ${name}`)];
  // defaults, *args or keyword-only parameters follow: the first position is always valid (after self)
  const first = list[0]!;
  return ctx.defs.methodClass(fn) && first.text === 'self' ? [Edit.insert(first.endIndex, `, ${name}`)] : [Edit.insert(first.startIndex, `${name}, `)];
}

/** A new line holding `text` after `stmt`'s line (a trailing comment stays where it is), at its indentation. */
export function insertAfter(ctx: RuleContext, stmt: Node, text: string): Edit {
  const { text: source, eol } = ctx.file;
  let lineEnd = source.indexOf('\n', stmt.endIndex);
  if (lineEnd < 0) lineEnd = source.length;
  else if (source[lineEnd - 1] === '\r') lineEnd--;
  return Edit.insert(lineEnd, `${eol}${indentOf(source, stmt.startIndex)}${text}`);
}

/** A new line holding `text` before `stmt`, at `stmt`'s indentation. */
export function insertBefore(ctx: RuleContext, stmt: Node, text: string): Edit {
  return Edit.insert(stmt.startIndex, `${text}${ctx.file.eol}${indentOf(ctx.file.text, stmt.startIndex)}`);
}

/** Removes `stmt` with its whole line (it must be alone on its line). */
export function deleteLine(ctx: RuleContext, stmt: Node): Edit {
  const { text } = ctx.file;
  const start = text.lastIndexOf('\n', stmt.startIndex - 1) + 1;
  let end = text.indexOf('\n', stmt.endIndex);
  end = end < 0 ? text.length : end + 1;
  return Edit.replace(start, end, '');
}

/** Removes `stmt` from `fn`'s body, leaving `pass` when it was the only statement. */
export function removeStatement(ctx: RuleContext, fn: Node, stmt: Node): Edit {
  return bodyStatements(fn).length === 1 ? Edit.replace(stmt.startIndex, stmt.endIndex, 'pass') : deleteLine(ctx, stmt);
}

/** The statement node (child of a block) that contains `node`. */
export function statementOf(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.type !== 'block' && n.parent.type !== 'module') n = n.parent;
  return n;
}
