// Adds a decorator directly above a definition, below any it already has, so the existing ones
// (and their comments, blank lines and order) stay exactly as written.
import { Edit } from './fix';
import type { Node } from './parser';
import { indentOf } from './syntax';

export function addDecorator(text: string, eol: string, def: Node, decorator: string): Edit {
  const indent = indentOf(text, def.startIndex);
  return Edit.insert(def.startIndex, `@${decorator}${eol}${indent}`);
}
