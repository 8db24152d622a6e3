import {
  cacheIsolationFix,
  exposure,
  findCacheUse,
  mayUseCache,
  sharedCause,
  sharedUse,
  type CacheUse,
} from './lib/djangoCache';
import type { Node } from '../syntax/parser';
import { createRule, type Related, type RuleContext } from '../engine/rule';
import { defName, walk } from '../syntax/nodes';
import { everyWorker } from './lib/process';

export default createRule({
  id: 'XT001',
  name: 'shared-cache',
  severity: 'warning',
  fix: 'always',
  summary: 'A test uses the Django cache (directly or through DRF throttling) without a cache of its own',
  table: {
    finds:
      'A test class or test function that uses the Django cache (calls on `cache` / `caches[...]`) or DRF throttling (throttle classes, throttle or ratelimit names, assertions on 429) with no cache of its own',
    fix: 'Safe: `@override_settings(CACHES={...LocMemCache named after the test...})` on the Django test case, or on the pytest function; import merged',
  },
  docs: {
    what:
      'A test class or test function that calls the Django cache (`cache.get`, `caches["x"].set`, ...; an ' +
      'alias may be named through a setting: `caches[settings.X]`, `caches[getattr(settings, "X", "default")]`) ' +
      'or exercises DRF throttling (throttle classes or scopes, assertions on 429 after a request; ' +
      'throttle/ratelimit names in the code the test runs, in a project that throttles somewhere, not a ' +
      "factory's or a model's; the test's own name only where it sends requests in a loop; a 429 only in a " +
      'project that can keep limits in the cache: one using DRF, a ratelimit package or the cache, and not in ' +
      "a module that tests django-axes' lockout, which counts failed logins in database rows unless its " +
      'handler is the cache one; a request, by its path or `reverse("ns:name")` followed through the ' +
      "project's URLconf, to a view whose own `throttle_classes` limit at a rate a suite reaches, at most 10 " +
      "requests a minute; an anonymous-only throttle does not count a logged-in client's requests) " +
      'with no per-test cache isolation on the function, its class or an in-file base class. A fixture of the ' +
      'module that its tests request (function-scoped) is reported as a test is: what it sends runs for each of them. ' +
      'A cache emptied ' +
      "(`cache.clear()`, or the project's own function named for it that uses the cache, `clear_config_cache()`) " +
      'before or after each test (a base class, an autouse fixture, or a fixture the test requests by ' +
      'parameter or `usefixtures`, or through a fixture it requests) is reset within the process; a pytest ' +
      "class's `setup_method` emptying it speaks for the class, not for a test of it that never touches the " +
      'cache. On a cache each ' +
      "process has of its own (LocMemCache, a DatabaseCache whose table is in each worker's test database, " +
      'Redis on fakeredis, in the settings or put there by a conftest.py), ' +
      'or where Crosstalk cannot read the backend or find the test settings, nothing is reported: keys ' +
      'collide there only where two tests use the same one, which the code under test decides. Except ' +
      "anonymous throttling: its key is the client's address, 127.0.0.1 in every test, so where two tests of " +
      'a module reach the same view throttles and one takes them to their limit (requests in a loop, a 429 ' +
      'looked for), both are reported on any cache. Nor where a ' +
      "conftest.py gives the cache's keys a prefix named after the xdist worker " +
      '(`caches["default"].key_prefix = f"test_{worker_id}"`, a `KEY_PREFIX` built from ' +
      '`PYTEST_XDIST_WORKER`): the workers share the server, not keys; nor where it gives each worker a ' +
      'cache `LOCATION` of its own (a Redis database per worker, built from `workerinput`): each has a cache of ' +
      'its own; nor where a hook run before every test (`pytest_runtest_setup`, an autouse fixture) gives the ' +
      'keys a prefix computed afresh (`cache.key_prefix = "t{0}".format(counter)`): each test has keys of its own. ' +
      'Nor the throttling of a test that ' +
      "authenticates, where the user model's primary key is a UUID (`AUTH_USER_MODEL`'s class, or a base, " +
      'declares `UUIDField(primary_key=True)`): DRF keys that history `throttle_<scope>_<user pk>`, which no ' +
      'other test or worker shares (anonymous requests are keyed by the address every test shares: reported). ' +
      "Nor an authenticated request whose only tie to the cache is the settings' throttling, where no test of " +
      'the project looks for a throttled response (429, `TOO_MANY_REQUESTS`, `Throttled`) and every rate ' +
      'allows more than 10 requests a minute on average (`120/min`, `600/min`): no suite reaches the limit. ' +
      'A cache call counts where its key is one another test can have: a literal or a constant, a key built ' +
      'from those and primary keys (`f"cart:{user.pk}"`: every worker\'s first user has pk=1), one two tests of ' +
      "a class write the same way, or the project's own helper that uses the cache (a function it imports, or calls through its module, `cart.remember(user)`, or a method of a class it imports that uses the cache itself or through another method of its own, `PriceClient().price_of(sku)`, or on an instance the test made first: `client = PriceClient()`, `client.total_of(skus)`). A key made unique in the " +
      'test (`uuid4()`, `secrets.token_hex()`, `get_random_string()`), or built from what the code under test ' +
      'hands back (`f"sid_{session_id}"`, a mock, a parameter), shows no state another test finds: not ' +
      'reported (a test that also empties the cache is, for that). ' +
      'A lock taken in a `with` that waits for it (`with cache.lock("k"):`, no `blocking_timeout`, not ' +
      '`blocking=False`), by the test or by project code it calls, is no use: two processes taking it only ' +
      'wait for each other, and it keeps nothing. Throttling with the limiter patched, by the test or its ' +
      'class\'s setUp (`patch("rest_framework.throttling.AnonRateThrottle.allow_request", return_value=True)`), ' +
      "keeps no history: not reported; nor with its rate raised out of any suite's reach or switched off there " +
      '(`ApplicationsPerDayThrottle.rate = "1000/min"`, `= None`), nor a request made with a `RequestFactory` ' +
      "and handed to a throttle's own methods (`throttle.get_cache_key(request, view)`), which throttles nothing.",
    why:
      'The cache outlives the test. With Redis or Memcached it is shared by every pytest-xdist worker and ' +
      'every `manage.py test --parallel` process; keys built from primary keys collide because every ' +
      "worker's test database starts its sequences at 1. With LocMemCache it still leaks between tests " +
      'of one process, so results depend on test order.',
    incident:
      'openedx-platform: middleware tests failed now and then under pytest-xdist with "too many login ' +
      'attempts": the login rate limiter counts attempts in the cache, which other tests shared. Giving the ' +
      'tests their own cache (subclassing `CacheIsolationTestCase`) fixed it. kpi met the same with DRF ' +
      "throttle keys `throttle_<scope>_<user.pk>`: every worker's first user has pk=1, so `200 != 429`.",
    incidentUrl: 'https://github.com/openedx/openedx-platform/pull/19102',
    example: [
      'class ThrottleTests(APITestCase):          # XT001',
      '    def test_sixth_request_is_throttled(self):',
      '        ...',
      '        self.assertEqual(response.status_code, 429)',
      '',
      '# fixed',
      '@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests.ThrottleTests"}})',
      'class ThrottleTests(APITestCase):',
      '    ...',
    ].join('\n'),
    fixSafety:
      'Safe on Django test cases: it adds `@override_settings(CACHES=...)` naming a LocMemCache after ' +
      'the test, plus the import; on a class with two or more tests, which would share that one cache (or a base ' +
      'class of the project, which may hand it more), it also empties it first thing in setUp (a new setUp when there is none). Unsafe when the class derives from an imported `*TestCase` that Crosstalk ' +
      'cannot see (override_settings only decorates SimpleTestCase subclasses), and unsafe in a project that ' +
      "uses `cache_page` or Django's cache middleware (a cached view keeps the cache it was built with). The " +
      'override gives every alias the settings define a LocMemCache of its own, not only those the test names: ' +
      'code under test reaches the others (sessions kept in a cache of their own). ' +
      'A pytest test that takes the pytest-django `settings` fixture gets `settings.CACHES = {...}` as its ' +
      "first statement instead: a decorator beside the fixture would race the fixture's teardown (XT041); so " +
      'does a fixture the tests request, with `settings` added to its parameters (a decorator on it would end ' +
      "with the fixture's own call, before the test runs). " +
      "A test that calls django-redis's own API (`delete_pattern`, `lock`, `ttl`, `get_redis_connection`), or " +
      'calls project code that does (one import away), on a django-redis cache, would break ' +
      'on a LocMemCache: there the fix keeps the backend and gives the test a `KEY_PREFIX` of its own ' +
      '(unsafe: `clear()` still empties the whole shared database).',
  },
  create(ctx) {
    return {
      class_definition(cls) {
        if (!mayUseCache(ctx, cls)) return;
        const kind = ctx.testing.classKind(cls);
        if (kind === 'other' || !ctx.testing.isTestClass(cls)) return;
        check(ctx, cls, kind === 'django');
      },
      function_definition(fn) {
        // a fixture of this module that tests request runs for each of them: its requests and cache
        // calls are theirs (openverse's registration fixture, posting to a view throttled at 10 a day)
        if (requestedFixture(ctx, fn)) {
          if (mayUseCache(ctx, fn)) check(ctx, fn, true);
          return;
        }
        if (!ctx.testing.isTestFunction(fn) || !mayUseCache(ctx, fn)) return;
        const cls = ctx.defs.methodClass(fn);
        // A Django test case is checked (and fixed) as a whole; a pytest function or a method of a
        // plain/pytest class is its own unit, since override_settings cannot decorate such a class. A
        // class pytest does not collect (a mixin, not `Test*`) runs its tests only in the test cases it
        // is mixed into, under their resets.
        if (cls ? ctx.testing.classKind(cls) !== 'other' || !/^Test/.test(defName(cls)) : !ctx.defs.isModuleLevel(fn))
          return;
        check(ctx, fn, true);
      },
    };
  },
});

/**
 * A function-scoped fixture at the top of this module that some test or fixture here requests by name
 * (the module's fixtures serve only its own tests).
 */
function requestedFixture(ctx: RuleContext, fn: Node): boolean {
  if (!ctx.defs.isModuleLevel(fn) || !ctx.testing.isFixture(fn) || !ctx.testing.takesFixtures(fn)) return false;
  const name = defName(fn);
  const uses = ctx.file.text.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
  return uses > 1;
}

function check(ctx: RuleContext, def: Node, safeFix: boolean): void {
  const use = sharedUse(ctx, def);
  if (!use || ctx.testing.cacheIsolated(def)) return;
  const exposed = exposure(ctx, use.aliases);
  if (exposed?.kind === 'none') return; // DummyCache keeps nothing
  // emptying a cache of the process's own (or one that cannot be told) is a reset, not a use
  if (use.clearOnly && exposed?.kind !== 'cross-process') return;
  // a pytest test whose only tie to the cache is its class's setup hook emptying it: the hook speaks for
  // the class, not for this test, which may never touch the cache (commcare-connect's ORM-only flag test)
  if (use.clearOnly && def.type === 'function_definition' && !within(use.node, def)) return;
  // a DatabaseCache's rows go with the test's rolled-back transaction
  if (exposed?.inTestDatabase && ctx.testing.rollsBack(def)) return;
  // a cache of each process's own, or one whose backend cannot be read (or no settings were found):
  // keys collide only where two tests use the same one, which the code under test decides, so
  // Crosstalk says nothing rather than guess (on reviewed suites such guesses were never right)
  // (an anonymous throttle's history two tests of the module share, unless the cache is emptied before
  // or after each test: then nothing is left for the next one)
  if (
    exposed &&
    exposed.kind !== 'cross-process' &&
    !exposed.lone &&
    (!limitSharedInProcess(ctx, use) || ctx.testing.cacheReset(def))
  )
    return;
  // each worker's keys have a prefix of its own (a conftest.py says so): no key is shared across workers
  if (exposed?.keysPerWorker) return;
  // emptied before each test: that does not separate workers, and the message says so
  const reset = ctx.testing.cacheReset(def);
  const name = defName(def);
  const anonymous = use.kind === 'throttle' && !!use.viewThrottling?.anonymousOnly;
  const what = use.clearOnly
    ? `${name} empties the Django cache (${use.label}), so what it tests may keep state there, and has no cache of its own`
    : use.kind === 'cache'
      ? `${name} uses the Django cache (${use.label}) with no cache of its own`
      : `${name} exercises DRF throttling (${use.label}): throttle history lives in the Django cache as ${anonymous ? 'throttle_<scope>_<client address>, and the address is 127.0.0.1 in every test' : 'throttle_<scope>_<user pk or IP>'}`;
  const general =
    use.kind === 'cache'
      ? 'its keys are shared with every other test in the process and, on Redis or Memcached, with every xdist worker'
      : anonymous
        ? 'a test of this module takes that limit to its end, and what it leaves the next test in the process counts against the same limit'
        : "every xdist worker's first user has pk=1, so on a shared cache workers exhaust each other's rate limits";
  const acrossWorkers =
    use.kind === 'cache'
      ? 'their keys collide'
      : anonymous
        ? "every worker's requests come from the same address, so they exhaust each other's rate limits"
        : "every worker's first user has pk=1, so they exhaust each other's rate limits";
  // emptying a cache every worker shares: first of all, it wipes the keys of the tests running beside it
  // (gigamaps' classes that store nothing there but clear it in setUp)
  const shared =
    exposed?.kind === 'cross-process' && use.clearOnly
      ? `${exposed.describe}, shared by ${everyWorker(ctx)}: each clear wipes the keys of the tests running beside it`
      : exposed?.kind === 'cross-process'
        ? `${exposed.describe}, shared by ${everyWorker(ctx)}: ${acrossWorkers}${reset ? " (emptying it before each test does not stop that: it wipes the other workers' keys too)" : ''}`
        : `${general}${exposed ? ` (${exposed.describe})` : ''}`;
  const related: Related[] = [
    { node: use.node, message: use.kind === 'cache' ? 'cache used here' : 'throttling here' },
    ...(exposed?.related ?? []),
  ];
  if (reset?.at) related.push({ at: reset.at, message: 'the cache is emptied before each test here' });
  if (use.throttling)
    related.push({ at: use.throttling, message: `DEFAULT_THROTTLE_CLASSES: ${use.throttling.classes.join(', ')}` });
  if (use.viewThrottling?.at)
    related.push({
      at: use.viewThrottling.at,
      message: `the view's own throttle_classes (${use.viewThrottling.view})`,
    });
  ctx.report({
    node: def.childForFieldName('name') ?? def,
    message: `${what}: ${shared}`,
    related,
    fix: cacheIsolationFix(ctx, def, use.aliases, safeFix),
    cause: sharedCause(ctx, exposed),
  });
}

/**
 * An anonymous request's throttle history is keyed by the client's address, the same in every test:
 * where two tests of this module reach the same view's anonymous throttles and one takes them to their
 * limit (requests in a loop, a 429 looked for), what it leaves the other counts, in a cache of the
 * process's own too (hawc's token view: 5 a minute).
 */
function limitSharedInProcess(ctx: RuleContext, use: CacheUse): boolean {
  if (!use.viewThrottling?.anonymousOnly) return false;
  const keyOf = (u: CacheUse) => u.viewThrottling?.throttles.map(t => t.throttle).join(' ') ?? '';
  const tests = ctx.file.memo(limitSharedInProcess, () => {
    // the answer reads every test of the module: an edit to any of them may change it
    ctx.file.readsEveryUnit();
    const out = new Map<string, { reach: number; drive: number }>();
    for (const { node, kind } of ctx.file.topLevel) {
      if (kind !== 'def') continue;
      walk(
        node,
        fn => {
          if (fn.type !== 'function_definition' || !ctx.testing.isTestFunction(fn)) return true;
          const u = findCacheUse(ctx, fn);
          if (u?.viewThrottling?.anonymousOnly) {
            const counts = out.get(keyOf(u)) ?? { reach: 0, drive: 0 };
            counts.reach++;
            if (u.drivesLimit) counts.drive++;
            out.set(keyOf(u), counts);
          }
          return false;
        },
        DEFINITIONS,
      );
    }
    return out;
  });
  const counts = tests.get(keyOf(use));
  return !!counts && counts.reach >= 2 && counts.drive >= 1;
}
const DEFINITIONS = new Set(['function_definition']);

function within(node: Node, def: Node): boolean {
  for (let n: Node | null = node; n; n = n.parent) if (n.equals(def)) return true;
  return false;
}
