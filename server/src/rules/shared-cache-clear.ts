import {
  cacheAlias,
  cacheIsolationFix,
  exposure,
  findCacheUse,
  isDjangoCache,
  limitsRates,
  sharedCause,
} from './lib/djangoCache';
import { everyWorker } from './lib/process';
import { createRule, type RuleContext } from '../engine/rule';
import type { Node } from '../syntax/parser';
import { bodyStatements, callArguments, definitionOf, defName, field } from '../syntax/nodes';

export default createRule({
  id: 'XT002',
  name: 'shared-cache-clear',
  severity: 'warning',
  fix: 'sometimes',
  summary: '`cache.clear()` in a test, setUp or fixture whose cache is shared',
  table: {
    finds:
      "`cache.clear()` in a test, setUp or fixture whose cache is shared: on Redis or Memcached it wipes every other worker's keys; Redis's own `flushall()` / `flushdb()` too",
    fix: 'Safe: the same isolation as XT001 (none in fixtures)',
  },
  docs: {
    what:
      '`cache.clear()` or `caches[...].clear()` in a test, a setUp/tearDown hook or a pytest fixture ' +
      'whose cache is not isolated (`for name in caches: caches[name].clear()` and `for c in caches.all(): ' +
      'c.clear()` empty every alias the settings define), or a call of a function of the project that ' +
      'empties it itself, or that function registered as a cleanup (`self.addCleanup(clear_caches)`). Not where the cache is one each process has of its own (LocMemCache, a ' +
      "DatabaseCache, whose table is in each worker's test database): there clearing is a reset; nor in a " +
      'project whose test settings Crosstalk cannot find, or whose backend it cannot read (a class of the ' +
      "project's own, a value computed at run time): there nothing says the cache is shared. Nor where no " +
      'test beside it needs a key to survive: one does where sessions live in that cache, in a project that ' +
      'limits rates (DRF throttling, a ratelimit package), or where another test reads the cache back ' +
      "(`cache.get(`, `cache.has_key(`; under Django's runner, a test of another class). And Redis " +
      "emptied itself: `flushall()` or `flushdb()` on a Redis client (django-redis's " +
      "`get_redis_connection()`, an RQ queue's `.connection`, `redis.Redis(...)`) in a test, hook or fixture, " +
      "or in a method of the test's class one of them calls (a mixin's `clear_queues()`); not on fakeredis (the " +
      'module, or a conftest.py, uses it), on a name that says it is a fake or a mock, on a client whose ' +
      'connection the test patched (`mock.patch("redis.Redis.__init__")`) or whose commands it replaced with ' +
      'mocks, nor `flushdb()` where the test runner gives each parallel worker a Redis database of its own, nor in a ' +
      "module that picks a database by the xdist worker's name. Neither is reported in a test, or a class, " +
      'carrying a tag (`@tag("no_parallel")`) or mark that the project\'s CI leaves out of its parallel run ' +
      '(`manage.py test --parallel --exclude-tag no_parallel`, `pytest -n 4 -m "not serial"`) and runs again ' +
      'with no workers (`--tag no_parallel`, `-m serial`): nothing runs beside it.',
    why:
      'Clearing looks like isolation but is the opposite when the cache is shared: on Redis or Memcached ' +
      'it wipes the keys of every other xdist worker mid-test, and it never separates two workers that ' +
      'write the same key at the same time. It only hides order dependence inside one process. ' +
      '`FLUSHALL` goes further: it empties every database of the server, the RQ queues and the cache of ' +
      'every worker alike.',
    incident:
      'treeherder: `test_login_logout_relogin` failed intermittently with a 400 or a `KeyError`. Sessions ' +
      'live in the cache, one Redis served every xdist worker, and conftest.py cleared the cache (a Redis ' +
      "`FLUSHDB`) before every test: one worker's clear wiped another worker's session mid-login. More " +
      'workers made it more frequent.',
    incidentUrl: 'https://github.com/mozilla/treeherder/pull/9665',
    example: [
      'class ProfileTests(TestCase):',
      '    def setUp(self):',
      '        cache.clear()                       # XT002',
      '',
      '# fixed',
      '@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests.ProfileTests"}})',
      'class ProfileTests(TestCase):',
      '    def setUp(self):',
      '        cache.clear()',
    ].join('\n'),
    fixSafety:
      'The same fix as XT001, on the Django test case or test function that owns the call (safe on ' +
      'Django test cases, unsafe on imported bases Crosstalk cannot see, and unsafe where the test calls ' +
      "django-redis's own API, itself or through project code one import away). No fix in fixtures: give the " +
      'fixture the pytest-django `settings` fixture and set `settings.CACHES` instead. No fix for ' +
      "`flushall()` / `flushdb()`: a Redis database of each worker's own (its number from the worker's " +
      "name) is a decision about the whole suite's settings.",
  },
  create(ctx) {
    return {
      call(call) {
        const text = call.text; // read from the text: most calls clear nothing
        if (/flush(?:all|db)\s*\(/.test(text)) flushesRedis(ctx, call);
        if (!/clear|addCleanup|addfinalizer/.test(text)) return;
        const cleared = clearedBy(ctx, call);
        if (!cleared) return;
        const { label, alias, every } = cleared;
        const owner = ctx.defs.enclosingFunction(call);
        if (!owner) return;
        const cls = ctx.defs.methodClass(owner);
        const isTest = ctx.testing.isTestFunction(owner) || ctx.testing.isSetupHook(owner);
        const isFixture = ctx.testing.isFixture(owner);
        if (!isTest && !isFixture) return;
        if (ctx.testing.cacheIsolated(owner)) return;
        // no other test runs beside it: CI runs its tag alone, with no workers
        if (ctx.testing.runsAlone(owner)) return;
        const djangoClass = cls && ctx.testing.classKind(cls) !== 'other' ? cls : null;
        const target = djangoClass ?? (isFixture || ctx.testing.isSetupHook(owner) ? null : owner);
        // the same aliases as XT001 computes for the target, so both fixes write the same decorator
        const emptied = every && ctx.project ? [...ctx.project.settings.caches.keys()] : [alias];
        const aliases = target ? (findCacheUse(ctx, target)?.aliases ?? emptied) : [];
        const safe = !djangoClass || ctx.testing.classKind(djangoClass) === 'django';
        const exposed = exposure(ctx, emptied);
        // DummyCache keeps nothing; a cache of this process alone is only this process's to clear: then
        // clearing is a reset, not a hazard (the tests that use the cache unisolated are XT001's)
        if (exposed?.kind === 'none' || exposed?.kind === 'per-process') return;
        // a backend that cannot be read (a project's own class, one that forwards to another, settings not
        // found): only a cache every worker shares makes clearing a hazard, and nothing says this one is (on
        // reviewed suites such guesses were never right); a file on its own is judged by its own evidence
        if (exposed?.kind === 'unknown' && !exposed.lone) return;
        const settings = ctx.project?.settings;
        const sessions =
          /sessions\.backends\.cache$/.test(settings?.sessionEngine ?? '') &&
          // (every alias emptied: the sessions' own among them, where that one is shared too)
          (every
            ? exposure(ctx, [settings?.sessionCacheAlias ?? 'default'])?.kind === 'cross-process'
            : settings?.sessionCacheAlias === alias);
        // wiping keys is a hazard to a test beside this one that needs a key to survive: a logged-in test
        // where sessions live in this cache, a throttled one (its counters), or another test reading the
        // cache back. directory-api's tests clear a Redis no other test reads back: nothing to lose
        if (!sessions && !limitsRates(ctx) && !readBackBeside(ctx, owner)) return;
        const message =
          !exposed || exposed.kind === 'unknown'
            ? `${label} on a shared cache: on Redis or Memcached it wipes the keys of ${everyWorker(ctx)} mid-test, and it isolates nothing between them${exposed ? ` (${exposed.describe})` : ''}`
            : `${label} wipes the keys of ${everyWorker(ctx)} mid-test: ${exposed.describe}, shared by all of them${sessions ? ', and SESSION_ENGINE keeps sessions there, so it logs their test users out too' : ''}`;
        ctx.report({
          node: call,
          message,
          related: exposed?.related ?? [],
          fix: target ? cacheIsolationFix(ctx, target, aliases, safe, true) : null,
          cause: sharedCause(ctx, exposed),
        });
      },
    };
  },
});

/** What a call empties of the Django cache, named for the message; null when it empties none. */
interface Cleared {
  label: string;
  alias: string;
  /** every alias the settings define */
  every: boolean;
}

/**
 * The cache `call` empties: `cache.clear()`, `caches["x"].clear()`, `caches[name].clear()` in
 * `for name in caches:` (bk-user) or `c.clear()` in `for c in caches.all():`; or a call of the project's
 * own helper that does so, or its registration as a cleanup (open-forms' `self.addCleanup(clear_caches)`).
 */
function clearedBy(ctx: RuleContext, call: Node): Cleared | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return fn?.type === 'identifier' ? clearingHelper(ctx, fn, `${fn.text}()`) : null;
  const method = field(fn, 'attribute').text;
  if (/^(addCleanup|addClassCleanup|addfinalizer)$/.test(method)) {
    const [registered] = callArguments(call);
    return registered ? clearingHelper(ctx, registered, `${fn.text}(${registered.text})`) : null;
  }
  if (!/^a?clear$/.test(method)) return clearingHelper(ctx, fn, `${fn.text}()`);
  const receiver = field(fn, 'object');
  const label = `${fn.text}()`;
  const loop = loopOverCaches(ctx, receiver);
  if (loop) return { label, alias: 'default', every: true };
  if (!isDjangoCache(ctx, receiver)) return null;
  return { label, alias: cacheAlias(ctx, receiver) ?? 'default', every: false };
}

/** A name for a function of the project's modules that empties the cache itself, as `label` says. */
function clearingHelper(ctx: RuleContext, name: Node, label: string): Cleared | null {
  if (!/clear|flush|reset/i.test(name.text) || !ctx.project) return null;
  const q = ctx.names.resolve(name);
  const cleared = q ? ctx.project.functionClearsCache(q) : null;
  return cleared ? { label, ...cleared } : null;
}

/**
 * Whether `receiver` names each alias in turn: `caches[name]` in `for name in caches:` (or
 * `settings.CACHES`), or `c` in `for c in caches.all():`.
 */
function loopOverCaches(ctx: RuleContext, receiver: Node): boolean {
  const key = receiver.type === 'subscript' ? receiver.childForFieldName('subscript') : receiver;
  if (key?.type !== 'identifier') return false;
  for (let n = receiver.parent; n && n.type !== 'function_definition'; n = n.parent) {
    if (n.type !== 'for_statement' || n.childForFieldName('left')?.text !== key.text) continue;
    const over = n.childForFieldName('right');
    if (!over) return false;
    if (receiver.type === 'subscript')
      return ctx.names.is(over, 'django.core.cache.caches') || /\bCACHES$/.test(over.text);
    const all = over.type === 'call' ? over.childForFieldName('function') : null;
    return (
      all?.type === 'attribute' &&
      field(all, 'attribute').text === 'all' &&
      ctx.names.is(field(all, 'object'), 'django.core.cache.caches')
    );
  }
  return false;
}

/** A test reading the cache back (`cache.get(`, `cache.has_key(`): a key it needs kept until then. */
const READS_BACK = ['cache.get(', 'cache.get_many(', 'cache.has_key(', 'cache.ttl(', 'in cache'];

/**
 * Whether a test other than those of `scope` (the clearing test, fixture or hook; under Django's runner,
 * its class, whose tests one process runs one after another) reads the cache back; also when that
 * cannot be told (no project, files not listed).
 */
function readBackBeside(ctx: RuleContext, scope: Node): boolean {
  const own = ctx.project?.settings.runner === 'django' ? (ctx.defs.methodClass(scope) ?? scope) : scope;
  return READS_BACK.some(text => {
    const everywhere = ctx.project ? ctx.project.occurrencesInTests(text) : null;
    return everywhere === null || everywhere > own.text.split(text).length - 1;
  });
}

const PATCHED_REDIS = /\bpatch(?:\.object)?\(\s*(?:["'][\w.]*\b[Rr]edis|[\w.]*Redis\w*\s*,)/;
const FAKE_REDIS = /\bfakeredis\b|FakeRedis|FakeStrictRedis/;
/** the module names the xdist worker (or Django's parallel process): a database of each one's own */
const WORKER_NAME = /\b(?:worker_id|workerinput|PYTEST_XDIST_WORKER|TEST_RUNNER_WORKER)\b/;

/**
 * `flushall()` / `flushdb()` on a Redis client (`get_redis_connection()`, an RQ queue's `.connection`,
 * `redis.Redis(...)`) in a test, a setup hook, a fixture, or a method of the test's class one of them
 * calls (netbox's `RQQueueTestMixin.clear_rq_queues`): Redis is a server, and every worker talks to the
 * same one. Not on fakeredis, a mock, or where the module picks a database for each xdist worker.
 */
function flushesRedis(ctx: RuleContext, call: Node): void {
  const fn = call.childForFieldName('function');
  const command = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : null;
  if (command !== 'flushall' && command !== 'flushdb') return;
  if (/fake|mock/i.test(fn?.childForFieldName('object')?.text ?? '')) return;
  if (ctx.project?.fakeRedis || ctx.file.mentions(FAKE_REDIS)) return;
  if (command === 'flushdb' && ctx.file.mentions(WORKER_NAME)) return;
  // ... or where the test runner points each parallel worker at a Redis database of its own (syncano)
  if (command === 'flushdb' && ctx.project?.runnerCache?.perWorker) return;
  const method = ctx.defs.enclosingFunction(call);
  if (!method || !(ctx.testing.owner(call) || calledByTestsOfItsClass(ctx, method))) return;
  // a class CI runs alone, with no workers beside it (kitsune's `@tag("no_parallel")`)
  if (ctx.testing.runsAlone(method)) return;
  // a client whose connection the test patched away (`mock.patch("redis.Redis.__init__")`), or whose
  // commands it replaced with mocks (`client.keys = MagicMock(...)`): nothing reaches a server
  const receiver = fn?.childForFieldName('object')?.text ?? '';
  const test = ctx.defs.statement(method).text;
  if (PATCHED_REDIS.test(test)) return;
  if (
    /^\w+$/.test(receiver) &&
    new RegExp(`\\b${receiver}\\.\\w+\\s*=\\s*(?:mock\\.)?(?:Magic|Async)?Mock\\(`).test(test)
  )
    return;
  const what = command === 'flushall' ? 'every database of the Redis server' : 'the Redis database';
  ctx.report({
    node: call,
    message: `${fn?.text}() empties ${what} ${everyWorker(ctx)} talks to, mid-test: the keys, queues and cached values of the tests running beside this one go with it`,
    fix: null,
  });
}

/** A method a test or setup hook of the same class calls (`self.clear_queues()`, `cls.clear_queues()`). */
function calledByTestsOfItsClass(ctx: RuleContext, method: Node): boolean {
  const cls = ctx.defs.methodClass(method);
  if (!cls) return false;
  const call = new RegExp(`\\b(?:self|cls)\\.${defName(method)}\\s*\\(`);
  return bodyStatements(cls)
    .map(definitionOf)
    .some(
      d =>
        d.type === 'function_definition' &&
        d.id !== method.id &&
        (ctx.testing.isTestFunction(d) || ctx.testing.isSetupHook(d)) &&
        call.test(d.text),
    );
}
