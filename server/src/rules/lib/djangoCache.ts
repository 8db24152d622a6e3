// How a test touches the Django cache, directly or through DRF throttling, and the fix that gives it
// a cache of its own: `@override_settings(CACHES=<LocMemCache named after the test>)`.
import { LOCMEM_BACKEND, REDIS_ONLY } from '../../analysis/django';
import { addDecorator, addParameter, insertBefore } from '../../engine/edits';
import { DEFAULT_LIMIT } from '../../engine/layout';
import { Edit, Fix } from '../../engine/fix';
import { importName } from '../../engine/imports';
import type { Node } from '../../syntax/parser';
import type { Backend, Located, RequestThrottling, ThrottleFacts } from '../../analysis/projectView';
import { requestTarget } from './requests';
import type { Cause, Related } from '../../engine/rule';
import { everyWorker } from './process';
import { builtFromPk, pksMoveOn } from './primaryKeys';
import type { RuleContext } from '../../engine/rule';
import {
  bodyStatements,
  callArguments,
  defName,
  definitionOf,
  field,
  keywordArgument,
  parameterNames,
  positionalArguments,
  stringValue,
  walk,
} from '../../syntax/nodes';
import { escapeRegExp, splitLines } from '../../syntax/text';
import { isWaitingLock } from '../../analysis/testing';
import { importOverrideSettings } from './overrideSettings';

const THROTTLE_WORD = /throttl|rate_?limit/i;
/** a request to an API route: a path segment `api`, or a URL name in an `api` namespace */
const API_ROUTE = /["'/]api[/:_-]|["']api["']|\bapi_client\b/i;
/** test-client methods that send a request */
const AUTHENTICATE = /^(force_authenticate|force_login|login|credentials)$/;
const REQUEST_METHOD = /^(get|post|put|patch|delete|head|options|generic|request|post_graphql)$/;
/** names that say throttling is off or faked are evidence of nothing */
/** a patch of a rate limiter or a throttle: by target string, or `patch.object(SomeThrottle, ...)` */
const PATCHED_LIMITER =
  /\bpatch(?:\.object)?\(\s*(?:["'][\w.]*(?:ratelimit|rate_limit|throttl)[\w.]*["']|[\w.]*(?:Throttle|RateLimit)\w*\s*,)/i;
/** a throttle's own methods, called by a test of the throttle itself */
const THROTTLE_INTERNALS = /\.(?:get_cache_key|parse_rate|get_ident|get_rate)\s*\(/;
const NOT_THROTTLING = /disabl|no_?throttl|not_?throttl|without_?throttl|mock|fake/i;

/** A view with throttles of its own a request reaches; `anonymousOnly`: every one counts only anonymous requests. */
export type ViewReached = RequestThrottling & { anonymousOnly: boolean };

/** `cache` or `caches[...]` from django.core.cache, as the receiver of a method call. */
export function isDjangoCache(ctx: RuleContext, node: Node | null): boolean {
  if (!node || (node.type !== 'identifier' && node.type !== 'attribute' && node.type !== 'subscript')) return false;
  // A file that never mentions django.core cannot reach its cache: skip resolving every receiver.
  if (!ctx.file.mentions('django.core') || !ctx.file.mentions('cache')) return false;
  if (node.type === 'subscript') return ctx.names.is(node.childForFieldName('value'), 'django.core.cache.caches');
  return ctx.names.is(node, 'django.core.cache.cache');
}

/**
 * The alias a `caches[...]` receiver names: a literal, a setting the settings give a literal
 * (`caches[settings.GEOJSON_CACHE]`), or `getattr(settings, "X", "default")` (the setting, else the
 * default). Null when it cannot be told.
 */
export function cacheAlias(ctx: RuleContext, node: Node): string | null {
  if (node.type !== 'subscript') return 'default';
  const key = node.childForFieldName('subscript');
  if (!key) return null;
  const literal = stringValue(key);
  if (literal !== null) return literal;
  const constant = (name: string) => {
    const text = ctx.project?.settings.constants.get(name);
    return text?.startsWith('"') ? (JSON.parse(text) as string) : null;
  };
  if (key.type === 'attribute' && ctx.names.is(field(key, 'object'), 'django.conf.settings'))
    return constant(field(key, 'attribute').text);
  const [object, name, fallback] =
    key.type === 'call' && field(key, 'function').text === 'getattr' ? callArguments(key) : [];
  const setting = name ? stringValue(name) : null;
  if (!object || !setting || !ctx.names.is(object, 'django.conf.settings')) return null;
  return (
    constant(setting) ?? (ctx.project?.settings.constants.has(setting) ? null : fallback ? stringValue(fallback) : null)
  );
}

/** `throttle`: a throttle class or setting, or a 429 assertion; `throttle-name`: only a throttle-ish name. */
export interface CacheUse {
  node: Node;
  kind: 'cache' | 'throttle' | 'throttle-name';
  label: string;
  aliases: Set<string>;
  /** set when the evidence is the project's DEFAULT_THROTTLE_CLASSES */
  throttling?: ThrottleFacts;
  /** set when the test requests a view with throttles of its own (`anonymousOnly`: they count no logged-in request) */
  viewThrottling?: ViewReached;
  /** the test sends requests to that view in a loop, or looks for its 429: it takes the limit to its end */
  drivesLimit?: boolean;
  /**
   * the only evidence is emptying the cache: a reset where the cache is the process's own; where
   * every worker shares it, a sign the code under test keeps state there that the test relies on
   */
  clearOnly?: boolean;
  /**
   * every cache call's key is the test's own or one the code under test made (`f"sid_{session_id}"`),
   * none a literal, a constant or a primary key: nothing shows another test has it (see `sharedUse`)
   */
  privateKeys?: boolean;
  /** where the same test empties the cache, if it does */
  cleared?: Node;
}

/**
 * `findCacheUse`, counting only what another test can share: calls whose keys no other test can be
 * seen to have (`privateKeys`, and no two of the class's tests write a key the same way) are no use, and
 * what is left is the test emptying the cache, if it does.
 */
export function sharedUse(ctx: RuleContext, def: Node): CacheUse | null {
  const use = findCacheUse(ctx, def);
  if (!use?.privateKeys || sharedKey(ctx, def)) return use;
  return use.cleared ? { ...use, node: use.cleared, label: `${use.cleared.text}()`, clearOnly: true } : null;
}

/**
 * How exposed a cache is, from the project's settings: which backend the aliases use, as the test
 * run loads them. null when the host gave no project (a lone file), so messages stay general.
 * `related`: the project facts the verdict rests on (the CACHES line, where the settings module was
 * chosen, the runner), for the finding to point at.
 */
export interface Exposure {
  kind: Backend;
  describe: string;
  at?: Located;
  related: Related[];
  /** false when no settings were found at all: then nothing tells how far the cache is shared */
  settingsRead?: boolean;
  /**
   * no settings, and no project either (a file on its own, a folder without manage.py or pytest
   * configuration): the test's own evidence is all there is to judge by
   */
  lone?: boolean;
  /** every alias is a DatabaseCache: its rows are in the test database, rolled back with a TestCase's test */
  inTestDatabase?: boolean;
  /**
   * a conftest.py gives the keys a prefix of each xdist worker's own (here): workers share the server,
   * not keys. A `clear()` still empties the whole server.
   */
  keysPerWorker?: Located;
}

/**
 * The settings' CACHES entry, where it puts the cache on a server every worker shares with the same keys:
 * the one change that removes every finding resting on it (giga-maps-backend's Redis, 46 findings).
 */
export function sharedCause(ctx: RuleContext, exposed: Exposure | null): Cause | undefined {
  if (exposed?.kind !== 'cross-process' || exposed.keysPerWorker || !exposed.at) return undefined;
  return {
    at: exposed.at,
    describe: `${exposed.describe}, shared by ${everyWorker(ctx)}`,
    remedy:
      "one change here removes them all: a cache of each process's own for the test run " +
      '(a LocMemCache in the test settings, or a KEY_PREFIX or Redis database named after the xdist worker)',
  };
}

/** The backend is known, or at least the settings were read and say it cannot be told. */
export const settingsKnown = (e: Exposure | null): e is Exposure => !!e && e.settingsRead !== false;

export function exposure(ctx: RuleContext, aliases: Iterable<string>): Exposure | null {
  const project = ctx.project;
  if (!project) return null;
  const settings = project.settings;
  // settings named but not in the project (a developer's untracked local settings): the backend
  // cannot be read, as when CACHES is computed
  if (!settings.file && settings.module)
    return { kind: 'unknown', describe: `cache backend unknown: ${settings.unknown}`, related: [] };
  // no settings found at all: nothing is known of the backend
  if (!settings.file)
    return {
      kind: 'unknown',
      describe: `cache backend unknown: ${settings.unknown}`,
      related: [],
      settingsRead: false,
      lone: !project.recognised,
    };
  let worst: Exposure | null = null;
  let allInDatabase = true;
  const rank = { 'cross-process': 3, unknown: 2, 'per-process': 1, none: 0 } as const;
  // a shared server whose keys each worker prefixes is less exposed than one whose keys it shares
  const score = (x: Exposure) => rank[x.kind] * 2 + (x.keysPerWorker ? 0 : 1);
  const chosen =
    settings.source && settings.module ? `${settings.module}, which the test run loads (${settings.source.how})` : null;
  for (const alias of aliases) {
    const c = settings.caches.get(alias);
    let e: Exposure;
    if (!c) {
      e = {
        kind: 'unknown',
        describe: `the ${alias} cache is not in CACHES${settings.unknown ? ` (${settings.unknown})` : ''}`,
        related: [],
      };
    } else if (c.kind === 'unknown') {
      // no settings at all, or this alias's backend alone
      const describe = settings.file
        ? `the ${alias} cache's backend cannot be read: ${c.reason ?? 'computed'}`
        : `cache backend unknown: ${c.reason ?? settings.unknown}`;
      e = { kind: 'unknown', describe, at: c.file ? c : undefined, related: [] };
    } else {
      const what = c.implicit
        ? `Django's default LocMemCache (CACHES is not set)`
        : `${c.backend}${c.via ? ` (${c.via})` : ''}`;
      e = {
        kind: c.kind,
        describe: `the ${alias} cache is ${what}${settings.unknown ? ` as far as can be read (${settings.unknown})` : ''}`,
        at: c.file ? c : undefined,
        related: [],
      };
    }
    // a DatabaseCache's table is in the test database, which each worker (and --parallel process) has of its own
    const inDatabase = !!c?.database;
    allInDatabase &&= inDatabase;
    if (e.kind === 'cross-process' && inDatabase) {
      e = { ...e, kind: 'per-process', describe: `${e.describe}, whose table is in each worker's own test database` };
    }
    const runner = project.runnerCache;
    if (e.kind === 'cross-process' && runner?.perWorker) {
      e = {
        ...e,
        kind: 'per-process',
        describe: `${e.describe}, but the test runner gives each parallel worker its own`,
      };
      e.related.push({ at: runner.at, message: 'the test runner gives each parallel worker its own cache here' });
    }
    const fake = project.fakeRedis;
    if (e.kind === 'cross-process' && fake) {
      e = { ...e, kind: 'per-process', describe: `${e.describe}, but a conftest.py puts it on fakeredis` };
      e.related.push({ at: fake, message: 'the cache is put on fakeredis here: a server inside each process' });
    }
    const prefix = project.workerKeyPrefix;
    if (e.kind === 'cross-process' && prefix?.alias === alias && prefix.ownCache) {
      e = { ...e, kind: 'per-process', describe: `${e.describe}, but a conftest.py gives each xdist worker its own` };
      e.related.push({ at: prefix, message: 'each xdist worker gets a cache of its own here' });
    } else if (e.kind === 'cross-process' && prefix?.alias === alias) {
      e = { ...e, keysPerWorker: prefix };
      e.related.push({ at: prefix, message: "each xdist worker's keys get a prefix of its own here" });
    }
    if (e.at) e.related.unshift({ at: e.at, message: `CACHES: ${e.describe}` });
    if (chosen && settings.source) {
      const place = { file: settings.source.file, line: settings.source.line - 1, character: 0 };
      e.related.push({ at: place, message: `settings module ${chosen}` });
    }
    if (!worst || score(e) > score(worst)) worst = e;
  }
  return worst && allInDatabase ? { ...worst, inTestDatabase: true } : worst;
}

/**
 * Where `def` (decorators and name included) uses the Django cache, by strength of evidence: DRF
 * throttling for sure (a throttle class, `allow_request`, an assertion on status 429), then a method
 * call on `cache`/`caches[...]`, then a throttle or ratelimit name in a DRF test that sends requests
 * through a test client (a name alone is not enough: `test_error_message_for_throttling` formats an
 * exception). `aliases` collects every literal cache alias the body uses.
 */
export function findCacheUse(ctx: RuleContext, def: Node): CacheUse | null {
  // XT001, XT002 and XT003 all ask about the same classes: walk each once per analysis
  const memo = ctx.file.memo(findCacheUse, () => new Map<number, CacheUse | null>());
  let use = memo.get(def.id);
  if (use === undefined) memo.set(def.id, (use = findCacheUseUncached(ctx, def)));
  return use;
}

/**
 * Words one of which any cache use `findCacheUse` finds must contain: a shortcut past walking code
 * that cannot use the cache (most of a test suite), without changing what is found.
 */
function cacheWords(ctx: RuleContext): RegExp {
  return ctx.file.memo(cacheWords, () => {
    const aliases = ctx.names.moduleNamesReaching('django.core.cache').map(escapeRegExp);
    const helpers = [
      ...cacheHelpers(ctx).keys(),
      ...[...ctx.testing.projectCacheClasses().values()].flatMap(m => [...m.methods]),
    ].map(h => `\\b${escapeRegExp(h)}\\s*\\(`);
    return new RegExp(
      ['cache', 'throttl', 'rate_?limit', '429', 'allow_request', ...aliases, ...helpers].join('|'),
      'i',
    );
  });
}

/**
 * Functions a test may call that use the Django cache themselves: this module's own (module level),
 * and the project's, imported. Calling one is using the cache. By the name the module calls it.
 */
function cacheHelpers(ctx: RuleContext): Map<string, string> {
  return ctx.file.memo(cacheHelpers, () => {
    const out = new Map<string, string>();
    // the names the cache goes by in this module (`cache as c`): a helper using it mentions one
    const reach = new RegExp(
      ['cache', ...ctx.names.moduleNamesReaching('django.core.cache').map(n => `\\b${escapeRegExp(n)}\\b`)].join('|'),
    );
    for (const { node, kind } of ctx.file.topLevel) {
      if (kind !== 'def' || !reach.test(node.text)) continue;
      const def = definitionOf(node);
      const name = defName(def);
      if (
        def.type === 'function_definition' &&
        !ctx.testing.isTestFunction(def) &&
        !ctx.testing.isFixture(def) &&
        ctx.testing.callsCache(def)
      )
        out.set(name, 'this module');
    }
    if (ctx.project) {
      for (const [name, q] of ctx.names.moduleImports()) {
        const last = q.slice(q.lastIndexOf('.') + 1);
        if (!/^[a-z_]/.test(last) || /^(django|rest_framework|pytest|unittest)\b/.test(q)) continue;
        if (ctx.project.functionUsesCache(q)) {
          out.set(name, q);
          continue;
        }
        // a module of the project, its functions called through it (`from submissions import api as
        // sub_api`, then `sub_api.get_submission_and_student(uuid)`: edx-submissions)
        const called = new RegExp(String.raw`\b${escapeRegExp(name)}\.([a-z_]\w*)\s*\(`, 'g');
        for (const [, fn] of ctx.file.text.matchAll(called)) {
          if (fn && !out.has(`${name}.${fn}`) && ctx.project.functionUsesCache(`${q}.${fn}`))
            out.set(`${name}.${fn}`, `${q}.${fn}`);
        }
      }
    }
    return out;
  });
}
const AUTHENTICATE_WORD = /force_authenticate|force_login|login|credentials/;

/** Whether `def` has the words a cache use needs: when not, `findCacheUse` finds none (cheap: text only). */
export function mayUseCache(ctx: RuleContext, def: Node): boolean {
  const text = ctx.defs.statement(def).text;
  if (cacheWords(ctx).test(text)) return true;
  if (!/client|factory/i.test(text)) return false;
  return (!!ctx.project?.settings.throttling?.users && AUTHENTICATE_WORD.test(text)) || viewsThrottle(ctx);
}

function findCacheUseUncached(ctx: RuleContext, def: Node): CacheUse | null {
  if (!mayUseCache(ctx, def)) return null;
  const aliases = new Set<string>(['default']);
  const best: Partial<Record<CacheUse['kind'], CacheUse>> = {};
  let clientRequests = false,
    sendsRequests = false,
    repeatsRequests = false,
    callsAllowRequest = false;
  let definedAs: Node | null = null;
  let authenticates: Node | null = null,
    clears: Node | null = null,
    sharedCall: Node | null = null,
    sharedDelete: Node | null = null,
    viaHelper = false;
  let toThrottledView: { node: Node; reached: ViewReached } | null = null;
  // a request to a view whose throttles keep nothing in the cache: a 429 the test expects is theirs
  let refusedWithoutHistory = false;
  const consider = (node: Node, kind: CacheUse['kind'], label: string) => {
    best[kind] ??= { node, kind, label, aliases };
  };
  // a 429 the test expects; not django-axes' lockout, counted in database rows
  const expects429 = (node: Node) => {
    // a 429 the test put into a mocked upstream response (`respond(status_code=429)`, httpx_mock's
    // `add_response(status_code=429)`) is the mock's answer, not this project throttling (open-chat-studio)
    if (MOCKED_429.test(text)) return;
    if (inAssertion(node) && !axesLockout(ctx) && limitsRates(ctx)) consider(node, 'throttle', AN_ASSERTION_ON_429);
  };
  // integers and identifiers count only with these words in the text: leave them unmaterialised
  const text = ctx.defs.statement(def).text;
  const types = new Set(['call', 'string', 'comment', 'function_definition']);
  if (text.includes('429')) types.add('integer');
  if (THROTTLE_WORD.test(text) || text.includes('HTTP_429')) types.add('identifier');
  // `second = caches["second"]`, used later through the name: an alias the test needs all the same
  if (text.includes('caches[')) types.add('subscript');
  walk(
    ctx.defs.statement(def),
    node => {
      switch (node.type) {
        // a method with a cache of its own (`@override_settings(CACHES=...)` on it) uses no shared one
        case 'function_definition':
          return node.startIndex === def.startIndex || !ctx.testing.cacheIsolated(node);
        case 'call': {
          const fn = node.childForFieldName('function');
          if ((fn?.type === 'identifier' || fn?.type === 'attribute') && cacheHelpers(ctx).has(fn.text)) {
            consider(fn, 'cache', `${fn.text}(), which uses it`);
            viaHelper = true;
            return true;
          }
          if (fn?.type !== 'attribute') return true;
          const receiver = field(fn, 'object');
          const method = fn.childForFieldName('attribute')?.text ?? '';
          if (ctx.testing.projectCacheMethod(fn, ctx.defs.enclosingFunction(fn) ?? def)) {
            consider(fn, 'cache', `${fn.text}(), which uses it`);
            viaHelper = true;
            return true;
          }
          if (isDjangoCache(ctx, receiver)) {
            const alias = cacheAlias(ctx, receiver);
            if (alias) aliases.add(alias);
            if (method === 'clear' || method === 'aclear') clears ??= fn;
            else if (!isWaitingLock(node)) {
              consider(fn, 'cache', `${fn.text}()`);
              // (deleting a key empties it, and says less than finding what another test left there)
              if (DELETE.test(method)) {
                if (!sharedDelete && keyOf(ctx, node, def) === 'shared') sharedDelete = fn;
              } else if (!sharedCall && keyOf(ctx, node, def) === 'shared') sharedCall = fn;
            }
          } else if (method === 'allow_request') {
            callsAllowRequest = true;
            consider(fn, 'throttle', `${fn.text}()`);
          } else if (REQUEST_METHOD.test(method) && /client|factory/i.test(receiver.text)) {
            sendsRequests = true;
            clientRequests ||= /client/i.test(receiver.text);
            repeatsRequests ||= inLoop(node, def);
            if (!toThrottledView && viewsThrottle(ctx)) {
              const reached = throttledView(ctx, node);
              if (reached) toThrottledView = { node: fn, reached };
              else refusedWithoutHistory ||= keepsNoHistory(ctx, node);
            }
          } else if (AUTHENTICATE.test(method)) {
            authenticates ??= fn;
          }
          return true;
        }
        case 'subscript': {
          const alias = isDjangoCache(ctx, node) ? cacheAlias(ctx, node) : null;
          if (alias) aliases.add(alias);
          return true;
        }
        case 'integer':
          if (node.text === '429') expects429(node);
          return false;
        case 'identifier': {
          // (a mocked upstream response with status 429 is not this project throttling)
          if (node.text === 'HTTP_429_TOO_MANY_REQUESTS') expects429(node);
          // an ALL_CAPS name is a setting (`ACCOUNT_RATE_LIMITS=False`), not a throttle at work; nor is
          // a factory or a model of the project's (`APIThrottleFactory`, rows in the test database); what
          // a test or class is called (`test_shows_throttle_rates`) only with requests sent in a loop
          else if (
            THROTTLE_WORD.test(node.text) &&
            !NOT_THROTTLING.test(node.text) &&
            !/^[A-Z0-9_]+$/.test(node.text)
          ) {
            if (isDefinitionName(node)) {
              definedAs ??= node;
              return true;
            }
            const q = ctx.names.resolve(node); // DRF's throttle classes all have "Throttle" in their names
            if (q?.startsWith('rest_framework.throttling.')) consider(node, 'throttle', `DRF's ${node.text}`);
            else if (!/Factory$/.test(node.text) && !(q && ctx.project?.classInfo(q)?.model))
              consider(node, 'throttle-name', `\`${node.text}\``);
          }
          return true;
        }
        default: // strings and comments: their words are not code
          return false;
      }
    },
    types,
  );
  // Throttling only touches the cache when a request goes through a throttle (or allow_request is
  // called): a test of a throttle's rate parser or cache-key format does not, nor a 429 built into a
  // mocked upstream error. A throttle-ish name is DRF throttling only in a file that uses DRF
  // (healthchecks and saleor limit rates in their own ways).
  const usesDrf = ctx.file.mentions('rest_framework');
  // the rate limiter patched (`patch("app.utils.is_ratelimited", return_value=True)`, `patch.object(
  // UserRateThrottle, "allow_request", ...)`), by the test or its class's setUp (vulnerablecode's patcher
  // started there): the 429 is the mock's, and no history is kept
  // ... or its rate raised out of a suite's reach, or switched off (karrot's setUps:
  // `ApplicationsPerDayThrottle.rate = "1000/min"  # effectively disable throttling`)
  if (refusedWithoutHistory && !toThrottledView && best.throttle?.label === AN_ASSERTION_ON_429) delete best.throttle;
  const setUp = setUpText(ctx, def);
  const patchedLimiter =
    PATCHED_LIMITER.test(text) || PATCHED_LIMITER.test(setUp) || raisesRate(text) || raisesRate(setUp);
  if (patchedLimiter) {
    delete best.throttle;
    delete best['throttle-name'];
  }
  // DRF keys an authenticated user's throttle history by the user's pk (its anonymous throttle skips
  // them): where the user model's pk is a UUID, no other test and no other worker has that key
  const ownThrottleKeys = !!authenticates && ctx.project?.userPkIsUuid === true;
  // a request to a view with throttles of its own, whose rate a suite reaches: DRF keeps that history
  // in the cache (an anonymous-only throttle counts no logged-in request)
  const viewThrottle = toThrottledView as { node: Node; reached: ViewReached } | null; // set in the walk's callback
  if (viewThrottle && !(viewThrottle.reached.anonymousOnly && authenticates) && !ownThrottleKeys && !patchedLimiter) {
    const { reached } = viewThrottle;
    const throttles = reached.throttles.map(t => `${t.throttle.slice(t.throttle.lastIndexOf('.') + 1)} ${t.rate}`);
    const view = reached.view.slice(reached.view.lastIndexOf('.') + 1);
    const evidence: CacheUse = best.throttle ?? {
      node: viewThrottle.node,
      kind: 'throttle',
      label: `a request to ${view}, which throttles it: ${throttles.join(', ')}`,
      aliases,
    };
    // requests sent in a loop, or a 429 looked for: the test takes the limit to its end
    best.throttle = { ...evidence, viewThrottling: reached, drivesLimit: repeatsRequests || !!best.throttle };
  }
  // a RequestFactory's request handed to a throttle's own methods (`throttle.get_cache_key(request, view)`,
  // openverse's tests of its key format) goes through no throttling: only a view or allow_request counts
  if (sendsRequests && !clientRequests && THROTTLE_INTERNALS.test(text)) sendsRequests = false;
  const throttled =
    best.throttle && (sendsRequests || callsAllowRequest) && !ownThrottleKeys && limitsInCache(ctx)
      ? best.throttle
      : undefined;
  const named = definedAs as Node | null; // assigned in the walk's callback
  if (repeatsRequests && named) consider(named, 'throttle-name', `\`${named.text}\``);
  // the call whose key other tests have too, else a sign that none has (see CacheUse.privateKeys)
  const direct = best.cache && !viaHelper ? best.cache : undefined;
  const shared = (sharedCall ?? sharedDelete) as Node | null; // assigned in the walk's callback
  if (direct)
    best.cache = shared
      ? { ...direct, node: shared, label: `${shared.text}()` }
      : { ...direct, privateKeys: true, cleared: clears ?? undefined };
  const found =
    throttled ??
    best.cache ??
    (sendsRequests && usesDrf && limitsRates(ctx) && !ownThrottleKeys ? best['throttle-name'] : undefined);
  if (found) return found;
  const cleared = clears as Node | null; // assigned in the walk's callback
  if (cleared) return { node: cleared, kind: 'cache', label: `${cleared.text}()`, aliases, clearOnly: true };
  // With DRF throttling on for every view (settings), an authenticated API test is throttled by user pk.
  // (an AnonRateThrottle never counts them; a ScopedRateThrottle only on views that name a scope.) Only
  // DRF's views throttle: the test must reach one, as a DRF test module (APITestCase, APIClient) or a
  // request to an API route (`"/api/..."`, `reverse("api:...")`); a site's plain Django pages are not.
  const reachesApi = usesDrf || API_ROUTE.test(text);
  const throttling =
    sendsRequests && reachesApi && ctx.project?.settings.throttling?.users && throttleReachable(ctx)
      ? ctx.project.settings.throttling
      : null;
  return throttling && authenticates && !ownThrottleKeys
    ? {
        node: authenticates,
        kind: 'throttle',
        label: 'authenticated requests, with DRF throttling on in settings',
        aliases,
        throttling,
      }
    : null;
}

/** The text of the setUp hooks of the class test method `def` belongs to (none for a class or a function). */
function setUpText(ctx: RuleContext, def: Node): string {
  const cls = def.type === 'function_definition' ? ctx.defs.methodClass(def) : null;
  return cls
    ? ctx.testing
        .setupHooksOf(cls)
        .map(fn => fn.text)
        .join('\n')
    : '';
}

/** what a random per-test value looks like in a key's text: `uuid4()`, `secrets.token_hex()`, `get_random_string(8)` */
const RANDOM = /uuid|token_(?:hex|urlsafe|bytes)|random/i;
/** a primary key: `obj.pk`, `obj.id`, `self.user_id` */
const PK = /^(?:pk|id|\w+_id)$/;
/** a constant by its name: `CACHE_KEY`, `Prayer.GRANTED` */
const CONSTANT = /^[A-Z][A-Z0-9_]*$/;

/**
 * Whether the key of cache call `call` in `def` is one other tests have too, so that what one leaves
 * another finds (in another worker, or later in the process): `shared` for a literal, a constant, or a
 * key built from those and primary keys (every worker's test database starts its sequences at 1); `own`
 * for a key made unique (`uuid4()`); `unknown` for one built from what the code under test returns
 * (`f"sid_{session_id}"` where `session_id = service.init_session()`), a mock, a parameter. A call
 * with no key (`keys()` with no pattern) is `unknown`.
 */
export function keyOf(ctx: RuleContext, call: Node, def: Node): 'shared' | 'own' | 'unknown' {
  const key = positionalArguments(call)[0] ?? keywordArgument(call, 'key') ?? keywordArgument(call, 'keys');
  if (!key) return 'unknown';
  const cls = def.type === 'class_definition' ? null : ctx.defs.methodClass(def);
  const scopes = [ctx.defs.statement(def), ...(cls ? [ctx.defs.statement(cls)] : [])];
  return keyKind(ctx, key, scopes, 0);
}

type KeyKind = 'shared' | 'own' | 'unknown';

/** The kinds of a key's parts, combined: one unique part makes it unique; all shared, shared. */
function combine(kinds: KeyKind[]): KeyKind {
  if (kinds.includes('own')) return 'own';
  return kinds.length > 0 && kinds.every(k => k === 'shared') ? 'shared' : 'unknown';
}

/** a response the test makes up with status 429 */
const MOCKED_429 = /\bstatus(?:_code)?\s*=\s*429\b/;

/** methods that look a value up rather than build one from their arguments */
const LOOKUPS = new Set(['get', 'pop', 'getlist', 'json', 'setdefault']);

function keyKind(ctx: RuleContext, key: Node, scopes: readonly Node[], depth: number): KeyKind {
  if (RANDOM.test(key.text)) return 'own';
  switch (key.type) {
    case 'string':
    case 'concatenated_string': {
      const parts: Node[] = [];
      walk(key, n => (n.type === 'interpolation' ? (parts.push(n.namedChildren[0] ?? n), false) : true));
      return combine(['shared', ...parts.map(p => keyKind(ctx, p, scopes, depth))]);
    }
    case 'integer':
    case 'float':
    case 'true':
    case 'false':
    case 'none':
      return 'shared';
    case 'binary_operator': // "a" + b, "a_%s" % b
      return combine([field(key, 'left'), field(key, 'right')].map(p => keyKind(ctx, p, scopes, depth)));
    case 'parenthesized_expression':
    case 'list':
    case 'tuple':
    case 'set': {
      // several keys (get_many, delete_many): any of them another test's is enough
      const kinds = key.namedChildren.flatMap(c => (c ? [keyKind(ctx, c, scopes, depth)] : []));
      return kinds.includes('shared') ? 'shared' : combine(kinds);
    }
    case 'dictionary': {
      const kinds = key.namedChildren.flatMap(p =>
        p?.type === 'pair' ? [keyKind(ctx, field(p, 'key'), scopes, depth)] : [],
      );
      return kinds.includes('shared') ? 'shared' : combine(kinds);
    }
    case 'call': {
      const fn = field(key, 'function');
      // "k_{}".format(pk)
      if (fn.type === 'attribute' && field(fn, 'attribute').text === 'format')
        return combine([field(fn, 'object'), ...callArguments(key)].map(p => keyKind(ctx, p, scopes, depth)));
      // a lookup reads a value the key holds, it does not build one: `res.data.get("hash")` is whatever
      // the response had (glitchtip's wizard hash, random per request)
      if (fn.type === 'attribute' && LOOKUPS.has(field(fn, 'attribute').text)) return 'unknown';
      // a key builder given shared parts makes a shared key: `draft_key(user.pk, "q3")`, `str(obj.pk)`
      const args = callArguments(key).map(a => (a.type === 'keyword_argument' ? field(a, 'value') : a));
      return combine(args.map(a => keyKind(ctx, a, scopes, depth)));
    }
    case 'identifier':
    case 'attribute': {
      const last = key.type === 'attribute' ? field(key, 'attribute').text : key.text;
      if (CONSTANT.test(last) || (key.type === 'attribute' && PK.test(last))) return 'shared';
      if (depth >= 3) return 'unknown';
      const value = assignedValue(ctx, key.text, scopes);
      return value ? keyKind(ctx, value, scopes, depth + 1) : 'unknown';
    }
    default:
      return 'unknown';
  }
}

/** The value last assigned to `name` (`key`, `self.key`) in `scopes` or at the module's top level, if any. */
function assignedValue(ctx: RuleContext, name: string, scopes: readonly Node[]): Node | null {
  let value: Node | null = null;
  const look = (root: Node) =>
    walk(
      root,
      n => {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        if (left?.text === name) value = right;
        // `k, v = "my_key", "my_value"`: the value in the same place
        else if (
          left &&
          right &&
          /pattern_list|tuple_pattern/.test(left.type) &&
          /expression_list|tuple/.test(right.type)
        ) {
          const i = left.namedChildren.findIndex(c => c?.text === name);
          if (i >= 0) value = right.namedChildren[i] ?? null;
        }
        return true;
      },
      ASSIGNMENTS,
    );
  for (const scope of scopes) look(scope);
  if (!value && !name.includes('.'))
    for (const { node } of ctx.file.topLevel) if (node.type === 'expression_statement') look(node);
  return value;
}
const ASSIGNMENTS = new Set(['assignment']);

/** Whether `node` runs in a loop inside `def` (a request sent again and again). */
function inLoop(node: Node, def: Node): boolean {
  for (let n = node.parent; n && n.id !== def.id; n = n.parent)
    if (/^(for_statement|while_statement|list_comprehension|generator_expression)$/.test(n.type)) return true;
  return false;
}

/** The name a `def` or `class` statement gives. */
function isDefinitionName(node: Node): boolean {
  const parent = node.parent;
  return (
    (parent?.type === 'function_definition' || parent?.type === 'class_definition') &&
    parent.childForFieldName('name')?.id === node.id
  );
}

/** Inside an `assert` statement, a comparison, or the arguments of an `assert*(...)` call. */
function inAssertion(node: Node): boolean {
  // `status in {200, 429}`: tolerating a 429 is not asserting one
  if (/^(set|list|tuple)$/.test(node.parent?.type ?? '')) return false;
  for (let p = node.parent; p && p.type !== 'block' && p.type !== 'module'; p = p.parent) {
    if (p.type === 'assert_statement' || p.type === 'comparison_operator') return true;
    if (p.type === 'call' && /^assert/i.test(p.childForFieldName('function')?.text.split('.').pop() ?? '')) return true;
  }
  return false;
}

/** `CACHES={...}` giving each alias a LocMemCache of its own, named after the test. */
export function isolatedCaches(location: string, aliases: Iterable<string>): string {
  const entries = [...aliases]
    .sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)))
    .map(
      alias =>
        `${JSON.stringify(alias)}: {"BACKEND": "${LOCMEM_BACKEND}", "LOCATION": ${JSON.stringify(alias === 'default' ? location : `${location}.${alias}`)}}`,
    );
  return `CACHES={${entries.join(', ')}}`;
}

const BINDS_SETTINGS = /\bimport\s+settings\b|\bas\s+settings\b|^\s*settings\s*=/m;

/**
 * The name of the test's own LocMemCache: its dotted path (`shop.tests.test_cart.CartTests`), or, where
 * that would make the `"LOCATION": ...` line of the split decorator longer than the project's limit, the
 * module's last part and the class (`test_cart.CartTests`), or the class alone: any name will do that no
 * other test class of the process gives, and the fix empties the cache before each test anyway (conf_site's
 * 99-character line, which its flake8 refused).
 */
function cacheLocation(ctx: RuleContext, def: Node): string {
  const qualified = qualifiedDefName(ctx, def);
  const module = ctx.file.moduleName;
  const room = (ctx.project?.lineLength ?? DEFAULT_LIMIT) - LOCATION_LINE;
  const names = [`${module}.${qualified}`, `${module.slice(module.lastIndexOf('.') + 1)}.${qualified}`, qualified];
  return names.find(n => n.length <= room) ?? qualified;
}
/** what else is on the split decorator's `"LOCATION": "...",` line: its indent, key, quotes and comma */
const LOCATION_LINE = 32;

/** The isolation fix for a Django test class, a test function or a fixture the module's tests request. */
export function cacheIsolationFix(
  ctx: RuleContext,
  def: Node,
  aliases: Iterable<string>,
  safe: boolean,
  forClear = false,
): Fix {
  const { expr, edits } = importOverrideSettings(ctx);
  const location = cacheLocation(ctx, def);
  // django-redis' own API (delete_pattern, lock, get_redis_connection), called by the test or by the
  // project code it calls, on a django-redis cache, is not LocMemCache's: keep the backend, and give
  // the test keys of its own with a KEY_PREFIX (unsafe; and no fix for a clear(), which still empties
  // the whole shared database)
  const redisOnly = REDIS_ONLY.test(ctx.defs.statement(def).text) || callsRedisOnlyCode(ctx, def);
  if (!forClear && redisOnly) {
    const settings = importName(ctx, 'django.conf', 'settings');
    const entries = [...aliases]
      .sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)))
      .map(
        a =>
          `${JSON.stringify(a)}: {**${settings.expr}.CACHES[${JSON.stringify(a)}], "KEY_PREFIX": ${JSON.stringify(a === 'default' ? location : `${location}.${a}`)}}`,
      );
    const decorator = addDecorator(ctx, def, `${expr}(CACHES={**${settings.expr}.CACHES, ${entries.join(', ')}})`);
    return Fix.unsafe(`Give ${defName(def)} keys of its own on the same cache (a KEY_PREFIX with @override_settings)`, [
      ...edits,
      ...settings.edits,
      decorator,
    ]);
  }
  // (for a clear() of such a cache, LocMem still breaks that code: unsafe)
  if (redisOnly) safe = false;
  // every alias the settings define, not only those the test names: code under test reaches the others
  // (sessions in a cache of their own, a configuration cache a signal handler reads)
  const defined = [...(ctx.project?.settings.caches.keys() ?? [])];
  aliases = new Set([...aliases, ...defined]);
  // a view under cache_page (Django's cache middleware) keeps the cache it was built with: the override
  // does not reach it
  const project = ctx.project;
  if (project && ['cache_page', 'CacheMiddleware'].some(n => (project.occurrences(n) ?? 0) > 0)) safe = false;
  // on a django-redis cache, the project's own code calls django-redis's own API somewhere (giga-maps'
  // `cache.keys()` behind a model's save): code under test may reach it however far from the test, and
  // LocMemCache has no such method
  if (
    project &&
    /^django_redis\./.test(project.settings.caches.get('default')?.backend ?? '') &&
    project.codeUsesRedisOnlyApi
  )
    safe = false;
  // a pytest test with the settings fixture: a decorator beside it races the fixture's teardown (XT041),
  // so the caches go through the fixture too, first thing in the test
  const first = bodyStatements(def).find(
    st => st.type !== 'expression_statement' || st.firstNamedChild?.type !== 'string',
  );
  // ... and so does a fixture: a decorator there would end with the fixture's own call, before the test
  const fixture = def.type === 'function_definition' && ctx.testing.isFixture(def);
  // (a body that binds `settings` itself would hide the fixture's)
  if (fixture && !parameterNames(def).includes('settings') && BINDS_SETTINGS.test(ctx.defs.statement(def).text))
    safe = false;
  if (
    def.type === 'function_definition' &&
    first &&
    (parameterNames(def).includes('settings') || fixture) &&
    ctx.testing.takesFixtures(def)
  ) {
    const caches = isolatedCaches(location, aliases).replace(/^CACHES=/, 'settings.CACHES = ');
    return (safe ? Fix.safe : Fix.unsafe)(`Give ${defName(def)} its own LocMem cache through the settings fixture`, [
      ...addParameter(ctx, def, 'settings'),
      insertBefore(ctx, first, caches),
    ]);
  }
  const decorator = addDecorator(ctx, def, `${expr}(${isolatedCaches(location, aliases)})`);
  // a class decorator is one cache for all the class's tests: with two or more, each starts it empty (and
  // with tests a base class of the project may hand it: conf_site's ReviewingPostViewTestCase holds seven)
  const tests = def.type === 'class_definition' ? bodyStatements(def).map(definitionOf) : [];
  const own = tests.filter(t => t.type === 'function_definition' && ctx.testing.isTestFunction(t)).length;
  if (own > 1 || (def.type === 'class_definition' && mayInheritTests(ctx, def))) {
    const cache = importName(ctx, 'django.core.cache', 'cache');
    const clear = clearInSetUp(ctx.file.text, def.startPosition.row, ctx.file.eol, `${cache.expr}.clear()`);
    if (clear) {
      const title = `Give each test of ${defName(def)} its own LocMem cache with @override_settings(CACHES=...), emptied in setUp`;
      const inserts = clear.map(c => Edit.insert(c.at, c.text));
      return (safe ? Fix.safe : Fix.unsafe)(title, [...edits, ...cache.edits, decorator, ...inserts]);
    }
  }
  const title = `Give ${defName(def)} its own LocMem cache with @override_settings(CACHES=...)`;
  return (safe ? Fix.safe : Fix.unsafe)(title, [...edits, decorator]);
}

/** A base of `cls` is no test case of Django, DRF or unittest: a class of the project, which may hold tests. */
function mayInheritTests(ctx: RuleContext, cls: Node): boolean {
  return ctx.testing.baseExpressions(cls).some(b => {
    const q = ctx.names.resolve(b) ?? b.text;
    return !/^(django|rest_framework|unittest)\.|^(object|TestCase|SimpleTestCase|TransactionTestCase)$/.test(q);
  });
}

/**
 * Where to empty the cache before each test of the class whose `class` line is `classLine`, by text
 * (the class may be in another file): first thing in its `setUp`, before `super().setUp()` so that a
 * base class's setUp keeps what it caches; or in a new `setUp` at the top of the class body. Null for
 * a one-line class.
 */
export function clearInSetUp(
  text: string,
  classLine: number,
  eol: string,
  clear: string,
): { at: number; text: string }[] | null {
  // by Python's line breaks (a lone \r too), as the tree's rows count them
  const { lines, starts: offsets } = splitLines(text);
  const indent = (l: string) => /^[ \t]*/.exec(l)?.[0] ?? '';
  const blank = (l: string | undefined) => l === undefined || /^\s*(#.*)?\r?$/.test(l);
  const endsHeader = (l: string) => /:\s*(#.*)?\r?$/.test(l);
  /** the first statement line of the block whose header starts at line `from` */
  const bodyStart = (from: number): number | null => {
    let i = from;
    while (i < lines.length && !endsHeader(lines[i])) i++;
    for (i++; i < lines.length && blank(lines[i]); i++);
    return i < lines.length && indent(lines[i]).length > indent(lines[from]).length ? i : null;
  };
  /** the line after a docstring that opens a body at line `i` (or `i`) */
  const afterDocstring = (i: number): number => {
    const m = /^\s*[rRuUbB]?("""|''')/.exec(lines[i]);
    if (!m) return i;
    let j = i;
    if (!lines[i].slice(m[0].length).includes(m[1])) while (++j < lines.length && !lines[j].includes(m[1]));
    for (j++; j < lines.length && blank(lines[j]); j++);
    return j;
  };
  const first = bodyStart(classLine);
  if (first === null) return null;
  const bodyIndent = indent(lines[first]);
  for (let i = first; i < lines.length; i++) {
    if (!blank(lines[i]) && indent(lines[i]).length < bodyIndent.length) break;
    if (indent(lines[i]) !== bodyIndent || !/^\s*(async\s+)?def\s+setUp\s*\(/.test(lines[i])) continue;
    const stmt = bodyStart(i);
    if (stmt === null) return null; // `def setUp(self): ...` on one line
    // a setUp that empties the cache already (giga-maps' `cache.clear()` first): it empties the new one too
    const already = new RegExp(`^\\s*${escapeRegExp(clear)}\\s*(#.*)?\\r?$`);
    for (let j = stmt; j < lines.length && (blank(lines[j]) || indent(lines[j]).length > indent(lines[i]).length); j++)
      if (already.test(lines[j])) return [];
    const at = afterDocstring(stmt);
    return [{ at: offsets[at], text: `${indent(lines[at])}${clear}${eol}` }];
  }
  const at = afterDocstring(first);
  const method = [
    `${bodyIndent}def setUp(self):`,
    `${bodyIndent}    ${clear}  # one cache for the class's tests: each starts it empty`,
    `${bodyIndent}    super().setUp()`,
    '',
    '',
  ].join(eol);
  return [{ at: offsets[at], text: method }];
}

/**
 * Whether anything in the project limits rates, so that a 429 a test expects, or a throttle-ish name it
 * uses, may be a limit's history: DRF throttling on in the settings, a throttle class (`Throttle`, not
 * the `Throttled` exception a test view raises: open-klant's `ThrottledView`), `throttle_classes`,
 * throttle rates, a rate-limit package or decorator. A 429 in a project with none is something else's
 * (enterprise-subsidy's ledger lock, a mock raising it; pydis-site's mocked GitHub 429). Unknown (no
 * project, no settings found, files not listed): yes.
 */
export function limitsRates(ctx: RuleContext): boolean {
  return ctx.file.memo(limitsRates, () => {
    const project = ctx.project;
    // settings not found: DRF throttling may be on in them (kpi's test file on its own)
    if (!project || !project.settings.file || project.settings.throttling?.on) return true;
    const n = (t: string) => project.occurrences(t) ?? 1;
    return n('Throttle') > n('Throttled') || RATE_LIMIT_WORDS.some(t => n(t) > 0);
  });
}
const RATE_LIMIT_WORDS = ['throttle_classes', 'THROTTLE', 'ratelimit', 'rate_limit', 'RateLimit', 'Ratelimit'];

/**
 * The module tests django-axes' lockout (it imports axes or sets `AXES_*`), whose 429 counts login
 * failures in database rows unless its handler is the cache one (iaso's `AxesDatabaseHandler`).
 */
function axesLockout(ctx: RuleContext): boolean {
  return ctx.file.memo(axesLockout, () => {
    const text = ctx.file.text;
    return /\bfrom axes\b|\bimport axes\b|\bAXES_[A-Z_]+/.test(text) && !/AxesCacheHandler/.test(text);
  });
}

/**
 * Whether requests a test sends under the settings' DRF throttling can meet the limit, so that history
 * another test left changes what it gets: some test of the project looks for a throttled response (429,
 * `TOO_MANY_REQUESTS`, `Throttled`), or a rate of the settings allows at most a few requests a minute on
 * average (`5/min`, `100/hour`). Archery's 600/min for users and 120/min for anonymous clients, with no test
 * asserting a 429, are never reached by its whole suite. Unknown (rates not read, files not listed): reachable.
 */
function throttleReachable(ctx: RuleContext): boolean {
  return ctx.file.memo(throttleReachable, () => {
    const project = ctx.project;
    const rates = Object.values(project?.settings.throttling?.rates ?? {});
    if (!project || rates.length === 0) return true;
    if (['429', 'TOO_MANY_REQUESTS', 'Throttled'].some(t => (project.occurrencesInTests(t) ?? 1) > 0)) return true;
    return rates.some(rate => rate !== null && rateReached(rate) !== false);
  });
}

/** A throttle class's rate set where no suite reaches it, or to None: `XThrottle.rate = "1000/min"`. */
function raisesRate(text: string): boolean {
  if (!text.includes('.rate')) return false;
  for (const [, value] of text.matchAll(/\b\w*Throttle\w*\.rate\s*=\s*(None\b|["'][^"'\n]*["'])/g))
    if (value === 'None' || rateReached(value?.slice(1, -1) ?? '') === false) return true;
  return false;
}

/** Whether a suite reaches DRF rate `rate` (`<count>/<period>`, by the period's first letter); null: unreadable. */
function rateReached(rate: string): boolean | null {
  const [, count, unit] = /^\s*(\d+)\s*\/\s*([smhd])/.exec(rate) ?? [];
  const seconds = { s: 1, m: 60, h: 3600, d: 86400 }[unit as 's' | 'm' | 'h' | 'd'];
  return !count || !seconds ? null : (Number(count) * 60) / seconds <= FEW_PER_MINUTE;
}

/** Some view of the project sets throttle classes of its own (a cheap word count first). */
function viewsThrottle(ctx: RuleContext): boolean {
  return ctx.file.memo(viewsThrottle, () => (ctx.project?.occurrences('throttle_classes') ?? 0) > 0);
}

/**
 * The view with throttles of its own that test-client call `call` reaches (by its path or route name),
 * where one of them limits at a rate a suite reaches (at most a few requests a minute); `anonymousOnly`
 * when every such throttle counts only anonymous requests.
 */
function throttledView(ctx: RuleContext, call: Node): ViewReached | null {
  const target = requestTarget(ctx, call);
  const reached = target && ctx.project?.requestThrottling(target);
  if (!reached) return null;
  // (a 429 looked for elsewhere does not say this view's limit is met: purldb's throttling test lowers
  // the rates it asserts on, while its other tests loop over data well below 3600 an hour)
  const limiting = reached.throttles.filter(t => typeof t.rate === 'string' && rateReached(t.rate) === true);
  if (limiting.length === 0) return null;
  return { ...reached, throttles: limiting, anonymousOnly: limiting.every(t => t.anonymousOnly) };
}

/**
 * Whether test-client call `call` reaches a view whose own throttles all keep nothing in the cache (a
 * project throttle that derives from none of DRF's cache throttles and names no cache).
 */
function keepsNoHistory(ctx: RuleContext, call: Node): boolean {
  const target = requestTarget(ctx, call);
  const reached = target && ctx.project?.requestThrottling(target);
  return !!reached && reached.throttles.length > 0 && reached.throttles.every(t => t.rate === null);
}

const AN_ASSERTION_ON_429 = 'an assertion on status 429';

/** a rate a suite's requests reach: at most this many a minute on average (`100/hour`, not `120/min`) */
const FEW_PER_MINUTE = 10;

/**
 * Whether the project can keep a rate limit's history in the Django cache at all: it uses DRF, a
 * ratelimit package, or the cache itself somewhere. A 429 in a project with none of them (khoj limits
 * uploads by a database check) is kept elsewhere. Unknown (no project, files not listed): yes.
 */
function limitsInCache(ctx: RuleContext): boolean {
  return ctx.file.memo(limitsInCache, () => {
    const project = ctx.project;
    if (!project) return true;
    return ['rest_framework', 'ratelimit.', 'ratelimit import', 'django.core.cache', 'Throttle'].some(
      t => (project.occurrences(t) ?? 1) > 0,
    );
  });
}

/** Whether, on a django-redis cache, `def` calls project code that calls django-redis's own API (one import away). */
function callsRedisOnlyCode(ctx: RuleContext, def: Node): boolean {
  const project = ctx.project;
  if (!project || !/^django_redis\./.test(project.settings.caches.get('default')?.backend ?? '')) return false;
  const names = ctx.file.memo(callsRedisOnlyCode, () =>
    [...ctx.names.moduleImports()]
      .filter(([, q]) => !/^(django|rest_framework|pytest|unittest)\b/.test(q) && project.moduleUsesRedisOnlyApi(q))
      .map(([name]) => name),
  );
  const text = ctx.defs.statement(def).text;
  return names.some(name => new RegExp(`\\b${escapeRegExp(name)}\\b`).test(text));
}

function qualifiedDefName(ctx: RuleContext, def: Node): string {
  const parts = [defName(def)];
  for (const d of ctx.defs.around(def)) if (d.type !== 'lambda') parts.unshift(defName(d.node));
  return parts.join('.');
}

/**
 * A key that more than one test can be seen to use, within one process: a literal one (`"spam"`, the
 * same in every test that calls it, or in the class's setUp), or one written the same way in two tests
 * of class `def` (`self.cart_key`). Null when the keys are computed and used by one test, made unique (`uuid`), or
 * made by a helper: nothing shows that what one test leaves another finds. A key the class's tearDown
 * deletes after each test leaves nothing for the next (tastypie's `cache.delete('foo')`). One deleted
 * before (in setUp, or first thing in the test) is a key the code under test fills, and what it fills
 * stays for later tests (wagtail's `wagtail_site_root_paths`): a use.
 */
export function sharedKey(ctx: RuleContext, def: Node): { node: Node; why: string } | null {
  const hooks = def.type === 'class_definition' ? ctx.testing.setupHooksOf(def) : [];
  const tests = [...hooks, ...ctx.testing.testsOf(def)];
  const firstUse = new Map<string, { test: number; key: Node }>();
  let found: { node: Node; why: string } | null = null;
  // keys built from primary keys differ from test to test of one process where the database's
  // sequences are not rolled back with the test
  const pksNew = pksMoveOn(ctx);
  const cls = def.type === 'class_definition' ? def : ctx.defs.methodClass(def);
  const afterEach = new Set<string>();
  for (const hook of cls ? ctx.testing.afterEachHooksOf(cls) : []) keysDeleted(ctx, hook, key => afterEach.add(key));
  const scopesOf = (test: Node) => [ctx.defs.statement(test), ...(cls ? [ctx.defs.statement(cls)] : [])];
  for (const test of tests) {
    walk(
      test,
      node => {
        if (found) return false;
        const callee = node.childForFieldName('function');
        if (callee?.type !== 'attribute') return true;
        if (!isDjangoCache(ctx, field(callee, 'object'))) {
          // a method of the project's class that gives the cache one constant key: every test calling it
          // has that key (edx-analytics-dashboard's presenter, `self.CACHE_KEY`)
          const target = ctx.testing.projectCacheMethod(callee, ctx.defs.enclosingFunction(callee) ?? test);
          const constant = target && ctx.project?.methodCacheKey(target.q, target.method);
          if (!constant) return true;
          const first = firstUse.get(constant);
          if (first === undefined) firstUse.set(constant, { test: test.id, key: callee });
          else if (first.test !== test.id)
            found ??= { node: first.key, why: `two of its tests use the key "${constant}" through ${callee.text}()` };
          return !found;
        }
        const key = positionalArguments(node)[0];
        const method = field(callee, 'attribute').text;
        if (!key || /clear$|_many$/.test(method) || /uuid/i.test(key.text)) return true;
        const text = keyText(key);
        if (afterEach.has(text)) return true;
        // a key two tests spell alike is one key only where its value is: `key` built in each test from
        // what the response handed back (glitchtip's wizard hash) is not
        if (keyKind(ctx, key, scopesOf(test), 0) !== 'shared') return true;
        if (pksNew && builtFromPk(key, [test, ...hooks])) return true;
        if (ownLiteral(ctx, test, key)) return true;
        if (stringValue(key) !== null) found = { node: key, why: `the key ${key.text} is the same in every test` };
        const first = firstUse.get(text);
        if (first === undefined) firstUse.set(text, { test: test.id, key });
        else if (first.test !== test.id) found ??= { node: first.key, why: `two of its tests use the key ${key.text}` };
        return !found;
      },
      KEY_CALLS,
    );
    if (found) return found;
  }
  return null;
}

const DELETE = /^a?delete$/;

/**
 * A literal key the test writes before it reads it (`cache.set("key", x)`, then `cache.get("key")`) that
 * no other code of the project names, quoted either way: no other test finds what it leaves, and it reads
 * only its own (django-model-utils).
 */
function ownLiteral(ctx: RuleContext, test: Node, key: Node): boolean {
  const value = stringValue(key);
  if (value === null || !/^[\w.:-]+$/.test(value)) return false;
  const quoted = [`'${value}'`, `"${value}"`];
  const count = (text: string) => quoted.reduce((n, q) => n + text.split(q).length - 1, 0);
  const saved = quoted.reduce((n, q) => n + (ctx.project?.occurrences(q) ?? Infinity), 0);
  if (saved !== count(test.text)) return false;
  let first: Node | null = null;
  walk(
    test,
    node => {
      const callee = node.childForFieldName('function');
      if (first || callee?.type !== 'attribute' || !isDjangoCache(ctx, field(callee, 'object'))) return !first;
      if (stringValue(positionalArguments(node)[0] ?? null) === value) first = node;
      return !first;
    },
    KEY_CALLS,
  );
  const written = first as Node | null;
  const callee = written?.childForFieldName('function');
  return (
    !!written && callee?.type === 'attribute' && field(callee, 'attribute').text === 'set' && count(written.text) === 1
  );
}

/** A key as written, spaces dropped: `self.key` and `self .key` are one key. */
function keyText(key: Node): string {
  return key.text.replace(/\s+/g, '');
}

/** The keys `def` deletes from the Django cache (`cache.delete("k")`), as written (spaces dropped). */
function keysDeleted(ctx: RuleContext, def: Node, add: (key: string) => void): void {
  walk(
    def,
    node => {
      const callee = node.childForFieldName('function');
      if (callee?.type !== 'attribute' || !DELETE.test(field(callee, 'attribute').text)) return true;
      const key = positionalArguments(node)[0];
      if (key && isDjangoCache(ctx, field(callee, 'object'))) add(keyText(key));
      return true;
    },
    KEY_CALLS,
  );
}

const KEY_CALLS = new Set(['call']);
