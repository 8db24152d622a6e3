// What a hazard depends on beyond one file, read statically from the workspace (never imported or
// run): the settings module's CACHES and REST_FRAMEWORK, base test classes in other modules, and the
// autouse fixtures of conftest.py files. Anything computed or unreadable is "unknown", with a reason.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { Definitions } from '../analysis/defs';
import { absoluteModule, Names } from '../analysis/names';
import type { ClassFacts, ProjectView, SettingsFacts } from '../analysis/projectView';
import { cacheScope, DJANGO_TEST_CASES } from '../analysis/django';
import { Testing } from '../analysis/testing';
import { parse, type Node } from '../syntax/parser';
import { definitionOf, field, stringValue } from '../syntax/nodes';

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
  private readonly modules = new Map<string, ModuleEntry | null>();
  private readonly classFacts = new Map<string, ClassFacts | null>();
  private readonly conftests = new Map<string, boolean>();
  private readonly trees: { delete(): void }[] = [];

  /** every file read once per project: the hosts rebuild the project when watched files change */
  private readonly texts = new Map<string, string | null>();
  private readonly read: ReadFile;

  constructor(
    readonly root: string,
    private readonly parser: Parser,
    read: ReadFile,
    private readonly settingsModule: string | null = null,
  ) {
    this.read = file => {
      let text = this.texts.get(file);
      if (text === undefined) this.texts.set(file, (text = read(file)));
      return text;
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
    const facts: SettingsFacts = {
      module,
      file: null,
      unknown: null,
      caches: new Map(),
      throttling: null,
      sessionEngine: null,
    };
    this.settings = facts;
    if (!module) {
      facts.unknown = 'no settings module found';
      return facts;
    }
    const file = this.moduleFile(module);
    if (!file) {
      facts.unknown = `settings module ${module} not found in the workspace`;
      return facts;
    }
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
    const found =
      ini('pytest.ini', pytestSection) ??
      ini('setup.cfg', pytestSection) ??
      ini('tox.ini', pytestSection) ??
      ini('pyproject.toml', /^\[tool\.pytest\.ini_options\]\s*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m)?.replace(/["']/g, '');
    if (found) return found;
    const pyproject = this.read(path.join(this.root, 'pyproject.toml'));
    const quoted =
      pyproject &&
      /\[tool\.pytest\.ini_options\][\s\S]*?DJANGO_SETTINGS_MODULE\s*=\s*["']([\w.]+)["']/.exec(pyproject)?.[1];
    if (quoted) return quoted;
    const manage = this.read(path.join(this.root, 'manage.py'));
    return manage
      ? (/setdefault\(\s*["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/.exec(manage)?.[1] ?? null)
      : null;
  }

  /** Module-level assignments in order; `from X import *` reads X first (settings splits). */
  private readSettings(file: string, module: string, facts: SettingsFacts, seen: Set<string>): void {
    if (seen.has(file)) return; // circular star imports
    seen.add(file);
    const root = this.parseFile(file);
    if (!root) {
      facts.unknown = `${path.relative(this.root, file)} could not be read`;
      return;
    }
    for (const stmt of root.namedChildren) {
      if (!stmt) continue;
      if (stmt.type === 'import_from_statement' && stmt.namedChildren.some(c => c?.type === 'wildcard_import')) {
        const from = absoluteModule(field(stmt, 'module_name').text, module);
        const target = from && this.moduleFile(from);
        if (from && target) this.readSettings(target, from, facts, seen);
        else if (from && !/^(django|rest_framework)\b/.test(from))
          facts.unknown = `star import of ${from}, which is not in the workspace`;
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
    if (value.type !== 'dictionary') {
      facts.unknown = `CACHES in ${path.relative(this.root, file)} is computed, not a literal`;
      return;
    }
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const alias = stringValue(field(pair, 'key'));
      const conf = pair.childForFieldName('value');
      if (!alias || conf?.type !== 'dictionary') continue;
      const backendPair = conf.namedChildren.find(
        p => p?.type === 'pair' && stringValue(field(p, 'key')) === 'BACKEND',
      );
      const backendNode = backendPair?.childForFieldName('value');
      const backend = backendNode ? stringValue(backendNode) : null;
      const at = backendNode ?? pair;
      const kind = cacheScope(backend);
      facts.caches.set(alias, {
        alias,
        backend: backend ?? 'a computed backend',
        kind,
        file,
        line: at.startPosition.row,
        character: at.startPosition.column,
      });
    }
  }

  private readRestFramework(value: Node, file: string, facts: SettingsFacts): void {
    if (value.type !== 'dictionary') return;
    const get = (key: string) =>
      value.namedChildren
        .find(p => p?.type === 'pair' && stringValue(field(p, 'key')) === key)
        ?.childForFieldName('value') ?? null;
    const classesNode = get('DEFAULT_THROTTLE_CLASSES');
    const classes =
      classesNode && (classesNode.type === 'list' || classesNode.type === 'tuple')
        ? classesNode.namedChildren.map(c => (c ? stringValue(c) : null)).filter((c): c is string => !!c)
        : [];
    const ratesNode = get('DEFAULT_THROTTLE_RATES');
    const rates: Record<string, string> = {};
    for (const p of ratesNode?.type === 'dictionary' ? ratesNode.namedChildren : []) {
      if (p?.type !== 'pair') continue;
      const k = stringValue(field(p, 'key')),
        v = p.childForFieldName('value');
      if (k && v) rates[k] = stringValue(v) ?? v.text;
    }
    const at = classesNode ?? value;
    facts.throttling = classes.length
      ? { classes, rates, file, line: at.startPosition.row, character: at.startPosition.column }
      : null;
  }

  // ---- classes in other modules ----

  /** Facts about `module.Class` defined in the workspace (through its own in-file and imported bases). */
  classInfo(qualified: string, seen = new Set<string>()): ClassFacts | undefined {
    if (this.classFacts.has(qualified)) return this.classFacts.get(qualified) ?? undefined;
    if (seen.has(qualified)) return undefined;
    seen.add(qualified);
    const dot = qualified.lastIndexOf('.');
    const module = dot > 0 ? this.moduleOf(qualified.slice(0, dot)) : null;
    const node = module?.classes.get(qualified.slice(dot + 1));
    if (!module || !node) {
      this.classFacts.set(qualified, null);
      return undefined;
    }
    // the same judgement as for a class in the test module itself
    let isolatesCache = module.testing.decoratedWithCaches(node);
    let djangoTestCase = false;
    for (const base of module.testing.baseExpressions(node)) {
      const q = module.classes.has(base.text)
        ? `${module.name}.${base.text}`
        : (module.names.resolve(base) ?? base.text);
      if (DJANGO_TEST_CASES.has(q)) djangoTestCase = true;
      const info = this.classInfo(q, seen);
      if (info) {
        isolatesCache ||= info.isolatesCache;
        djangoTestCase ||= info.djangoTestCase;
      }
    }
    const facts = { file: module.file, line: node.startPosition.row, isolatesCache, djangoTestCase };
    this.classFacts.set(qualified, facts);
    return facts;
  }

  /** A module of the workspace, read for its top-level classes and what its names mean. */
  private moduleOf(name: string): ModuleEntry | null {
    const known = this.modules.get(name);
    if (known !== undefined) return known;
    const file = this.moduleFile(name);
    const root = file ? this.parseFile(file) : null;
    let entry: ModuleEntry | null = null;
    if (file && root) {
      const classes = new Map<string, Node>();
      for (const stmt of root.namedChildren) {
        const def = stmt && definitionOf(stmt);
        if (def?.type === 'class_definition') classes.set(field(def, 'name').text, def);
      }
      const defs = new Definitions(root.tree);
      const names = new Names(root, defs, name);
      entry = { name, file, classes, names, testing: new Testing([], names, defs) };
    }
    this.modules.set(name, entry);
    return entry;
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
    return (
      this.read(path.join(this.root, 'conftest.py')) !== null ||
      this.read(path.join(this.root, 'pytest.ini')) !== null ||
      has('pyproject.toml', /^\[tool\.pytest/m) ||
      has('setup.cfg', /^\[tool:pytest\]/m) ||
      has('tox.ini', /^\[pytest\]/m)
    );
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

interface ModuleEntry {
  name: string;
  file: string;
  classes: Map<string, Node>;
  names: Names;
  testing: Testing;
}

/** Whether a conftest.py module has an autouse fixture that gives the cache a private backend. */
function conftestIsolates(root: Node): boolean {
  const defs = new Definitions(root.tree);
  const testing = new Testing(
    root.namedChildren.filter((c): c is Node => c !== null),
    new Names(root, defs, 'conftest'),
    defs,
  );
  return testing.hasFileCacheIsolation();
}

export function viewFor(project: Project, file: string): ProjectView {
  let autouse: boolean | undefined;
  return {
    root: project.root,
    get settings() {
      return project.settingsFacts();
    },
    classInfo: q => project.classInfo(q),
    get autouseCacheIsolation() {
      return (autouse ??= project.autouseCacheIsolation(file));
    },
    get rootConftest() {
      const f = path.join(project.root, 'conftest.py');
      return { file: f, text: project.readText(f) };
    },
    get usesPytest() {
      return project.usesPytest();
    },
    readText: f => project.readText(f),
  };
}
