// What the analysis needs to know of the project around a file, as the project model (project/)
// provides it: settings facts, classes in other modules, conftest fixtures. Declared here, below
// both, so the analysis depends on the shape and not on how the facts are read.
import type { MarkMatcher } from './marks';
import type { Node } from '../syntax/parser';

/**
 * The class a name in some module stands for: its node and the lookup of the names its own module uses;
 * 'django' for Django's own manager or queryset; null where it cannot be read (a library's).
 */
export type ClassLookup = (name: Node) => { node: Node; lookup: ClassLookup } | 'django' | null;

/** How far a cache's keys are shared: every process, each process alone, nobody, or cannot be told. */
export type Backend = 'cross-process' | 'per-process' | 'none' | 'unknown';

export interface Located {
  file: string;
  line: number;
  character: number;
}

export interface CacheFacts extends Located {
  alias: string;
  /** the backend's dotted class, null when it cannot be read */
  backend: string | null;
  kind: Backend;
  /** why the backend or its scope cannot be told (kind 'unknown') */
  reason?: string;
  /** Django's default, CACHES being unset */
  implicit?: boolean;
  /** a DatabaseCache (or a class derived from it): its table is in the test database */
  database?: boolean;
  /** where the backend came from when not written as such: a cache URL in an environment variable or its default */
  via?: string;
  /** where its LOCATION's value is written (a URL literal, an environment variable's default), when known */
  location?: Located;
}

export interface ThrottleFacts extends Located {
  /** whether some class has a rate that is not None for its scope; null when that cannot be read */
  on: boolean | null;
  /** some class that limits keys every authenticated request by the user's pk (UserRateThrottle and its kind) */
  users: boolean;
  classes: string[];
  rates: Record<string, string | null>;
  /** every rate of DEFAULT_THROTTLE_RATES could be read */
  ratesKnown?: boolean;
  reason?: string;
}

/** A view's own DRF throttles, reached by a request (see ProjectView.requestThrottling). */
export interface RequestThrottling {
  view: string;
  throttles: { throttle: string; rate: string | null | undefined; anonymousOnly: boolean }[];
  /** where the view (or a base) sets `throttle_classes` */
  at: Located | null;
  route: { file: string; line: number };
}

/** Where something was decided: a file, its 1-based line, and how. */
export interface Source {
  file: string;
  line: number;
  how: string;
}

export interface SettingsFacts {
  module: string | null;
  /** django-configurations' class, when one is named */
  configuration: string | null;
  file: string | null;
  /** the runner the tests run under, and where the settings module was chosen */
  runner: 'pytest' | 'django';
  source: Source | null;
  /** why the facts are missing or partial, for messages ("CACHES is computed", "settings module not found") */
  unknown: string | null;
  caches: Map<string, CacheFacts>;
  throttling: ThrottleFacts | null;
  /** SESSION_ENGINE when literal: a cache-backed engine keeps logins in the cache */
  sessionEngine: string | null;
  /** SESSION_CACHE_ALIAS: the cache a cache-backed session engine keeps sessions in */
  sessionCacheAlias: string;
  /** LANGUAGE_CODE: what get_language() gives before any activate() (Django's "en-us" when unset); null when unknown */
  languageCode: string | null;
  /** the codes LANGUAGES lists (`("de", "German")`), where the settings give them as literals; else null */
  languages?: string[] | null;
  /** where LANGUAGE_CODE is set (else the settings module's first line), when the settings were read */
  languageAt?: Located;
  /** the settings whose values are plain constants, as constantText writes them (`"x"`, `5`, `True`, `None`) */
  constants: Map<string, string>;
  /** TIME_ZONE: what timezone.activate() falls back to (Django's "America/Chicago" when unset); null when unknown */
  timeZone: string | null;
  /** DATABASES["default"]["ENGINE"] when literal (`django.db.backends.sqlite3`); null when unknown */
  databaseEngine: string | null;
  /**
   * The default database is SQLite (or SpatiaLite) with no TEST NAME: each process's test database is in
   * its own memory. False when the settings say otherwise or cannot be read in full.
   */
  testDatabaseInMemory: boolean;
  /** TEST_RUNNER, when set */
  testRunner: { name: string; at: Located } | null;
  installedApps: string[];
  /** app labels that differ from the last part of their app's name: label to installed name */
  apps: Map<string, string>;
  /** every installed app's label, to its AppConfig's name */
  appNames: Map<string, string>;
  /**
   * every installed app's label, to its INSTALLED_APPS entry as written (`shop.apps.ShopConfig`): what
   * isolate_apps() takes without guessing the AppConfig (two in apps.py make Django refuse the module)
   */
  appEntries: Map<string, string>;
  /** INSTALLED_APPS read in full (literal entries, AppConfigs found): a label not in appNames is not installed */
  appsComplete: boolean;
}

export interface ClassFacts {
  file: string;
  line: number;
  isolatesCache: boolean;
  djangoTestCase: boolean;
  /** a TestCase that rolls back each test's transaction (not TransactionTestCase) */
  rollsBack: boolean;
  /** where a per-test hook of the class (or a base) empties the cache */
  resetsCache: Located | null;
  /** a tearDown of the class (or a base) activates or deactivates a language: none outlives a test */
  restoresLanguage: boolean;
  /** the class (or a base) loads Django fixture files into the database (`fixtures = [...]`) */
  loadsFixtures: boolean;
  /** the patchers (`self.x`) the class or a base stops: Testing.patchersStopped */
  patchersStopped: ReadonlySet<string>;
  /** the objects whose reset the class or a base calls after each test: Testing.objectsReverted */
  objectsReverted: ReadonlySet<string>;
  /**
   * decorated with `@override_settings`/`@modify_settings` (or a base is): its tests, setUp and
   * setUpTestData run inside that override, and a setting written there goes when the class ends
   */
  overridesSettings: boolean;
  /**
   * a Django model (it derives from django.db.models.Model), whether abstract, and whether its primary
   * key is a UUID field (its own, or a base's: `id = models.UUIDField(primary_key=True, default=uuid4)`)
   */
  model: {
    abstract: boolean;
    uuidPk: boolean;
    /**
     * its querysets may come back in an order: `Meta.ordering` (its own or a base's), a manager of its
     * own (`objects = ...`), or a base Crosstalk cannot read (a library's: treebeard's nodes, MPTT's)
     */
    ordered: boolean;
  } | null;
  /** a plain class: no base but `object` and other plain classes of the project (a mixin, never a model) */
  plain: boolean;
  /**
   * a record of values: a pydantic model, a dataclass, an attrs class, a NamedTuple or TypedDict (or
   * derives from one); what its constructor is given is data, not something it opens
   */
  data: boolean;
  /** what the class's setup hooks (or a base's) assign, and its class attributes: Testing.setupWrites */
  setup: SetupWrites;
}

/** What a class's setup hooks assign to members, and the class attributes their values may name. */
export interface SetupWrites {
  /** `setUpClass settings.X` to the value's text, normalised (sameValueText) */
  writes: Map<string, string>;
  /** class attribute to its value's text (the class's own over its bases') */
  attributes: Map<string, string>;
}

/** What the project's files say about one setting (ProjectView.settingUse). */
export interface SettingUse {
  /** the project's own code names it in a function body: it is read while tests run */
  readAtRuntime: boolean;
  /** the project's own code names it only at import (a module's or class's top level, a default argument) */
  readAtImport: boolean;
  /** a module of the project that is not a test defines it at its top level (the settings) */
  defined: boolean;
  /**
   * where nothing defines it, the constant every reading of the project's code falls back on
   * (`getattr(settings, "NAME", False)`, each reading the same): the value a test sees before any write
   */
  defaultWhereUnset: string | null;
  /**
   * some function of the project reading it is named by no test, or other code of the project names it:
   * tests reach it through code not followed (URLs, signals, callers)
   */
  hiddenReaders: boolean;
  /**
   * tests that name it, or name a function or class of the project reading it, without setting it first:
   * `module::Class.test`
   */
  unsetReaders: string[];
  /**
   * a function or class reading it is named by its dotted path in a string of the project's code (a
   * context processor in TEMPLATES, a middleware in MIDDLEWARE): Django calls it on every request or render
   */
  readOnEveryRequest: boolean;
}

/** What the rules see of the project for one file. Everything is computed on first use. */
/** What a helper empties of the Django cache: every alias (a loop over `caches.all()`), or `alias`. */
export interface CacheCleared {
  every: boolean;
  alias: string;
}

export interface ProjectView {
  readonly root: string;
  /** the root holds a project's marks (manage.py, pytest or tox configuration, a conftest.py), not a lone file */
  readonly recognised: boolean;
  readonly settings: SettingsFacts;
  classInfo(qualified: string): ClassFacts | undefined;
  /** A class by its qualified name, to read it: Django's own manager or queryset, or one of the project's. */
  classNamed(qualified: string): ReturnType<ClassLookup>;
  /**
   * What a name imported from one of the project's modules really is, when that module imports it in
   * turn (`from compressor.conf import settings`, where conf.py has `from django.conf import settings`):
   * the qualified name it re-exports, else `qualified` itself.
   */
  reexported(qualified: string): string;
  /**
   * Whether every many-to-many field of the project named `field` (`tags = models.ManyToManyField(Tag)`)
   * leads to a model of the project that declares no order, so `case.tags.all()` comes back in the
   * database's order; false when none is found or one leads to a model that may be ordered or is unread
   */
  relatedUnordered(field: string): boolean;
  /** whether `module.function` of the project calls the Django cache itself (a helper tests call) */
  functionUsesCache(qualified: string): boolean;
  /** what a top-level function of the project empties of the Django cache itself (`clear_caches()`), or null */
  functionClearsCache(qualified: string): CacheCleared | null;
  /** the methods of the project's class that use the Django cache themselves (its own body) */
  methodsUsingCache(qualified: string): string[];
  /** the one constant key a method of the project's class gives the cache (itself or one call deep), or null */
  methodCacheKey(qualified: string, method: string): string | null;
  /** whether `module.function` is a top-level function of one of the project's own modules */
  definesFunction(qualified: string): boolean;
  /** whether `module.function` of the project does nothing (a body of `pass`, `...` and a docstring) */
  functionDoesNothing(qualified: string): boolean;
  /** whether a function of the project's modules returns a Django cache (`return caches[alias]`) */
  functionReturnsCache(qualified: string): boolean;
  /**
   * whether a project module connects its own `receiver` to `signal` at import, with no dispatch_uid, and
   * with the sender named `sender` (its last name: `sender=WebsiteContent`), or none when not given
   */
  moduleConnects(module: string, signal: string, receiver: string, sender?: string): boolean;
  /** where the project's own code connects a receiver to `signal` under the string dispatch_uid `uid`, or null */
  receiverConnectedUnder(signal: string, uid: string): Located | null;
  /** where a project function opens a file under its parameter number `index`, with a name it does not make unique */
  parameterOpened(qualified: string, index: number): Located | null;
  /** the settings a project function writes on its parameter number `index` (`settings.X = ...`), with where */
  parameterSettingsWritten(qualified: string, index: number): { names: string[]; at: Located } | null;
  /** in this file, the ranges (offsets) of settings branches the test run does not take (`if not TESTING:`) */
  readonly unreached: readonly (readonly [number, number])[];
  /** the constant a project module defines `module.NAME` or `module.Class.attr` as, its text (constantText) */
  attributeDefault(qualified: string): string | null;
  /**
   * What the project's classes deriving from a class named `name` (at any depth, by name) give
   * `attr`, one entry per class that assigns it; null when the files cannot be listed or the answer
   * is not a short one.
   */
  subclassValues(name: string, attr: string): readonly SubclassValue[] | null;
  /**
   * Whether the project has test files outside this file's folder (where a conftest.py there does not
   * run); null when the files cannot be listed.
   */
  readonly testsOutsideFolder: boolean | null;
  /**
   * The DRF throttles of the view a request reaches, by its path (`"/api/feedback/?x=1"`) or by the route
   * name `reverse()` is given, where the view sets `throttle_classes` of its own; null when unknown or
   * where the settings' defaults apply
   */
  requestThrottling(target: { path: string } | { name: string }): RequestThrottling | null;
  /** the newest major version of a package the project's requirements allow, where they cap it (`==1.22.2`: 1) */
  cappedMajor(name: string): number | null;
  /**
   * Whether an app of the project could be labelled `label` (a package of that name with models.py or
   * apps.py, an AppConfig declaring it); null when the files cannot be listed
   */
  appCouldHaveLabel(label: string): boolean | null;
  /** whether `module.Name...` is defined in one of the project's test modules (a test double) */
  definedInTests(qualified: string): boolean;
  /** whether the project's module (or `module.function`'s) calls an API only django-redis's cache has */
  moduleUsesRedisOnlyApi(qualified: string): boolean;
  /** whether any module of the project that is not a test calls an API only django-redis's cache has */
  readonly codeUsesRedisOnlyApi: boolean;
  /**
   * Whether code of the project reads the environment variable `name` while tests run: in a function
   * (not at import), other than a function that sets it itself. Null when the files cannot be listed.
   */
  readsEnviron(name: string): boolean | null;
  /**
   * Who reads the setting `name` while tests run: the project's code (in functions, or only at import),
   * and the tests that read it, or name a function or class of the project reading it, without setting
   * it first (`module::Class.test`). Null when the files cannot be listed.
   */
  settingUse(name: string): SettingUse | null;
  /** Whether any file of the project names the fixture `name` besides its definition; null when unknown. */
  requestsFixture(name: string): boolean | null;
  /**
   * How many times `text` occurs in the project's Python files as saved (this one too); null when the
   * files cannot be listed. Facts read from the saved files, never from other parts of the document being
   * edited, keep an analysis of one unit independent of the others.
   */
  occurrences(text: string): number | null;
  /**
   * The user model's primary key is a UUID (AUTH_USER_MODEL's class, or a base, declares a `UUIDField`
   * with `primary_key=True`): no two users of any test or worker share one. False for Django's own
   * `auth.User`; null when the settings or the class cannot be read.
   */
  readonly userPkIsUuid: boolean | null;
  /** The same, in the project's test files only (test modules, `tests/` packages, conftest.py). */
  occurrencesInTests(text: string): number | null;
  /** Whether a project file other than this one holds `text` (as saved); null when the files cannot be listed. */
  mentionedElsewhere(text: string): boolean | null;
  /**
   * The other project files holding `text` (as saved), each with its dotted module name from the root and
   * its text; null when the files cannot be listed.
   */
  elsewhere(text: string): readonly { module: string; text: string }[] | null;
  readonly autouseCacheIsolation: boolean;
  /** where an autouse fixture (a conftest.py from the file's directory up, or a pytest plugin) empties the cache */
  readonly autouseCacheReset: Located | null;
  /** an autouse fixture of a conftest.py above the file puts the app registry back after each test */
  readonly autouseRestoresApps: boolean;
  /** an autouse fixture of a conftest.py above the file puts the working directory back after each test */
  readonly autouseRestoresCwd: boolean;
  /** an autouse fixture of a conftest.py above sets the language back around each test */
  readonly autouseRestoresLanguage: boolean;
  /** an autouse fixture of a conftest.py above sets the time zone back around each test */
  readonly autouseRestoresZone: boolean;
  /** where a conftest.py above the file prefixes the cache's keys with the xdist worker's name */
  readonly workerKeyPrefix: WorkerPrefix | null;
  /** where a conftest.py above puts the cache on fakeredis (a server inside each process) */
  readonly fakeRedis: Located | null;
  /**
   * fixtures of conftest.py files above the file that give a setting a whole new value through pytest-django's
   * `settings`, themselves or through one they request: fixture name to the settings
   */
  readonly settingReplacers: ReadonlyMap<string, ReadonlySet<string>>;
  /** fixtures of conftest.py files above the file by name (the nearest wins): whether each returns a fixed date */
  readonly fixedDateFixtures: ReadonlyMap<string, boolean>;
  /** fixtures of conftest.py files above the file that empty the cache, by name (requested or autouse) */
  readonly cacheResetFixtures: ReadonlySet<string>;
  /** settings items (`FEATURES[flags.X]`) an autouse fixture above the file sets before every test */
  readonly autouseSettingsItems: ReadonlySet<string>;
  /** an autouse fixture of a conftest.py above writes a setting through pytest-django's `settings` fixture */
  readonly autouseOpensSettingsOverride: boolean;
  /**
   * The test runner's own cache handling (Django's runner only): it gives each parallel worker its own
   * cache, or empties the cache before each test. Null when it does neither.
   */
  readonly runnerCache: { perWorker: boolean; at: Located } | null;
  /** the root conftest.py: its path and text (null when it does not exist) */
  readonly rootConftest: { file: string; text: string | null };
  /** the suite runs under pytest (a conftest.py or pytest configuration at the root) */
  readonly usesPytest: boolean;
  /** warnings raise in the test run (`filterwarnings = error`, `-W error`, PYTHONWARNINGS=error) */
  readonly warningsAreErrors: boolean;
  /** the tests the run selects by their marks (pytest's `-m` in addopts); null when it takes every test */
  readonly selectsMarks: MarkMatcher | null;
  /** tags (`@tag`) and marks CI runs only in a run with no workers, after leaving them out of its parallel one */
  readonly serialTags: readonly string[];
  /** the line length the project's formatter or linter configures: a fix's new lines keep to it */
  readonly lineLength?: number | null;
  readText(file: string): string | null;
}

/** What one of the project's classes gives an attribute its base class reads (`self.language = "en"`). */
export interface SubclassValue {
  /** a string constant (a literal, or a constant of the subclass's module), `None`, or null: anything else */
  value: string | null;
  /** the value is `None` */
  none: boolean;
  /** the settings its `override_settings` class decorators change, and those of its bases in between */
  overrides: ReadonlySet<string>;
}

/** A conftest.py's line that gives one cache alias's keys a prefix of each xdist worker's own. */
export interface WorkerPrefix extends Located {
  alias: string;
  /**
   * the worker's name is in the cache's LOCATION (a Redis database, a server of its own): each worker
   * has a cache of its own, and emptying it touches no other's. Otherwise only the keys are the worker's.
   */
  ownCache: boolean;
}
