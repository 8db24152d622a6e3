// Fixes that need a name (override_settings, isolate_apps, tempfile) get it through here: reuse
// what the file already imports under any alias, else merge into an existing `from m import ...`,
// else add one import line after the module's imports. Never a duplicate import.
import { Edit } from './fix';
import type { Node } from '../syntax/parser';
import type { RuleContext } from './rule';
import { afterLineBreak, escapeRegExp, lineEndOf } from '../syntax/text';

export interface Imported {
  expr: string;
  edits: Edit[];
}

/** Per file: the top-level `from m import ...` statements and where a new import line goes. */
interface ImportSites {
  fromStatements: Map<string, Node>;
  newLineAt: { at: number; before: string };
}

/** modules fixes import by name from their package (`from unittest import mock`) */
const SUBMODULES = new Set(['unittest.mock']);
/** modules their package's own `__init__` imports: `import os` reaches `os.path` */
const LOADED_BY_PACKAGE = new Set(['os.path']);

/**
 * The module-level expression through which `qualified`, a name of `module`, is really reachable: a name
 * bound to it or to `module` (or within it), or a package's name where the file imports `module` itself
 * (`import django.test`). A plain `import unittest` binds the package, which does not load its `mock`
 * module: `unittest.mock.patch` is not reached through it (fjord's vendored requests).
 */
export function reachedName(ctx: RuleContext, module: string, qualified: string): string | undefined {
  const existing = ctx.names.moduleNameFor(qualified);
  if (!existing) return undefined;
  const head = existing.split('.')[0];
  const bound = ctx.names.moduleImports().find(([name]) => name === head)?.[1];
  if (!bound || bound === qualified || bound === module || bound.startsWith(`${module}.`)) return existing;
  if (LOADED_BY_PACKAGE.has(module) || !module.startsWith(`${bound}.`)) return existing;
  const imports = new RegExp(
    String.raw`^[ \t]*import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*${escapeRegExp(module)}\b(?!\.)`,
    'm',
  );
  return ctx.file.mentions(imports) ? existing : undefined;
}

/** An expression for `module.name` valid at module level, and the edits that make it so. */
export function importName(ctx: RuleContext, module: string, name: string): Imported {
  // a module of the package (`from unittest import mock`) is reached only where it is imported
  const qualified = `${module}.${name}`;
  const existing = reachedName(ctx, SUBMODULES.has(qualified) ? qualified : module, qualified);
  if (existing) return { expr: existing, edits: [] };
  const fromStatement = importSites(ctx).fromStatements.get(module);
  if (fromStatement) {
    const names = fromStatement.childrenForFieldName('name').filter((n): n is Node => n !== null);
    const last = names[names.length - 1];
    if (last) return { expr: name, edits: [Edit.insert(last.endIndex, `, ${name}`)] };
  }
  return { expr: name, edits: [newImportLine(ctx, `from ${module} import ${name}`)] };
}

/** `import module` (for `tempfile.gettempdir()`), reusing an existing plain import. */
export function importModule(ctx: RuleContext, module: string): Imported {
  const existing = reachedName(ctx, module, module);
  if (existing) return { expr: existing, edits: [] };
  return { expr: module, edits: [newImportLine(ctx, `import ${module}`)] };
}

function newImportLine(ctx: RuleContext, line: string): Edit {
  const { at, before } = importSites(ctx).newLineAt;
  return Edit.insert(at, before + line + ctx.file.eol);
}

function importSites(ctx: RuleContext): ImportSites {
  return ctx.file.memo(importSites, () => findImportSites(ctx));
}

function findImportSites(ctx: RuleContext): ImportSites {
  const { eol, text, topLevel } = ctx.file;
  const fromStatements = new Map<string, Node>();
  // a new line goes after the last of the leading imports (or the docstring / __future__ imports)
  let anchor: Node | undefined;
  let leading = true;
  // broken code after the imports can make the grammar wrap them in one top-level ERROR node: they
  // are still the module's imports (a fix must merge into them, not add a second line)
  const statements = topLevel.flatMap(({ node, kind }) =>
    kind === 'def'
      ? [null]
      : kind === 'comment'
        ? []
        : node.type === 'ERROR'
          ? node.namedChildren.filter((c): c is Node => c !== null)
          : [node],
  );
  for (const stmt of statements) {
    if (stmt === null) {
      leading = false;
      continue;
    } // a definition ends the leading imports
    if (stmt.type === 'comment' || !stmt.isNamed) continue;
    if (stmt.type === 'import_from_statement' && !stmt.namedChildren.some(c => c?.type === 'wildcard_import')) {
      const module = stmt.childForFieldName('module_name')?.text;
      if (module && !fromStatements.has(module)) fromStatements.set(module, stmt);
    }
    if (!leading) continue;
    const isImport =
      stmt.type === 'import_statement' ||
      stmt.type === 'import_from_statement' ||
      stmt.type === 'future_import_statement';
    const isDocstring = !anchor && stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'string';
    if (isImport || isDocstring) anchor = stmt;
    else if (stmt.type !== 'if_statement' && stmt.type !== 'try_statement') leading = false;
  }
  let newLineAt = { at: 0, before: '' };
  if (anchor) {
    // after the anchor's line, keeping a trailing comment on it where it is
    const end = lineEndOf(text, anchor.endIndex);
    newLineAt = end === text.length ? { at: text.length, before: eol } : { at: afterLineBreak(text, end), before: '' };
  }
  return { fromStatements, newLineAt };
}
