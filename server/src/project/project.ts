// What a hazard depends on beyond one file, read statically from the workspace (never imported or
// run): the settings module's CACHES and REST_FRAMEWORK, base test classes in other modules, and the
// autouse fixtures of conftest.py files. Anything computed or unreadable is "unknown", with a reason.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { Definitions } from '../analysis/defs';
import { absoluteModule, Names } from '../analysis/names';
import { Testing } from '../analysis/testing';
import { parse, type Node } from '../syntax/parser';
import { stringValue } from '../syntax/nodes';

export type Backend = 'cross-process' | 'per-process' | 'none';
export interface Located { file: string; line: number; character: number }
export interface CacheFacts extends Located { alias: string; backend: string; kind: Backend }
export interface ThrottleFacts extends Located { classes: string[]; rates: Record<string, string> }
export interface SettingsFacts {
  module: string | null;
  file: string | null;
  /** why the facts are missing or partial, for messages ("CACHES is computed", "settings module not found") */
  unknown: string | null;
  caches: Map<string, CacheFacts>;
  throttling: ThrottleFacts | null;
  /** SESSION_ENGINE when literal: a cache-backed engine keeps logins in the cache */
  sessionEngine: string | null;
}
export interface ClassFacts { file: string; line: number; isolatesCache: boolean; djangoTestCase: boolean }

const CROSS_PROCESS = /redis|memcache|pylibmc|\.db\.|DatabaseCache|filebased|FileBasedCache/i;
const PER_PROCESS = /locmem|LocMemCache/i;
const NO_CACHE = /dummy|DummyCache/i;
const DJANGO_CASES = /^(django\.test\.(Simple|Transaction|LiveServer)?TestCase|rest_framework\.test\.API(Simple|Transaction|LiveServer)?TestCase|django\.contrib\.staticfiles\.testing\.StaticLiveServerTestCase)$/;

/** Reads files; returns null when missing or unreadable. */
export type ReadFile = (file: string) => string | null;

const PROJECT_MARKERS = ['manage.py', 'pytest.ini', 'setup.cfg', 'tox.ini', 'pyproject.toml'];

/** The nearest directory above `file` that looks like a Django/pytest project root, else `fallback`. */
export function findProjectRoot(file: string, read: ReadFile, fallback: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (PROJECT_MARKERS.some(m => read(path.join(dir, m)) !== null)) return dir;
    if (path.dirname(dir) === dir) return fallback;
  }
}

export class Project {
  private settings: SettingsFacts | undefined;
  private readonly modules = new Map<string, Map<string, ClassEntry> | null>();
  private readonly classFacts = new Map<string, ClassFacts | null>();
  private readonly conftests = new Map<string, boolean>();
  private readonly trees: { delete(): void }[] = [];

  /** every file read once per project: the hosts rebuild the project when watched files change */
  private readonly texts = new Map<string, string | null>();
  private readonly read: ReadFile;

  constructor(readonly root: string, private readonly parser: Parser, read: ReadFile,
    private readonly settingsModule: string | null = null) {
    this.read = file => {
      if (!this.texts.has(file)) this.texts.set(file, read(file));
      return this.texts.get(file)!;
    };
  }

  /** Frees the syntax trees this project parsed (WASM memory). */
  dispose(): void {
    for (const t of this.trees.splice(0)) t.delete();
    this.modules.clear();
    this.classFacts.clear();
    this.conftests.clear();
    this.texts.clear();
    this.settings = undefined;
  }

  // ---- settings ----

  settingsFacts(): SettingsFacts {
    if (this.settings) return this.settings;
    const module = this.settingsModule ?? this.discoverSettingsModule();
    const facts: SettingsFacts = { module, file: null, unknown: null, caches: new Map(), throttling: null, sessionEngine: null };
    this.settings = facts;
    if (!module) { facts.unknown = 'no settings module found'; return facts; }
    const file = this.moduleFile(module);
    if (!file) { facts.unknown = `settings module ${module} not found in the workspace`; return facts; }
    facts.file = file;
    this.readSettings(file, module, facts, new Set());
    return facts;
  }

  private discoverSettingsModule(): string | null {
    const ini = (name: string, section: RegExp) => {
      const text = this.read(path.join(this.root, name));
      if (!text) return null;
      const body = section.exec(text)?.[1] ?? '';
      return /^\s*DJANGO_SETTINGS_MODULE\s*=\s*([\w.]+)/m.exec(body)?.[1] ?? /--ds[= ]([\w.]+)/.exec(body)?.[1] ?? null;
    };
    const pytestSection = /^\[(?:tool:)?pytest\]\s*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m;
    const found = ini('pytest.ini', pytestSection) ?? ini('setup.cfg', pytestSection) ?? ini('tox.ini', pytestSection)
      ?? ini('pyproject.toml', /^\[tool\.pytest\.ini_options\]\s*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m)?.replace(/["']/g, '');
    if (found) return found;
    const pyproject = this.read(path.join(this.root, 'pyproject.toml'));
    const quoted = pyproject && /\[tool\.pytest\.ini_options\][\s\S]*?DJANGO_SETTINGS_MODULE\s*=\s*["']([\w.]+)["']/.exec(pyproject)?.[1];
    if (quoted) return quoted;
    const manage = this.read(path.join(this.root, 'manage.py'));
    return manage ? /setdefault\(\s*["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/.exec(manage)?.[1] ?? null : null;
  }

  /** Module-level assignments in order; `from X import *` reads X first (settings splits). */
  private readSettings(file: string, module: string, facts: SettingsFacts, seen: Set<string>): void {
    if (seen.has(file)) return; // circular star imports
    seen.add(file);
    const root = this.parseFile(file);
    if (!root) { facts.unknown = `${path.relative(this.root, file)} could not be read`; return; }
    for (const stmt of root.namedChildren) {
      if (!stmt) continue;
      if (stmt.type === 'import_from_statement' && stmt.namedChildren.some(c => c?.type === 'wildcard_import')) {
        const from = absoluteModule(stmt.childForFieldName('module_name')!.text, module);
        const target = from && this.moduleFile(from);
        if (target) this.readSettings(target, from!, facts, seen);
        else if (from && !/^(django|rest_framework)\b/.test(from)) facts.unknown = `star import of ${from}, which is not in the workspace`;
        continue;
      }
      const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
      if (assign?.type !== 'assignment') continue;
      const name = assign.childForFieldName('left')?.text;
      const value = assign.childForFieldName('right');
      if (!value) continue;
      if (name === 'CACHES') this.readCaches(value, file, facts);
      else if (name === 'REST_FRAMEWORK') this.readRestFramework(value, file, facts);
      else if (name === 'SESSION_ENGINE') facts.sessionEngine = stringValue(value);
    }
  }

  private readCaches(value: Node, file: string, facts: SettingsFacts): void {
    facts.caches = new Map();
    if (value.type !== 'dictionary') { facts.unknown = `CACHES in ${path.relative(this.root, file)} is computed, not a literal`; return; }
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const alias = stringValue(pair.childForFieldName('key')!);
      const conf = pair.childForFieldName('value');
      if (!alias || conf?.type !== 'dictionary') continue;
      const backendPair = conf.namedChildren.find(p => p?.type === 'pair' && stringValue(p.childForFieldName('key')!) === 'BACKEND');
      const backendNode = backendPair?.childForFieldName('value');
      const backend = backendNode ? stringValue(backendNode) : null;
      const at = backendNode ?? pair;
      const kind: Backend = !backend ? 'cross-process' : NO_CACHE.test(backend) ? 'none' : PER_PROCESS.test(backend) ? 'per-process' : CROSS_PROCESS.test(backend) ? 'cross-process' : 'cross-process';
      facts.caches.set(alias, { alias, backend: backend ?? 'a computed backend', kind, file, line: at.startPosition.row, character: at.startPosition.column });
    }
  }

  private readRestFramework(value: Node, file: string, facts: SettingsFacts): void {
    if (value.type !== 'dictionary') return;
    const get = (key: string) => value.namedChildren.find(p => p?.type === 'pair' && stringValue(p.childForFieldName('key')!) === key)?.childForFieldName('value') ?? null;
    const classesNode = get('DEFAULT_THROTTLE_CLASSES');
    const classes = classesNode && (classesNode.type === 'list' || classesNode.type === 'tuple')
      ? classesNode.namedChildren.map(c => (c ? stringValue(c) : null)).filter((c): c is string => !!c) : [];
    const ratesNode = get('DEFAULT_THROTTLE_RATES');
    const rates: Record<string, string> = {};
    for (const p of ratesNode?.type === 'dictionary' ? ratesNode.namedChildren : []) {
      if (p?.type !== 'pair') continue;
      const k = stringValue(p.childForFieldName('key')!), v = p.childForFieldName('value');
      if (k && v) rates[k] = stringValue(v) ?? v.text;
    }
    const at = classesNode ?? value;
    facts.throttling = classes.length ? { classes, rates, file, line: at.startPosition.row, character: at.startPosition.column } : null;
  }

  // ---- classes in other modules ----

  /** Facts about `module.Class` defined in the workspace (through its own in-file and imported bases). */
  classInfo(qualified: string, seen = new Set<string>()): ClassFacts | undefined {
    if (this.classFacts.has(qualified)) return this.classFacts.get(qualified) ?? undefined;
    if (seen.has(qualified)) return undefined;
    seen.add(qualified);
    const dot = qualified.lastIndexOf('.');
    const classes = dot > 0 ? this.moduleClasses(qualified.slice(0, dot)) : null;
    const entry = classes?.get(qualified.slice(dot + 1));
    if (!entry) { this.classFacts.set(qualified, null); return undefined; }
    const { node, module, file, root } = entry;
    const imports = importsOf(root, module);
    let isolatesCache = decoratorsOf(node).some(d => isCachesOverride(d, imports));
    let djangoTestCase = false;
    for (const base of node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!base || base.type === 'keyword_argument') continue;
      const q = resolveIn(base.text, imports, module, classes!);
      if (DJANGO_CASES.test(q)) djangoTestCase = true;
      const info = this.classInfo(q, seen);
      if (info) { isolatesCache ||= info.isolatesCache; djangoTestCase ||= info.djangoTestCase; }
    }
    const facts = { file, line: node.startPosition.row, isolatesCache, djangoTestCase };
    this.classFacts.set(qualified, facts);
    return facts;
  }

  private moduleClasses(module: string): Map<string, ClassEntry> | null {
    if (this.modules.has(module)) return this.modules.get(module)!;
    const file = this.moduleFile(module);
    const root = file ? this.parseFile(file) : null;
    const classes = root ? new Map<string, ClassEntry>() : null;
    for (const stmt of root?.namedChildren ?? []) {
      const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type === 'class_definition') classes!.set(def.childForFieldName('name')!.text, { node: def, module, file: file!, root: root! });
    }
    this.modules.set(module, classes);
    return classes;
  }

  // ---- conftest.py autouse fixtures ----

  /** Whether a conftest.py between `file`'s directory and the root has an autouse fixture isolating the cache. */
  autouseCacheIsolation(file: string): boolean {
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const conftest = path.join(dir, 'conftest.py');
      let isolates = this.conftests.get(conftest);
      if (isolates === undefined) {
        // the same judgement as for a fixture in the test module itself
        const root = this.parseFile(conftest);
        isolates = !!root && conftestIsolates(root);
        this.conftests.set(conftest, isolates);
      }
      if (isolates) return true;
      if (dir === this.root || !dir.startsWith(this.root) || path.dirname(dir) === dir) return false;
    }
  }

  // ---- files ----

  readText(file: string): string | null {
    return this.read(file);
  }

  usesPytest(): boolean {
    const has = (f: string, re: RegExp) => re.test(this.read(path.join(this.root, f)) ?? '');
    return this.read(path.join(this.root, 'conftest.py')) !== null || this.read(path.join(this.root, 'pytest.ini')) !== null
      || has('pyproject.toml', /^\[tool\.pytest/m) || has('setup.cfg', /^\[tool:pytest\]/m) || has('tox.ini', /^\[pytest\]/m);
  }

  moduleFile(module: string): string | null {
    const rel = module.split('.').join(path.sep);
    for (const base of [this.root, path.join(this.root, 'src')]) {
      for (const candidate of [path.join(base, `${rel}.py`), path.join(base, rel, '__init__.py')]) {
        if (this.read(candidate) !== null) return candidate;
      }
    }
    return null;
  }

  private parseFile(file: string): Node | null {
    const text = this.read(file);
    if (text === null) return null;
    try {
      const tree = parse(this.parser, text);
      this.trees.push(tree);
      return tree.rootNode;
    } catch {
      return null;
    }
  }
}

interface ClassEntry { node: Node; module: string; file: string; root: Node }

/** What each top-level import binds in a module: `{alias: qualified name}`. */
function importsOf(root: Node, module: string): Map<string, string> {
  const imports = new Map<string, string>();
  for (const stmt of root.namedChildren) {
    if (stmt?.type === 'import_from_statement') {
      const from = absoluteModule(stmt.childForFieldName('module_name')?.text ?? '', module);
      for (const n of stmt.childrenForFieldName('name')) {
        if (!n || !from) continue;
        const name = n.type === 'aliased_import' ? n.childForFieldName('name')!.text : n.text;
        const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')!.text : n.text;
        imports.set(alias, `${from}.${name}`);
      }
    } else if (stmt?.type === 'import_statement') {
      for (const n of stmt.childrenForFieldName('name')) {
        if (n?.type === 'aliased_import') imports.set(n.childForFieldName('alias')!.text, n.childForFieldName('name')!.text);
        else if (n) imports.set(n.text.split('.')[0]!, n.text.split('.')[0]!);
      }
    }
  }
  return imports;
}

function decoratorsOf(def: Node): Node[] {
  const parent = def.parent;
  if (parent?.type !== 'decorated_definition') return [];
  return parent.namedChildren.filter((c): c is Node => c?.type === 'decorator').map(d => d.namedChildren.find(c => c?.type !== 'comment')!).filter(Boolean);
}

function isCachesOverride(call: Node, imports: Map<string, string>): boolean {
  if (call.type !== 'call') return false;
  const fn = call.childForFieldName('function')!.text;
  const q = imports.get(fn.split('.')[0]!) ?? fn;
  if (!/override_settings$/.test(fn) && !/override_settings$/.test(q)) return false;
  return call.childForFieldName('arguments')!.namedChildren.some(a => (a?.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'CACHES') || a?.type === 'dictionary_splat');
}

function resolveIn(text: string, imports: Map<string, string>, module: string, local: Map<string, unknown>): string {
  const [head, ...rest] = text.split('.');
  if (local.has(text)) return `${module}.${text}`;
  const q = imports.get(head!);
  return q ? [q, ...rest].join('.') : text;
}

/** Whether a conftest.py module has an autouse fixture that gives the cache a private backend. */
function conftestIsolates(root: Node): boolean {
  const defs = new Definitions(root.tree);
  const testing = new Testing(root.namedChildren.filter((c): c is Node => c !== null), new Names(root, defs, 'conftest'), defs);
  return testing.hasFileCacheIsolation();
}

/** What the rules see of the project for one file. Everything is computed on first use. */
export interface ProjectView {
  readonly root: string;
  readonly settings: SettingsFacts;
  classInfo(qualified: string): ClassFacts | undefined;
  readonly autouseCacheIsolation: boolean;
  /** the root conftest.py: its path and text (null when it does not exist) */
  readonly rootConftest: { file: string; text: string | null };
  /** the suite runs under pytest (a conftest.py or pytest configuration at the root) */
  readonly usesPytest: boolean;
  readText(file: string): string | null;
}

export function viewFor(project: Project, file: string): ProjectView {
  let autouse: boolean | undefined;
  return {
    root: project.root,
    get settings() { return project.settingsFacts(); },
    classInfo: q => project.classInfo(q),
    get autouseCacheIsolation() { return autouse ??= project.autouseCacheIsolation(file); },
    get rootConftest() { const f = path.join(project.root, 'conftest.py'); return { file: f, text: project.readText(f) }; },
    get usesPytest() { return project.usesPytest(); },
    readText: f => project.readText(f),
  };
}
