// The settings a test run loads, from the evaluated settings module: the caches and how far each is
// shared, DRF throttling and whether it really limits anything, the session engine, the test runner
// and the installed apps' labels.
import type { Backend, CacheFacts, Located, SettingsFacts, ThrottleFacts } from '../analysis/projectView';
import { cacheScope, LOCMEM_BACKEND } from '../analysis/django';
import { Evaluator, type Namespace, type Value } from './evaluate';
import type { RunConfig } from './runConfig';

/** DRF's own throttle classes and the rate scope each reads (ScopedRateThrottle: the view's). */
const DRF_THROTTLES: Record<string, string | null> = {
  'rest_framework.throttling.AnonRateThrottle': 'anon',
  'rest_framework.throttling.UserRateThrottle': 'user',
  'rest_framework.throttling.ScopedRateThrottle': null,
};

/** Backends of packages Crosstalk knows, by module prefix; a project's own class is followed to its base. */
const KNOWN_BACKEND =
  /^(django\.core\.cache\.backends\.|django_redis\.|redis_cache\.|django_prometheus\.cache\.backends\.|diskcache\.|django_pylibmc\.|django_bmemcached\.|django_elasticache\.)/;

export function readSettingsFacts(
  run: RunConfig,
  evaluator: Evaluator,
  moduleFile: (m: string) => string | null,
): SettingsFacts {
  const facts: SettingsFacts = {
    module: run.settingsModule,
    configuration: run.configuration,
    file: null,
    runner: run.runner,
    source: run.source,
    unknown: null,
    caches: new Map(),
    throttling: null,
    sessionEngine: null,
    sessionCacheAlias: 'default',
    languageCode: null,
    timeZone: null,
    constants: new Map(),
    databaseEngine: null,
    testDatabaseInMemory: false,
    testRunner: null,
    installedApps: [],
    apps: new Map(),
    appNames: new Map(),
    appEntries: new Map(),
    appsComplete: false,
  };
  let ns: Namespace | null = null;
  if (run.settingsModule) {
    const file = moduleFile(run.settingsModule);
    if (!file) facts.unknown = `settings module ${run.settingsModule} is not in the project`;
    else {
      facts.file = file;
      ns = evaluator.module(run.settingsModule);
      if (ns && run.configuration) {
        const cls = ns.get(run.configuration);
        if (cls?.kind === 'class') ns = new Map([...ns, ...evaluator.configurationSettings(cls)]);
        else facts.unknown = `configuration class ${run.configuration} is not in ${run.settingsModule}`;
      }
    }
  } else if (run.configure) {
    facts.file = run.configure.file;
    ns = evaluator.configureArguments(run.configure.call, run.configure.file);
  } else {
    facts.unknown = 'no settings module found';
  }
  if (!ns) {
    facts.caches.set('default', {
      alias: 'default',
      backend: null,
      kind: 'unknown',
      reason: facts.unknown ?? 'settings not read',
      file: '',
      line: 0,
      character: 0,
    });
    return facts;
  }
  const partial = ns.get('__star__') ?? ns.get('__include__') ?? ns.get('__error__');
  if (partial?.kind === 'unknown') facts.unknown = partial.reason;
  readCaches(ns.get('CACHES'), facts, evaluator, partial?.kind === 'unknown' ? partial.reason : null);
  const apps = ns.get('INSTALLED_APPS');
  const installed = apps?.kind === 'list' ? apps.items.flatMap(a => (a.kind === 'str' ? [a.value] : [])) : [];
  // DRF installed with no REST_FRAMEWORK: its defaults, which throttle nothing
  facts.throttling =
    readThrottling(ns.get('REST_FRAMEWORK'), evaluator) ??
    (installed.includes('rest_framework')
      ? {
          on: false,
          users: false,
          classes: [],
          rates: { user: null, anon: null },
          ratesKnown: true,
          ...(apps?.at ?? { file: facts.file ?? '', line: 0, character: 0 }),
        }
      : null);
  const session = ns.get('SESSION_ENGINE');
  facts.sessionEngine = session?.kind === 'str' ? session.value : null;
  const language = ns.get('LANGUAGE_CODE');
  // unset in settings read in full: Django's global default
  facts.languageCode = language?.kind === 'str' ? language.value : !language && !partial ? 'en-us' : null;
  const languages = ns.get('LANGUAGES');
  facts.languages =
    languages?.kind === 'list'
      ? languages.items.flatMap(i => (i.kind === 'list' && i.items[0]?.kind === 'str' ? [i.items[0].value] : []))
      : null;
  const languageAt = language?.at ?? (facts.file ? { file: facts.file, line: 0, character: 0 } : undefined);
  if (languageAt) facts.languageAt = { file: languageAt.file, line: languageAt.line, character: languageAt.character };
  // (a star import or include that cannot be read may set any of them again)
  for (const [name, v] of partial ? [] : ns) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    const text = constantOf(v);
    if (text !== null) facts.constants.set(name, text);
    // and the constant items of a dict setting, by their path: `INDIGO["WORK_PROPERTIES"]`
    if (v.kind === 'dict')
      for (const [key, item] of v.entries) {
        const itemText = constantOf(item);
        if (itemText !== null) facts.constants.set(`${name}[${JSON.stringify(key)}]`, itemText);
      }
  }
  const zone = ns.get('TIME_ZONE');
  facts.timeZone = zone?.kind === 'str' ? zone.value : !zone && !partial ? 'America/Chicago' : null;
  const databases = ns.get('DATABASES');
  const database = databases?.kind === 'dict' ? databases.entries.get('default') : undefined;
  const engine = database?.kind === 'dict' ? database.entries.get('ENGINE') : undefined;
  facts.databaseEngine = engine?.kind === 'str' ? engine.value : null;
  // SQLite (SpatiaLite) with no TEST NAME: Django makes each process's test database in its memory
  const test = database?.kind === 'dict' ? database.entries.get('TEST') : undefined;
  const testName = test?.kind === 'dict' ? test.entries.get('NAME') : undefined;
  facts.testDatabaseInMemory =
    /sqlite|spatialite/i.test(facts.databaseEngine ?? '') &&
    (!test || (test.kind === 'dict' && (!testName || testName.kind === 'none'))) &&
    !facts.unknown;
  const sessionAlias = ns.get('SESSION_CACHE_ALIAS');
  if (sessionAlias?.kind === 'str') facts.sessionCacheAlias = sessionAlias.value;
  const runner = ns.get('TEST_RUNNER');
  if (runner?.kind === 'str')
    facts.testRunner = { name: runner.value, at: runner.at ?? { file: facts.file ?? '', line: 0, character: 0 } };
  if (apps?.kind === 'list') {
    facts.installedApps = installed;
    const labels = appLabels(installed, evaluator);
    facts.appNames = labels.names;
    facts.appEntries = labels.entries;
    facts.appsComplete = labels.complete && installed.length === apps.items.length && !facts.unknown;
    for (const [label, name] of facts.appNames)
      if (label !== name.slice(name.lastIndexOf('.') + 1)) facts.apps.set(label, name);
  }
  return facts;
}

function readCaches(
  value: Value | undefined,
  facts: SettingsFacts,
  evaluator: Evaluator,
  partial: string | null,
): void {
  const where = (v: Value | undefined): Located => v?.at ?? { file: facts.file ?? '', line: 0, character: 0 };
  if (value === undefined) {
    // no CACHES: Django's default, one LocMemCache per process (unless a star import from outside could set it)
    if (partial)
      facts.caches.set('default', {
        alias: 'default',
        backend: null,
        kind: 'unknown',
        reason: partial,
        ...where(undefined),
      });
    else
      facts.caches.set('default', {
        alias: 'default',
        backend: LOCMEM_BACKEND,
        kind: 'per-process',
        implicit: true,
        ...where(undefined),
      });
    return;
  }
  if (value.kind !== 'dict') {
    facts.caches.set('default', {
      alias: 'default',
      backend: null,
      kind: 'unknown',
      reason: reasonOf(value, 'CACHES'),
      ...where(value),
    });
    return;
  }
  for (const [alias, conf] of value.entries) {
    if (conf.kind !== 'dict') {
      facts.caches.set(alias, {
        alias,
        backend: null,
        kind: 'unknown',
        reason: reasonOf(conf, `CACHES["${alias}"]`),
        ...where(conf),
      });
      continue;
    }
    const backend = conf.entries.get('BACKEND');
    if (backend?.kind !== 'str') {
      facts.caches.set(alias, {
        alias,
        backend: null,
        kind: 'unknown',
        reason: reasonOf(backend, `the ${alias} cache's BACKEND`),
        ...where(backend ?? conf),
      });
      continue;
    }
    const scope = backendScope(backend.value, evaluator);
    // a Redis client on fakeredis (`OPTIONS: {"connection_class": FakeConnection}`, django-redis'
    // `REDIS_CLIENT_CLASS: "fakeredis.FakeStrictRedis"`): its server lives inside each process
    const fake = scope.kind === 'cross-process' && mentionsFakeRedis(conf.entries.get('OPTIONS'));
    // a KEY_FUNCTION drawing its keys from a value made when each process loads the settings
    // (etools-datamart's `SEED = random.random()`): no two processes share a key
    const ownKeys = scope.kind === 'cross-process' && keysOfEachProcess(conf.entries.get('KEY_FUNCTION'));
    facts.caches.set(alias, {
      alias,
      backend: backend.value,
      kind: fake || ownKeys ? 'per-process' : scope.kind,
      reason: scope.reason,
      via: fake
        ? 'on fakeredis, a server inside each process'
        : ownKeys
          ? "its KEY_FUNCTION keys each process's own, drawn at random when the settings load"
          : backend.via,
      ...(scope.database ? { database: true } : {}),
      ...locationOf(conf.entries.get('LOCATION')),
      ...where(backend),
    });
  }
  // djblets' ForwardingCacheBackend hands every call to the cache its LOCATION names (reviewboard's
  // `forwarded_backend`): it is shared as far as that one is
  for (const [alias, conf] of value.entries) {
    const cache = facts.caches.get(alias);
    if (cache?.backend !== FORWARDING_BACKEND || conf.kind !== 'dict') continue;
    const location = conf.entries.get('LOCATION');
    const target = facts.caches.get(location?.kind === 'str' ? location.value : 'forwarded_backend');
    if (!target || target.backend === FORWARDING_BACKEND) continue;
    facts.caches.set(alias, {
      ...cache,
      kind: target.kind,
      reason: target.reason,
      via: `forwarding to CACHES["${target.alias}"], ${target.backend ?? 'unknown'}`,
      ...(target.database ? { database: true } : {}),
    });
  }
}
const FORWARDING_BACKEND = 'djblets.cache.forwarding_backend.ForwardingCacheBackend';

/** Where a cache's LOCATION is written (a URL, or one built from values not all known), when that is known. */
function locationOf(v: Value | undefined): { location?: Located } {
  return v?.at ? { location: { file: v.at.file, line: v.at.line, character: v.at.character } } : {};
}

/** Whether a cache's OPTIONS name fakeredis anywhere (a class, or a dotted path to one). */
function mentionsFakeRedis(v: Value | undefined, depth = 0): boolean {
  if (!v || depth > 3) return false;
  if (v.kind === 'str') return /^fakeredis\./.test(v.value);
  if (v.kind === 'ref') return /^fakeredis\./.test(v.name);
  if (v.kind === 'dict') return [...v.entries.values()].some(x => mentionsFakeRedis(x, depth + 1));
  return false;
}

function reasonOf(v: Value | undefined, what: string): string {
  if (!v) return `${what} is not set`;
  return v.kind === 'unknown' ? v.reason : `${what} is not a literal`;
}

/** How far a backend's keys are shared; a project's own class by the Django backend it derives from. */
function backendScope(
  backend: string,
  evaluator: Evaluator,
  seen = new Set<string>(),
): { kind: Backend; reason?: string; database?: boolean } {
  if (KNOWN_BACKEND.test(backend)) {
    const kind = cacheScope(backend);
    if (/DatabaseCache$/.test(backend)) return { kind, database: true };
    return kind === 'cross-process' &&
      !/redis|memcache|pylibmc|\.db\.|DatabaseCache|filebased|FileBasedCache|diskcache/i.test(backend)
      ? { kind: 'unknown', reason: `${backend} is a backend Crosstalk does not know` }
      : { kind };
  }
  if (seen.has(backend)) return { kind: 'unknown', reason: `${backend} derives from itself` };
  seen.add(backend);
  const bases = evaluator.classBases(backend);
  if (!bases) return { kind: 'unknown', reason: `the backend ${backend} is not a class Crosstalk can read` };
  for (const base of bases) {
    const scope = backendScope(base, evaluator, seen);
    if (scope.kind !== 'unknown') return scope;
  }
  // a wrapper (BaseCache's subclass delegating to a LocMemCache it makes): the backend it wraps
  const wrapped = [
    ...new Set(
      evaluator
        .classInstantiates(backend)
        .filter(c => KNOWN_BACKEND.test(c))
        .map(c => cacheScope(c)),
    ),
  ];
  if (wrapped.length === 1 && wrapped[0]) return { kind: wrapped[0] };
  return { kind: 'unknown', reason: `the backend ${backend} derives from no cache backend Crosstalk knows` };
}

/** DRF throttling: on only where a throttle class has a rate that is not None for its scope. */
function readThrottling(value: Value | undefined, evaluator: Evaluator): ThrottleFacts | null {
  if (value === undefined) return null;
  const at = value.at ?? { file: '', line: 0, character: 0 };
  if (value.kind !== 'dict')
    return {
      on: null,
      users: false,
      classes: [],
      rates: {},
      ratesKnown: false,
      reason: reasonOf(value, 'REST_FRAMEWORK'),
      ...at,
    };
  const classesValue = value.entries.get('DEFAULT_THROTTLE_CLASSES');
  const ratesValue = value.entries.get('DEFAULT_THROTTLE_RATES');
  // the rates are read whatever the default classes: a view's own throttle classes read them too
  const rates: Record<string, string | null> = {};
  let ratesKnown = true;
  if (ratesValue === undefined) Object.assign(rates, { user: null, anon: null });
  else if (ratesValue.kind === 'dict') {
    for (const [k, v] of ratesValue.entries) {
      if (v.kind === 'str') rates[k] = v.value;
      else if (v.kind === 'none') rates[k] = null;
      else ratesKnown = false;
    }
  } else ratesKnown = false;
  const place = classesValue?.at ?? at;
  if (classesValue === undefined) return { on: false, users: false, classes: [], rates, ratesKnown, ...place };
  if (classesValue.kind !== 'list')
    return {
      on: null,
      users: false,
      classes: [],
      rates,
      ratesKnown,
      reason: reasonOf(classesValue, 'DEFAULT_THROTTLE_CLASSES'),
      ...place,
    };
  const classes = classesValue.items.flatMap(c => (c.kind === 'str' ? [c.value] : []));
  const anyRate = Object.values(rates).some(r => r !== null);
  let on: boolean | null = false;
  let users = false;
  for (const cls of classes) {
    let limits: boolean | null;
    // keyed by the user's pk for every authenticated request (not anonymous ones, not per view's scope)
    const byUser =
      cls === 'rest_framework.throttling.UserRateThrottle' ||
      derivesFrom(evaluator, cls, 'rest_framework.throttling.UserRateThrottle');
    if (cls in DRF_THROTTLES) {
      const scope = DRF_THROTTLES[cls];
      limits =
        scope === null ? anyRate : rates[scope] !== undefined ? rates[scope] !== null : ratesKnown ? false : null;
    } else {
      // a project's class: its own `rate`, else its `scope`'s rate
      const attrs = evaluator.classAttributesOf(cls);
      const rate = attrs?.get('rate');
      const scope = attrs?.get('scope');
      if (rate?.kind === 'str') limits = true;
      else if (rate?.kind === 'none' && !scope) limits = false;
      else if (scope?.kind === 'str')
        limits = scope.value in rates ? rates[scope.value] !== null : ratesKnown ? false : null;
      else limits = null;
    }
    if (limits === true) {
      on = true;
      users ||= byUser;
    } else if (limits === null && on !== true) on = null;
  }
  if (classesValue.items.length !== classes.length && on !== true) on = null;
  if (!ratesKnown && on === false) on = null;
  return { on, users, classes, rates, ratesKnown, ...place };
}

/** Whether a project class derives (through project classes) from `base`. */
export function derivesFrom(evaluator: Evaluator, cls: string, base: string, seen = new Set<string>()): boolean {
  if (seen.has(cls)) return false;
  seen.add(cls);
  return (evaluator.classBases(cls) ?? []).some(b => b === base || derivesFrom(evaluator, b, base, seen));
}

/**
 * INSTALLED_APPS' labels: an AppConfig class named in the list, or the one in the app's apps.py (the
 * only one, or the one with `default = True`); a label defaults to the last part of the name.
 */
function appLabels(
  installed: string[],
  evaluator: Evaluator,
): { names: Map<string, string>; entries: Map<string, string>; complete: boolean } {
  const out = new Map<string, string>();
  const entries = new Map<string, string>();
  let complete = true;
  for (const entry of installed) {
    const isConfig = /\.[A-Z]\w*$/.test(entry);
    let attrs = isConfig ? evaluator.classAttributesOf(entry) : null;
    if (isConfig && !attrs) complete = false;
    if (!attrs) {
      const configs = evaluator.appConfigsIn(`${entry}.apps`);
      attrs = configs.length === 1 ? (configs[0] ?? null) : (configs.find(c => truthyBool(c.get('default'))) ?? null);
    }
    const name = attrs?.get('name');
    const label = attrs?.get('label');
    const appName = name?.kind === 'str' ? name.value : entry;
    const appLabel = label?.kind === 'str' ? label.value : appName.slice(appName.lastIndexOf('.') + 1);
    out.set(appLabel, appName);
    entries.set(appLabel, entry);
  }
  return { names: out, entries, complete };
}

const truthyBool = (v: Value | undefined) => v?.kind === 'bool' && v.value;

export type { CacheFacts };

/**
 * A value's text as a constant, the way `constantText` writes one in a test (`"a"`, `5`, `True`, `None`,
 * `["AZ","IA"]` for a list of such): null for anything else.
 */
function constantOf(v: Value): string | null {
  switch (v.kind) {
    case 'str':
      return JSON.stringify(v.value);
    case 'num':
      return String(v.value);
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'dict':
      return v.entries.size ? null : '{}';
    case 'list': {
      const items = v.items.map(constantOf);
      return items.every(i => i !== null && !i.startsWith('[')) ? `[${items.join(',')}]` : null;
    }
    default:
      return null;
  }
}

/** What makes a value one process's own: a random draw, a uuid, the process id. */
const PROCESS_UNIQUE = /\b(?:uuid\d?|random|randint|getpid|token_hex|token_urlsafe|urandom)\b/;

/**
 * A KEY_FUNCTION of the settings that builds keys from a value of each process's own: one it draws
 * itself, or a module constant drawn when the settings load (`SEED = random.random()`).
 */
function keysOfEachProcess(value: Value | undefined): boolean {
  if (value?.kind !== 'function') return false;
  const body = value.node.childForFieldName('body')?.text ?? '';
  if (PROCESS_UNIQUE.test(body)) return true;
  const module = value.node.tree.rootNode.text;
  return [...new Set(body.match(/\b[A-Z][A-Z0-9_]*\b/g) ?? [])].some(name =>
    new RegExp(`^${name}\\s*=[^=\\n][^\\n]*${PROCESS_UNIQUE.source}`, 'm').test(module),
  );
}
