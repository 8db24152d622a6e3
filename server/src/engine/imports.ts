// Fixes that need a name (override_settings, isolate_apps, tempfile) get it through here: reuse
// what the file already imports under any alias, else merge into an existing `from m import ...`,
// else add one import line after the module's imports. Never a duplicate import.
import { Edit } from './fix';
import type { Node } from '../syntax/parser';
import type { RuleContext } from './rule';
import { afterLineBreak, escapeRegExp, indentOf, lineEndOf, lineStartOf } from '../syntax/text';

export interface Imported {
  expr: string;
  edits: Edit[];
}

/** Per file: the top-level `from m import ...` statements and where a new import line goes. */
interface ImportSites {
  fromStatements: Map<string, Node>;
  newLineAt: { at: number; before: string };
  /** the leading import statements, in order, in blocks parted by blank lines */
  leading: Leading[];
}

interface Leading {
  node: Node;
  module: string;
  from: boolean;
  block: number;
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
    if (last) return { expr: name, edits: [mergeName(ctx, names, name)] };
  }
  return { expr: name, edits: newImportLine(ctx, `from ${module} import ${name}`, module, true) };
}

/** `import module` (for `tempfile.gettempdir()`), reusing an existing plain import. */
export function importModule(ctx: RuleContext, module: string): Imported {
  const existing = reachedName(ctx, module, module);
  if (existing) return { expr: existing, edits: [] };
  return { expr: module, edits: newImportLine(ctx, `import ${module}`, module, false) };
}

function newImportLine(ctx: RuleContext, line: string, module: string, from: boolean): Edit[] {
  const sites = importSites(ctx);
  const placed = sortedPlace(ctx, sites.leading, module, from);
  if (!placed) return [Edit.insert(sites.newLineAt.at, sites.newLineAt.before + line + ctx.file.eol)];
  const edits = [Edit.insert(placed.at, placed.before + line + ctx.file.eol)];
  // a new section's blank line: its own edit, so that two imports opening one section share it
  if (placed.after) edits.push(Edit.insert(placed.at, placed.after));
  return edits;
}

function importSites(ctx: RuleContext): ImportSites {
  return ctx.file.memo(importSites, () => findImportSites(ctx));
}

function findImportSites(ctx: RuleContext): ImportSites {
  const { eol, text, topLevel } = ctx.file;
  const fromStatements = new Map<string, Node>();
  // a new line goes after the last of the leading imports (or the docstring / __future__ imports)
  let anchor: Node | undefined;
  let inLeading = true;
  const leading: Leading[] = [];
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
      inLeading = false;
      continue;
    } // a definition ends the leading imports
    if (stmt.type === 'comment' || !stmt.isNamed) continue;
    if (stmt.type === 'import_from_statement' && !stmt.namedChildren.some(c => c?.type === 'wildcard_import')) {
      const module = stmt.childForFieldName('module_name')?.text;
      if (module && !fromStatements.has(module)) fromStatements.set(module, stmt);
    }
    if (!inLeading) continue;
    const isImport =
      stmt.type === 'import_statement' ||
      stmt.type === 'import_from_statement' ||
      stmt.type === 'future_import_statement';
    const isDocstring = !anchor && stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'string';
    if (isImport) {
      const previous = leading.at(-1)?.node;
      const parted = previous && /\n[ \t]*\r?\n/.test(text.slice(previous.endIndex, stmt.startIndex));
      const block = (leading.at(-1)?.block ?? 0) + (parted ? 1 : 0);
      const module =
        stmt.type === 'import_statement'
          ? (stmt.childForFieldName('name')?.text.split(/\s/)[0] ?? '')
          : stmt.type === 'future_import_statement'
            ? '__future__'
            : (stmt.childForFieldName('module_name')?.text ?? '');
      leading.push({ node: stmt, module, from: stmt.type !== 'import_statement', block });
    }
    if (isImport || isDocstring) anchor = stmt;
    else if (stmt.type !== 'if_statement' && stmt.type !== 'try_statement') inLeading = false;
  }
  let newLineAt = { at: 0, before: '' };
  if (anchor) {
    // after the anchor's line, keeping a trailing comment on it where it is
    const end = lineEndOf(text, anchor.endIndex);
    newLineAt = end === text.length ? { at: text.length, before: eol } : { at: afterLineBreak(text, end), before: '' };
  }
  return { fromStatements, newLineAt, leading };
}

/** standard library modules (Python 3, and Python 2's renamed ones): isort's first section */
const STDLIB = new Set(
  (
    '__future__ abc argparse array ast asyncio atexit base64 binascii bisect builtins bz2 calendar cgi cmath cmd ' +
    'code codecs collections colorsys concurrent configparser contextlib contextvars copy copyreg cProfile csv ' +
    'ctypes curses dataclasses datetime dbm decimal difflib dis doctest email encodings enum errno faulthandler ' +
    'fcntl filecmp fileinput fnmatch fractions ftplib functools gc getopt getpass gettext glob graphlib grp gzip ' +
    'hashlib heapq hmac html http imaplib importlib inspect io ipaddress itertools json keyword linecache locale ' +
    'logging lzma mailbox marshal math mimetypes mmap multiprocessing netrc numbers operator optparse os pathlib ' +
    'pdb pickle pkgutil platform plistlib poplib posixpath pprint profile pstats pty pwd queue quopri random re ' +
    'reprlib resource runpy sched secrets select selectors shelve shlex shutil signal site smtplib socket ' +
    'socketserver sqlite3 ssl stat statistics string struct subprocess sys sysconfig syslog tarfile tempfile ' +
    'termios textwrap threading time timeit token tokenize tomllib trace traceback tracemalloc types typing ' +
    'unicodedata unittest urllib uuid venv warnings weakref webbrowser wsgiref xml xmlrpc zipfile zlib zoneinfo ' +
    'StringIO cStringIO urllib2 urlparse httplib ConfigParser Queue __builtin__ cPickle HTMLParser'
  ).split(' '),
);
/** third-party packages test modules import beside Django: a block holding one is the third-party one */
const THIRD_PARTY = new Set(
  'django rest_framework pytest pytest_django mock factory freezegun time_machine model_bakery model_mommy responses requests celery redis fakeredis django_redis parameterized ddt pytz dateutil six'.split(
    ' ',
  ),
);

type Section = 'future' | 'stdlib' | 'third' | 'local' | 'unknown';

function sectionOf(module: string): Section {
  if (module === '__future__') return 'future';
  if (module.startsWith('.')) return 'local';
  const top = module.split('.')[0] ?? '';
  return STDLIB.has(top) ? 'stdlib' : THIRD_PARTY.has(top) ? 'third' : 'unknown';
}

/** isort's and ruff's order within a section: `import m` lines first (unless the file mixes them), then by name. */
function orderKey(module: string, from: boolean, kindFirst: boolean): string {
  return `${kindFirst && from ? 1 : 0}${module.toLowerCase()}`;
}

/**
 * Where a new `import module` / `from module import ...` line goes for isort to leave the file as it
 * is: among the imports of its section in name order (where they are in order; after them where they
 * are not), or as a section of its own in isort's place for it (standard library first, then third
 * party), parted by blank lines. Null where the file has no leading imports (the line goes after the
 * docstring).
 */
function sortedPlace(
  ctx: RuleContext,
  leading: Leading[],
  module: string,
  from: boolean,
): { at: number; before: string; after: string } | null {
  const { text, eol } = ctx.file;
  const section = sectionOf(module);
  const first = leading.find(l => sectionOf(l.module) === section);
  const lineAfter = (node: Node) => afterLineBreak(text, lineEndOf(text, node.endIndex));
  if (!first) {
    const opening = leading.find(l => sectionOf(l.module) !== 'future');
    if (!opening) return null;
    const stdlib = leading.filter(l => l.block === opening.block).every(l => sectionOf(l.module) === 'stdlib');
    if (section === 'third' && stdlib) {
      const last = leading.filter(l => l.block === opening.block).at(-1) ?? opening;
      const at = lineAfter(last.node);
      return at === text.length && !/[\r\n]$/.test(text) ? null : { at, before: eol, after: '' };
    }
    return { at: commentsAbove(text, opening.node), before: '', after: eol };
  }
  const peers = leading.filter(
    l =>
      l.block === first.block &&
      (section === 'stdlib' ? sectionOf(l.module) === 'stdlib' : !/stdlib|future|local/.test(sectionOf(l.module))),
  );
  const kindFirst = !peers.some((l, i) => l.from && peers.slice(i + 1).some(later => !later.from));
  const keys = peers.map(l => orderKey(l.module, l.from, kindFirst));
  const mine = orderKey(module, from, kindFirst);
  const inOrder = keys.every((k, i) => i === 0 || (keys[i - 1] ?? '') <= k);
  const next = inOrder ? peers.find((_, i) => (keys[i] ?? '') > mine) : undefined;
  if (next) return { at: commentsAbove(text, next.node), before: '', after: '' };
  const last = peers.at(-1) ?? first;
  const at = lineAfter(last.node);
  return at === text.length && !/[\r\n]$/.test(text) ? { at, before: eol, after: '' } : { at, before: '', after: '' };
}

/** The start of `node`'s line, or of the comment lines right above it (isort moves them with it). */
function commentsAbove(text: string, node: Node): number {
  let at = lineStartOf(text, node.startIndex);
  while (at > 0) {
    const above = lineStartOf(text, at - 1);
    if (!/^[ \t]*#/.test(text.slice(above, at))) break;
    at = above;
  }
  return at;
}

/** isort's order of imported names (order_by_type): CONSTANTS, then Classes, then the rest, each by name. */
function nameKey(name: string): string {
  const type = name.length > 1 && name === name.toUpperCase() && /[A-Z]/.test(name) ? 0 : /^[A-Z]/.test(name) ? 1 : 2;
  return `${type}${name.toLowerCase()}`;
}

/**
 * `name` added to a `from m import ...` statement's names: in order where they are in order (else
 * last), on a line of its own where each name has one.
 */
function mergeName(ctx: RuleContext, names: Node[], name: string): Edit {
  const { text, eol } = ctx.file;
  const imported = (n: Node) => (n.type === 'aliased_import' ? (n.childForFieldName('name')?.text ?? n.text) : n.text);
  const keys = names.map(n => nameKey(imported(n)));
  const inOrder = keys.every((k, i) => i === 0 || (keys[i - 1] ?? '') <= k);
  const next = inOrder ? names.find((_, i) => (keys[i] ?? '') > nameKey(name)) : undefined;
  // `import (` and a line per name after it (black's and isort's layout once the names are too long)
  const perLine = names.every((n, i) => n.startPosition.row !== (i === 0 ? n.parent : names[i - 1])?.startPosition.row);
  const last = names[names.length - 1] as Node;
  if (!perLine) return next ? Edit.insert(next.startIndex, `${name}, `) : Edit.insert(last.endIndex, `, ${name}`);
  if (next) return Edit.insert(next.startIndex, `${name},${eol}${indentOf(text, next.startIndex)}`);
  const comma = /^[ \t]*,/.exec(text.slice(last.endIndex));
  return comma
    ? Edit.insert(last.endIndex + comma[0].length, `${eol}${indentOf(text, last.startIndex)}${name},`)
    : Edit.insert(last.endIndex, `,${eol}${indentOf(text, last.startIndex)}${name}`);
}
