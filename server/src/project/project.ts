// The project around a test file as its test run sees it, read statically (never imported or run):
// how the tests are run and with which settings (runConfig.ts), what those settings hold
// (evaluate.ts, settings.ts), the classes of other modules (base test cases, models), and what
// resets state for every test (the runner, base classes, autouse fixtures). What cannot be read is
// "unknown", with a reason.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { Definitions } from '../analysis/defs';
import {
  declaresOrder,
  DJANGO_TEST_CASES,
  isDjangoManager,
  REDIS_ONLY,
  returnsCache,
  ROLLBACK_TEST_CASES,
} from '../analysis/django';
import { Names } from '../analysis/names';
import type {
  ClassFacts,
  CacheCleared,
  ClassLookup,
  Located,
  ProjectView,
  SettingsFacts,
  SubclassValue,
  WorkerPrefix,
} from '../analysis/projectView';
import { declaresFixtures, replacedSettings, Testing } from '../analysis/testing';
import { returnsFixedDate } from '../analysis/dates';
import {
  bodyStatements,
  classValues,
  constantText,
  defName,
  emptyContainerText,
  definitionOf,
  field,
  isConstant,
  keywordArgument,
  moduleLevelStatements,
  moduleValue,
  parameterNames,
  positionalArguments,
  stringValue,
  walk,
} from '../syntax/nodes';
import { parse, type Node } from '../syntax/parser';
import { escapeRegExp } from '../syntax/text';
import { Evaluator } from './evaluate';
import { isTestFile, isTestModule, moduleName } from './files';
import { collectedByPytest, namedForPytest, readRunConfig, type RunConfig } from './runConfig';
import { readSettingsFacts } from './settings';
import { viewThrottling, type ViewThrottling } from './throttles';
import { readRoutes, routeNamed, routeOfPath, type Route } from './urls';
import { markMatcher, type MarkMatcher } from '../analysis/marks';
import { mentionsString, readsEnvironAtRuntime, usesOfWord } from './usage';
import { configuredLineLength } from './style';
import {
  enclosingTopLevel,
  namingPlaces,
  projectReaders,
  routeRequesters,
  sharedNames,
  subclassNames,
  unsetReaders,
  type Definition,
  type SettingUse,
} from './settingUse';

/** Reads files; returns null when missing or unreadable. */
export type ReadFile = (file: string) => string | null;

/** How the project model reaches files beyond reading them (both optional: a host may not list directories). */
export interface ProjectFiles {
  /** the names in a directory, or null (django-split-settings' globs) */
  list?(dir: string): string[] | null;
  /** the test modules and conftest.py files under a directory (the resets `crosstalk project` lists) */
  walk?(dir: string, isTest: (file: string) => boolean): string[];
  /** pytest looks for its configuration up to here (the filesystem root, or the workspace folder) */
  ceiling?: string;
}

const PROJECT_MARKERS = [
  'manage.py',
  'pytest.ini',
  'setup.cfg',
  'tox.ini',
  'pyproject.toml',
  'pytest.toml',
  'runtests.py',
];

/**
 * The nearest directory above `file` that looks like a Django/pytest project root; with none, the
 * topmost one holding a conftest.py (pytest needs no other configuration); else `fallback`.
 */
export function findProjectRoot(file: string, read: ReadFile, fallback: string): string {
  let conftest: string | null = null;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (PROJECT_MARKERS.some(m => read(path.join(dir, m)) !== null)) return dir;
    if (read(path.join(dir, 'conftest.py')) !== null) conftest = dir;
    if (path.dirname(dir) === dir) return conftest ?? fallback;
  }
}

/** A reset of state for every test, as `crosstalk project` lists it. */
export interface ResetFact {
  what: 'cache' | 'translation' | 'settings';
  by: 'runner' | 'base-class' | 'fixture';
  at: Located;
}

/** the methods a test runner runs around the suite, its tests and its parallel workers */
const RUNNER_HOOKS =
  /^(setup_test_environment|teardown_test_environment|setup_databases|run_suite|run_tests|get_test_runner_kwargs|_init_worker|init_worker|setup_worker|__init__|run|_setup_worker)$/;
/** a statement that changes the cache: a new CACHES (override_settings, an assignment), or a clear() */
const CACHE_WRITE =
  /override_settings\(\s*CACHES\s*=|settings\.CACHES\s*(?:\[[^\]]*\]\s*)*=(?!=)|\bcaches?\b[^\n]*\.clear\(\)/;
/** a worker's cache pointed at a server or Redis database of its own: `caches["default"]._server = ...` */
const PER_WORKER_CONNECTION = /\bcaches\[[^\]]*\]\._server\s*=(?!=)|\bconnection_kwargs\[\s*["']db["']\s*\]\s*=(?!=)/;
const PER_TEST_HOOKS =
  /^(setUp|tearDown|_pre_setup|_post_teardown|asyncSetUp|asyncTearDown|setup_method|teardown_method)$/;

export class Project {
  private run: RunConfig | undefined;
  private lineLimit: number | null | undefined;
  private evaluator: Evaluator | undefined;
  private settings: SettingsFacts | undefined;
  private readonly modules = new Map<string, ModuleEntry | null>();
  private readonly classFacts = new Map<string, ClassFacts | null>();
  private readonly reexports = new Map<string, string>();
  private readonly conftests = new Map<string, ConftestFacts>();
  private readonly trees: { delete(): void }[] = [];
  private runnerReset: { perWorker: boolean; at: Located } | null | undefined;
  private readonly cacheHelpers = new Map<string, boolean>();
  private pythonFiles: string[] | null | undefined;
  private marks: MarkMatcher | null | undefined;
  private readonly environReads = new Map<string, boolean | null>();
  private readonly subclassAttributes = new Map<string, SubclassValue[] | null>();
  private readonly testsOutside = new Map<string, boolean | null>();
  private readonly uidReceivers = new Map<string, Located | null>();
  private readonly settingUses = new Map<string, SettingUse | null>();
  private readonly relatedOrders = new Map<string, boolean>();
  private readonly labelHolders = new Map<string, boolean | null>();
  private readonly fixtureUses = new Map<string, boolean | null>();
  private readonly occurring = new Map<string, number | null>();
  private readonly occurringInTests = new Map<string, number | null>();
  private userUuid: boolean | null | undefined;
  private readonly holders = new Map<string, string[] | null>();
  private urlRoutes: Route[] | undefined;
  private readonly throttlings = new Map<string, ViewThrottling | null>();
  private readonly requests = new Map<string, (ViewThrottling & { route: Route }) | null>();

  /** every file read once per project: the hosts rebuild the project when watched files change */
  private readonly texts = new Map<string, string | null>();
  private readonly read: ReadFile;

  constructor(
    readonly root: string,
    private readonly parser: Parser,
    private readonly readRaw: ReadFile,
    private readonly settingsModule: string | null = null,
    private readonly files: ProjectFiles = {},
  ) {
    this.read = file => {
      let text = this.texts.get(file);
      if (text === undefined) this.texts.set(file, (text = readRaw(file)));
      return text;
    };
  }

  /** Frees the syntax trees this project parsed (WASM memory). */
  dispose(): void {
    for (const t of this.trees.splice(0)) t.delete();
    this.modules.clear();
    this.classFacts.clear();
    this.reexports.clear();
    this.conftests.clear();
    this.texts.clear();
    this.settings = undefined;
    this.run = undefined;
    this.evaluator = undefined;
    this.runnerReset = undefined;
    this.cacheHelpers.clear();
    this.pythonFiles = undefined;
    this.marks = undefined;
    this.environReads.clear();
    this.settingUses.clear();
    this.labelHolders.clear();
    this.fixtureUses.clear();
    this.occurring.clear();
    this.occurringInTests.clear();
    this.userUuid = undefined;
    this.redisOnlyInCode = undefined;
    this.urlRoutes = undefined;
    this.throttlings.clear();
    this.requests.clear();
  }

  // ---- the run and its settings ----

  /** How the tests are run: runner, settings module and where it was chosen, the environment. */
  /**
   * The suite's runner collects `file` when it is named as a test module: pytest's `python_files`, where
   * the ini sets them, leaves out a `test_x.py` none matches (the CI run never sees its tests), and
   * `norecursedirs` (or pytest's defaults) a test module in a directory pytest never enters (fjord's
   * vendored packages). Helper modules and conftest.py files are imported, not collected: true for them.
   */
  collectsTests(file: string): boolean {
    const config = this.runConfig();
    // a module named as the ini file names test modules (`testhelpers.py` under `test*.py`) is one too
    const testModule =
      TEST_MODULE_NAME.test(path.basename(file)) || (!!config.pythonFiles && namedForPytest(config, file));
    return !testModule || collectedByPytest(config, file);
  }

  runConfig(): RunConfig {
    this.run ??= readRunConfig(
      this.root,
      this.files.ceiling ?? path.parse(this.root).root,
      { read: this.read, parse: f => this.parseFile(f), list: d => this.files.list?.(d) ?? null },
      this.settingsModule,
      null,
    );
    return this.run;
  }

  /** the line length the project's formatter or linter configures (null: none said) */
  lineLength(): number | null {
    if (this.lineLimit === undefined) this.lineLimit = configuredLineLength(this.root, f => this.readText(f));
    return this.lineLimit;
  }

  settingsFacts(): SettingsFacts {
    this.settings ??= readSettingsFacts(this.runConfig(), this.evaluate(), m => this.moduleFile(m));
    return this.settings;
  }

  private evaluate(): Evaluator {
    this.evaluator ??= new Evaluator(
      {
        moduleFile: m => this.moduleFile(m),
        parseFile: f => this.parseFile(f),
        glob: (dir, pattern) => this.glob(dir, pattern),
      },
      this.runConfig().env,
      this.runConfig().runner === 'pytest' ? 'pytest' : this.scriptArgv(),
    );
    return this.evaluator;
  }

  /** django-split-settings' patterns: `components/*.py`, a plain path. */
  private glob(dir: string, pattern: string): string[] {
    const full = path.resolve(dir, pattern);
    if (!/[*?[]/.test(pattern)) return this.read(full) !== null ? [full] : [];
    const names = this.files.list?.(path.dirname(full)) ?? [];
    const re = new RegExp(
      `^${path
        .basename(full)
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return names
      .filter(n => re.test(n))
      .sort()
      .map(n => path.join(path.dirname(full), n));
  }

  // ---- classes in other modules ----

  /** Facts about `module.Class` defined in the project (through its own in-file and imported bases). */
  classInfo(qualified: string, seen = new Set<string>()): ClassFacts | undefined {
    if (this.classFacts.has(qualified)) return this.classFacts.get(qualified) ?? undefined;
    if (seen.has(qualified)) return undefined;
    seen.add(qualified);
    const dot = qualified.lastIndexOf('.');
    const module = dot > 0 ? this.moduleOf(qualified.slice(0, dot)) : null;
    const node = module?.classes.get(qualified.slice(dot + 1));
    if (!module || !node) {
      // a name the module imports from another (a package's `__init__.py` re-exporting its TestCase,
      // reviewboard's behind `if TYPE_CHECKING:` and a module `__getattr__`): the class it names
      const target = module ? this.reexported(qualified) : qualified;
      const info = target !== qualified ? this.classInfo(target, seen) : undefined;
      this.classFacts.set(qualified, info ?? null);
      return info;
    }
    // the same judgement as for a class in the test module itself
    let isolatesCache = module.testing.decoratedWithCaches(node);
    let djangoTestCase = false;
    let rollsBack = false;
    const own = module.testing.classCacheReset(node);
    let resetsCache: Located | null = own?.node ? this.located(module.file, own.node) : (own?.at ?? null);
    // (a base class imported by the tests that sets the language before each test counts too)
    let restoresLanguage = module.testing.tearDownRestoresLanguage(node) || module.testing.setupSetsLanguage(node);
    let loadsFixtures = declaresFixtures(node);
    const patchersStopped = new Set(module.testing.patchersStopped(node));
    const objectsReverted = new Set(module.testing.objectsReverted(node));
    let overridesSettings = module.testing.decoratedWithSettingsOverride(node);
    let model: ClassFacts['model'] = null;
    let plain = true;
    let data = isDataClass(node, module.names);
    let unreadBase = false;
    for (const base of module.testing.baseExpressions(node)) {
      const q = module.classes.has(base.text)
        ? `${module.name}.${base.text}`
        : (module.names.resolve(base) ?? base.text);
      if (DJANGO_TEST_CASES.has(q)) djangoTestCase = true;
      if (ROLLBACK_TEST_CASES.has(q)) rollsBack = true;
      if (q === 'django.db.models.Model' || DJANGO_ABSTRACT_MODEL.test(q))
        model ??= { abstract: false, uuidPk: false, ordered: false };
      const info = this.classInfo(q, seen);
      // a base that is neither Django's model nor read here (a library's) may bring an order
      if (!info && q !== 'object' && q !== 'django.db.models.Model' && !DJANGO_ABSTRACT_MODEL.test(q))
        unreadBase = true;
      if (q !== 'object' && !info?.plain) plain = false;
      if (DATA_BASES.has(q)) data = true;
      if (info) {
        data ||= info.data;
        isolatesCache ||= info.isolatesCache;
        djangoTestCase ||= info.djangoTestCase;
        rollsBack ||= info.rollsBack;
        resetsCache ??= info.resetsCache;
        restoresLanguage ||= info.restoresLanguage;
        loadsFixtures ||= info.loadsFixtures;
        for (const p of info.patchersStopped) patchersStopped.add(p);
        for (const o of info.objectsReverted) objectsReverted.add(o);
        overridesSettings ||= info.overridesSettings;
        if (info.model)
          model = {
            abstract: false,
            uuidPk: (model?.uuidPk ?? false) || info.model.uuidPk,
            ordered: (model?.ordered ?? false) || info.model.ordered,
          };
      }
    }
    if (model)
      model = {
        abstract: /^\s*abstract\s*=\s*True\b/m.test(innerClass(node, 'Meta')?.text ?? ''),
        uuidPk: model.uuidPk || declaresUuidPk(node),
        ordered: model.ordered || unreadBase || declaresOrder(node, this.lookupIn(module)),
      };
    const facts: ClassFacts = {
      file: module.file,
      line: node.startPosition.row,
      isolatesCache,
      djangoTestCase,
      rollsBack,
      resetsCache,
      restoresLanguage,
      loadsFixtures,
      patchersStopped,
      objectsReverted,
      overridesSettings,
      model,
      plain: plain && !model,
      data,
      setup: module.testing.setupWrites(node),
    };
    this.classFacts.set(qualified, facts);
    return facts;
  }

  // ---- URLs and views ----

  /** The routes of the settings' ROOT_URLCONF, in the order Django tries them (none where it cannot be read). */
  routes(): readonly Route[] {
    if (this.urlRoutes) return this.urlRoutes;
    const setting = this.settingsFacts().constants.get('ROOT_URLCONF');
    const urlconf = setting?.startsWith('"') ? (JSON.parse(setting) as string) : null;
    this.urlRoutes = urlconf ? readRoutes(urlconf, m => this.moduleOf(m)) : [];
    return this.urlRoutes;
  }

  /**
   * The throttles of the view a request reaches (by its path, or by the route name `reverse` is given),
   * where the view sets `throttle_classes` of its own; null where the route or view cannot be told, or the
   * settings' defaults apply.
   */
  requestThrottling(target: { path: string } | { name: string }): (ViewThrottling & { route: Route }) | null {
    // every test of a module asks for the same few paths: each is matched against the routes once
    const key = 'path' in target ? `path:${target.path}` : `name:${target.name}`;
    const known = this.requests.get(key);
    if (known !== undefined) return known;
    const reached = this.reachThrottling(target);
    this.requests.set(key, reached);
    return reached;
  }

  private reachThrottling(target: { path: string } | { name: string }): (ViewThrottling & { route: Route }) | null {
    const routes = this.routes();
    const route = 'path' in target ? routeOfPath(routes, target.path) : routeNamed(routes, target.name);
    const view = route?.view && this.viewClass(route.view);
    if (!route || !view) return null;
    let throttling = this.throttlings.get(view);
    if (throttling === undefined) {
      throttling = viewThrottling(this.evaluate(), view, this.settingsFacts().throttling);
      this.throttlings.set(view, throttling);
    }
    return throttling && { ...throttling, route };
  }

  /** The class a name in `module` stands for, as the project reads it (ClassLookup). */
  private lookupIn(module: ModuleEntry): ClassLookup {
    return name => {
      if (name.type === 'identifier' && module.classes.has(name.text))
        return { node: module.classes.get(name.text) as Node, lookup: this.lookupIn(module) };
      return this.classNamed(module.names.resolve(name) ?? name.text);
    };
  }

  /** A class by its qualified name (ClassLookup): Django's own manager or queryset, or one of the project's. */
  classNamed(qualified: string): ReturnType<ClassLookup> {
    if (isDjangoManager(qualified)) return 'django';
    const found = this.classEntry(qualified);
    return found && { node: found.node, lookup: this.lookupIn(found.module) };
  }

  /** The project's class `qualified` and the module that defines it (through a re-export). */
  private classEntry(qualified: string): { module: ModuleEntry; node: Node } | null {
    const dot = qualified.lastIndexOf('.');
    const module = dot > 0 ? this.moduleOf(qualified.slice(0, dot)) : null;
    const node = module?.classes.get(qualified.slice(dot + 1));
    if (module && node) return { module, node };
    const target = module ? this.reexported(qualified) : qualified;
    return target !== qualified ? this.classEntry(target) : null;
  }

  /** The class a route's view is: itself, or the class whose `as_view()` a module-level name holds. */
  private viewClass(qualified: string): string | null {
    const dot = qualified.lastIndexOf('.');
    const module = dot > 0 ? this.moduleOf(qualified.slice(0, dot)) : null;
    const name = qualified.slice(dot + 1);
    if (!module) return null;
    if (module.classes.has(name)) return qualified;
    // `hawc_obtain_auth_token = HawcObtainAuthToken.as_view()`
    for (const stmt of module.root.namedChildren) {
      const a = stmt?.type === 'expression_statement' ? stmt.namedChildren[0] : null;
      if (a?.type !== 'assignment' || a.childForFieldName('left')?.text !== name) continue;
      const fn = a.childForFieldName('right')?.childForFieldName('function');
      const cls =
        fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'as_view'
          ? fn.childForFieldName('object')
          : null;
      if (!cls) return null;
      if (cls.type === 'identifier' && module.classes.has(cls.text)) return `${module.name}.${cls.text}`;
      return module.names.resolve(cls) ?? null;
    }
    return this.reexported(qualified) !== qualified ? this.viewClass(this.reexported(qualified)) : null;
  }

  /** AUTH_USER_MODEL's class has a UUID primary key; null when unknown (see ProjectView.userPkIsUuid). */
  userPkIsUuid(): boolean | null {
    if (this.userUuid === undefined) this.userUuid = this.readUserPkIsUuid();
    return this.userUuid;
  }

  private readUserPkIsUuid(): boolean | null {
    const settings = this.settingsFacts();
    const setting = settings.constants.get('AUTH_USER_MODEL');
    if (!setting) return settings.unknown || !settings.file ? null : false; // Django's auth.User: an AutoField
    const [label, model] = (JSON.parse(setting) as string).split('.');
    const app = label && settings.appNames.get(label);
    if (!app || !model) return null;
    const info = this.classInfo(this.reexported(`${app}.models.${model}`));
    return info?.model ? info.model.uuidPk : null;
  }

  reexported(qualified: string): string {
    const cached = this.reexports.get(qualified);
    if (cached !== undefined) return cached;
    let known: string = qualified;
    // three steps at most: `a.settings` from `b.settings` from `django.conf.settings`
    for (let step = 0; step < 3; step++) {
      const dot: number = known.lastIndexOf('.');
      const module: ModuleEntry | null =
        dot > 0 && !known.startsWith('django.') ? this.moduleOf(known.slice(0, dot)) : null;
      const name = known.slice(dot + 1);
      const target: string | undefined = module?.names.moduleImports().find(([n]) => n === name)?.[1];
      if (!target || target === known) break;
      known = target;
    }
    this.reexports.set(qualified, known);
    return known;
  }

  /** A module of the project, read for its top-level classes and what its names mean. */
  private moduleOf(name: string): ModuleEntry | null {
    const known = this.modules.get(name);
    if (known !== undefined) return known;
    this.settingsFacts(); // the settings may put the module's directory on sys.path
    const file = this.moduleFile(name);
    const root = file ? this.parseFile(file) : null;
    let entry: ModuleEntry | null = null;
    if (file && root) {
      const classes = new Map<string, Node>();
      const functions = new Map<string, Node>();
      for (const stmt of root.namedChildren) {
        const def = stmt && definitionOf(stmt);
        if (def?.type === 'class_definition') classes.set(field(def, 'name').text, def);
        if (def?.type === 'function_definition') functions.set(field(def, 'name').text, def);
      }
      // a package's `__init__.py` imports `.probes` from the package itself, not from its parent
      const relativeTo = path.basename(file) === '__init__.py' ? `${name}.__init__` : name;
      entry = { name, file, root, classes, functions, ...analysisOf(root, relativeTo, [], this.cacheGetter) };
    }
    this.modules.set(name, entry);
    return entry;
  }

  /**
   * The constant a project module gives `module.NAME` (or `module.Class.attr`) where it is defined:
   * `NAME = False`, `NAME = getattr(settings, "NAME", False)`, a class body's `attr = ""`; for an
   * instance the module makes (`FLAGS = FeatureFlags()`), what its class's `__init__` gives
   * `self.attr` where the class fills it lazily (checks it before use), else its class body. Its
   * text, or null when it is not a constant or not found.
   */
  attributeDefault(qualified: string): string | null {
    const parts = qualified.split('.');
    const name = parts[parts.length - 1] ?? '';
    for (const [moduleParts, cls] of [
      [parts.slice(0, -1), null],
      [parts.slice(0, -2), parts.at(-2)],
    ] as const) {
      const module = moduleParts.length ? this.moduleOf(moduleParts.join('.')) : null;
      if (!module) continue;
      const topLevel = module.root.namedChildren.filter((c): c is Node => !!c);
      if (!cls) {
        const value = constantAssigned(topLevel, name);
        if (value !== undefined) return value;
        continue;
      }
      const klass = module.classes.get(cls) ?? instanceClass(module.classes, topLevel, cls);
      if (!klass) continue;
      const init = module.classes.has(cls)
        ? undefined
        : bodyStatements(klass)
            .map(definitionOf)
            .find(d => d.type === 'function_definition' && defName(d) === '__init__');
      // __init__'s value is where the object starts; it is the value it falls back to only where the
      // class checks for it before use (filled lazily: `if self.client is None: ...`), not where
      // something fills it once at start-up
      const lazy = new RegExp(
        `\\bif\\s+(?:not\\s+)?self\\.${escapeRegExp(name)}\\b(?:\\s+is\\s+(?:not\\s+)?None)?(?=\\s*(?::|and\\b|or\\b))`,
      );
      const fromInit =
        init && lazy.test(klass.text) ? constantAssigned(bodyStatements(init), `self.${name}`) : undefined;
      const value = fromInit !== undefined ? fromInit : constantAssigned(bodyStatements(klass), name);
      if (value !== undefined) return value;
    }
    return null;
  }

  /**
   * What the project's classes deriving from a class named `name` give `attr` (ProjectView says more):
   * matched by the last name of a base, as `class LessonTest(BaseTestWithDB)` names the one it
   * imports, and followed down to subclasses of subclasses. A subclass that assigns nothing inherits
   * what a class above it gives. Null when the files cannot be listed, or past MOST_SUBCLASSES.
   */
  subclassValues(name: string, attr: string): SubclassValue[] | null {
    return this.searched(this.subclassAttributes, `${name}.${attr}`, () => {
      const out: SubclassValue[] = [];
      const seen = new Set<string>([name]);
      const queue: { name: string; overrides: ReadonlySet<string> }[] = [{ name, overrides: new Set() }];
      for (let next = queue.shift(); next; next = queue.shift()) {
        const base = new RegExp(`^[ \\t]*class\\s+\\w+\\s*\\([^)]*\\b${escapeRegExp(next.name)}\\b`, 'm');
        for (const { text } of this.filesHolding(t => base.test(t))) {
          const tree = parse(this.parser, text);
          try {
            for (const stmt of moduleLevelStatements(tree.rootNode)) {
              const cls = definitionOf(stmt);
              if (cls.type !== 'class_definition' || !derivesFrom(cls, next.name)) continue;
              const sub = defName(cls);
              const overrides = new Set([...next.overrides, ...settingsOverridden(stmt)]);
              for (const value of classValues(cls, attr)) {
                const named = value.type === 'identifier' ? moduleValue(tree.rootNode, value.text) : null;
                const constant = stringValue(named ?? value);
                out.push({ value: constant, none: value.type === 'none', overrides });
              }
              if (seen.has(sub)) continue;
              seen.add(sub);
              queue.push({ name: sub, overrides });
            }
          } finally {
            tree.delete();
          }
          if (seen.size > MOST_SUBCLASSES) return null;
        }
      }
      return out;
    });
  }

  /** Whether some test file of the project lies outside `folder`; null when the files cannot be listed. */
  testsOutsideFolder(folder: string): boolean | null {
    return this.searched(this.testsOutside, folder, () =>
      (this.pythonFiles ?? []).some(f => isTestFile(f, this.root) && path.relative(folder, f).startsWith('..')),
    );
  }

  /**
   * Whether `qualified` (`app.tests.mocks.FakeClient.reply`) lives in one of the project's test
   * modules (a test file, a conftest.py, anything under tests/): a test double, or other code only tests use.
   * A library's is one where a package below its top is named `tests` (`webtoolkit.tests.mocks.Counter`:
   * the doubles it ships for its users' tests); not `django.test`, whose test case classes every test runs.
   */
  definedInTests(qualified: string): boolean {
    const parts = qualified.split('.');
    for (let n = parts.length - 1; n > 0; n--) {
      const module = parts.slice(0, n).join('.');
      const file = this.moduleFile(module);
      if (file) return isTestFile(file, this.root) || isTestModule(module);
    }
    return parts.slice(1, -1).includes('tests');
  }

  /**
   * Whether some app of the project could carry the label `label`: a package of that name with a
   * models.py or an apps.py (an app's default label is its package's last name), or an AppConfig declaring
   * `label = "<label>"`. Null when the files cannot be listed. What INSTALLED_APPS adds from the
   * environment or from plugin folders is one of these, or a library's.
   */
  appCouldHaveLabel(label: string): boolean | null {
    return this.searched(this.labelHolders, label, () => this.findsAppLabelled(label));
  }

  private findsAppLabelled(label: string): boolean {
    const tail = new RegExp(`(^|[\\\\/])${escapeRegExp(label)}[\\\\/](apps|models)(\\.py|[\\\\/]__init__\\.py)$`);
    if ((this.pythonFiles ?? []).some(f => tail.test(f))) return true;
    const declared = new RegExp(`^\\s+label\\s*=\\s*["']${escapeRegExp(label)}["']`, 'm');
    for (const _ of this.filesHolding(
      t => declared.test(t),
      f => /(^|[\\/])apps\.py$/.test(f),
    ))
      return true;
    return false;
  }

  /**
   * What the Django runner's script puts in sys.argv: `manage.py test`, or a runtests.py of its own,
   * unless that script inserts "test" as the command (`sys.argv.insert(1, "test")`, then
   * execute_from_command_line): then settings see `sys.argv[1] == "test"` too.
   */
  private scriptArgv(): 'django' | 'runtests' {
    const file = this.runConfig().source?.file ?? '';
    if (!/runtests/.test(file)) return 'django';
    const text = this.read(file) ?? '';
    return /\.insert\(\s*1\s*,\s*["']test["']\s*\)/.test(text) ? 'django' : 'runtests';
  }

  /** The ranges of `file` in branches of the settings the test run does not take (the settings read first). */
  unreachedIn(file: string): readonly (readonly [number, number])[] {
    this.settingsFacts();
    return this.evaluator?.unreached.get(file) ?? [];
  }

  /** A top-level function of the project's modules, `module.function`, with its module; or null. */
  private functionOf(qualified: string): { module: ModuleEntry; fn: Node } | null {
    const dot = qualified.lastIndexOf('.');
    const module = dot > 0 ? this.moduleOf(qualified.slice(0, dot)) : null;
    const fn = module?.functions.get(qualified.slice(dot + 1));
    return module && fn ? { module, fn } : null;
  }

  /** Whether `module.function` is a top-level function of one of the project's own modules. */
  definesFunction(qualified: string): boolean {
    return this.functionOf(qualified) !== null;
  }

  /**
   * Whether `module.function` of the project does nothing: its body is only `pass`, `...` and a
   * docstring (askanna's receiver whose work is commented out). Not found: false.
   */
  functionDoesNothing(qualified: string): boolean {
    const body = this.functionOf(qualified)?.fn.childForFieldName('body');
    return (
      !!body &&
      body.namedChildren.every(
        stmt =>
          !stmt ||
          stmt.type === 'comment' ||
          stmt.type === 'pass_statement' ||
          (stmt.type === 'expression_statement' && /^(string|ellipsis)$/.test(stmt.namedChildren[0]?.type ?? '')),
      )
    );
  }

  /** See ProjectView.relatedUnordered. */
  relatedUnordered(field: string): boolean {
    const known = this.relatedOrders.get(field);
    if (known !== undefined) return known;
    const declared = new RegExp(String.raw`^[ \t]+${escapeRegExp(field)}\s*=\s*(?:[\w.]+\.)?ManyToManyField\(`, 'm');
    let found = 0;
    let unordered = true;
    for (const file of this.filesMentioning('ManyToManyField') ?? []) {
      if (!unordered) break;
      if (!declared.test(this.readText(file) ?? '')) continue;
      const module = this.moduleOf(moduleName(file, this.root));
      if (!module) {
        unordered = false;
        break;
      }
      for (const [name, cls] of module.classes) {
        for (const stmt of bodyStatements(cls)) {
          const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
          const call = assign?.type === 'assignment' ? assign.childForFieldName('right') : null;
          if (assign?.childForFieldName('left')?.text !== field || call?.type !== 'call') continue;
          if (!/(^|\.)ManyToManyField$/.test(call.childForFieldName('function')?.text ?? '')) continue;
          found++;
          const target = positionalArguments(call)[0] ?? keywordArgument(call, 'to');
          const q = target ? this.relatedModel(module, name, target) : undefined;
          const model = q ? this.classInfo(q)?.model : undefined;
          if (!model || model.ordered) unordered = false;
        }
      }
    }
    const answer = found > 0 && unordered;
    this.relatedOrders.set(field, answer);
    return answer;
  }

  /** The model a relation field of class `owner` of `module` leads to: `Tag`, `"Tag"`, `"self"`, an import. */
  private relatedModel(module: ModuleEntry, owner: string, target: Node): string | undefined {
    const text = target.type === 'string' ? stringValue(target) : target.type === 'identifier' ? target.text : null;
    if (!text) return undefined;
    if (text === 'self') return `${module.name}.${owner}`;
    if (module.classes.has(text)) return `${module.name}.${text}`;
    // `"app_label.Model"` names an app by its label: not followed
    return target.type === 'identifier' ? module.names.resolve(target) : undefined;
  }

  /** Whether a function of the project's modules calls the Django cache itself. */
  functionUsesCache(qualified: string): boolean {
    const known = this.cacheHelpers.get(qualified);
    if (known !== undefined) return known;
    const found = this.functionOf(qualified);
    const uses = !!found && /cache/.test(found.fn.text) && found.module.testing.callsCache(found.fn);
    this.cacheHelpers.set(qualified, uses);
    return uses;
  }

  /**
   * What a top-level function of the project's modules empties of the Django cache itself
   * (open-forms' `clear_caches()`, a loop over `caches.all()` that tests register with `addCleanup`):
   * every alias, or one; null when it empties none.
   */
  functionClearsCache(qualified: string): CacheCleared | null {
    const found = this.functionOf(qualified);
    if (!found || !/clear/.test(found.fn.text) || !/\bdjango\.core\.cache\b/.test(found.module.root.text)) return null;
    const call = found.module.testing.clearsCache(found.fn);
    const receiver = call?.childForFieldName('function')?.childForFieldName('object');
    if (!receiver) return null;
    if (
      receiver.type === 'identifier' &&
      new RegExp(`for\\s+${receiver.text}\\s+in\\s+[\\w.]*caches\\b`).test(found.fn.text)
    )
      return { every: true, alias: 'default' };
    const key = receiver.type === 'subscript' ? receiver.childForFieldName('subscript') : null;
    const alias = key ? stringValue(key) : 'default';
    return alias === null ? null : { every: false, alias };
  }

  /**
   * The methods of the project's class `qualified` (its own body) that use the Django cache themselves:
   * a test calling one (`LmsUserApiClient().best_effort_user_data(12345)`) uses the cache.
   */
  methodsUsingCache(qualified: string): string[] {
    const found = this.classEntry(qualified);
    if (!found || !/cache/.test(found.node.text)) return [];
    const { module, node } = found;
    const methods = bodyStatements(node)
      .map(definitionOf)
      .filter(def => def.type === 'function_definition');
    const direct = new Set(
      methods.filter(def => /cache/.test(def.text) && module.testing.callsCache(def)).map(defName),
    );
    // and those calling one of them on self, one level (edx-analytics-dashboard's
    // `get_course_summaries()` reads the cache through `self._get_summaries()`)
    const calls = [...direct].map(name => `self.${name}(`);
    return [
      ...direct,
      ...methods.filter(def => !direct.has(defName(def)) && calls.some(c => def.text.includes(c))).map(defName),
    ];
  }
  /**
   * The one key a method of the project's class `qualified` gives the cache, where it is a constant: a
   * literal, or a class attribute holding one (`cache.get(self.CACHE_KEY)`), itself or through the method
   * of its own it calls (edx-analytics-dashboard's presenter); null otherwise.
   */
  methodCacheKey(qualified: string, method: string): string | null {
    const found = this.classEntry(qualified);
    if (!found) return null;
    const defs = bodyStatements(found.node).map(definitionOf);
    const body = (name: string) => defs.find(d => d.type === 'function_definition' && defName(d) === name)?.text ?? '';
    const constant = (name: string) => {
      const m = new RegExp(`^\\s*${name}\\s*=\\s*(["'])([^"'\\n]+)\\1\\s*$`, 'm').exec(found.node.text);
      return m?.[2] ?? null;
    };
    const keyIn = (text: string): string | null => {
      const keys = new Set<string>();
      for (const m of text.matchAll(/\bcache\.\w+\(\s*(?:self\.([A-Z][A-Z0-9_]*)|(["'])([^"'\n]+)\2)\s*[,)]/g)) {
        const key = m[1] ? constant(m[1]) : (m[3] ?? null);
        if (key === null) return null;
        keys.add(key);
      }
      return keys.size === 1 ? ([...keys][0] ?? null) : null;
    };
    const own = body(method);
    if (/\bcache\./.test(own)) return keyIn(own);
    const called = [...new Set([...own.matchAll(/\bself\.(\w+)\(/g)].map(m => m[1] ?? ''))].filter(n =>
      /\bcache\./.test(body(n)),
    );
    return called.length === 1 && called[0] ? keyIn(body(called[0])) : null;
  }

  /**
   * Where a function of the project's modules opens a file under its parameter number `index`
   * (`open(Path(directory) / name, "wb")`, `os.path.join(directory, ...)` opened or removed), with a
   * name it does not make unique: the line, or null. tamato's `dit_file_generator("/tmp", 230001)`.
   */
  parameterOpened(qualified: string, index: number): Located | null {
    const { module, fn } = this.functionOf(qualified) ?? {};
    const name = fn ? parameterNames(fn)[index] : undefined;
    if (!module || !fn || !name || !/^\w+$/.test(name) || UNIQUE_FILE.test(fn.text)) return null;
    const opened = new RegExp(
      `\\b(?:open|remove|unlink|rmtree|listdir|makedirs|ZipFile|write_text|write_bytes)\\s*\\(\\s*(?:(?:pathlib\\.)?Path\\s*\\(\\s*|os\\.path\\.join\\s*\\(\\s*)?${name}\\b`,
    ).exec(fn.text);
    return opened ? this.located(module.file, fn, fn.startIndex + opened.index) : null;
  }

  /**
   * The settings a project function writes on its parameter number `index` (`settings.COUNTDOWN = 30`,
   * `settings.ALLOWED += [...]`: edX plugins' `plugin_settings(settings)`), in the order written, with where
   * the first is; null when it writes none or cannot be read.
   */
  parameterSettingsWritten(qualified: string, index: number): { names: string[]; at: Located } | null {
    const { module, fn } = this.functionOf(qualified) ?? {};
    const name = fn ? parameterNames(fn)[index] : undefined;
    if (!module || !fn || !name || !/^\w+$/.test(name)) return null;
    const names: string[] = [];
    let first: number | null = null;
    for (const m of fn.text.matchAll(new RegExp(`^[ \\t]*${name}\\.([A-Z][A-Z0-9_]*)\\s*(?:[-+|]?=)(?!=)`, 'gm'))) {
      if (!m[1] || names.includes(m[1])) continue;
      names.push(m[1]);
      first ??= fn.startIndex + m.index + (m[0].length - m[0].trimStart().length);
    }
    return first === null ? null : { names, at: this.located(module.file, fn, first) };
  }

  /**
   * Whether the project module `module` connects its own `receiver` to `signal` at import, with neither
   * sender nor `dispatch_uid` (`update_signal.connect(update_receiver)`, or `@receiver(update_signal)` on
   * the function): a test connecting that same object again adds nothing, as Django keys a receiver by
   * itself and its sender (amy's 34 `test_receiver_connected_to_signal`).
   */
  moduleConnects(module: string, signal: string, receiver: string, sender?: string): boolean {
    const file = this.moduleFile(module);
    const text = file ? this.read(file) : null;
    if (!text?.includes(receiver) || (sender && !text.includes(sender))) return false;
    const [s, r] = [escapeRegExp(signal), escapeRegExp(receiver)];
    const weak = '(?:,\\s*weak\\s*=\\s*\\w+\\s*)?';
    // the same sender, by its last name (`sender=models.WebsiteContent` too)
    const by = sender ? `,\\s*sender\\s*=\\s*(?:[\\w.]*\\.)?${escapeRegExp(sender)}\\s*` : '';
    return new RegExp(
      `^[\\w.]*\\b${s}\\.connect\\(\\s*${r}\\s*${weak}${by}${weak},?\\s*\\)|^@(?:\\w+\\.)?receiver\\(\\s*[\\w.]*\\b${s}\\s*${by},?\\s*\\)\\s*\\n(?:async\\s+)?def\\s+${r}\\b`,
      'm',
    ).test(text);
  }

  /**
   * Where the project's own code (not its tests) connects a receiver to `signal` under the string
   * `dispatch_uid` `uid`: `@receiver(post_save, sender=SetupEvent, dispatch_uid="setup_event")` or
   * `post_save.connect(f, dispatch_uid="setup_event")`; null when none does or the files cannot be
   * listed. A test's `post_save.disconnect(dispatch_uid="setup_event")` takes that receiver off (Core-Portal).
   */
  receiverConnectedUnder(signal: string, uid: string): Located | null {
    return (
      this.searched(this.uidReceivers, `${signal}\0${uid}`, () => {
        const [s, u] = [escapeRegExp(signal), escapeRegExp(uid)];
        const connects = new RegExp(
          `(?:@(?:\\w+\\.)?receiver\\(\\s*[\\w.]*\\b${s}\\b|\\b${s}\\.connect\\()[^)]*?\\bdispatch_uid\\s*=\\s*(['"])${u}\\1`,
        );
        for (const { file, text } of this.filesHolding(
          t => t.includes(uid),
          f => !isTestFile(f, this.root),
        )) {
          const m = connects.exec(text);
          if (m) return this.locatedAt(file, text, m.index);
        }
        return null;
      }) ?? null
    );
  }

  /** functionReturnsCache, for the project's own analysis of its modules (which has no view of the project) */
  private readonly cacheGetter = (qualified: string): boolean => this.functionReturnsCache(qualified);

  /**
   * Whether a function of the project's modules returns a Django cache: `return caches[alias]`
   * (django-axes's `get_cache()`), so `get_cache().clear()` empties it.
   */
  functionReturnsCache(qualified: string): boolean {
    const key = `return:${qualified}`;
    const known = this.cacheHelpers.get(key);
    if (known !== undefined) return known;
    const found = this.functionOf(qualified);
    const returns = !!found && returnsCache(found.fn.text) && /\bdjango\.core\.cache\b/.test(found.module.root.text);
    this.cacheHelpers.set(key, returns);
    return returns;
  }

  /** Whether any module of the project that is not a test calls django-redis's own API (REDIS_ONLY). */
  get codeUsesRedisOnlyApi(): boolean {
    return (this.redisOnlyInCode ??= !this.filesHolding(
      t => REDIS_ONLY.test(t),
      f => !isTestFile(f, this.root),
    ).next().done);
  }
  private redisOnlyInCode: boolean | undefined;

  /**
   * Whether the project module `name` (or, for `module.function`, its module) calls an API only
   * django-redis's cache has (`delete_pattern`, `lock`, `get_redis_connection`): code a test imports
   * from it would break on a LocMemCache.
   */
  moduleUsesRedisOnlyApi(name: string): boolean {
    for (const candidate of [name, name.slice(0, Math.max(0, name.lastIndexOf('.')))]) {
      const file = candidate ? this.moduleFile(candidate) : null;
      const text = file ? this.read(file) : null;
      if (text && REDIS_ONLY.test(text)) return true;
    }
    return false;
  }

  // ---- who uses a name anywhere in the project ----

  /** The project's Python files whose text passes `pattern`, one by one (read afresh: a workspace may be big). */
  private *filesHolding(
    pattern: (text: string) => boolean,
    among: (file: string) => boolean = () => true,
  ): Generator<{ file: string; text: string }> {
    for (const file of this.pythonFiles ?? []) {
      if (!among(file)) continue;
      const text = this.texts.get(file) ?? this.readRaw(file);
      if (text !== null && pattern(text)) yield { file, text };
    }
  }

  private canSearch(): boolean {
    // no Python file at all (not even the one analysed): a folder that is not on this disk
    if (this.pythonFiles === undefined) this.pythonFiles = this.files.walk?.(this.root, () => true) || null;
    if (this.pythonFiles?.length === 0) this.pythonFiles = null;
    return this.pythonFiles !== null;
  }

  /** A search of the project's files, once per key: `search`'s answer, or null when the files cannot be listed. */
  private searched<T>(cache: Map<string, T | null>, key: string, search: (key: string) => T): T | null {
    let answer = cache.get(key);
    if (answer === undefined) cache.set(key, (answer = this.canSearch() ? search(key) : null));
    return answer;
  }

  /**
   * Whether some code of the project reads the environment variable `name` while tests run (usage.ts says
   * what counts); null when the project's files cannot be listed.
   */
  readsEnviron(name: string): boolean | null {
    return this.searched(this.environReads, name, () => {
      for (const { text } of this.filesHolding(t => mentionsString(t, name))) {
        const tree = parse(this.parser, text);
        try {
          if (readsEnvironAtRuntime(tree.rootNode, name)) return true;
        } finally {
          tree.delete();
        }
      }
      return false;
    });
  }

  /**
   * Who reads the setting `name` while tests run (settingUse.ts says what counts): the project's own code,
   * in functions or at import, and the tests that read it (or name a function or class of the project
   * reading it) without setting it first; null when the project's files cannot be listed.
   */
  settingUse(name: string): SettingUse | null {
    return this.searched(this.settingUses, name, () => {
      const word = new RegExp(`\\b${escapeRegExp(name)}\\b`);
      const parsed = (files: Iterable<{ file: string; text: string }>) =>
        [...files].map(f => ({ ...f, tree: parse(this.parser, f.text) }));
      const code = parsed(
        this.filesHolding(
          t => word.test(t),
          f => !isTestFile(f, this.root),
        ),
      );
      let found;
      try {
        found = projectReaders(
          code.map(f => ({ file: f.file, root: f.tree.rootNode })),
          name,
        );
      } finally {
        for (const f of code) f.tree.delete();
      }
      // each function or class reading it, with the classes deriving from it (a test names those), and
      // whether other code of the project calls it (then tests reach it without naming it), unless only
      // views of the URLconf do: then the tests requesting those views reach it
      const entries = new Map<string, Set<string>>();
      let shared = new Map<string, string[]>();
      let called = false;
      const routed = new Map<string, Route[]>();
      if (found.runtime.size > 0) {
        const any = new RegExp(`\\b(?:${[...found.runtime.keys()].map(escapeRegExp).join('|')})\\b`);
        const holders = [
          ...this.filesHolding(
            t => any.test(t),
            f => !isTestFile(f, this.root),
          ),
        ];
        const texts = holders.map(f => f.text);
        shared = sharedNames(holders, found.runtime, f => moduleName(f, this.root));
        for (const [entry, defs] of found.runtime) {
          entries.set(entry, subclassNames(texts, new Set([entry])));
          if (called || namingPlaces(holders, entry, defs).length === 0) continue;
          const routes = this.routesReaching(entry, defs);
          if (routes) routed.set(entry, routes);
          else called = true;
        }
      }
      const all = new Set([...entries].flatMap(([e, subs]) => [e, ...subs]));
      const requested = called || routed.size === 0 ? null : this.routeRequesters([...routed.values()].flat());
      if (!requested) called ||= routed.size > 0;
      const named = new RegExp(`\\b(?:${[name, ...all].map(escapeRegExp).join('|')})\\b`);
      const tests = parsed(
        this.filesHolding(
          t => named.test(t),
          f => isTestFile(f, this.root) || !!requested?.files.has(f),
        ),
      );
      try {
        const { readers, unnamed } = unsetReaders(
          tests.map(f => ({
            file: f.file,
            text: f.text,
            module: moduleName(f.file, this.root),
            root: f.tree.rootNode,
          })),
          name,
          all,
          shared,
          requested?.ids,
        );
        return {
          readAtRuntime: found.runtime.size > 0,
          readAtImport: found.atImport,
          defined: found.defined,
          defaultWhereUnset: found.defaultWhereUnset,
          hiddenReaders:
            called ||
            [...entries].some(([e, subs]) => !routed.has(e) && unnamed.has(e) && [...subs].every(s => unnamed.has(s))),
          unsetReaders: readers,
          readOnEveryRequest: this.namedByPath(found.runtime),
        };
      } finally {
        for (const f of tests) f.tree.delete();
      }
    });
  }

  /**
   * The routes of the URLconf through which alone the project's code reaches `entry` (a top-level function
   * or class, defined at `defs`): a view a route names, or code only such views name (a view's permission
   * class, a helper it calls), two steps at most. Null where other code names it (a task, a command, a
   * module's top level) or nothing does (a signal receiver): tests reach it in ways not followed.
   */
  private routesReaching(entry: string, defs: readonly Definition[], depth = 0): Route[] | null {
    const routes = this.routes();
    if (routes.length === 0 || depth > 2) return null;
    const own = routes.filter(r => r.view === entry || !!r.view?.endsWith(`.${entry}`));
    const routeFiles = new Set(own.map(r => r.file));
    const word = new RegExp(`\\b${escapeRegExp(entry)}\\b`);
    const holders = [
      ...this.filesHolding(
        t => word.test(t),
        f => !isTestFile(f, this.root),
      ),
    ];
    const out = [...own];
    const places = namingPlaces(holders, entry, defs);
    if (places.length === 0 && own.length === 0) return null;
    for (const { file, text, at } of places) {
      if (routeFiles.has(file)) continue;
      for (const offset of at) {
        const caller = enclosingTopLevel(text, offset);
        if (!caller || caller.name === entry) return null;
        const reached = this.routesReaching(caller.name, [{ ...caller.def, file }], depth + 1);
        if (!reached) return null;
        out.push(...reached);
      }
    }
    // a class deriving from it reaches its methods through its own routes
    for (const sub of subclassNames(
      holders.map(h => h.text),
      new Set([entry]),
    )) {
      const reached = sub === entry ? [] : this.routesReaching(sub, [], depth + 1);
      if (!reached) return null;
      out.push(...reached);
    }
    return out;
  }

  /** The tests requesting one of `routes` by path or by name (routeRequesters); null where that cannot be told. */
  private routeRequesters(routes: readonly Route[]): { ids: Set<string>; files: Set<string> } | null {
    const all = this.routes();
    const wanted = new Set(routes);
    // a word each request must hold: the route's name without its namespace, or a piece of its path
    const words = routes.map(r =>
      (
        r.name?.source
          .replace(/^\^|\$$/g, '')
          .split(':')
          .pop() ?? r.pattern.source
      )
        .replace(/\\./g, '.')
        .split(/[^\w-]+/)
        .reduce((a, b) => (b.length > a.length ? b : a), ''),
    );
    if (words.some(w => w.length < 3)) return null;
    const requests = (s: string) => {
      const route = /^(?:\/|https?:)/.test(s) ? routeOfPath(all, s) : s ? routeNamed(all, s) : null;
      return !!route && wanted.has(route);
    };
    const files = [
      ...this.filesHolding(
        t => words.some(w => t.includes(w)),
        f => isTestFile(f, this.root),
      ),
    ].map(f => ({ ...f, module: moduleName(f.file, this.root), tree: parse(this.parser, f.text) }));
    try {
      return routeRequesters(
        files.map(f => ({ ...f, root: f.tree.rootNode })),
        requests,
      );
    } finally {
      for (const f of files) f.tree.delete();
    }
  }

  /**
   * Whether one of `readers` (top-level definitions by name, with where they are) is named by its dotted
   * path in a string of the project's code, as TEMPLATES' context processors and MIDDLEWARE name theirs.
   */
  private namedByPath(readers: ReadonlyMap<string, readonly { file: string }[]>): boolean {
    const paths = [...readers].flatMap(([entry, defs]) => defs.map(d => `${moduleName(d.file, this.root)}.${entry}`));
    if (!paths.length) return false;
    const quoted = new RegExp(`["'](?:${paths.map(escapeRegExp).join('|')})["']`);
    for (const _ of this.filesHolding(
      t => quoted.test(t),
      f => !isTestFile(f, this.root),
    ))
      return true;
    return false;
  }

  /** Whether any file of the project names the fixture `name` other than where it is defined; null when unknown. */
  requestsFixture(name: string): boolean | null {
    return this.searched(this.fixtureUses, name, () => {
      for (const f of this.filesHolding(t => t.includes(name))) if (usesOfWord(f.text, name) > 0) return true;
      return false;
    });
  }

  /** The project's Python files (as saved) whose text holds `text`; null when the files cannot be listed. */
  filesMentioning(text: string): readonly string[] | null {
    return this.searched(this.holders, text, () => [...this.filesHolding(t => t.includes(text))].map(f => f.file));
  }

  /** How many times `text` occurs in the project's Python files (as saved); null when the files cannot be listed. */
  occurrences(text: string): number | null {
    return this.searched(this.occurring, text, () =>
      [...this.filesHolding(t => t.includes(text))].reduce((n, f) => n + f.text.split(text).length - 1, 0),
    );
  }

  /** How many times `text` occurs in the project's test files (as saved); null when the files cannot be listed. */
  occurrencesInTests(text: string): number | null {
    return this.searched(this.occurringInTests, text, () =>
      [
        ...this.filesHolding(
          t => t.includes(text),
          f => isTestFile(f, this.root),
        ),
      ].reduce((n, f) => n + f.text.split(text).length - 1, 0),
    );
  }

  // ---- what resets state for every test ----

  /** Autouse fixtures of the conftest.py files from `file`'s directory up to the root. */
  private conftestsAbove(file: string): ConftestFacts[] {
    const out = [];
    // up to the project's root, or to pytest's rootdir where that is above it (the repository's
    // conftest.py over a Django project in a subfolder)
    const rootdir = this.runConfig().rootdir;
    const top = this.root.startsWith(rootdir + path.sep) ? rootdir : this.root;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const conftest = path.join(dir, 'conftest.py');
      out.push(this.fixturesOf(conftest, 'conftest'));
      // and the fixtures it takes from another module of the project (`from common.tests.conftest import *`)
      for (const module of this.starImports(conftest)) {
        const imported = this.moduleFile(module);
        if (imported) out.push(this.fixturesOf(imported, module));
      }
      if (dir === top || !dir.startsWith(top) || path.dirname(dir) === dir) break;
    }
    // pytest plugins the root conftest.py loads (`pytest_plugins = [...]`) apply to every test
    for (const plugin of this.runConfig().plugins) {
      const pluginFile = this.moduleFile(plugin);
      if (pluginFile) out.push(this.fixturesOf(pluginFile, plugin));
    }
    return out;
  }

  /** The modules a file star-imports by absolute name (`from common.tests.conftest import *`). */
  private starImports(file: string): string[] {
    const text = this.read(file);
    if (!text?.includes('import *')) return [];
    return [...text.matchAll(/^from\s+([A-Za-z_][\w.]*)\s+import\s+\*/gm)].flatMap(m => (m[1] ? [m[1]] : []));
  }

  private fixturesOf(file: string, module: string): ConftestFacts {
    let facts = this.conftests.get(file);
    if (facts === undefined) {
      const root = this.parseFile(file);
      facts = {
        isolates: false,
        reset: null,
        settingsItems: new Set(),
        overridesSettings: false,
        cacheResetFixtures: new Set(),
        settingReplacers: new Map(),
        fixedDateFixtures: new Map(),
        restoresApps: false,
        restoresCwd: false,
        restoresLanguage: false,
        restoresZone: false,
        workerKeyPrefix: null,
        fakeRedis: null,
      };
      if (root) {
        // the same judgement as for a fixture in the test module itself
        const { testing } = analysisOf(root, module, moduleLevelStatements(root), this.cacheGetter);
        const reset = testing.fileCacheReset();
        const fake = fakeRedisIn(root);
        facts = {
          isolates: testing.hasFileCacheIsolation(),
          reset: reset?.node ? this.located(file, reset.node) : null,
          settingsItems: testing.autouseSettingsItems(),
          overridesSettings: testing.autouseOpensSettingsOverride(),
          restoresApps: testing.autouseRestoresApps(),
          restoresCwd: testing.autouseRestoresCwd(),
          restoresLanguage: testing.autouseRestoresLanguage(),
          restoresZone: testing.autouseRestoresZone(),
          cacheResetFixtures: resettingFixtures(root, testing),
          settingReplacers: replacingFixtures(root, testing),
          fixedDateFixtures: new Map(topLevelFixtures(root, testing).map(f => [defName(f), returnsFixedDate(f)])),
          workerKeyPrefix: this.workerPrefixIn(file, root),
          fakeRedis: fake ? this.located(file, fake) : null,
        };
      }
      this.conftests.set(file, facts);
    }
    return facts;
  }

  /** Whether an autouse fixture above `file` (or a plugin's) gives the cache a private backend. */
  autouseCacheIsolation(file: string): boolean {
    return this.conftestsAbove(file).some(c => c.isolates);
  }

  /** Where an autouse fixture above `file` (or a plugin's) empties the cache, if one does. */
  autouseCacheReset(file: string): Located | null {
    return this.conftestsAbove(file).find(c => c.reset)?.reset ?? null;
  }

  private workerPrefixIn(file: string, root: Node): WorkerPrefix | null {
    const found = workerKeyPrefixOf(root);
    if (!found) return null;
    const { node, ownCache } = found;
    // the alias the target names (`caches["search"].key_prefix`), else the default cache
    const target = field(node, node.type === 'pair' ? 'key' : 'left').text;
    const alias = /^(?:[\w.]*\.)?(?:caches|CACHES)\s*\[\s*["']([^"']+)["']\s*\]/.exec(target)?.[1] ?? 'default';
    return { ...this.located(file, node), alias, ownCache };
  }

  /** Where a conftest.py above `file` (or a plugin) names the cache's keys after the xdist worker. */
  /** Where a conftest.py above `file` puts the cache on fakeredis, if one does. */
  fakeRedis(file: string): Located | null {
    return this.conftestsAbove(file).find(c => c.fakeRedis)?.fakeRedis ?? null;
  }

  workerKeyPrefix(file: string): WorkerPrefix | null {
    return this.conftestsAbove(file).find(c => c.workerKeyPrefix)?.workerKeyPrefix ?? null;
  }

  /** Whether an autouse fixture above `file` (or a plugin's) puts the app registry back after each test. */
  autouseRestoresApps(file: string): boolean {
    return this.conftestsAbove(file).some(c => c.restoresApps);
  }

  /** Whether an autouse fixture above `file` (or a plugin's) puts the working directory back after each test. */
  /** Whether an autouse fixture above `file` (or a plugin's) sets the language back around each test. */
  autouseRestoresLanguage(file: string): boolean {
    return this.conftestsAbove(file).some(c => c.restoresLanguage);
  }

  /** Whether an autouse fixture above `file` (or a plugin's) sets the time zone back around each test. */
  autouseRestoresZone(file: string): boolean {
    return this.conftestsAbove(file).some(c => c.restoresZone);
  }

  autouseRestoresCwd(file: string): boolean {
    return this.conftestsAbove(file).some(c => c.restoresCwd);
  }

  /** The fixtures of conftest.py files above `file` that give a setting a new value, by name. */
  settingReplacers(file: string): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    // the nearest conftest.py's fixture of a name wins, as pytest's does
    for (const c of this.conftestsAbove(file)) for (const [k, v] of c.settingReplacers) if (!out.has(k)) out.set(k, v);
    return out;
  }

  /** The fixtures of conftest.py files above `file` by name (the nearest wins): whether each returns a fixed date. */
  fixedDateFixtures(file: string): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const c of this.conftestsAbove(file)) for (const [k, v] of c.fixedDateFixtures) if (!out.has(k)) out.set(k, v);
    return out;
  }

  /** The fixtures of conftest.py files above `file` (or plugins) that empty the cache, by name. */
  cacheResetFixtures(file: string): Set<string> {
    return new Set(this.conftestsAbove(file).flatMap(c => [...c.cacheResetFixtures]));
  }

  /** The settings items autouse fixtures above `file` (or a plugin's) set before every test. */
  /** Whether an autouse fixture above `file` opens a settings override around every test (see ConftestFacts). */
  autouseOpensSettingsOverride(file: string): boolean {
    return this.conftestsAbove(file).some(c => c.overridesSettings);
  }

  autouseSettingsItems(file: string): Set<string> {
    return new Set(this.conftestsAbove(file).flatMap(c => [...c.settingsItems]));
  }

  /**
   * What the test runner does with the cache: Django's runner only (pytest ignores TEST_RUNNER). A
   * runner that sets CACHES per parallel worker gives each its own cache; one that clears it, a reset.
   */
  runnerCache(): { perWorker: boolean; at: Located } | null {
    if (this.runnerReset !== undefined) return this.runnerReset;
    this.runnerReset = null;
    const settings = this.settingsFacts();
    if (settings.runner !== 'django' || !settings.testRunner) return null;
    const seen = new Set<string>();
    const visit = (qualified: string): void => {
      if (this.runnerReset || seen.has(qualified)) return;
      seen.add(qualified);
      const dot = qualified.lastIndexOf('.');
      const module = dot > 0 ? this.moduleOf(qualified.slice(0, dot)) : null;
      const cls = module?.classes.get(qualified.slice(dot + 1));
      if (!module || !cls) return;
      const inspect = (fn: Node): boolean => {
        // each worker pointed at a Redis database of its own (syncano's init_worker: the cache's server,
        // and its connection pool's `db`, set to the worker's number)
        const own = PER_WORKER_CONNECTION.exec(fn.text);
        const m = own ?? CACHE_WRITE.exec(fn.text);
        if (!m) return false;
        const perWorker = !!own || (/CACHES/.test(m[0]) && /worker/i.test(fn.text));
        this.runnerReset = { perWorker, at: this.located(module.file, fn, fn.startIndex + m.index) };
        return true;
      };
      for (const stmt of bodyStatements(cls)) {
        const def = definitionOf(stmt);
        if (def.type === 'function_definition' && RUNNER_HOOKS.test(defName(def)) && inspect(def)) return;
        // `init_worker = own_init_worker` (a function of the module), `parallel_test_suite = WorkerSuite`
        const assigned = /^(\w+)\s*=\s*(\w+)\s*$/.exec(def.text);
        if (!assigned?.[1] || !assigned[2]) continue;
        const fn = module.functions.get(assigned[2]);
        if (fn && RUNNER_HOOKS.test(assigned[1]) && inspect(fn)) return;
        if (/^(parallel_test_suite|test_suite)$/.test(assigned[1]))
          visit(module.classes.has(assigned[2]) ? `${module.name}.${assigned[2]}` : assigned[2]);
      }
      for (const base of module.testing.baseExpressions(cls)) {
        visit(
          module.classes.has(base.text) ? `${module.name}.${base.text}` : (module.names.resolve(base) ?? base.text),
        );
      }
    };
    visit(settings.testRunner.name);
    return this.runnerReset;
  }

  /**
   * Every reset of state for every test the project has: the runner's, base classes' per-test hooks
   * (in the project's test modules), autouse fixtures (conftest.py files, pytest plugins). For
   * `crosstalk project`: it reads every test module, which the rules never need to.
   */
  resets(): ResetFact[] {
    const out: ResetFact[] = [];
    const runner = this.runnerCache();
    if (runner) out.push({ what: 'cache', by: 'runner', at: runner.at });
    const files =
      this.files.walk?.(
        this.root,
        f => isTestFile(f, this.root) || /(^|[\\/])(testing|testcases|test_utils|base)\.py$/.test(f),
      ) ?? [];
    const plugins = this.runConfig()
      .plugins.map(p => this.moduleFile(p))
      .filter((f): f is string => !!f);
    for (const file of [...new Set([...files, ...plugins])].sort()) {
      const text = this.read(file);
      if (
        text === null ||
        !/setUp|tearDown|_pre_setup|_post_teardown|autouse|setup_method|teardown_method|override_settings/.test(text)
      )
        continue;
      const root = this.parseFile(file);
      if (!root) continue;
      const { testing } = analysisOf(
        root,
        path.basename(file, '.py'),
        root.namedChildren.filter((c): c is Node => c !== null),
        this.cacheGetter,
      );
      for (const stmt of root.namedChildren) {
        const def = stmt && definitionOf(stmt);
        if (!def) continue;
        if (def.type === 'class_definition') {
          // a base class or mixin (it holds no tests itself): what it does, its subclasses' tests get
          const members = bodyStatements(def).map(definitionOf);
          if (members.some(m => m.type === 'function_definition' && testing.isTestFunction(m))) continue;
          if (testing.decoratedWithCaches(def)) {
            const decorator = testing.cachesDecorator(def);
            if (decorator) out.push({ what: 'cache', by: 'base-class', at: this.located(file, decorator) });
          }
          for (const member of bodyStatements(def)) {
            const method = definitionOf(member);
            if (method.type !== 'function_definition' || !PER_TEST_HOOKS.test(defName(method))) continue;
            this.hookResets(testing, method, file, 'base-class', out);
          }
        } else if (
          def.type === 'function_definition' &&
          /autouse\s*=\s*True/.test(stmt.text) &&
          testing.isFixture(def)
        ) {
          this.hookResets(testing, def, file, 'fixture', out);
        }
      }
    }
    return out.sort((a, b) => a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line);
  }

  /** The resets a hook or fixture makes: the cache (emptied or isolated), translation, settings. */
  private hookResets(testing: Testing, fn: Node, file: string, by: ResetFact['by'], out: ResetFact[]): void {
    const clear = testing.clearsCache(fn);
    if (clear) out.push({ what: 'cache', by, at: this.located(file, clear) });
    const body = fn.childForFieldName('body');
    if (!body) return;
    for (const m of body.text.matchAll(
      /\b(translation\.(?:activate|deactivate|deactivate_all|override)|(?:settings\.CACHES\s*=)|override_settings\()/g,
    )) {
      const offset = body.startIndex + (m.index ?? 0);
      const what: ResetFact['what'] = m[1]?.startsWith('translation') ? 'translation' : 'cache';
      if (what === 'cache' && clear) continue;
      out.push({ what, by, at: this.located(file, body, offset) });
    }
  }

  // ---- files ----

  readText(file: string): string | null {
    return this.read(file);
  }

  /**
   * The newest major version of package `name` the project's requirements allow, where they cap it
   * (`pytest-xdist==1.22.2`, `pytest-xdist<2`, `~=1.34`): read from requirements files (the root's and a
   * `requirements/` folder's), Pipfile, pyproject.toml, setup.cfg and setup.py. Null where nothing caps it.
   */
  cappedMajor(name: string): number | null {
    const files = [
      ...(this.files.list?.(this.root) ?? []).filter(f => /^requirements.*\.(txt|in)$/i.test(f)),
      ...(this.files.list?.(path.join(this.root, 'requirements')) ?? [])
        .filter(f => /\.(txt|in)$/i.test(f))
        .map(f => path.join('requirements', f)),
      'Pipfile',
      'pyproject.toml',
      'setup.cfg',
      'setup.py',
    ];
    const spec = new RegExp(
      `(?:^|[\\s"',\\[])${escapeRegExp(name)}\\s*(?:\\[[^\\]]*\\])?\\s*(?:=\\s*(?=["']))?["']?([^"'\\n#;]*)`,
      'gim',
    );
    let capped: number | null = null;
    for (const f of files) {
      const text = this.read(path.join(this.root, f));
      if (!text) continue;
      for (const m of text.matchAll(spec)) {
        const major = capOf(m[1] ?? '');
        if (major === null) return null; // a requirement that allows any version
        capped = Math.max(capped ?? 0, major);
      }
    }
    return capped;
  }

  /** The file of the settings module the test run loads, or null (none named, or not found in the project). */
  settingsFile(): string | null {
    const module = this.runConfig().settingsModule;
    return module ? this.moduleFile(module) : null;
  }

  /** The tests the run selects by their marks (pytest's `-m` in addopts); null when it takes every test. */
  selectsMarks(): MarkMatcher | null {
    if (this.marks === undefined) {
      const expression = this.runConfig().markExpression;
      this.marks = expression ? markMatcher(expression) : null;
    }
    return this.marks;
  }

  usesPytest(): boolean {
    return this.runConfig().runner === 'pytest';
  }

  /** A module's file: from the project root, src/, pytest's pythonpath and the runner's directory. */
  moduleFile(module: string): string | null {
    const rel = module.split('.').join(path.sep);
    // and what the settings put on sys.path (read as they are evaluated: later imports see it)
    const bases = [
      this.root,
      path.join(this.root, 'src'),
      ...this.runConfig().paths,
      ...(this.evaluator?.syspath ?? []),
    ];
    for (const base of new Set(bases)) {
      for (const candidate of [path.join(base, `${rel}.py`), path.join(base, rel, '__init__.py')]) {
        if (this.read(candidate) !== null) return candidate;
      }
    }
    return null;
  }

  /** The file's line and column of `node` (or of `offset` within it). */
  private located(file: string, node: Node, offset?: number): Located {
    if (offset === undefined) return { file, line: node.startPosition.row, character: node.startPosition.column };
    return this.locatedAt(file, this.read(file) ?? '', offset);
  }

  /** The line and column of `offset` in `text`, the file's text. */
  private locatedAt(file: string, text: string, offset: number): Located {
    const before = text.slice(0, offset);
    const line = before.split(/\r\n|\r|\n/).length - 1;
    return { file, line, character: offset - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) - 1 };
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

/** What a conftest.py's (or a plugin's) autouse fixtures do before every test below it. */
interface ConftestFacts {
  isolates: boolean;
  reset: Located | null;
  settingsItems: Set<string>;
  /** an autouse fixture writes a setting through pytest-django's `settings`: an override is open around every test */
  overridesSettings: boolean;
  /** fixtures (autouse or not) that empty the cache, by name */
  cacheResetFixtures: Set<string>;
  /**
   * fixtures that give a setting a new value through pytest-django's `settings` (or request one that does):
   * fixture to settings
   */
  settingReplacers: Map<string, Set<string>>;
  /** fixtures by name: whether each returns a fixed date (`return date(2022, 12, 31)`) */
  fixedDateFixtures: Map<string, boolean>;
  /** an autouse fixture puts the app registry back after each test */
  restoresApps: boolean;
  /** an autouse fixture puts the working directory back after each test */
  restoresCwd: boolean;
  /** an autouse fixture sets the language back around each test */
  restoresLanguage: boolean;
  /** an autouse fixture sets the time zone back around each test */
  restoresZone: boolean;
  /** where it gives the cache's keys a prefix of each xdist worker's own */
  workerKeyPrefix: WorkerPrefix | null;
  /** where it puts the cache on fakeredis (a server inside each process) */
  fakeRedis: Located | null;
}

/**
 * Where the conftest.py `root` puts the Django cache on fakeredis, whose server lives inside each
 * process: an assignment to the cache settings (`CACHES`, its `OPTIONS`, django-redis'
 * `DJANGO_REDIS_CONNECTION_FACTORY`) of a value naming fakeredis (tnbbank's autouse fixture sets
 * `REDIS_CLIENT_CLASS = "fakeredis.FakeStrictRedis"` for every test).
 */
function fakeRedisIn(root: Node): Node | null {
  if (!/fakeredis|FakeConnection/.test(root.text)) return null;
  let found: Node | null = null;
  walk(
    root,
    node => {
      if (found) return false;
      const left = node.childForFieldName('left')?.text ?? '';
      const right = node.childForFieldName('right')?.text ?? '';
      if (/CACHES|REDIS/.test(left) && /fakeredis|Fake\w*(?:Redis|Connection)/.test(right)) found = node;
      return !found;
    },
    ASSIGNMENT_NODES,
  );
  return found;
}
const ASSIGNMENT_NODES = new Set(['assignment']);

/** what names the xdist worker a process runs as */
/** what makes a file name a function writes one of its own */
const UNIQUE_FILE =
  /\b(?:uuid\w*|mkdtemp|mkstemp|NamedTemporaryFile|TemporaryDirectory|getpid|token_hex|token_urlsafe|random)\b/;
const WORKER_ID = /PYTEST_XDIST_WORKER\b|\bworker_?id\b|\bworkerinput\b|\bslaveinput\b/;

/** a cache's LOCATION as an assignment's target: `new_caches["default"]["LOCATION"]` */
const LOCATION = /\[\s*["']LOCATION["']\s*\]$/;

/**
 * Where the conftest.py (or plugin) `root` gives the Django cache's keys a prefix built from the xdist
 * worker's name, so no two workers share a key: `caches["default"].key_prefix = f"test_{worker_id}"`,
 * `settings.CACHES["default"]["KEY_PREFIX"] = ...`, a `"KEY_PREFIX": ...` entry of a CACHES dict; the
 * value, or the module-level or local name it is given through, names the worker. Or a LOCATION of
 * each worker's own (thunderstore: a session fixture gives worker N Redis database N+1): a LOCATION
 * that is not a literal, set in a function that reads the worker's name.
 */
function workerKeyPrefixOf(root: Node): { node: Node; ownCache: boolean } | null {
  if (!/key_prefix|LOCATION/i.test(root.text) || !WORKER_ID.test(root.text)) return null;
  let found: { node: Node; ownCache: boolean } | null = null;
  walk(
    root,
    node => {
      if (found) return false;
      const [target, value] =
        node.type === 'pair'
          ? [node.childForFieldName('key'), node.childForFieldName('value')]
          : [node.childForFieldName('left'), node.childForFieldName('right')];
      if (!target || !value) return true;
      const key = node.type === 'pair' ? stringValue(target) : null;
      const prefix =
        node.type === 'pair' ? key === 'KEY_PREFIX' : /\.key_prefix$|\[\s*["']KEY_PREFIX["']\s*\]$/.test(target.text);
      const location = node.type === 'pair' ? key === 'LOCATION' : LOCATION.test(target.text);
      // the worker's name in the LOCATION: a cache of its own; in the key prefix: keys of its own
      if (prefix && namesWorker(root, node, value)) found = { node, ownCache: false };
      else if (location && (namesWorker(root, node, value) || (stringValue(value) === null && inWorkerFunction(node))))
        found = { node, ownCache: true };
      return !found;
    },
    PREFIX_NODES,
  );
  return found;
}

const PREFIX_NODES = new Set(['assignment', 'pair']);

/** Whether `node` is in a function that reads the xdist worker's name. */
function inWorkerFunction(node: Node): boolean {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition') return WORKER_ID.test(n.text);
  return false;
}

/** Whether `value` names the xdist worker, itself or through a name assigned before `at`. */
function namesWorker(root: Node, at: Node, value: Node): boolean {
  if (WORKER_ID.test(value.text)) return true;
  if (value.type !== 'identifier') return false;
  const before = root.text.slice(0, at.startIndex - root.startIndex);
  const assigned = new RegExp(`(?:^|\\n)[ \\t]*${value.text}\\s*=([^\\n]*(?:\\n[ \\t]+[^\\n]*){0,3})`, 'g');
  return [...before.matchAll(assigned)].some(m => WORKER_ID.test(m[1] ?? ''));
}

interface ModuleEntry {
  name: string;
  file: string;
  root: Node;
  classes: Map<string, Node>;
  functions: Map<string, Node>;
  names: Names;
  testing: Testing;
}

/** What a module's names mean and what its tests, hooks and fixtures do, as for a test module. */
function analysisOf(
  root: Node,
  module: string,
  fixtures: Node[] = [],
  returnsCache?: (qualified: string) => boolean,
): { names: Names; testing: Testing } {
  const defs = new Definitions(root.tree);
  const names = new Names(root, defs, module);
  return { names, testing: new Testing(fixtures, names, defs, undefined, undefined, returnsCache) };
}

/** The fixtures a module defines at its top level. */
function topLevelFixtures(root: Node, testing: Testing): Node[] {
  return root.namedChildren
    .map(c => (c ? definitionOf(c) : null))
    .filter((d): d is Node => d?.type === 'function_definition' && testing.isFixture(d));
}

/** The fixtures of a conftest.py that empty the cache, themselves or through another of its fixtures they request. */
function resettingFixtures(root: Node, testing: Testing): Set<string> {
  const fixtures = topLevelFixtures(root, testing);
  const resetting = new Set(fixtures.filter(f => testing.clearsCache(f)).map(defName));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fixtures)
      if (!resetting.has(defName(f)) && parameterNames(f).some(p => resetting.has(p))) {
        resetting.add(defName(f));
        grew = true;
      }
  }
  return resetting;
}

/**
 * The fixtures of a conftest.py that give a setting a whole new value through pytest-django's `settings`
 * (`settings.APPLICATION = deepcopy(...)`), themselves or through a fixture of the file they request: a
 * test requesting one changes, inside that setting, an object of its own, put back with it.
 */
function replacingFixtures(root: Node, testing: Testing): Map<string, Set<string>> {
  const fixtures = topLevelFixtures(root, testing);
  const out = new Map<string, Set<string>>();
  for (const f of fixtures) {
    const own = parameterNames(f).includes('settings') ? replacedSettings(f.text) : [];
    if (own.length > 0) out.set(defName(f), new Set(own));
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fixtures) {
      const mine = out.get(defName(f)) ?? new Set<string>();
      const before = mine.size;
      for (const p of parameterNames(f)) for (const x of out.get(p) ?? []) mine.add(x);
      if (mine.size > before) {
        out.set(defName(f), mine);
        grew = true;
      }
    }
  }
  return out;
}

/** a module named as a test module by pytest's and Django's defaults (conftest.py and helpers are not) */
const TEST_MODULE_NAME = /^test_.*\.py$|_tests?\.py$|^tests\.py$/;

/** Django's own abstract models a project's models derive from (`AbstractUser`, `AbstractBaseUser`, ...) */
const DJANGO_ABSTRACT_MODEL = /^django\.contrib\.[\w.]+\.models\.(Abstract\w+|PermissionsMixin)$/;

/** The class body assigns a field `UUIDField(..., primary_key=True)` (any import form of the field). */
function declaresUuidPk(cls: Node): boolean {
  return bodyStatements(cls).some(stmt => {
    const value = stmt.type === 'expression_statement' ? stmt.firstNamedChild?.childForFieldName('right') : null;
    if (value?.type !== 'call' || !/(^|\.)UUIDField$/.test(field(value, 'function').text)) return false;
    return keywordArgument(value, 'primary_key')?.text === 'True';
  });
}

/** Bases that make a class a record of values (what its constructor is given is data). */
const DATA_BASES = new Set([
  'pydantic.BaseModel',
  'pydantic.main.BaseModel',
  'typing.NamedTuple',
  'typing.TypedDict',
  'typing_extensions.TypedDict',
]);
/** `@dataclass`, `@dataclasses.dataclass(frozen=True)`, attrs' `@define`/`@attr.s`, pydantic's dataclass */
const DATA_DECORATORS = /^(dataclasses|pydantic\.dataclasses|attrs?)\.(dataclass|define|frozen|mutable|s|attrs)$/;

function isDataClass(cls: Node, names: Names): boolean {
  const decorated = cls.parent?.type === 'decorated_definition' ? cls.parent : null;
  return (decorated?.namedChildren ?? []).some(d => {
    if (d?.type !== 'decorator') return false;
    const target = d.firstNamedChild?.type === 'call' ? field(d.firstNamedChild, 'function') : d.firstNamedChild;
    return !!target && DATA_DECORATORS.test(names.resolve(target) ?? '');
  });
}

function innerClass(cls: Node, name: string): Node | null {
  for (const stmt of bodyStatements(cls)) {
    const def = definitionOf(stmt);
    if (def.type === 'class_definition' && defName(def) === name) return def;
  }
  return null;
}

export function viewFor(project: Project, file: string): ProjectView {
  let isolation: boolean | undefined;
  let reset: Located | null | undefined;
  let settingsItems: ReadonlySet<string> | undefined;
  let opensOverride: boolean | undefined;
  let restoresLanguage: boolean | undefined;
  let restoresZone: boolean | undefined;
  let resetFixtures: ReadonlySet<string> | undefined;
  let replacers: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  let dateFixtures: ReadonlyMap<string, boolean> | undefined;
  let restoresApps: boolean | undefined;
  let restoresCwd: boolean | undefined;
  let workerPrefix: WorkerPrefix | null | undefined;
  let fakeRedis: Located | null | undefined;
  let recognised: boolean | undefined;
  return {
    root: project.root,
    get recognised() {
      return (recognised ??= [...PROJECT_MARKERS, 'conftest.py'].some(
        m => project.readText(path.join(project.root, m)) !== null,
      ));
    },
    get settings() {
      return project.settingsFacts();
    },
    classInfo: q => project.classInfo(q),
    classNamed: q => project.classNamed(q),
    reexported: q => project.reexported(q),
    relatedUnordered: f => project.relatedUnordered(f),
    functionUsesCache: q => project.functionUsesCache(q),
    functionClearsCache: q => project.functionClearsCache(q),
    methodsUsingCache: q => project.methodsUsingCache(q),
    methodCacheKey: (q, method) => project.methodCacheKey(q, method),
    definesFunction: q => project.definesFunction(q),
    functionDoesNothing: q => project.functionDoesNothing(q),
    functionReturnsCache: q => project.functionReturnsCache(q),
    moduleConnects: (module, signal, receiver, sender) => project.moduleConnects(module, signal, receiver, sender),
    receiverConnectedUnder: (signal, uid) => project.receiverConnectedUnder(signal, uid),
    parameterOpened: (q, index) => project.parameterOpened(q, index),
    parameterSettingsWritten: (q, index) => project.parameterSettingsWritten(q, index),
    attributeDefault: q => project.attributeDefault(q),
    subclassValues: (name, attr) => project.subclassValues(name, attr),
    get testsOutsideFolder() {
      return project.testsOutsideFolder(path.dirname(file));
    },
    requestThrottling: target => project.requestThrottling(target),
    cappedMajor: name => project.cappedMajor(name),
    definedInTests: q => project.definedInTests(q),
    appCouldHaveLabel: label => project.appCouldHaveLabel(label),
    get unreached() {
      return project.unreachedIn(file);
    },
    moduleUsesRedisOnlyApi: q => project.moduleUsesRedisOnlyApi(q),
    get codeUsesRedisOnlyApi() {
      return project.codeUsesRedisOnlyApi;
    },
    readsEnviron: name => project.readsEnviron(name),
    settingUse: name => project.settingUse(name),
    requestsFixture: name => project.requestsFixture(name),
    occurrences: text => project.occurrences(text),
    occurrencesInTests: text => project.occurrencesInTests(text),
    mentionedElsewhere: text => {
      const files = project.filesMentioning(text);
      return files && files.some(f => f !== file);
    },
    elsewhere: text =>
      project
        .filesMentioning(text)
        ?.filter(f => f !== file)
        .map(f => ({ module: moduleName(f, project.root), text: project.readText(f) ?? '' })) ?? null,
    get autouseCacheIsolation() {
      return (isolation ??= project.autouseCacheIsolation(file));
    },
    get autouseCacheReset() {
      if (reset === undefined) reset = project.autouseCacheReset(file);
      return reset;
    },
    get userPkIsUuid() {
      return project.userPkIsUuid();
    },
    get autouseRestoresApps() {
      return (restoresApps ??= project.autouseRestoresApps(file));
    },
    get fakeRedis() {
      if (fakeRedis === undefined) fakeRedis = project.fakeRedis(file);
      return fakeRedis;
    },
    get workerKeyPrefix() {
      if (workerPrefix === undefined) workerPrefix = project.workerKeyPrefix(file);
      return workerPrefix;
    },
    get autouseRestoresLanguage() {
      return (restoresLanguage ??= project.autouseRestoresLanguage(file));
    },
    get autouseRestoresZone() {
      return (restoresZone ??= project.autouseRestoresZone(file));
    },
    get autouseRestoresCwd() {
      return (restoresCwd ??= project.autouseRestoresCwd(file));
    },
    get settingReplacers() {
      return (replacers ??= project.settingReplacers(file));
    },
    get fixedDateFixtures() {
      return (dateFixtures ??= project.fixedDateFixtures(file));
    },
    get cacheResetFixtures() {
      return (resetFixtures ??= project.cacheResetFixtures(file));
    },
    get autouseOpensSettingsOverride() {
      return (opensOverride ??= project.autouseOpensSettingsOverride(file));
    },
    get autouseSettingsItems() {
      return (settingsItems ??= project.autouseSettingsItems(file));
    },
    get runnerCache() {
      return project.runnerCache();
    },
    get rootConftest() {
      const f = path.join(project.root, 'conftest.py');
      return { file: f, text: project.readText(f) };
    },
    get usesPytest() {
      return project.usesPytest();
    },
    get warningsAreErrors() {
      return project.runConfig().warningsAreErrors;
    },
    get selectsMarks() {
      return project.selectsMarks();
    },
    get serialTags() {
      return project.runConfig().serialTags;
    },
    get lineLength() {
      return project.lineLength();
    },
    readText: f => project.readText(f),
  };
}

/**
 * What the first top-level `target = value` among `statements` gives: the constant's text (an empty
 * container's, the default of `getattr(settings, "NAME", default)`), null when it is something else,
 * undefined when nothing assigns it.
 */
function constantAssigned(statements: readonly Node[], target: string): string | null | undefined {
  const name = target.slice(target.lastIndexOf('.') + 1);
  for (const stmt of statements) {
    const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    if (assign?.type !== 'assignment' || assign.childForFieldName('left')?.text !== target) continue;
    let value = assign.childForFieldName('right');
    const empty = value && emptyContainerText(value);
    if (empty) return empty;
    // getattr(settings, "NAME", default), get_setting("NAME", default): the default, unless the
    // project's settings say otherwise
    if (value?.type === 'call') {
      const args = positionalArguments(value);
      const named = args.some(a => stringValue(a)?.endsWith(name));
      value = named ? (keywordArgument(value, 'default') ?? args.at(-1) ?? null) : null;
    }
    return value && isConstant(value) ? constantText(value) : null;
  }
  return undefined;
}

/** past this many subclasses, subclassValues gives no answer (a base every test of a big suite derives from) */
const MOST_SUBCLASSES = 500;

/** `class Sub(Base)`, `class Sub(mixins.Base, Other)`: one of its bases is named `name` (its last name). */
function derivesFrom(cls: Node, name: string): boolean {
  const bases = cls.childForFieldName('superclasses')?.namedChildren ?? [];
  return bases.some(b => b?.type !== 'keyword_argument' && b?.text.split('.').at(-1) === name);
}

/** The names of the settings a class's `@override_settings(...)` decorators change (`stmt` holds the class). */
function settingsOverridden(stmt: Node): string[] {
  if (stmt.type !== 'decorated_definition') return [];
  return stmt.namedChildren.flatMap(d => {
    const call = d?.type === 'decorator' ? d.namedChildren[0] : null;
    if (call?.type !== 'call' || !/(^|\.)override_settings$/.test(field(call, 'function').text)) return [];
    return field(call, 'arguments')
      .namedChildren.filter(a => a?.type === 'keyword_argument')
      .map(a => a?.childForFieldName('name')?.text ?? '');
  });
}

/** The class of `NAME = Klass(...)` at module level, when `Klass` is one of the module's classes. */
function instanceClass(classes: ReadonlyMap<string, Node>, topLevel: readonly Node[], name: string): Node | undefined {
  for (const stmt of topLevel) {
    const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    if (assign?.type !== 'assignment' || assign.childForFieldName('left')?.text !== name) continue;
    const value = assign.childForFieldName('right');
    return value?.type === 'call' ? classes.get(field(value, 'function').text) : undefined;
  }
  return undefined;
}

/**
 * The newest major version a requirement's version specifier allows (`==1.22.2`: 1, `<2`: 1, `<2.0`: 1,
 * `<=1.34`: 1, `~=1.34`: 1), or null where it allows any (no specifier, `>=1.0`, `*`).
 */
export function capOf(specifier: string): number | null {
  let cap: number | null = null;
  for (const clause of specifier.split(',')) {
    const m = /^\s*(==|~=|<=|<|===)\s*(\d+)(?:\.(\d+))?/.exec(clause);
    if (!m) continue;
    const major = Number(m[2]);
    const minor = Number(m[3] ?? 0);
    // `<2` and `<2.0` allow 1.x at most; `<2.1` allows 2.0
    const allowed = m[1] === '<' && minor === 0 ? major - 1 : major;
    cap = cap === null ? allowed : Math.min(cap, allowed);
  }
  return cap;
}
