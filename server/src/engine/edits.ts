// Edits that fixes share: a decorator above a definition, a parameter on a function, a statement
// after another, a statement removed. They keep existing decorators, comments and order as written.
import { Edit } from './fix';
import type { Node } from '../syntax/parser';
import type { RuleContext } from './rule';
import { bodyStatements, field, parameterNames, walk } from '../syntax/nodes';
import { afterLineBreak, indentOf, lineEndOf, lineStartOf, ownsLine, splitLines } from '../syntax/text';

/** `@decorator` directly above `def`, below any decorators it already has. */
export function addDecorator(ctx: RuleContext, def: Node, decorator: string): Edit {
  const indent = indentOf(ctx.file.text, def.startIndex);
  return Edit.insert(def.startIndex, `@${decorator}${ctx.file.eol}${indent}`);
}

/** Adds parameter `name` to `fn` unless it has it (after `self`; at the end when that is valid). */
export function addParameter(ctx: RuleContext, fn: Node, name: string): Edit[] {
  if (parameterNames(fn).includes(name)) return [];
  const params = field(fn, 'parameters');
  const list = params.namedChildren.filter((p): p is Node => p !== null && p.type !== 'comment');
  if (list.length === 0) return [Edit.insert(params.startIndex + 1, name)];
  if (list.every(p => p.type === 'identifier' || p.type === 'typed_parameter'))
    return [Edit.insert(list[list.length - 1].endIndex, `, ${name}`)];
  // defaults, *args or keyword-only parameters follow: the first position is always valid (after self)
  const first = list[0];
  return ctx.defs.methodClass(fn) && first.text === 'self'
    ? [Edit.insert(first.endIndex, `, ${name}`)]
    : [Edit.insert(first.startIndex, `${name}, `)];
}

/**
 * `text` (one or more simple statements, lines joined by the file's line break) after `stmt`: on a new
 * line at its indentation when `stmt` has its line to itself (a trailing comment stays where it is),
 * else right after it, joined with `;` (a one-line body `def setUp(self): p.start()`, or `a; b`).
 */
export function insertAfter(ctx: RuleContext, stmt: Node, text: string): Edit {
  const { text: source, eol } = ctx.file;
  if (!ownsLine(source, stmt.startIndex, stmt.endIndex)) return Edit.insert(stmt.endIndex, `; ${inline(text)}`);
  return Edit.insert(lineEndOf(source, stmt.endIndex), `${eol}${indentOf(source, stmt.startIndex)}${text}`);
}

/** `text` before `stmt`: a new line at its indentation, or joined with `;` when `stmt` shares its line. */
export function insertBefore(ctx: RuleContext, stmt: Node, text: string): Edit {
  if (!ownsLine(ctx.file.text, stmt.startIndex, stmt.endIndex))
    return Edit.insert(stmt.startIndex, `${inline(text)}; `);
  return Edit.insert(stmt.startIndex, `${text}${ctx.file.eol}${indentOf(ctx.file.text, stmt.startIndex)}`);
}

/** Statements on several lines as one line: `a; b`. */
const inline = (text: string) =>
  text
    .split(/\r\n|\r|\n/)
    .map(l => l.trim())
    .filter(Boolean)
    .join('; ');

/**
 * Removes `stmt` with its whole line when it has the line to itself; from a `;` list only itself and
 * its separator, so that the other statements of the line stay; elsewhere it becomes `pass`.
 */
export function deleteLine(ctx: RuleContext, stmt: Node): Edit {
  const { text } = ctx.file;
  if (ownsLine(text, stmt.startIndex, stmt.endIndex)) {
    return Edit.replace(lineStartOf(text, stmt.startIndex), afterLineBreak(text, lineEndOf(text, stmt.endIndex)), '');
  }
  const next = /^[ \t]*;[ \t]*/.exec(text.slice(stmt.endIndex));
  if (next && !/^[ \t]*(#|$)/.test(text.slice(stmt.endIndex + next[0].length, lineEndOf(text, stmt.endIndex)))) {
    return Edit.replace(stmt.startIndex, stmt.endIndex + next[0].length, '');
  }
  const previous = /[ \t]*;[ \t]*$/.exec(text.slice(lineStartOf(text, stmt.startIndex), stmt.startIndex));
  if (previous) return Edit.replace(stmt.startIndex - previous[0].length, stmt.endIndex, '');
  return Edit.replace(stmt.startIndex, stmt.endIndex, 'pass');
}

/**
 * The module's one top-level import whose text `statement` matches (`from django.conf import settings`,
 * `import os`), taken out where nothing but `replaced` names `name`: a fix that takes away its last use
 * would otherwise leave an import the project's lint rejects (flake8's F401; capstone, nl-kat-coordination).
 * Other fixes of the same file are not seen: where two take away the last two uses, the import stays.
 */
export function importLeftUnused(ctx: RuleContext, statement: RegExp, name: string, replaced: Node): Edit[] {
  const imports = ctx.file.topLevel.filter(({ node, kind }) => kind === 'other' && statement.test(node.text));
  const [only] = imports;
  if (imports.length !== 1 || !only) return [];
  const { text } = ctx.file;
  const [first, second] = [only.node, replaced].sort((a, b) => a.startIndex - b.startIndex) as [Node, Node];
  const elsewhere =
    text.slice(0, first.startIndex) + text.slice(first.endIndex, second.startIndex) + text.slice(second.endIndex);
  if (new RegExp(`\\b${name}\\b`).test(elsewhere)) return [];
  // the last import of its section: the blank line that parted it from the next section goes with it
  const start = lineStartOf(text, only.node.startIndex);
  const after = afterLineBreak(text, lineEndOf(text, only.node.endIndex));
  const above = /(\r\n|\r|\n)[ \t]*(\r\n|\r|\n)$/.test(text.slice(0, start)) || start === 0;
  const below = /^[ \t]*(\r\n|\r|\n)/.exec(text.slice(after));
  if (above && below && ownsLine(text, only.node.startIndex, only.node.endIndex))
    return [Edit.replace(start, after + below[0].length, '')];
  return [deleteLine(ctx, only.node)];
}

/** Removes `stmt` from `fn`'s body, leaving `pass` when it was the only statement. */
export function removeStatement(ctx: RuleContext, fn: Node, stmt: Node): Edit {
  const body = bodyStatements(fn);
  if (body.length === 1) return Edit.replace(stmt.startIndex, stmt.endIndex, 'pass');
  const edit = deleteLine(ctx, stmt);
  // the first statement gone with its line: the blank lines after it would open the body (black takes them out)
  const blank = /^(?:[ \t]*(?:\r\n|\r|\n))+/.exec(ctx.file.text.slice(edit.end));
  if (body[0]?.id !== stmt.id || edit.text !== '' || !blank) return edit;
  return Edit.replace(edit.start, edit.end + blank[0].length, '');
}

/** The statement node (child of a block) that contains `node`. */
export function statementOf(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.type !== 'block' && n.parent.type !== 'module') n = n.parent;
  return n;
}

/**
 * `stmt`, a top-level statement of `fn`'s body, becomes the `with` header `header` (no colon) and the
 * statements after it its body, indented one level: the change then starts where the statement was
 * and ends with the test, as the statement's order had it. Null when nothing follows, the body does
 * not own its lines, or a string spans lines (indenting would change its text).
 */
export function withFromHere(ctx: RuleContext, fn: Node, stmt: Node, header: string): Edit[] | null {
  const { text } = ctx.file;
  const body = bodyStatements(fn);
  const rest = body.slice(body.findIndex(s => s.id === stmt.id) + 1);
  if (rest.length === 0 || !body.every(s => ownsLine(text, s.startIndex, s.endIndex))) return null;
  // the comments above the next statement go into the block with it; blank lines before them go
  const { lines, starts } = splitLines(text.slice(0, rest[0].startIndex));
  let first = stmt.endPosition.row + 1;
  while (first < lines.length - 1 && /^[ \t]*$/.test(lines[first] ?? '')) first++;
  const from = starts[first] ?? lineStartOf(text, rest[0].startIndex);
  const to = body[body.length - 1].endIndex;
  let multiline = false;
  for (const s of rest)
    walk(s, n => {
      if (n.type === 'string' && n.startPosition.row !== n.endPosition.row) multiline = true;
      return !multiline;
    });
  if (multiline) return null;
  const unit =
    /^( +|\t)/.exec(indentOf(text, stmt.startIndex).slice(indentOf(text, fn.startIndex).length))?.[1] ?? '    ';
  const indented = text
    .slice(from, to)
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 0 && part.trim() ? unit + part : part))
    .join('');
  // blank lines between the statement and the rest would open the block (black takes them out)
  const gap = afterLineBreak(text, lineEndOf(text, stmt.endIndex));
  const blank = gap < from ? [Edit.replace(gap, from, '')] : [];
  return [
    Edit.replace(stmt.startIndex, stmt.endIndex, `${laidOut(header, text, stmt, unit)}:`),
    ...blank,
    Edit.replace(from, to, indented),
  ];
}

/**
 * A `with f(arg)` header whose argument spans lines (a value written over several) laid out as black
 * lays it out: the argument on its own lines, one level in, and the call's `)` back at the margin.
 */
function laidOut(header: string, text: string, stmt: Node, unit: string): string {
  const call = /^with ([\w.]+)\(([\s\S]*)\)$/.exec(header);
  if (!call?.[1] || !call[2] || !/[\r\n]/.test(call[2])) return header;
  const indent = indentOf(text, stmt.startIndex);
  const eol = /\r\n|\r|\n/.exec(call[2])?.[0] ?? '\n';
  const arg = call[2]
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i > 0 && i % 2 === 0 && part.trim() ? unit + part : part))
    .join('');
  return `with ${call[1]}(${eol}${indent}${unit}${arg}${eol}${indent})`;
}
