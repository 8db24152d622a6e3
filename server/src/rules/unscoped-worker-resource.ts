import { addParameter } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import { importModule } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { everyWorker, oneProcess, ownScheduler } from './lib/process';
import { exposure } from './lib/djangoCache';
import { createRule, type Listeners, type RuleContext } from '../engine/rule';
import { field, stringContentText, stringValue, walk } from '../syntax/nodes';

/** Anything that names the xdist worker: a file that mentions one of these scopes its resources. */
const WORKER = /worker_id|PYTEST_XDIST_WORKER|workerinput|slaveinput|TEST_RUNNER_WORKER|xdist/;
const REDIS_URL = /^rediss?:\/\//;

/** conftest.py, or a settings module for tests (`settings/test.py`, `test_settings.py`, `tests/settings.py`). */
function isTestConfiguration(moduleName: string): boolean {
  const parts = moduleName.split('.');
  const last = parts[parts.length - 1];
  if (last === 'conftest') return true;
  if (/^(test_?settings|settings_?tests?|testsettings)$/.test(last)) return true;
  return parts.some(p => p === 'settings') && parts.some(p => /^(tests?|testing|ci)$/.test(p));
}

export default createRule({
  id: 'XT031',
  name: 'unscoped-worker-resource',
  severity: 'warning',
  fix: 'sometimes',
  settingsModule: true,
  summary: 'A test database, Redis URL or cache KEY_PREFIX in test configuration does not include the xdist worker',
  table: {
    finds:
      "In conftest or test settings: a Redis URL, cache `KEY_PREFIX` or `django_db_setup` database name with no xdist worker in it, or pytest-django's per-worker database suffix dropped",
    fix: 'Unsafe: append the worker id (or request the suffix fixture again)',
  },
  docs: {
    what:
      'In conftest.py and test settings modules: a Redis URL, a cache `KEY_PREFIX`, or a database name ' +
      'set by a custom `django_db_setup`, that does not include the xdist worker (`worker_id`, ' +
      "`PYTEST_XDIST_WORKER`), in a file that never mentions the worker; and a conftest.py's own " +
      "`django_db_modify_db_settings` that leaves out pytest-django's per-worker suffix (the fixture itself " +
      'neither requests `django_db_modify_db_settings_parallel_suffix` nor names the worker: every worker then ' +
      'shares one test database; not where the settings give SQLite or SpatiaLite and no TEST NAME, whose test ' +
      "database Django makes in each process's memory). The settings module the test run " +
      'loads (pytest.ini, manage.py...) is checked for this rule alone even where no test-file pattern matches ' +
      'it; a settings module the run does not load is not, nor a branch of it the run does not take ' +
      '(`if not TESTING:` where `TESTING = sys.argv[1] == "test"`). Where that module is named like any ' +
      "settings (`project/settings.py`), only the cache the project model reads there is: a Redis cache's " +
      "LOCATION (a URL, or the default of the environment variable it comes from, a configuration class's " +
      "property too) that no key prefix or database of each worker's own scopes, in a project whose tests " +
      'neither put the cache on fakeredis, name the worker, nor replace `settings.CACHES`. A `KEY_PREFIX` of a LocMemCache, a ' +
      'DummyCache or a DatabaseCache is not: nothing there is shared between workers; nor a Celery broker or ' +
      'result backend in settings that run every task in the calling process (`CELERY_ALWAYS_EAGER = True`). ' +
      "Nothing is reported where the suite runs under Django's runner with django-nose's `TEST_RUNNER`, which " +
      'ignores `--parallel` and runs every test in one process, unless something asks nose for `--processes`; ' +
      'nor, but for the test database fixtures, where a conftest.py gives pytest-xdist a scheduler of its own ' +
      "(`pytest_xdist_make_scheduler`): which tests share a worker, and so a server, is then the project's " +
      'choice (django-redis sends every test of one settings module, each with a Redis database of its own, ' +
      'to one worker). Nor a Redis cache whose alias or host says no server is there (`"doesnotexist"`, ' +
      '`stopped_redis`, `redis://test-connection-errors`, `redis://missing_service`): tests of a failing ' +
      'connection use it, and nothing is stored there.',
    why:
      'pytest-django gives each xdist worker its own test database, but nothing else: every worker talks to ' +
      'the same Redis database under the same key prefix, and a custom `django_db_setup` that names its ' +
      'database makes the workers share it again. Keys, locks and rows collide across workers. Under ' +
      "`manage.py test --parallel` the workers share them too, but Django's runner forks its workers after " +
      'the settings are loaded: no value in a settings module can differ per worker there.',
    incident:
      'treeherder: every xdist worker used the same Redis database for the cache and the cache-backed ' +
      "sessions, so workers wiped each other's sessions; the fix pointed each worker at its own Redis " +
      'database, numbered after the worker id (gw0, gw1, ...).',
    incidentUrl: 'https://github.com/mozilla/treeherder/pull/9665',
    example: [
      '# settings/test.py',
      'CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",',
      '                      "LOCATION": "redis://localhost:6379/1",      # XT031',
      '                      "KEY_PREFIX": "test"}}                        # XT031',
      '',
      '# fixed',
      '                      "KEY_PREFIX": f"test_{os.environ.get(\'PYTEST_XDIST_WORKER\', \'main\')}"}}',
    ].join('\n'),
    fixSafety:
      'Unsafe: a `KEY_PREFIX` gets the worker appended (from `PYTEST_XDIST_WORKER`), and a database name in ' +
      '`django_db_setup` gets `_{worker_id}` (the fixture is requested); tools that expect the old names will not ' +
      'find them; a `django_db_modify_db_settings` of its own gets the suffix fixture requested again (before ' +
      'pytest-django 4 it was `django_db_modify_db_settings_xdist_suffix`). ' +
      'A Redis URL gets no automatic fix: give each worker a key prefix or its own database number. ' +
      'The settings fixes are for pytest-xdist workers, which load the settings each in its own process: under ' +
      "`manage.py test --parallel` Django's runner forks its workers after loading the settings once, so " +
      '`PYTEST_XDIST_WORKER` is unset and every worker gets the same prefix (`_main`); isolate those workers in ' +
      "the runner (a `TEST_RUNNER` whose parallel suite's `init_worker` gives each its own), not in the settings.",
  },
  create(ctx): Listeners {
    // one process runs every test: no workers to collide
    if (oneProcess(ctx)) return {};
    // the project's scheduler decides which tests share a worker, and so a server: not known here. Every
    // worker still sets up the test database
    if (ownScheduler(ctx))
      return ctx.file.moduleName.endsWith('conftest') ? { function_definition: fn => databaseNamed(ctx, fn) } : {};
    // fakeredis gives each test an in-process server: nothing is shared
    if (!isTestConfiguration(ctx.file.moduleName)) return sharedRedisInLoadedSettings(ctx);
    // (the suffix fixture is asked of the fixture itself: a file naming the worker elsewhere, in an
    // autouse fixture's docstring, still shares one test database)
    if (ctx.file.mentions(WORKER) || ctx.file.mentions('fakeredis'))
      return { function_definition: fn => modifiesWithoutSuffix(ctx, fn) };
    // a module named like settings that holds tests (test_settings.py testing the settings code) is
    // no configuration: its URLs are the inputs of its tests
    if (!ctx.file.moduleName.endsWith('conftest') && ctx.file.mentions(/^\s*(def test|class Test)/m)) return {};
    return {
      pair(pair) {
        const key = pair.childForFieldName('key'),
          value = pair.childForFieldName('value');
        const k = key ? stringValue(key) : null;
        if (!k || !value || value.type !== 'string') return;
        if (!configures(ctx, pair) || unreached(ctx, pair)) return;
        if (k === 'KEY_PREFIX') {
          // a prefix of a cache each process has of its own (or none at all) keeps nothing in common
          const backend = pair.parent?.namedChildren.find(
            p => p?.type === 'pair' && stringValue(field(p, 'key')) === 'BACKEND',
          );
          const name = backend ? stringValue(field(backend, 'value')) : null;
          if (name && /locmem|dummy|db\.DatabaseCache/i.test(name)) return;
          ctx.report({
            node: value,
            message: `KEY_PREFIX ${value.text} is the same in every xdist worker: their cache keys collide in the shared backend`,
            fix: prefixFix(ctx, value),
          });
        } else if (REDIS_URL.test(leading(value)) && !hasWorkerPrefix(pair) && !noServer(pair, leading(value))) {
          ctx.report({
            node: value,
            message: `${value.text} is one Redis database for ${everyWorker(ctx)}: their keys, locks and queues collide`,
          });
        }
      },
      // a conftest fixture handing out the URL: `return f"redis://{host}:6379/0"`
      return_statement(node) {
        const value = node.namedChildren.find(c => c?.type === 'string');
        if (!value || !REDIS_URL.test(leading(value))) return;
        const fn = ctx.defs.enclosingFunction(node);
        if (!fn || !ctx.testing.isFixture(fn) || /\{[^}]*\}\s*$/.test(leading(value).replace(/^rediss?:\/\/[^/]*/, '')))
          return;
        ctx.report({
          node: value,
          message: `${value.text} is one Redis database for ${everyWorker(ctx)}: their keys, locks and queues collide`,
        });
      },
      assignment(node) {
        const value = node.childForFieldName('right');
        if (
          value?.type === 'string' &&
          REDIS_URL.test(leading(value)) &&
          configures(ctx, node) &&
          /REDIS|BROKER|CACHE|LOCATION|CELERY/i.test(node.childForFieldName('left')?.text ?? '') &&
          !unusedBroker(ctx, node)
        ) {
          ctx.report({
            node: value,
            message: `${value.text} is one Redis database for ${everyWorker(ctx)}: their keys, locks and queues collide`,
          });
        }
      },
      function_definition: fn => databaseNamed(ctx, fn),
    };
  },
});
const DB_TYPES = new Set(['assignment', 'pair']);

/**
 * A conftest.py's fixture that gives every worker one test database: its own `django_db_modify_db_settings`
 * without the suffix, or a `django_db_setup` naming the database.
 */
function databaseNamed(ctx: RuleContext, fn: Node): void {
  modifiesWithoutSuffix(ctx, fn);
  if (fn.childForFieldName('name')?.text !== 'django_db_setup' || !ctx.testing.isFixture(fn)) return;
  walk(
    fn,
    n => {
      // settings.DATABASES["default"]["NAME"] = "..."  or  {"NAME": "..."}
      const isNameAssign =
        n.type === 'assignment' && /\[\s*["']NAME["']\s*\]$/.test(n.childForFieldName('left')?.text ?? '');
      const value = isNameAssign
        ? n.childForFieldName('right')
        : n.type === 'pair' && stringValue(field(n, 'key')) === 'NAME'
          ? n.childForFieldName('value')
          : null;
      if (value?.type === 'string') {
        ctx.report({
          node: value,
          message: `django_db_setup names the database ${value.text} for every xdist worker: they share it, and one worker's setup drops another's tables`,
          fix:
            stringValue(value) !== null
              ? Fix.unsafe('Append the worker id', [
                  ...addParameter(ctx, fn, 'worker_id'),
                  Edit.replace(value.startIndex, value.endIndex, `f${value.text.replace(/(['"])$/, '_{worker_id}$1')}`),
                ])
              : null,
        });
      }
      return true;
    },
    DB_TYPES,
  );
}

/**
 * The settings module the test run loads, named like any settings (`tilavarauspalvelu/settings.py`):
 * where the project model reads a Redis cache every worker shares with no key prefix or database of
 * each one's own, its LOCATION's literal (a URL, an environment variable's default) is flagged there.
 */
const TESTS_SCOPE_CACHE = [
  'fakeredis',
  'FakeRedis',
  'worker_id',
  'PYTEST_XDIST_WORKER',
  'workerinput',
  'settings.CACHES',
];

function sharedRedisInLoadedSettings(ctx: RuleContext): Listeners {
  const settings = ctx.project?.settings;
  const loaded = settings?.module;
  if (!settings || !loaded || !settings.file || ctx.file.mentions(WORKER)) return {};
  if (ctx.file.moduleName !== loaded && !ctx.file.moduleName.endsWith(`.${loaded}`)) return {};
  // what the tests do to the cache is read from their own conftest.py files, which need not be above the
  // settings: one that puts the cache on fakeredis, names the worker, or replaces CACHES keeps this quiet
  if (TESTS_SCOPE_CACHE.some(text => (ctx.project?.occurrencesInTests(text) ?? 1) > 0)) return {};
  const places = new Map<string, string>();
  for (const [alias, cache] of settings.caches) {
    const where = cache.location;
    if (!where || where.file !== settings.file || !/redis/i.test(cache.backend ?? '')) continue;
    const exposed = exposure(ctx, [alias]);
    if (exposed?.kind !== 'cross-process' || exposed.keysPerWorker) continue;
    places.set(`${where.line}:${where.character}`, alias);
  }
  if (places.size === 0) return {};
  return {
    string(node) {
      const alias = places.get(`${node.startPosition.row}:${node.startPosition.column}`);
      // (the model read the URL at this string: an f-string too, OnlineJudge's `f"{REDIS_URL}/{db}"`)
      if (alias === undefined || unreached(ctx, node) || noServerNamed(alias, leading(node))) return;
      ctx.report({
        node,
        message: `${node.text} is the ${alias} cache's one Redis database for ${everyWorker(ctx)} (the settings the test run loads): their keys, locks and sessions collide`,
      });
    },
  };
}

/**
 * A conftest.py's own `django_db_modify_db_settings`, the fixture pytest-django gives each xdist worker's
 * test database its suffix in (`test_app_gw0`), that neither requests the suffix fixtures nor says the
 * worker (berth-reservations': `pass`): every worker then creates, uses and destroys one test database.
 */
function modifiesWithoutSuffix(ctx: RuleContext, fn: Node): void {
  const name = fn.childForFieldName('name');
  if (name?.text !== 'django_db_modify_db_settings' || !ctx.file.moduleName.endsWith('conftest')) return;
  if (!ctx.testing.isFixture(fn) || /_suffix\b|worker|xdist/i.test(fn.text)) return;
  // SQLite with no TEST NAME: each worker's test database is in its own memory, suffix or not (django-loci)
  if (ctx.project?.settings.testDatabaseInMemory) return;
  ctx.report({
    node: name,
    message:
      "django_db_modify_db_settings is replaced without pytest-django's per-worker suffix: every xdist worker creates, uses and destroys the same test database",
    fix: Fix.unsafe(
      "Request pytest-django's suffix fixture again",
      addParameter(ctx, fn, 'django_db_modify_db_settings_parallel_suffix'),
    ),
  });
}

/**
 * Whether `node` configures the run: at module level, or in a fixture or pytest hook, and not the
 * input of an environment patch (`patch.dict(os.environ, {...})`, `monkeypatch.setenv`) in a test.
 */
function configures(ctx: RuleContext, node: Node): boolean {
  const fn = ctx.defs.enclosingFunction(node);
  if (!fn) return true;
  const name = fn.childForFieldName('name')?.text ?? '';
  if (!ctx.testing.isFixture(fn) && !/^pytest_/.test(name)) return false;
  const around = fn.text.slice(0, node.startIndex - fn.startIndex);
  return !/(patch\.dict\(\s*os\.environ|setenv\()[^)]*$/.test(around);
}

/** In a branch of the settings the test run does not take (`if not TESTING:`): not its configuration. */
function unreached(ctx: RuleContext, node: Node): boolean {
  return (ctx.project?.unreached ?? []).some(([start, end]) => start <= node.startIndex && node.endIndex <= end);
}

function leading(str: Node): string {
  return stringValue(str) ?? stringContentText(str);
}

/**
 * A cache whose alias or host says no server is there (`"doesnotexist"`, `stopped_redis`,
 * `redis://test-connection-errors`, `redis://missing_service`): tests of a failing connection use it, and
 * nothing is stored there for workers to share.
 */
function noServer(pair: Node, url: string): boolean {
  const alias = pair.parent?.parent?.type === 'pair' ? stringValue(field(pair.parent.parent, 'key')) : null;
  return noServerNamed(alias ?? '', url);
}
function noServerNamed(alias: string, url: string): boolean {
  const host = /^rediss?:\/\/(?:[^@/]*@)?([^/:?,]*)/.exec(url)?.[1] ?? '';
  return NO_SERVER.test(alias) || NO_SERVER.test(host);
}
const NO_SERVER = /does_?not_?exist|non_?existent|missing|stopped|unreachable|connection[-_]errors?/i;

/** A dict that also sets a KEY_PREFIX scopes its Redis URL (the prefix itself is checked separately). */
function hasWorkerPrefix(pair: Node): boolean {
  return !!pair.parent?.namedChildren.some(p => p?.type === 'pair' && stringValue(field(p, 'key')) === 'KEY_PREFIX');
}

function prefixFix(ctx: RuleContext, value: Node): Fix | null {
  const literal = stringValue(value);
  if (literal === null || /^[rRbBuU]/.test(value.text)) return null;
  const quote = value.text.endsWith('"') ? '"' : "'";
  const inner = quote === '"' ? "'" : '"';
  const { expr, edits } = importModule(ctx, 'os');
  return Fix.unsafe('Append the xdist worker to the prefix', [
    ...edits,
    Edit.replace(
      value.startIndex,
      value.endIndex,
      `f${quote}${literal.replace(/[{}]/g, c => c + c)}_{${expr}.environ.get(${inner}PYTEST_XDIST_WORKER${inner}, ${inner}main${inner})}${quote}`,
    ),
  ]);
}

/**
 * A Celery broker or result backend (`BROKER_URL = CELERY_RESULT_BACKEND = "redis://..."`) in settings
 * that run every task in the calling process (`CELERY_ALWAYS_EAGER = True`, tracpro): no test reaches it.
 */
function unusedBroker(ctx: RuleContext, assign: Node): boolean {
  // `A = B = value`: the assignment to B inside the one to A
  const names: string[] = [];
  for (let a: Node | null = assign; a?.type === 'assignment'; a = a.parent)
    names.push(a.childForFieldName('left')?.text ?? '');
  return names.every(n => /BROKER|RESULT_BACKEND/i.test(n)) && ctx.file.mentions(EAGER);
}
const EAGER = /\b(?:CELERY_)?(?:TASK_)?ALWAYS_EAGER\s*=\s*True\b/i;
