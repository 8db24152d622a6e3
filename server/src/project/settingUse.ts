// Who reads a setting while the tests run, and whether any test does so without giving it a value first:
// the later test a leaked setting would change. A text search picks the files; the syntax tree decides.
import * as path from 'path';
import { escapeRegExp } from '../syntax/text';
import { constantText, defName, isConstant, parameterNames, stringValue, walk } from '../syntax/nodes';
import { nodesOfTypes, type Node } from '../syntax/parser';
import { settingWrite } from '../analysis/testing';
import { Definitions } from '../analysis/defs';
import { Names } from '../analysis/names';
import type { SettingUse } from '../analysis/projectView';

export type { SettingUse };

export interface SourceFile {
  file: string;
  root: Node;
}

/** Where the project's own code names `name`: at runtime, by which top-level definitions, or at import. */
export function projectReaders(
  files: readonly SourceFile[],
  name: string,
): { runtime: Map<string, Definition[]>; atImport: boolean; defined: boolean; defaultWhereUnset: string | null } {
  const runtime = new Map<string, Definition[]>();
  let atImport = false;
  let defined = false;
  // the constant every reading gives where the setting is unset (`getattr(settings, "NAME", False)`), while
  // each one is such a reading
  const defaults = new Set<string | null>();
  for (const { file, root } of files) {
    let defines = false;
    let imports = false;
    walk(
      root,
      node => {
        if (!names(node, name)) return;
        if (isTopLevelDefinition(node, root)) defines = true;
        else {
          defaults.add(getattrDefault(node));
          const entry = runtimeEntry(node, root);
          if (entry) {
            const at = { file, start: entry.startIndex, end: entry.endIndex };
            const known = runtime.get(defName(entry)) ?? [];
            if (!known.some(d => d.file === file && d.start === at.start)) runtime.set(defName(entry), [...known, at]);
          } else imports = true;
        }
        return false;
      },
      NAMING,
    );
    defined ||= defines;
    // the settings module's own top level (`X = env("X")`) computes the value, it does not read the setting
    atImport ||= imports && !defines;
  }
  const [only] = defaults.size === 1 ? defaults : [null];
  return { runtime, atImport, defined, defaultWhereUnset: defined ? null : (only ?? null) };
}

/**
 * `getattr(x, "NAME", <constant>)` with `node` its name, or the project's own getter of settings
 * (`get_custom_setting("NAME", True)`, `get_setting("NAME", default=True)`: a function named for settings
 * or configuration, given the name and a constant): the constant, as `constantText` writes it
 */
function getattrDefault(node: Node): string | null {
  const args = node.parent;
  const call = args?.parent;
  if (node.type !== 'string' || args?.type !== 'argument_list' || call?.type !== 'call') return null;
  const callee = call.childForFieldName('function')?.text ?? '';
  const given = args.namedChildren.filter((a): a is Node => !!a);
  if (callee === 'getattr') {
    const [, named, fallback, ...rest] = given;
    return named?.id === node.id && fallback && rest.length === 0 && isConstant(fallback)
      ? constantText(fallback)
      : null;
  }
  if (!SETTING_GETTER.test(callee)) return null;
  const [named, fallback, ...rest] = given;
  const value =
    fallback?.type === 'keyword_argument'
      ? fallback.childForFieldName('name')?.text === 'default' && fallback.childForFieldName('value')
      : fallback;
  return named?.id === node.id && value && rest.length === 0 && isConstant(value) ? constantText(value) : null;
}
/** a function named for reading settings: `get_custom_setting`, `get_setting`, `utils.get_config` */
const SETTING_GETTER = /(?:^|\.)get_?\w*(?:setting|conf)\w*$/i;
const NAMING = new Set(['attribute', 'string', 'identifier', 'keyword_argument']);

/** `x.NAME`, `"NAME"` (getattr, a dict key), `NAME` itself; not `NAME=` as a keyword (that sets it) */
function names(node: Node, name: string): boolean {
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text === name;
  if (node.type === 'string') return stringValue(node) === name;
  if (node.type === 'identifier') return node.text === name && node.parent?.type !== 'attribute';
  return false;
}

/**
 * `NAME = ...` at a module's or a class's top level: the settings giving it a value (django-configurations'
 * classes too)
 */
function isTopLevelDefinition(node: Node, root: Node): boolean {
  const assignment = node.parent;
  const statement = assignment?.parent;
  const scope = statement?.parent;
  return (
    node.type === 'identifier' &&
    assignment?.type === 'assignment' &&
    assignment.childForFieldName('left')?.id === node.id &&
    statement?.type === 'expression_statement' &&
    (scope?.id === root.id || (scope?.type === 'block' && scope.parent?.type === 'class_definition'))
  );
}

/**
 * The top-level function or class whose function body holds `node` (it runs when called), or null when
 * `node` runs at import: the module's or a class's top level, a decorator, a default argument.
 */
function runtimeEntry(node: Node, root: Node): Node | null {
  let inBody = false;
  let entry: Node | null = null;
  for (let n: Node | null = node; n && n.id !== root.id; n = n.parent) {
    const parent = n.parent;
    if (parent?.type === 'function_definition' && parent.childForFieldName('body')?.id === n.id) inBody = true;
    if (parent?.id === root.id || (parent?.type === 'decorated_definition' && parent.parent?.id === root.id))
      entry = n.type === 'decorated_definition' ? n.childForFieldName('definition') : n;
  }
  if (!inBody || !entry) return null;
  return entry.type === 'function_definition' || entry.type === 'class_definition' ? entry : null;
}

/** Where a top-level function or class is defined: its file and offsets. */
export interface Definition {
  file: string;
  start: number;
  end: number;
}

/**
 * Whether code of the project other than `name`'s own definitions names it, besides imports and class
 * bases: another function calls it (`getPermissions` from the views), so tests reach it without naming it.
 */
export function calledElsewhere(
  files: readonly { file: string; text: string }[],
  name: string,
  defs: readonly Definition[],
): boolean {
  return namingPlaces(files, name, defs).length > 0;
}

/**
 * Where code of the project other than `name`'s own definitions names it, besides imports, class lines
 * and `def` lines: each file with the offsets of the names.
 */
export function namingPlaces(
  files: readonly { file: string; text: string }[],
  name: string,
  defs: readonly Definition[],
): { file: string; text: string; at: number[] }[] {
  const word = new RegExp(`\\b${escapeRegExp(name)}\\b`, 'g');
  const out = [];
  for (const { file, text } of files) {
    let rest = text;
    // its own definitions (a recursive call is not another caller), blanked to keep offsets
    for (const d of defs)
      if (d.file === file) rest = rest.slice(0, d.start) + ' '.repeat(d.end - d.start) + rest.slice(d.end);
    // (and another module's function of that name: edX plugins' `def plugin_settings` in each settings module)
    rest = rest
      .replace(IMPORTS, m => ' '.repeat(m.length))
      .replace(CLASS_LINES, m => ' '.repeat(m.length))
      .replace(DEF_NAMES, m => ' '.repeat(m.length))
      .replace(COMMENTS, (_, code: string, comment: string) => code + ' '.repeat(comment.length));
    const at = [...rest.matchAll(word)].map(m => m.index);
    if (at.length) out.push({ file, text, at });
  }
  return out;
}

/**
 * The top-level function or class of `text` whose body holds offset `at`, read by indentation, and where
 * it is; null for a place at the module's top level (a statement, a list of URL patterns).
 */
export function enclosingTopLevel(text: string, at: number): { name: string; def: Definition } | null {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  if (!/[ \t]/.test(text.charAt(lineStart))) return null;
  let last: RegExpExecArray | null = null;
  TOP_LEVEL_LINE.lastIndex = 0;
  for (let m; (m = TOP_LEVEL_LINE.exec(text)) && m.index < lineStart;) {
    last = m;
    if (m[0] === '') TOP_LEVEL_LINE.lastIndex++;
  }
  const name = last?.[1] ?? last?.[2];
  if (!last || !name) return null;
  TOP_LEVEL_LINE.lastIndex = lineStart;
  const next = TOP_LEVEL_LINE.exec(text);
  return { name, def: { file: '', start: last.index, end: next ? next.index : text.length } };
}
/**
 * a line of code at a module's top level: a definition (its name captured) or another statement (not a
 * decorator, a comment, or the bracket closing a definition's parameters)
 */
const TOP_LEVEL_LINE = /^(?:(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)|(?=[^ \t#@\r\n)\]}]))/gm;

const IMPORTS = /^[ \t]*(?:from\s+[\w.]+\s+import\s*\([^)]*\)|from\s+[\w.]+\s+import\b[^\n]*|import\b[^\n]*)/gm;
const CLASS_LINES = /^[ \t]*class\s+\w+\s*\([^)]*\)\s*:/gm;
const DEF_NAMES = /^[ \t]*(?:async\s+)?def\s+\w+/gm;
/** a comment, where no quote comes before it on its line (one that may be in a string is left) */
const COMMENTS = /^([^'"#\n]*)(#[^\n]*)/gm;

/**
 * The classes of the project deriving from one of `classes` (one level: `class Board(CommandBase)`), by
 * name: a test that names the subclass reaches the base's methods.
 */
export function subclassNames(texts: readonly string[], classes: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  if (classes.size === 0) return out;
  const bases = [...classes].map(escapeRegExp).join('|');
  const pattern = new RegExp(`^[ \\t]*class\\s+(\\w+)\\s*\\([^)]*\\b(?:${bases})\\b`, 'gm');
  for (const text of texts) for (const m of text.matchAll(pattern)) if (m[1]) out.add(m[1]);
  return out;
}

/** A test module or conftest.py, parsed, with its path. */
export interface TestSource extends SourceFile {
  text: string;
  /** its dotted module name, which names its tests in unsetReaders */
  module: string;
}

/**
 * The tests that read `name`, or name one of `entries` (the project's functions and classes reading it),
 * without setting it first; and the entries no test names.
 */
export function unsetReaders(
  tests: readonly TestSource[],
  name: string,
  entries: ReadonlySet<string>,
  shared: ReadonlyMap<string, readonly string[]> = new Map(),
  requesters: ReadonlySet<string> = new Set(),
): { readers: string[]; unnamed: Set<string> } {
  const sets = settingWrite(name);
  const words = [name, ...entries].map(escapeRegExp).join('|');
  const reads = new RegExp(`\\b(?:${words})\\b`, 'g');
  // fixtures that set it (by name), and autouse ones (by the directory or file they cover)
  const setters = new Set<string>();
  const autouse: string[] = [];
  for (const t of tests)
    for (const fn of nodesOfTypes(t.root, DEFS)) {
      const marks = decorators(fn);
      if (!/\bfixture\b/.test(marks) || !sets.test(fn.text)) continue;
      setters.add(defName(fn));
      if (/\bautouse\s*=\s*True\b/.test(marks))
        autouse.push(path.basename(t.file) === 'conftest.py' ? path.dirname(t.file) + path.sep : t.file);
    }
  const readers: string[] = [];
  const unnamed = new Set(entries);
  for (const t of tests) {
    if (autouse.some(a => t.file === a || t.file.startsWith(a))) {
      for (const m of t.text.matchAll(reads)) unnamed.delete(m[0]);
      continue;
    }
    // (the module's names, read only where a name is shared)
    let names: Names | undefined;
    const through = (fn: Node, at: number, modules: readonly string[]) =>
      reachedThrough((names ??= new Names(t.root, new Definitions(t.root.tree), t.module)), fn, at, modules);
    for (const fn of nodesOfTypes(t.root, DEFS)) {
      if (!defName(fn).startsWith('test')) continue;
      const named = [...fn.text.matchAll(reads)]
        .filter(m => !shared.has(m[0]) || through(fn, m.index, shared.get(m[0]) ?? []))
        .map(m => m[0]);
      const id = `${t.module}::${qualifiedName(fn)}`;
      if (named.length === 0 && !requesters.has(id)) continue;
      for (const w of named) unnamed.delete(w);
      if (!settingItFirst(fn, sets, setters)) readers.push(id);
    }
  }
  return { readers, unnamed };
}

const DEFS = ['function_definition'];

/**
 * The tests that request a view through a string `requests` accepts (a path, a route's name for
 * `reverse`), as `module::Class.test`: the test whose body holds it; every test of the class whose setUp,
 * helper or attribute holds it; every test of the module where its top level or a helper function does.
 * Null where the string is where tests elsewhere reach it: a class with no tests of its own (a base), a
 * class another test class derives from, a conftest.py.
 */
export function routeRequesters(
  tests: readonly TestSource[],
  requests: (text: string) => boolean,
): { ids: Set<string>; files: Set<string> } | null {
  const ids = new Set<string>();
  const files = new Set<string>();
  const texts = tests.map(t => t.text);
  for (const t of tests) {
    const testsIn = (scope: Node) =>
      nodesOfTypes(scope, DEFS)
        .filter(fn => defName(fn).startsWith('test'))
        .map(fn => `${t.module}::${qualifiedName(fn)}`);
    for (const s of nodesOfTypes(t.root, ['string'])) {
      if (!requests(literalText(s))) continue;
      if (path.basename(t.file) === 'conftest.py') return null;
      files.add(t.file);
      let fn: Node | null = null;
      let cls: Node | null = null;
      for (let n = s.parent; n; n = n.parent)
        if (n.type === 'function_definition') fn ??= n;
        else if (n.type === 'class_definition') cls = n;
      if (fn && defName(fn).startsWith('test')) ids.add(`${t.module}::${qualifiedName(fn)}`);
      else if (cls) {
        const own = testsIn(cls);
        if (own.length === 0 || subclassNames(texts, new Set([defName(cls)])).size > 0) return null;
        for (const id of own) ids.add(id);
      } else for (const id of testsIn(t.root)) ids.add(id);
    }
  }
  return { ids, files };
}

/** A string literal's text between its quotes, an f-string's holes standing for an id (`1`). */
function literalText(s: Node): string {
  return s.text
    .replace(/^[a-zA-Z]*("""|'''|"|')/, '')
    .replace(/("""|'''|"|')$/, '')
    .replace(/\{[^{}]*\}/g, '1');
}

/**
 * Of the functions and classes reading the setting, those whose name another module of the project
 * defines too (edX plugins' `plugin_settings` in common.py, devstack.py and production.py, one of them
 * reading it), with the dotted modules of the ones reading it: a test names such a one only through them.
 */
export function sharedNames(
  files: readonly { file: string; text: string }[],
  runtime: ReadonlyMap<string, readonly Definition[]>,
  moduleOf: (file: string) => string,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [entry, defs] of runtime) {
    const defines = new RegExp(`^(?:async\\s+def|def|class)\\s+${escapeRegExp(entry)}\\b`, 'm');
    const readers = new Set(defs.map(d => d.file));
    if (files.some(f => !readers.has(f.file) && defines.test(f.text)))
      out.set(
        entry,
        [...readers].map(f => moduleOf(f)),
      );
  }
  return out;
}

/**
 * Whether the name at `at` in test `fn` is one of `modules`' own, as the test module's imports resolve it:
 * `production_settings.plugin_settings` with `from app.settings import production as production_settings`,
 * or a bare name imported from one of them.
 */
function reachedThrough(names: Names, fn: Node, at: number, modules: readonly string[]): boolean {
  let node = fn.descendantForIndex(fn.startIndex + at);
  if (node?.parent?.type === 'attribute' && node.parent.childForFieldName('attribute')?.id === node.id)
    node = node.parent;
  const q = node ? names.resolve(node) : undefined;
  const module = q?.slice(0, q.lastIndexOf('.'));
  return !!module && modules.some(m => m === module || m.endsWith(`.${module}`) || module.endsWith(`.${m}`));
}

/** A definition with its decorators: the `decorated_definition` around it, when there is one. */
function withDecorators(def: Node): Node {
  return def.parent?.type === 'decorated_definition' ? def.parent : def;
}

/** The text of a definition's decorators, one per line ('' without any). */
function decorators(def: Node): string {
  const whole = withDecorators(def);
  return whole === def
    ? ''
    : whole.namedChildren
        .filter(c => c?.type === 'decorator')
        .map(c => c?.text)
        .join('\n');
}

/** The class a method is defined in (through its decorators), or null for a function. */
function enclosingClass(fn: Node): Node | null {
  const cls = withDecorators(fn).parent?.parent;
  return cls?.type === 'class_definition' ? cls : null;
}

/**
 * Whether the test gives the setting a value before anything in it runs: in its body or decorators, its
 * class's decorators or setup hooks, or a fixture it requests.
 */
function settingItFirst(fn: Node, sets: RegExp, setters: ReadonlySet<string>): boolean {
  if (sets.test(withDecorators(fn).text)) return true;
  const uses = parameterNames(fn).concat([...decorators(fn).matchAll(/["'](\w+)["']/g)].map(m => m[1] ?? ''));
  if (uses.some(u => setters.has(u))) return true;
  const cls = enclosingClass(fn);
  if (!cls) return false;
  if (sets.test(decorators(cls))) return true;
  return nodesOfTypes(cls, DEFS).some(
    m => /^(setUp|setUpClass|setUpTestData|setup_method|setup_class|setup)$/.test(defName(m)) && sets.test(m.text),
  );
}

/** `Class.test_x` for a method, `test_x` for a function */
function qualifiedName(fn: Node): string {
  const cls = enclosingClass(fn);
  return cls ? `${defName(cls)}.${defName(fn)}` : defName(fn);
}
