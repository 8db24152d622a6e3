// A static reading of Python settings modules: module-level statements evaluated in order, the way
// Django's import of the settings module would run them, as far as that can be done without running
// anything. Literals, names, star imports and settings packages, django-split-settings' include(),
// environment lookups (os.environ, django-environ, django-cache-url, django-configurations' values)
// against the environment the test run sets, in-place updates, and branches on "test" in sys.argv.
// Whatever cannot be read is an `unknown` value carrying the reason: never a guess.
import * as path from 'path';
import type { Located } from '../analysis/projectView';
import { definitionOf, stringValue } from '../syntax/nodes';
import type { Node } from '../syntax/parser';

/** a write to the module's names through globals(): `globals()[name] = v`, `globals().update(...)` */
const GLOBALS_WRITE = /\bglobals\(\)\s*(?:\[[^\]]*\]\s*=[^=]|\.update\s*\(|\.setdefault\s*\()/;

export type Value =
  /** `via`: where an environment lookup took it from (the variable as the run sets it, or its default) */
  | { kind: 'str'; value: string; at?: Located; via?: string }
  | { kind: 'num'; value: number; at?: Located }
  | { kind: 'bool'; value: boolean; at?: Located }
  | { kind: 'none'; at?: Located }
  | { kind: 'dict'; entries: Map<string, Value>; at?: Located }
  | { kind: 'list'; items: Value[]; at?: Located }
  /** something outside the project, by qualified name: `os.environ`, `environ.Env` */
  | { kind: 'ref'; name: string; at?: Located }
  /** a django-environ `Env` object, with the defaults its scheme gives */
  | { kind: 'env'; scheme: Map<string, Value>; at?: Located }
  /** django-configurations' `values.CacheURLValue(default)`: read from DJANGO_<NAME>, else the default */
  | { kind: 'configurable'; valueClass: string; fallback?: Value; environName?: string; prefix: string; at?: Located }
  /** a function of the settings module: a call runs its body (settings built by a helper) */
  | { kind: 'function'; node: Node; file: string; module: string; at?: Located }
  /** a class defined in the project (django-configurations reads settings from one) */
  | { kind: 'class'; node: Node; file: string; module: string; at?: Located }
  | { kind: 'unknown'; reason: string; at?: Located };

export type Namespace = Map<string, Value>;

/** A variable of the environment the test run sets, and where it is set. */
export interface EnvVar {
  value: string;
  at: Located;
}

/** What the evaluator needs of the project: its modules' files and syntax. */
export interface Sources {
  /** the file of a module of the project (`pkg.settings.base`), or null */
  moduleFile(module: string): string | null;
  /** a file's module-level syntax (the root node), or null when missing or unreadable */
  parseFile(file: string): Node | null;
  /** the files a glob relative to `dir` names, sorted (django-split-settings), or [] */
  glob(dir: string, pattern: string): string[];
}

const unknown = (reason: string, at?: Located): Value => ({ kind: 'unknown', reason, at });

/** pathlib methods that give the same path back, absolute (a path is held as its text) */
const PATH_METHODS = new Set(['resolve', 'absolute', 'expanduser']);
const NOWHERE: Located = { file: '', line: 0, character: 0 };

/**
 * django-environ's and django-cache-url's URL schemes, to the backend they configure. Redis maps to
 * django-redis, django-environ's choice whenever django-redis is installed (it is, where Redis is
 * used through these libraries).
 */
const CACHE_SCHEMES: Record<string, string> = {
  dbcache: 'django.core.cache.backends.db.DatabaseCache',
  db: 'django.core.cache.backends.db.DatabaseCache',
  dummycache: 'django.core.cache.backends.dummy.DummyCache',
  dummy: 'django.core.cache.backends.dummy.DummyCache',
  filecache: 'django.core.cache.backends.filebased.FileBasedCache',
  file: 'django.core.cache.backends.filebased.FileBasedCache',
  locmemcache: 'django.core.cache.backends.locmem.LocMemCache',
  locmem: 'django.core.cache.backends.locmem.LocMemCache',
  memcache: 'django.core.cache.backends.memcached.MemcachedCache',
  memcached: 'django.core.cache.backends.memcached.MemcachedCache',
  pymemcache: 'django.core.cache.backends.memcached.PyMemcacheCache',
  pymemcached: 'django.core.cache.backends.memcached.PyMemcacheCache',
  pylibmc: 'django.core.cache.backends.memcached.PyLibMCCache',
  djangopylibmc: 'django.core.cache.backends.memcached.PyLibMCCache',
  rediscache: 'django_redis.cache.RedisCache',
  redis: 'django_redis.cache.RedisCache',
  rediss: 'django_redis.cache.RedisCache',
  hiredis: 'django_redis.cache.RedisCache',
};

/** A cache URL as django-environ parses it: `{BACKEND, LOCATION}`. */
export function cacheFromUrl(url: string, at?: Located, via?: string): Value {
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  const backend = scheme ? CACHE_SCHEMES[scheme] : undefined;
  if (!backend) return unknown(`cache URL ${JSON.stringify(url)} has no scheme Crosstalk knows`, at);
  const location = url.slice((scheme?.length ?? 0) + 3);
  const entries = new Map<string, Value>([
    ['BACKEND', { kind: 'str', value: backend, at, via: via ? `from the cache URL ${via}` : undefined }],
    ['LOCATION', { kind: 'str', value: /^redis|^hiredis/.test(scheme ?? '') ? url : location, at }],
  ]);
  return { kind: 'dict', entries, at };
}

/** Truthiness as Python has it, or null when it cannot be known. */
export function truthy(v: Value): boolean | null {
  switch (v.kind) {
    case 'str':
      return v.value !== '';
    case 'num':
      return v.value !== 0;
    case 'bool':
      return v.value;
    case 'none':
      return false;
    case 'dict':
      return v.entries.size > 0;
    case 'list':
      return v.items.length > 0;
    case 'unknown':
    case 'ref':
      return null;
    default:
      return true;
  }
}

/** django-environ's typed readers of one variable (`env.str("X")`, `env("X")` is `__call__`). */
const ENV_CASTS = new Set(['__call__', 'str', 'bool', 'int', 'float', 'list', 'tuple', 'json', 'url', 'path', 'dict']);

/** django-environ's bool(): these strings are true. */
const TRUE_STRINGS = new Set(['true', 'on', 'ok', 'y', 'yes', '1']);

function deepCopy(v: Value): Value {
  if (v.kind === 'dict') return { ...v, entries: new Map([...v.entries].map(([k, e]) => [k, deepCopy(e)])) };
  if (v.kind === 'list') return { ...v, items: v.items.map(deepCopy) };
  return v;
}

function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'str':
    case 'num':
    case 'bool':
      return a.value === (b as typeof a).value;
    case 'none':
      return true;
    case 'ref':
      return a.name === (b as typeof a).name;
    case 'dict': {
      const e = (b as typeof a).entries;
      return a.entries.size === e.size && [...a.entries].every(([k, v]) => e.has(k) && sameValue(v, e.get(k) as Value));
    }
    case 'list': {
      const items = (b as typeof a).items;
      return a.items.length === items.length && a.items.every((v, i) => sameValue(v, items[i] as Value));
    }
    default:
      return false;
  }
}

/** After a branch that cannot be decided: a name both branches leave alike keeps its value; else unknown. */
function merge(a: Value | undefined, b: Value | undefined, why: string, at?: Located): Value | undefined {
  if (a === undefined && b === undefined) return undefined;
  if (a && b && sameValue(a, b)) return a;
  if (a?.kind === 'dict' && b?.kind === 'dict') {
    const entries = new Map<string, Value>();
    for (const k of new Set([...a.entries.keys(), ...b.entries.keys()])) {
      const m = merge(a.entries.get(k), b.entries.get(k), why, at);
      if (m) entries.set(k, m);
    }
    return { kind: 'dict', entries, at: a.at };
  }
  return unknown(why, a?.at ?? b?.at ?? at);
}

export class Evaluator {
  /** modules evaluated so far (a module's namespace does not depend on who imports it) */
  private readonly modules = new Map<string, Namespace | null>();
  private readonly evaluating = new Set<string>();
  /** the namespaces of modules being evaluated, as they are so far (a helper called mid-module reads them) */
  private readonly live = new Map<string, Namespace>();
  /** how deep in settings helpers' calls the evaluation is */
  private depth = 0;

  /** `sys.argv` of the test run: pytest's own arguments, or `manage.py test` */
  private readonly argv: Value;
  /**
   * Per file, the ranges (start, end offsets) of branches at module or class level that the test
   * run does not take (`if not TESTING:`): what is written there is not the run's configuration.
   */
  readonly unreached = new Map<string, [number, number][]>();
  /** absolute directories the settings put on sys.path (`sys.path.append(os.path.join(BASE_DIR, "apps"))`) */
  readonly syspath: string[] = [];

  private skip(node: Node | null | undefined, s: Scope): void {
    if (!node || s.ret) return; // in a function, another call may take the branch
    const list = this.unreached.get(s.file) ?? [];
    list.push([node.startIndex, node.endIndex]);
    this.unreached.set(s.file, list);
  }

  constructor(
    private readonly sources: Sources,
    /** the environment the test run sets (pytest-env, tox), over which lookups are read */
    private readonly env: ReadonlyMap<string, EnvVar>,
    /** the command that runs the tests: settings branch on what it puts in sys.argv and sys.modules */
    private readonly runner: 'pytest' | 'django' | 'runtests',
  ) {
    const words = runner === 'pytest' ? ['pytest'] : runner === 'django' ? ['manage.py', 'test'] : ['runtests.py'];
    this.argv = { kind: 'list', items: words.map(value => ({ kind: 'str', value })) };
  }

  /** A module's namespace after running it; null when the module is not in the project. */
  module(name: string): Namespace | null {
    const known = this.modules.get(name);
    if (known !== undefined) return known;
    const file = this.sources.moduleFile(name);
    if (!file || this.evaluating.has(name)) return null; // circular imports read once
    this.evaluating.add(name);
    const ns: Namespace = new Map();
    this.live.set(name, ns);
    this.runFile(file, name, ns);
    this.live.delete(name);
    this.evaluating.delete(name);
    this.modules.set(name, ns);
    return ns;
  }

  /** Runs a file's statements into `ns` (a module, or a file split-settings includes into one). */
  runFile(file: string, module: string, ns: Namespace): void {
    const root = this.sources.parseFile(file);
    if (!root) {
      ns.set('__error__', unknown(`${path.basename(file)} could not be read`));
      return;
    }
    this.block(root.namedChildren, { file, module, ns });
  }

  /** The attributes of a class (django-configurations), its project bases' first. */
  classAttributes(cls: Value & { kind: 'class' }, seen = new Set<number>()): Namespace {
    const ns: Namespace = new Map();
    if (seen.has(cls.node.id)) return ns;
    seen.add(cls.node.id);
    const scope = { file: cls.file, module: cls.module, ns: this.module(cls.module) ?? new Map() };
    for (const base of cls.node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!base || base.type === 'keyword_argument' || base.type === 'comment') continue;
      const b = this.expr(base, scope);
      if (b.kind === 'class') for (const [k, v] of this.classAttributes(b, seen)) ns.set(k, v);
    }
    const body = cls.node.childForFieldName('body');
    if (body) this.block(body.namedChildren, { ...scope, ns, attributes: true });
    return ns;
  }

  /**
   * A configuration class's settings: its attributes (its bases' first), with each setting it computes
   * in a property (`@classmethod @property def CACHES(cls): return {...}`, env_config) read as the
   * property returns it for this class.
   */
  configurationSettings(cls: Value & { kind: 'class' }): Namespace {
    const ns = this.classAttributes(cls);
    for (const [name, value] of ns) {
      if (value.kind !== 'function' || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
      const decorated = value.node.parent?.type === 'decorated_definition' ? value.node.parent : null;
      if (!decorated || !/^\s*@(?:\w+\.)?(?:cached_)?property\b/m.test(decorated.text)) continue;
      ns.set(name, this.callFunction(value, [cls], new Map(), value.at ?? NOWHERE));
    }
    return ns;
  }

  /** `settings.configure(CACHES=..., ...)`: its keyword arguments are the settings. */
  configureArguments(call: Node, file: string): Namespace {
    const ns: Namespace = new Map();
    const scope: Scope = { file, module: '__configure__', ns: new Map() };
    // the names the call's file binds before it (a dict built above the call)
    const root = this.sources.parseFile(file);
    if (root) {
      for (const stmt of root.namedChildren) {
        if (!stmt || stmt.startIndex >= call.startIndex) break;
        if (stmt.type !== 'function_definition' && stmt.type !== 'decorated_definition') this.statement(stmt, scope);
      }
    }
    for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) {
      if (a?.type !== 'keyword_argument') continue;
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) ns.set(name, this.expr(value, scope));
    }
    return ns;
  }

  /** A project class by dotted name (`pkg.mod.Class`), or null when it is not one. */
  classNamed(dotted: string): (Value & { kind: 'class' }) | null {
    const dot = dotted.lastIndexOf('.');
    if (dot <= 0) return null;
    const v = this.module(dotted.slice(0, dot))?.get(dotted.slice(dot + 1));
    return v?.kind === 'class' ? v : null;
  }

  /** The dotted names of a project class's bases (project classes and outside ones alike), or null. */
  classBases(dotted: string): string[] | null {
    const cls = this.classNamed(dotted);
    if (!cls) return null;
    const scope: Scope = { file: cls.file, module: cls.module, ns: this.module(cls.module) ?? new Map() };
    const out: string[] = [];
    for (const base of cls.node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!base || base.type === 'keyword_argument' || base.type === 'comment') continue;
      const b = this.expr(base, scope);
      if (b.kind === 'ref') out.push(b.name);
      else if (b.kind === 'class') out.push(`${b.module}.${b.node.childForFieldName('name')?.text ?? ''}`);
    }
    return out;
  }

  /** A project class's attributes by dotted name, or null when it is not a project class. */
  classAttributesOf(dotted: string): Namespace | null {
    const cls = this.classNamed(dotted);
    return cls ? this.classAttributes(cls) : null;
  }

  /** The outside classes a project class instantiates in its body (a backend wrapping LocMemCache). */
  classInstantiates(dotted: string): string[] {
    const cls = this.classNamed(dotted);
    if (!cls) return [];
    const scope: Scope = { file: cls.file, module: cls.module, ns: this.module(cls.module) ?? new Map() };
    const out = new Set<string>();
    const visit = (node: Node) => {
      for (const c of node.namedChildren) {
        if (!c) continue;
        if (c.type === 'call') {
          const fn = c.childForFieldName('function');
          const v = fn && (fn.type === 'identifier' || fn.type === 'attribute') ? this.expr(fn, scope) : null;
          if (v?.kind === 'ref') out.add(v.name);
        }
        visit(c);
      }
    };
    const body = cls.node.childForFieldName('body');
    if (body) visit(body);
    return [...out];
  }

  /** The attributes of every AppConfig subclass a module defines (an app's apps.py). */
  appConfigsIn(module: string): Namespace[] {
    const ns = this.module(module);
    if (!ns) return [];
    const out: Namespace[] = [];
    for (const [name, v] of ns) {
      if (v.kind !== 'class' || v.module !== module) continue;
      const bases = this.classBases(`${module}.${name}`) ?? [];
      if (bases.some(b => /(^|\.)AppConfig$/.test(b))) out.push(this.classAttributes(v));
    }
    return out;
  }

  // ---- statements ----

  private block(statements: readonly (Node | null)[], s: Scope): void {
    for (const stmt of statements) {
      if (s.ret?.value !== undefined) return; // returned
      if (stmt) this.statement(stmt, s);
    }
  }

  private statement(stmt: Node, s: Scope): void {
    switch (stmt.type) {
      case 'expression_statement': {
        const e = stmt.firstNamedChild;
        if (!e) return;
        // names set through globals() (`globals()[name] = ...`, `globals().update(...)`, or by a function of
        // the module that does: bk-audit's `load_settings(module_path)` copying a module's names in): any
        // setting may come from there
        if (!s.ns.has('__star__') && (GLOBALS_WRITE.test(e.text) || this.writesGlobals(e, s)))
          s.ns.set('__star__', unknown(`names set through globals() (${e.text.slice(0, 60)})`, this.at(e, s)));
        if (e.type === 'assignment') this.assign(e, s);
        else if (e.type === 'augmented_assignment') this.augment(e, s);
        else if (e.type === 'call') this.call(e, s, true);
        return;
      }
      case 'import_statement':
        for (const n of stmt.childrenForFieldName('name')) {
          if (!n) continue;
          if (n.type === 'aliased_import') {
            const name = n.childForFieldName('name')?.text ?? '';
            const alias = n.childForFieldName('alias')?.text ?? name;
            s.ns.set(alias, this.importValue(name));
          } else {
            const top = n.text.split('.')[0] ?? n.text;
            s.ns.set(top, this.importValue(top));
          }
        }
        return;
      case 'import_from_statement':
        return this.importFrom(stmt, s);
      case 'if_statement':
        return this.ifStatement(stmt, s);
      case 'try_statement':
        return this.tryStatement(stmt, s);
      case 'with_statement': {
        const body = stmt.childForFieldName('body');
        if (body) this.block(body.namedChildren, s);
        return;
      }
      case 'for_statement':
      case 'while_statement':
        return this.loop(stmt, s);
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition': {
        const def = definitionOf(stmt);
        const name = def.childForFieldName('name')?.text;
        if (!name) return;
        if (def.type === 'class_definition') {
          s.ns.set(name, { kind: 'class', node: def, file: s.file, module: s.module, at: this.at(def, s) });
        } else {
          s.ns.set(name, { kind: 'function', node: def, file: s.file, module: s.module, at: this.at(def, s) });
        }
        return;
      }
      case 'delete_statement':
        for (const target of stmt.namedChildren) if (target) this.deleteTarget(target, s);
        return;
      case 'return_statement':
        if (s.ret) {
          const e = stmt.namedChildren.find(c => c?.type !== 'comment');
          s.ret.value = e ? this.expr(e, s) : { kind: 'none' };
        }
        return;
      default:
        return;
    }
  }

  /** `e` calls a function of the module that writes the module's names through globals(). */
  private writesGlobals(e: Node, s: Scope): boolean {
    const callee = e.type === 'call' ? e.childForFieldName('function') : null;
    const fn = callee?.type === 'identifier' ? s.ns.get(callee.text) : undefined;
    return fn?.kind === 'function' && GLOBALS_WRITE.test(fn.node.text);
  }

  /** A settings helper's return value: its body run with its arguments, in a scope of its own. */
  private callFunction(
    fn: Value & { kind: 'function' },
    args: Value[],
    keywords: Map<string, Value>,
    at: Located,
  ): Value {
    if (this.depth >= 4)
      return unknown(`computed by ${fn.node.childForFieldName('name')?.text}() (calls too deep)`, at);
    const ns: Namespace = new Map(this.live.get(fn.module) ?? this.module(fn.module) ?? []);
    const scope: Scope = { file: fn.file, module: fn.module, ns, ret: { value: undefined } };
    let i = 0;
    const named = new Set<string>();
    for (const p of fn.node.childForFieldName('parameters')?.namedChildren ?? []) {
      if (!p) continue;
      const name = (
        p.type === 'identifier'
          ? p
          : (p.childForFieldName('name') ?? p.namedChildren.find(c => c?.type === 'identifier'))
      )?.text;
      if (!name) continue;
      named.add(name);
      // `**overrides`: the keywords no other parameter took (openverse's `_make_cache_config(0)`)
      if (p.type === 'dictionary_splat_pattern') {
        const rest = [...keywords].filter(([k]) => !named.has(k));
        ns.set(name, { kind: 'dict', entries: new Map(rest), at });
        continue;
      }
      const given = keywords.get(name) ?? (p.type.includes('splat') ? undefined : args[i++]);
      const fallback = p.childForFieldName('value');
      ns.set(name, given ?? (fallback ? this.expr(fallback, scope) : unknown(`argument ${name}`)));
    }
    this.depth++;
    try {
      const body = fn.node.childForFieldName('body');
      if (body) this.block(body.namedChildren, scope);
    } finally {
      this.depth--;
    }
    return scope.ret?.value ?? { kind: 'none', at };
  }

  private importValue(module: string): Value {
    return this.sources.moduleFile(module) ? unknown(`module ${module}`) : { kind: 'ref', name: module };
  }

  private importFrom(stmt: Node, s: Scope): void {
    const spec = stmt.childForFieldName('module_name')?.text ?? '';
    const from = absolute(spec, s.module, s.file);
    const star = stmt.namedChildren.some(c => c?.type === 'wildcard_import');
    const ns = from ? this.module(from) : null;
    if (star) {
      if (ns) {
        for (const [k, v] of ns) if (!k.startsWith('_')) s.ns.set(k, v);
      } else if (from && !/^(django|rest_framework)\b/.test(from)) {
        s.ns.set('__star__', unknown(`star import of ${from}, which is not in the project`, this.at(stmt, s)));
      }
      return;
    }
    for (const n of stmt.childrenForFieldName('name')) {
      if (!n) continue;
      const [nameNode, aliasNode] =
        n.type === 'aliased_import' ? [n.childForFieldName('name'), n.childForFieldName('alias')] : [n, n];
      if (!nameNode || !aliasNode) continue;
      const name = nameNode.text;
      const sub = from ? this.module(`${from}.${name}`) : null;
      const value: Value = ns?.has(name)
        ? (ns.get(name) as Value)
        : sub
          ? unknown(`module ${from}.${name}`)
          : from && !ns
            ? { kind: 'ref', name: `${from}.${name}` }
            : unknown(`${name} is not set in ${from}`, this.at(n, s));
      s.ns.set(aliasNode.text, value);
    }
  }

  private ifStatement(stmt: Node, s: Scope): void {
    const condition = stmt.childForFieldName('condition');
    const cond = condition ? truthy(this.expr(condition, s)) : null;
    const body = stmt.childForFieldName('consequence');
    const alternatives = stmt.childrenForFieldName('alternative').filter((a): a is Node => a !== null);
    if (cond === true) {
      if (body) this.block(body.namedChildren, s);
      for (const a of alternatives) this.skip(a, s);
      return;
    }
    if (cond === false) {
      this.skip(body, s);
      const [first, ...rest] = alternatives;
      if (!first) return;
      if (first.type === 'elif_clause') {
        // the elif as an if of its own, with what follows it
        this.elif(first, rest, s);
      } else {
        const b = first.childForFieldName('body');
        if (b) this.block(b.namedChildren, s);
      }
      return;
    }
    // Undecidable: run both ways and keep what they agree on.
    const why = `depends on ${condition?.text.slice(0, 60) ?? 'a condition'}`;
    const yes: Scope = { ...s, ns: copyNamespace(s.ns), ret: s.ret && { value: undefined } };
    if (body) this.block(body.namedChildren, yes);
    const no: Scope = { ...s, ns: copyNamespace(s.ns), ret: s.ret && { value: undefined } };
    const [first, ...rest] = alternatives;
    if (first?.type === 'elif_clause') this.elif(first, rest, no);
    else if (first) {
      const b = first.childForFieldName('body');
      if (b) this.block(b.namedChildren, no);
    }
    this.join(s, yes, no, why, this.at(stmt, s));
  }

  /** After an undecidable branch: what both ways agree on; a return on one way only is unknown. */
  private join(s: Scope, yes: Scope, no: Scope, why: string, at: Located): void {
    for (const k of new Set([...yes.ns.keys(), ...no.ns.keys()])) {
      const m = merge(yes.ns.get(k), no.ns.get(k), why, at);
      if (m) s.ns.set(k, m);
    }
    if (s.ret && (yes.ret?.value !== undefined || no.ret?.value !== undefined)) {
      s.ret.value =
        yes.ret?.value !== undefined && no.ret?.value !== undefined
          ? merge(yes.ret.value, no.ret.value, why, at)
          : unknown(why, at);
    }
  }

  private elif(clause: Node, rest: Node[], s: Scope): void {
    const condition = clause.childForFieldName('condition');
    const cond = condition ? truthy(this.expr(condition, s)) : null;
    const body = clause.childForFieldName('consequence');
    if (cond === true) {
      if (body) this.block(body.namedChildren, s);
      for (const a of rest) this.skip(a, s);
      return;
    }
    if (cond === false) this.skip(body, s);
    const runRest = (scope: Scope) => {
      const [next, ...more] = rest;
      if (next?.type === 'elif_clause') this.elif(next, more, scope);
      else if (next) {
        const b = next.childForFieldName('body');
        if (b) this.block(b.namedChildren, scope);
      }
    };
    if (cond === false) return runRest(s);
    const why = `depends on ${condition?.text.slice(0, 60) ?? 'a condition'}`;
    const yes: Scope = { ...s, ns: copyNamespace(s.ns), ret: s.ret && { value: undefined } };
    if (body) this.block(body.namedChildren, yes);
    const no: Scope = { ...s, ns: copyNamespace(s.ns), ret: s.ret && { value: undefined } };
    runRest(no);
    this.join(s, yes, no, why, this.at(clause, s));
  }

  /**
   * `try: from .local import * except ImportError: pass`: a module that is not in the project (a
   * developer's local settings, never committed) raises, and the handler runs; otherwise the body.
   */
  private tryStatement(stmt: Node, s: Scope): void {
    const body = stmt.childForFieldName('body');
    const statements = body?.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment') ?? [];
    const missingImport = statements.some(st => {
      if (st.type !== 'import_from_statement' && st.type !== 'import_statement') return false;
      const spec =
        st.type === 'import_from_statement'
          ? (st.childForFieldName('module_name')?.text ?? '')
          : (st.childForFieldName('name')?.text ?? '');
      const from = absolute(spec, s.module, s.file);
      return !!from && !this.sources.moduleFile(from) && (spec.startsWith('.') || this.isProjectPackage(from));
    });
    if (!missingImport) {
      this.block(statements, s);
      for (const c of stmt.namedChildren) {
        if (c?.type === 'else_clause' || c?.type === 'finally_clause') {
          const b = c.childForFieldName('body') ?? c.namedChildren.find(n => n?.type === 'block') ?? null;
          if (b) this.block(b.namedChildren, s);
        }
      }
      return;
    }
    const handler = stmt.namedChildren.find(c => c?.type === 'except_clause');
    const block = handler?.namedChildren.find(c => c?.type === 'block');
    if (block) this.block(block.namedChildren, s);
  }

  /** A module under a package of the project (so its absence is real, not a third-party import). */
  private isProjectPackage(module: string): boolean {
    const top = module.split('.')[0] ?? module;
    return this.sources.moduleFile(top) !== null;
  }

  private loop(stmt: Node, s: Scope): void {
    // what a loop binds or changes is whatever its iterations leave: not read
    const body = stmt.childForFieldName('body');
    const scratch: Scope = { ...s, ns: copyNamespace(s.ns) };
    const left = stmt.childForFieldName('left');
    if (left?.type === 'identifier') scratch.ns.set(left.text, unknown('a loop variable'));
    if (body) this.block(body.namedChildren, scratch);
    const why = `changed in a loop (${stmt.text.split('\n')[0]?.slice(0, 60)})`;
    for (const [k, v] of scratch.ns) {
      const before = s.ns.get(k);
      if (k === left?.text) continue;
      if (!before || !sameValue(before, v)) s.ns.set(k, merge(before, v, why, this.at(stmt, s)) ?? unknown(why));
    }
  }

  private assign(node: Node, s: Scope): void {
    const right = node.childForFieldName('right');
    let value: Value;
    if (!right) return;
    if (right.type === 'assignment') {
      // a = b = value
      this.assign(right, s);
      const inner = right.childForFieldName('left');
      value = inner ? this.expr(inner, s) : unknown('a chained assignment');
    } else {
      value = this.expr(right, s);
    }
    const left = node.childForFieldName('left');
    if (left) this.bindTarget(left, value, s);
  }

  private bindTarget(target: Node, value: Value, s: Scope): void {
    if (target.type === 'identifier') {
      // django-configurations: `CACHES = values.CacheURLValue(...)` reads DJANGO_CACHES
      s.ns.set(target.text, s.attributes ? this.configurationValue(target.text, value) : value);
    } else if (target.type === 'subscript' || target.type === 'attribute') {
      this.setItem(target, value, s);
    } else if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern') {
      const items = value.kind === 'list' ? value.items : null;
      target.namedChildren.forEach((t, i) => {
        if (t) this.bindTarget(t, items?.[i] ?? unknown(`unpacked from ${value.kind}`), s);
      });
    }
  }

  /** `X["a"]["b"] = value`: into the dict `X` names, when every step is known. */
  private setItem(target: Node, value: Value, s: Scope): void {
    if (target.type !== 'subscript') return; // an attribute of something: not a setting
    const container = target.childForFieldName('value');
    const key = target.childForFieldName('subscript');
    if (!container || !key) return;
    const dict = this.expr(container, s);
    const k = this.expr(key, s);
    if (dict.kind === 'dict') {
      if (k.kind === 'str') dict.entries.set(k.value, value);
      else for (const e of dict.entries.keys()) dict.entries.set(e, unknown(`set through a computed key ${key.text}`));
    } else if (dict.kind === 'list' && k.kind === 'num') {
      dict.items[k.value] = value;
    }
  }

  private deleteTarget(target: Node, s: Scope): void {
    if (target.type === 'identifier') s.ns.delete(target.text);
    else if (target.type === 'subscript') {
      const dict = this.expr(target.childForFieldName('value') as Node, s);
      const k = target.childForFieldName('subscript');
      const key = k ? this.expr(k, s) : null;
      if (dict.kind === 'dict' && key?.kind === 'str') dict.entries.delete(key.value);
    } else if (target.type === 'expression_list') {
      for (const t of target.namedChildren) if (t) this.deleteTarget(t, s);
    }
  }

  private augment(node: Node, s: Scope): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text;
    if (!left || !right) return;
    const before = this.expr(left, s);
    const add = this.expr(right, s);
    let after: Value;
    if (op === '+=' && before.kind === 'list' && add.kind === 'list')
      after = { ...before, items: [...before.items, ...add.items] };
    else if (op === '+=' && before.kind === 'str' && add.kind === 'str')
      after = { ...before, value: before.value + add.value };
    else if (op === '|=' && before.kind === 'dict' && add.kind === 'dict')
      after = { ...before, entries: new Map([...before.entries, ...add.entries]) };
    else after = unknown(`${left.text} ${op} ${right.text.slice(0, 40)}`, this.at(node, s));
    this.bindTarget(left, after, s);
  }

  // ---- expressions ----

  /** The value of an expression in scope `s`. */
  expr(node: Node, s: Scope): Value {
    const at = this.at(node, s);
    switch (node.type) {
      case 'string': {
        const v = stringValue(node);
        if (v !== null) return { kind: 'str', value: v, at };
        return this.fString(node, s, at);
      }
      case 'concatenated_string': {
        const parts = node.namedChildren.filter((c): c is Node => !!c && c.type === 'string').map(c => this.expr(c, s));
        return parts.every(p => p.kind === 'str')
          ? { kind: 'str', value: parts.map(p => (p.kind === 'str' ? p.value : '')).join(''), at }
          : unknown(`a string built from ${node.text.slice(0, 40)}`, at);
      }
      case 'integer':
      case 'float': {
        const n = Number(node.text.replace(/_/g, ''));
        return Number.isNaN(n) ? unknown(node.text, at) : { kind: 'num', value: n, at };
      }
      case 'true':
        return { kind: 'bool', value: true, at };
      case 'false':
        return { kind: 'bool', value: false, at };
      case 'none':
        return { kind: 'none', at };
      case 'identifier':
        return this.name(node.text, s, at);
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find(c => c?.type !== 'comment');
        return inner ? this.expr(inner, s) : unknown('()', at);
      }
      case 'dictionary':
        return this.dictionary(node, s, at);
      case 'list':
      case 'tuple':
      case 'set': {
        const items: Value[] = [];
        for (const c of node.namedChildren) {
          if (!c || c.type === 'comment') continue;
          if (c.type === 'list_splat') {
            const inner = c.namedChildren[0] ? this.expr(c.namedChildren[0], s) : unknown('*');
            if (inner.kind === 'list') items.push(...inner.items);
            else return unknown(`a list built from ${c.text.slice(0, 40)}`, at);
          } else items.push(this.expr(c, s));
        }
        return { kind: 'list', items, at };
      }
      case 'attribute':
        return this.attribute(node, s, at);
      case 'subscript':
        return this.subscript(node, s, at);
      case 'call':
        return this.call(node, s, false);
      case 'binary_operator':
        return this.binary(node, s, at);
      case 'boolean_operator':
        return this.booleanOp(node, s, at);
      case 'not_operator': {
        const arg = node.childForFieldName('argument');
        const t = arg ? truthy(this.expr(arg, s)) : null;
        return t === null ? unknown(`not ${arg?.text}`, at) : { kind: 'bool', value: !t, at };
      }
      case 'comparison_operator':
        return this.comparison(node, s, at);
      case 'conditional_expression': {
        const [yes, cond, no] = node.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
        if (!yes || !cond || !no) return unknown(node.text.slice(0, 40), at);
        const t = truthy(this.expr(cond, s));
        if (t === null)
          return merge(this.expr(yes, s), this.expr(no, s), `depends on ${cond.text.slice(0, 60)}`, at) as Value;
        return this.expr(t ? yes : no, s);
      }
      default:
        return unknown(`computed (${node.text.slice(0, 40)})`, at);
    }
  }

  private fString(node: Node, s: Scope, at: Located): Value {
    let out = '';
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'string_content' || c.type === 'escape_sequence') out += c.text;
      else if (c.type === 'interpolation') {
        const e = c.namedChildren.find(n => n && n.type !== 'format_specifier' && n.type !== 'type_conversion');
        const v = e ? this.expr(e, s) : unknown('{}');
        if (v.kind === 'str' || v.kind === 'num') out += String(v.value);
        else return unknown(`an f-string with ${c.text}`, at);
      }
    }
    return { kind: 'str', value: out, at };
  }

  private name(text: string, s: Scope, at: Located): Value {
    const v = s.ns.get(text) ?? (s.attributes ? this.module(s.module)?.get(text) : undefined);
    if (v) return v;
    if (['dict', 'list', 'tuple', 'set', 'bool', 'int', 'str', 'float', 'len', 'frozenset'].includes(text))
      return { kind: 'ref', name: `builtins.${text}`, at };
    if (text === '__file__') return { kind: 'str', value: s.file, at };
    return unknown(`${text} is not set where it is read`, at);
  }

  private dictionary(node: Node, s: Scope, at: Located): Value {
    const entries = new Map<string, Value>();
    for (const c of node.namedChildren) {
      if (!c || c.type === 'comment') continue;
      if (c.type === 'pair') {
        const k = c.childForFieldName('key');
        const v = c.childForFieldName('value');
        if (!k || !v) continue;
        const key = this.expr(k, s);
        if (key.kind === 'str') entries.set(key.value, this.expr(v, s));
        else if (key.kind === 'num') entries.set(String(key.value), this.expr(v, s));
        else return unknown(`a dict with a computed key ${k.text.slice(0, 40)}`, at);
      } else if (c.type === 'dictionary_splat') {
        const inner = c.namedChildren[0] ? this.expr(c.namedChildren[0], s) : unknown('**');
        if (inner.kind === 'dict') for (const [k, v] of inner.entries) entries.set(k, deepCopy(v));
        else return unknown(`a dict built from ${c.text.slice(0, 40)}`, at);
      }
    }
    return { kind: 'dict', entries, at };
  }

  private attribute(node: Node, s: Scope, at: Located): Value {
    const object = node.childForFieldName('object');
    const attr = node.childForFieldName('attribute')?.text ?? '';
    const base = object ? this.expr(object, s) : unknown('?');
    if (base.kind === 'ref' && base.name === 'sys' && attr === 'argv') return this.argv;
    if (base.kind === 'ref') return { kind: 'ref', name: `${base.name}.${attr}`, at };
    if (base.kind === 'env') return { kind: 'ref', name: `environ.Env().${attr}`, at };
    if (base.kind === 'class') return this.classAttributes(base).get(attr) ?? unknown(`${node.text} is not set`, at);
    // a pathlib path's parent (`Path(__file__).resolve().parent.parent`); no string has one
    if (base.kind === 'str' && attr === 'parent') return { kind: 'str', value: path.dirname(base.value), at };
    return unknown(`computed (${node.text.slice(0, 40)})`, at);
  }

  private subscript(node: Node, s: Scope, at: Located): Value {
    const container = node.childForFieldName('value');
    const key = node.childForFieldName('subscript');
    if (!container || !key) return unknown(node.text, at);
    const c = this.expr(container, s);
    if (c.kind === 'ref' && c.name === 'os.environ') return this.envLookup(this.expr(key, s), undefined, at);
    const k = key.type === 'slice' ? null : this.expr(key, s);
    if (c.kind === 'dict' && k?.kind === 'str') return c.entries.get(k.value) ?? unknown(`${node.text} is not set`, at);
    if (c.kind === 'list' && k?.kind === 'num')
      return c.items.at(k.value) ?? unknown(`${node.text} is out of range`, at);
    return unknown(`computed (${node.text.slice(0, 40)})`, at);
  }

  private binary(node: Node, s: Scope, at: Located): Value {
    const op = node.childForFieldName('operator')?.text;
    const l = node.childForFieldName('left');
    const r = node.childForFieldName('right');
    if (!l || !r) return unknown(node.text, at);
    const a = this.expr(l, s);
    const b = this.expr(r, s);
    if (op === '+' && a.kind === 'str' && b.kind === 'str') return { kind: 'str', value: a.value + b.value, at };
    // a pathlib path, held as its text (`BASE_DIR / "apps"`): `/` of two strings is no other Python
    if (op === '/' && a.kind === 'str' && b.kind === 'str')
      return { kind: 'str', value: path.join(a.value, b.value), at };
    if (op === '+' && a.kind === 'list' && b.kind === 'list')
      return { kind: 'list', items: [...a.items, ...b.items], at };
    if (op === '|' && a.kind === 'dict' && b.kind === 'dict')
      return { kind: 'dict', entries: new Map([...a.entries, ...b.entries]), at };
    if (a.kind === 'num' && b.kind === 'num') {
      const n = op === '+' ? a.value + b.value : op === '-' ? a.value - b.value : op === '*' ? a.value * b.value : NaN;
      if (!Number.isNaN(n)) return { kind: 'num', value: n, at };
    }
    return unknown(`computed (${node.text.slice(0, 40)})`, at);
  }

  private booleanOp(node: Node, s: Scope, at: Located): Value {
    const op = node.childForFieldName('operator')?.text;
    const l = node.childForFieldName('left');
    const r = node.childForFieldName('right');
    if (!l || !r) return unknown(node.text, at);
    const a = this.expr(l, s);
    const t = truthy(a);
    if (op === 'and') {
      if (t === false) return a;
      const b = this.expr(r, s);
      return t === true
        ? b
        : truthy(b) === false
          ? { kind: 'bool', value: false, at }
          : unknown(node.text.slice(0, 60), at);
    }
    if (t === true) return a;
    const b = this.expr(r, s);
    return t === false ? b : truthy(b) === true ? b : unknown(node.text.slice(0, 60), at);
  }

  /**
   * Comparisons, and the ways settings ask whether they run under tests: `"test" in sys.argv`,
   * `sys.argv[1] == "test"`, `"pytest" in sys.modules`, `sys.argv[0].endswith("pytest")`.
   */
  private comparison(node: Node, s: Scope, at: Located): Value {
    const operands = node.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
    const ops = node.children.filter(c => c && !c.isNamed).map(c => c?.text ?? '');
    if (operands.length !== 2 || ops.length < 1) return unknown(node.text.slice(0, 60), at);
    const op = ops.join(' ');
    const [l, r] = operands as [Node, Node];
    // `"pytest" in sys.modules`: true under pytest; any other module cannot be told
    if (/^sys\.modules$/.test(r.text) && (op === 'in' || op === 'not in')) {
      const name = this.expr(l, s);
      if (name.kind !== 'str' || !/^(pytest|_pytest)$/.test(name.value)) return unknown(node.text.slice(0, 60), at);
      const loaded = this.runner === 'pytest';
      return { kind: 'bool', value: op === 'in' ? loaded : !loaded, at };
    }
    const a = this.expr(l, s);
    const b = this.expr(r, s);
    const same = (x: Value, y: Value) => sameValue({ ...x, at: undefined } as Value, { ...y, at: undefined } as Value);
    if (a.kind === 'unknown' || b.kind === 'unknown' || a.kind === 'ref' || b.kind === 'ref')
      return unknown(node.text.slice(0, 60), at);
    switch (op) {
      case '==':
        return { kind: 'bool', value: same(a, b), at };
      case '!=':
        return { kind: 'bool', value: !same(a, b), at };
      case 'in':
      case 'not in': {
        let found: boolean | null = null;
        if (b.kind === 'list') found = b.items.some(i => same(i, a));
        else if (b.kind === 'dict' && a.kind === 'str') found = b.entries.has(a.value);
        else if (b.kind === 'str' && a.kind === 'str') found = b.value.includes(a.value);
        if (found === null) return unknown(node.text.slice(0, 60), at);
        return { kind: 'bool', value: op === 'in' ? found : !found, at };
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        if (a.kind !== 'num' || b.kind !== 'num') return unknown(node.text.slice(0, 60), at);
        const [x, y] = [a.value, b.value];
        const value = op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
        return { kind: 'bool', value, at };
      }
      case 'is':
        return { kind: 'bool', value: a.kind === 'none' && b.kind === 'none', at };
      case 'is not':
        return { kind: 'bool', value: !(a.kind === 'none' && b.kind === 'none'), at };
      default:
        return unknown(node.text.slice(0, 60), at);
    }
  }

  /** A call: the environment lookups, cache URL parsers and builders settings use; anything else is computed. */
  private call(node: Node, s: Scope, statement: boolean): Value {
    const at = this.at(node, s);
    const fn = node.childForFieldName('function');
    const args = node.childForFieldName('arguments');
    if (!fn) return unknown(node.text, at);
    const positional: Node[] = [];
    const keywords = new Map<string, Node>();
    for (const a of args?.namedChildren ?? []) {
      if (!a || a.type === 'comment') continue;
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text;
        const value = a.childForFieldName('value');
        if (name && value) keywords.set(name, value);
      } else if (a.type !== 'list_splat' && a.type !== 'dictionary_splat') positional.push(a);
      else return unknown(`computed by ${fn.text}(...)`, at);
    }
    const arg = (i: number, name?: string): Value | undefined => {
      const n = (name !== undefined ? keywords.get(name) : undefined) ?? positional[i];
      return n ? this.expr(n, s) : undefined;
    };
    // methods of values the settings hold
    if (fn.type === 'attribute') {
      const objectNode = fn.childForFieldName('object');
      const method = fn.childForFieldName('attribute')?.text ?? '';
      const object = objectNode ? this.expr(objectNode, s) : unknown('?');
      if (object.kind === 'dict') return this.dictMethod(object, method, positional, s, at);
      if (statement && objectNode?.text === 'sys.path' && (method === 'append' || method === 'insert')) {
        const dir = arg(method === 'insert' ? 1 : 0);
        if (dir?.kind === 'str' && path.isAbsolute(dir.value)) this.syspath.push(path.normalize(dir.value));
        return { kind: 'none', at };
      }
      if (object.kind === 'list' && statement && ['append', 'extend', 'insert', 'remove'].includes(method)) {
        const v = arg(method === 'insert' ? 1 : 0);
        if (method === 'append' && v) object.items.push(v);
        else if (method === 'extend' && v?.kind === 'list') object.items.push(...v.items);
        else if (method === 'insert' && v) {
          const i = arg(0);
          object.items.splice(i?.kind === 'num' ? i.value : 0, 0, v);
        } else if (method === 'remove' && v) {
          const i = object.items.findIndex(x =>
            sameValue({ ...x, at: undefined } as Value, { ...v, at: undefined } as Value),
          );
          if (i >= 0) object.items.splice(i, 1);
        }
        return { kind: 'none', at };
      }
      if (object.kind === 'env') return this.envMethod(object, method, arg, at);
      if (object.kind === 'str') {
        // a pathlib path's own methods, which no string has: the path itself, made absolute already
        if (PATH_METHODS.has(method) && path.isAbsolute(object.value))
          return { kind: 'str', value: path.normalize(object.value), at };
        if (method === 'lower') return { kind: 'str', value: object.value.toLowerCase(), at };
        if (method === 'upper') return { kind: 'str', value: object.value.toUpperCase(), at };
        if (method === 'strip') return { kind: 'str', value: object.value.trim(), at };
        if (method === 'split') {
          const sep = arg(0);
          const parts = sep?.kind === 'str' ? object.value.split(sep.value) : object.value.split(/\s+/).filter(Boolean);
          return { kind: 'list', items: parts.map(p => ({ kind: 'str', value: p, at })), at };
        }
        if (method === 'startswith' || method === 'endswith') {
          const x = arg(0);
          if (x?.kind === 'str')
            return {
              kind: 'bool',
              value: method === 'startswith' ? object.value.startsWith(x.value) : object.value.endsWith(x.value),
              at,
            };
        }
      }
    }
    const callee = this.expr(fn, s);
    if (callee.kind === 'env') return this.envMethod(callee, '__call__', arg, at);
    if (callee.kind === 'function') {
      const kw = new Map([...keywords].map(([k, v]) => [k, this.expr(v, s)] as const));
      return this.callFunction(
        callee,
        positional.map(p => this.expr(p, s)),
        kw,
        at,
      );
    }
    if (callee.kind === 'class') return unknown(`an instance of ${fn.text}`, at);
    if (callee.kind !== 'ref') return unknown(`computed by ${fn.text}(...)`, at);
    const name = callee.name;
    switch (name) {
      case 'os.environ.get':
      case 'os.getenv':
      case 'os.environ.setdefault':
        // with no default, an unset variable reads as None
        return this.envLookup(arg(0, 'key') ?? unknown('no name'), arg(1, 'default') ?? { kind: 'none', at }, at);
      case 'decouple.config': {
        // python-decouple: the variable, else the default (which `cast` turns too: not read), else an error
        if (keywords.has('cast')) return unknown(`${fn.text}(..., cast=...)`, at);
        return this.envLookup(arg(0, 'option') ?? unknown('no name'), arg(1, 'default'), at);
      }
      case 'ast.literal_eval': {
        // a literal read from the environment: `ast.literal_eval(os.environ.get("USE_S3", "False"))`
        const v = arg(0);
        const text = v?.kind === 'str' ? v.value.trim() : null;
        if (text === 'True' || text === 'False') return { kind: 'bool', value: text === 'True', at };
        if (text === 'None') return { kind: 'none', at };
        if (text !== null && /^-?\d+(\.\d+)?$/.test(text)) return { kind: 'num', value: Number(text), at };
        return unknown(`${fn.text}(...)`, at);
      }
      case 'json.loads': {
        // a JSON default read from the environment: `json.loads(os.getenv("STATES", '["AZ", "IA"]'))`
        const v = arg(0);
        if (v?.kind !== 'str') return unknown(`${fn.text}(...)`, at);
        try {
          return fromJson(JSON.parse(v.value) as unknown, at);
        } catch {
          return unknown(`${fn.text}(...) of text that is not JSON`, at);
        }
      }
      case 'os.path.dirname':
      case 'os.path.abspath':
      case 'os.path.realpath':
      case 'os.path.normpath': {
        const v = arg(0);
        if (v?.kind !== 'str') return unknown(`${fn.text}(...)`, at);
        return { kind: 'str', value: name === 'os.path.dirname' ? path.dirname(v.value) : path.normalize(v.value), at };
      }
      case 'pathlib.Path':
      case 'pathlib.PurePath':
      case 'pathlib.PosixPath': {
        // a path held as its text: `Path(__file__)`, `Path(BASE_DIR, "apps")`
        const parts = positional.map(p => this.expr(p, s));
        if (!parts.length || parts.some(p => p.kind !== 'str')) return unknown(`${fn.text}(...)`, at);
        return { kind: 'str', value: path.join(...parts.map(p => (p.kind === 'str' ? p.value : ''))), at };
      }
      case 'os.path.join': {
        const parts = positional.map(p => this.expr(p, s));
        if (!parts.length || parts.some(p => p.kind !== 'str')) return unknown(`${fn.text}(...)`, at);
        return { kind: 'str', value: path.join(...parts.map(p => (p.kind === 'str' ? p.value : ''))), at };
      }
      case 'builtins.dict': {
        const base = arg(0);
        const entries =
          base?.kind === 'dict'
            ? new Map([...base.entries].map(([k, v]) => [k, deepCopy(v)]))
            : new Map<string, Value>();
        if (base && base.kind !== 'dict') return unknown(`dict(${positional[0]?.text.slice(0, 30)})`, at);
        for (const [k, v] of keywords) entries.set(k, this.expr(v, s));
        return { kind: 'dict', entries, at };
      }
      case 'builtins.list':
      case 'builtins.tuple': {
        const v = arg(0);
        return v === undefined
          ? { kind: 'list', items: [], at }
          : v.kind === 'list'
            ? { ...v, at }
            : unknown(`${fn.text}(...)`, at);
      }
      case 'builtins.len': {
        // `len(sys.argv) > 1 and sys.argv[1] == "test"` (glitchtip)
        const v = arg(0);
        const n =
          v?.kind === 'list'
            ? v.items.length
            : v?.kind === 'str'
              ? v.value.length
              : v?.kind === 'dict'
                ? v.entries.size
                : null;
        return n === null ? unknown('len(...)', at) : { kind: 'num', value: n, at };
      }
      case 'builtins.bool': {
        const v = arg(0);
        const t = v ? truthy(v) : false;
        return t === null ? unknown(`bool(...)`, at) : { kind: 'bool', value: t, at };
      }
      case 'builtins.int': {
        const v = arg(0);
        const n = v?.kind === 'num' ? v.value : v?.kind === 'str' ? Number.parseInt(v.value, 10) : NaN;
        return Number.isNaN(n) ? unknown('int(...)', at) : { kind: 'num', value: n, at };
      }
      case 'builtins.str': {
        const v = arg(0);
        return v?.kind === 'str'
          ? v
          : v?.kind === 'num'
            ? { kind: 'str', value: String(v.value), at }
            : unknown('str(...)', at);
      }
      case 'copy.deepcopy':
      case 'copy.copy': {
        const v = arg(0);
        return v ? deepCopy(v) : unknown('copy()', at);
      }
      case 'environ.Env':
      case 'environ.environ.Env':
      case 'environs.Env':
      case 'environs.FileAwareEnv': {
        const scheme = new Map<string, Value>();
        for (const [k, v] of keywords) {
          const t = this.expr(v, s);
          // NAME=(cast, default)
          if (t.kind === 'list' && t.items.length >= 2) scheme.set(k, t.items[1] as Value);
        }
        return { kind: 'env', scheme, at };
      }
      case 'environ.Env.cache_url_config':
      case 'environ.Env.cache_url':
      case 'django_cache_url.parse': {
        const url = arg(0, 'url');
        return url?.kind === 'str'
          ? cacheFromUrl(url.value, at)
          : unknown(`a cache URL from ${positional[0]?.text ?? '?'}`, at);
      }
      case 'django_cache_url.config': {
        const env = arg(99, 'env');
        const varName = env?.kind === 'str' ? env.value : 'CACHE_URL';
        const url = this.envLookup(
          { kind: 'str', value: varName },
          arg(0, 'default') ?? { kind: 'str', value: 'locmem://' },
          at,
        );
        return url.kind === 'str' ? cacheFromUrl(url.value, at, url.via) : url;
      }
      case 'split_settings.tools.include':
        return this.include(positional, s, at);
      case 'split_settings.tools.optional': {
        const v = arg(0);
        return v?.kind === 'str' ? { kind: 'str', value: `optional:${v.value}`, at } : unknown('optional(...)', at);
      }
      default:
        if (/^(?:configurations|env_config)\.values\.\w+$/.test(name))
          return this.configurationsValue(name, positional, keywords, s, at);
        return unknown(`computed by ${fn.text}(...)`, at);
    }
  }

  private dictMethod(
    object: Value & { kind: 'dict' },
    method: string,
    positional: Node[],
    s: Scope,
    at: Located,
  ): Value {
    const first = positional[0] ? this.expr(positional[0], s) : undefined;
    const second = positional[1] ? this.expr(positional[1], s) : undefined;
    switch (method) {
      case 'get':
        return first?.kind === 'str'
          ? (object.entries.get(first.value) ?? second ?? { kind: 'none', at })
          : unknown('.get()', at);
      case 'copy':
        return deepCopy(object);
      case 'update':
        if (first?.kind === 'dict') for (const [k, v] of first.entries) object.entries.set(k, v);
        else
          for (const k of object.entries.keys())
            object.entries.set(k, unknown(`updated from ${positional[0]?.text.slice(0, 40)}`, at));
        return { kind: 'none', at };
      case 'setdefault':
        if (first?.kind !== 'str') return unknown('.setdefault()', at);
        if (!object.entries.has(first.value)) object.entries.set(first.value, second ?? { kind: 'none', at });
        return object.entries.get(first.value) as Value;
      case 'pop': {
        if (first?.kind !== 'str') return unknown('.pop()', at);
        const v = object.entries.get(first.value) ?? second ?? unknown(`${first.value} popped`, at);
        object.entries.delete(first.value);
        return v;
      }
      case 'keys':
        return { kind: 'list', items: [...object.entries.keys()].map(k => ({ kind: 'str', value: k, at })), at };
      default:
        return unknown(`.${method}()`, at);
    }
  }

  /** django-environ: `env("X", default=...)`, `env.bool(...)`, `env.cache_url(...)`, `env.cache(...)`. */
  private envMethod(
    env: Value & { kind: 'env' },
    method: string,
    arg: (i: number, name?: string) => Value | undefined,
    at: Located,
  ): Value {
    const lookup = (name: string, fallback?: Value) =>
      this.envLookup({ kind: 'str', value: name }, fallback ?? env.scheme.get(name), at);
    if (method === 'cache_url' || method === 'cache' || method === 'dj_cache_url') {
      const varArg = arg(0, 'var');
      const varName = varArg?.kind === 'str' ? varArg.value : 'CACHE_URL';
      const url = lookup(varName, arg(1, 'default'));
      return url.kind === 'str' ? cacheFromUrl(url.value, at, url.via) : url;
    }
    if (method === 'cache_url_config') {
      const url = arg(0, 'url');
      return url?.kind === 'str' ? cacheFromUrl(url.value, at) : unknown('a cache URL', at);
    }
    const nameArg = arg(0, 'var');
    if (nameArg?.kind !== 'str' || !ENV_CASTS.has(method))
      return unknown(`computed by env.${method}(), which Crosstalk does not read`, at);
    const raw = lookup(nameArg.value, arg(1, 'default'));
    if (raw.kind !== 'str') return raw;
    switch (method) {
      case 'bool':
        return { kind: 'bool', value: TRUE_STRINGS.has(raw.value.toLowerCase()), at };
      case 'int': {
        const n = Number.parseInt(raw.value, 10);
        return Number.isNaN(n) ? unknown(`env.int(${nameArg.value})`, at) : { kind: 'num', value: n, at };
      }
      case 'list':
      case 'tuple':
        return {
          kind: 'list',
          items: raw.value
            .split(',')
            .filter(Boolean)
            .map(v => ({ kind: 'str', value: v, at })),
          at,
        };
      default:
        return raw;
    }
  }

  /**
   * An environment variable as the test run sees it: set by the test configuration, else the
   * default the settings give, else unknown (nothing Crosstalk can read sets it).
   */
  private envLookup(name: Value, fallback: Value | undefined, at: Located): Value {
    if (name.kind !== 'str') return unknown('an environment variable with a computed name', at);
    const set = this.env.get(name.value);
    if (set) return { kind: 'str', value: set.value, at: set.at, via: `in ${name.value}, as the test run sets it` };
    if (fallback?.kind === 'str')
      return { ...fallback, via: `in ${name.value}'s default: nothing in the test configuration sets ${name.value}` };
    if (fallback) return fallback;
    return unknown(`${name.value} comes from the environment, and nothing in the test configuration sets it`, at);
  }

  /** django-configurations' `values.CacheURLValue('redis://...')` and friends, read when assigned. */
  private configurationsValue(
    name: string,
    positional: Node[],
    keywords: Map<string, Node>,
    s: Scope,
    at: Located,
  ): Value {
    const read = (n: Node | undefined) => (n ? this.expr(n, s) : undefined);
    const environName = read(keywords.get('environ_name'));
    const prefix = read(keywords.get('environ_prefix'));
    return {
      kind: 'configurable',
      valueClass: name.slice(name.lastIndexOf('.') + 1),
      fallback: read(keywords.get('default') ?? positional[0]),
      environName: environName?.kind === 'str' ? environName.value : undefined,
      // env_config reads the attribute's own name; django-configurations prefixes it with DJANGO_
      prefix: prefix?.kind === 'str' ? prefix.value : name.startsWith('env_config.') ? '' : 'DJANGO',
      at,
    };
  }

  /** A class attribute of a django-configurations class, with its `values.*Value` read. */
  private configurationValue(attribute: string, value: Value): Value {
    if (value.kind !== 'configurable') return value;
    const variable = `${value.prefix ? `${value.prefix}_` : ''}${value.environName ?? attribute}`;
    const raw = this.envLookup({ kind: 'str', value: variable }, value.fallback, value.at ?? NOWHERE);
    if (/^Cache(URL)?Value$/.test(value.valueClass) && raw.kind === 'str') {
      const cache = cacheFromUrl(raw.value, raw.at, raw.via);
      return cache.kind === 'dict' ? { kind: 'dict', entries: new Map([['default', cache]]), at: raw.at } : cache;
    }
    if (value.valueClass === 'BooleanValue' && raw.kind === 'str')
      return { kind: 'bool', value: TRUE_STRINGS.has(raw.value.toLowerCase()), at: raw.at };
    return raw;
  }

  /** django-split-settings: `include("base.py", "components/*.py", optional("local.py"))` into this namespace. */
  private include(args: Node[], s: Scope, at: Located): Value {
    const dir = path.dirname(s.file);
    for (const a of args) {
      const v = this.expr(a, s);
      if (v.kind !== 'str') {
        s.ns.set('__include__', unknown(`include(${a.text.slice(0, 40)}) cannot be read`, at));
        continue;
      }
      const optional = v.value.startsWith('optional:');
      const pattern = optional ? v.value.slice('optional:'.length) : v.value;
      const files = this.sources.glob(dir, pattern);
      if (files.length === 0 && !optional)
        s.ns.set('__include__', unknown(`include(${JSON.stringify(pattern)}) finds no file`, at));
      for (const f of files) this.runFile(f, s.module, s.ns);
    }
    return { kind: 'none', at };
  }

  private at(node: Node, s: Scope): Located {
    return { file: s.file, line: node.startPosition.row, character: node.startPosition.column };
  }
}

interface Scope {
  file: string;
  module: string;
  ns: Namespace;
  /** in a function's body: what it returned, once it has */
  ret?: { value: Value | undefined };
  /** a class body (django-configurations): its names are settings, read through values.* */
  attributes?: boolean;
}

function copyNamespace(ns: Namespace): Namespace {
  return new Map([...ns].map(([k, v]) => [k, deepCopy(v)]));
}

/**
 * A relative import's module from `module` (`..base` from `pkg.settings.test` is `pkg.base`); a file's
 * own package when it is `__init__.py`.
 */
function absolute(spec: string, module: string, file: string): string | null {
  const dots = spec.length - spec.replace(/^\.+/, '').length;
  if (dots === 0) return spec;
  const parts = module.split('.').filter(Boolean);
  // a package's __init__ is the package itself: its relative imports start there
  const base = path.basename(file) === '__init__.py' ? parts : parts.slice(0, -1);
  if (base.length < dots - 1) return null;
  const up = base.slice(0, base.length - (dots - 1));
  const rest = spec.slice(dots);
  return [...up, ...(rest ? [rest] : [])].join('.') || null;
}

/** A parsed JSON value as a settings value. */
function fromJson(v: unknown, at: Located): Value {
  if (typeof v === 'string') return { kind: 'str', value: v, at };
  if (typeof v === 'number') return { kind: 'num', value: v, at };
  if (typeof v === 'boolean') return { kind: 'bool', value: v, at };
  if (v === null) return { kind: 'none', at };
  if (Array.isArray(v)) return { kind: 'list', items: v.map(x => fromJson(x, at)), at };
  const entries = new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(x, at)] as const));
  return { kind: 'dict', entries, at };
}
