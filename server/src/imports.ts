// Fixes that need a name (override_settings, isolate_apps, tempfile) get it through here: reuse
// what the file already imports under any alias, else merge into an existing `from m import ...`,
// else add one import line after the module's imports. Never a duplicate import.
import { Edit } from './fix';
import type { Node } from './parser';
import type { RuleContext } from './rule';

export interface Imported { expr: string; edits: Edit[] }

/** An expression for `module.name` valid at module level, and the edits that make it so. */
export function importName(ctx: RuleContext, module: string, name: string): Imported {
  const existing = ctx.names.moduleNameFor(`${module}.${name}`);
  if (existing) return { expr: existing, edits: [] };
  const root = ctx.file.tree.rootNode;
  const fromStatement = topLevelStatements(root).find(s =>
    s.type === 'import_from_statement' && s.childForFieldName('module_name')?.text === module
    && !s.namedChildren.some(c => c?.type === 'wildcard_import'));
  if (fromStatement) {
    const names = fromStatement.childrenForFieldName('name').filter((n): n is Node => n !== null);
    const last = names[names.length - 1];
    if (last) return { expr: name, edits: [Edit.insert(last.endIndex, `, ${name}`)] };
  }
  return { expr: name, edits: [newImportLine(ctx, `from ${module} import ${name}`)] };
}

/** `import module` (for `tempfile.gettempdir()`), reusing an existing plain import. */
export function importModule(ctx: RuleContext, module: string): Imported {
  const existing = ctx.names.moduleNameFor(module);
  if (existing) return { expr: existing, edits: [] };
  return { expr: module, edits: [newImportLine(ctx, `import ${module}`)] };
}

function topLevelStatements(root: Node): Node[] {
  return root.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

/** Inserts `line` after the last of the leading imports (or the docstring / `__future__` imports). */
function newImportLine(ctx: RuleContext, line: string): Edit {
  const { eol, text } = ctx.file;
  let anchor: Node | undefined;
  for (const stmt of topLevelStatements(ctx.file.tree.rootNode)) {
    const isImport = stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement';
    const isDocstring = !anchor && stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'string';
    if (isImport || isDocstring) anchor = stmt;
    else if (stmt.type !== 'if_statement' && stmt.type !== 'try_statement') break;
  }
  if (!anchor) return Edit.insert(0, line + eol);
  // after the anchor's line (keeping a trailing comment on it where it is)
  const at = text.indexOf('\n', anchor.endIndex);
  if (at < 0) return Edit.insert(text.length, eol + line + eol);
  return Edit.insert(at + 1, line + eol);
}
