// What Django, DRF and pytest-django are, as far as the analysis needs to know: the test-case classes,
// and how far a cache backend's keys are shared.
import type { Backend } from './projectView';
import type { Node } from '../syntax/parser';
import { bodyStatements, defName, definitionOf } from '../syntax/nodes';

/** The test-case classes of Django and DRF, by canonical qualified name. */
export const DJANGO_TEST_CASES: ReadonlySet<string> = new Set([
  'django.test.SimpleTestCase',
  'django.test.TestCase',
  'django.test.TransactionTestCase',
  'django.test.LiveServerTestCase',
  'django.contrib.staticfiles.testing.StaticLiveServerTestCase',
  'rest_framework.test.APISimpleTestCase',
  'rest_framework.test.APITestCase',
  'rest_framework.test.APITransactionTestCase',
  'rest_framework.test.APILiveServerTestCase',
]);

/** Test cases that roll back each test's transaction: what a test writes to the database goes with it. */
export const ROLLBACK_TEST_CASES: ReadonlySet<string> = new Set([
  'django.test.TestCase',
  'rest_framework.test.APITestCase',
]);

/** Django's in-memory cache: one per process, and per LOCATION within it. */
export const LOCMEM_BACKEND = 'django.core.cache.backends.locmem.LocMemCache';

const NO_CACHE = /dummy|DummyCache/i;
const PER_PROCESS = /locmem|LocMemCache/i;

/**
 * Who shares a cache backend's keys: every process (Redis, Memcached, the database, files, and any
 * backend not known to be private), each process alone (LocMemCache), or nobody (DummyCache).
 */
export function cacheScope(backend: string | null): Backend {
  if (!backend) return 'cross-process';
  return NO_CACHE.test(backend) ? 'none' : PER_PROCESS.test(backend) ? 'per-process' : 'cross-process';
}

/** calls that only django-redis's cache has, which a LocMemCache would not answer */
export const REDIS_ONLY =
  /\.(?:delete_pattern|iter_keys|ttl|pttl|persist|expire_at|pexpire)\(|\b(?:\w*cache\w*|caches\[[^\]]*\])\.(?:lock|keys|expire)\(|get_redis_connection/;

/** A function's text that returns a Django cache: `return caches[alias]`, `return cache`. */
export function returnsCache(text: string): boolean {
  return /\breturn\s+(?:[\w.]+\.)?(?:caches\s*\[|cache\s*$)/m.test(text);
}

/**
 * Whether a model class itself gives its querysets an order: `ordering` in its `Meta`, or a manager of
 * its own (`objects = ...`, which may order them). What its bases give is the caller's to add.
 */
export function declaresOrder(cls: Node): boolean {
  return bodyStatements(cls).some(stmt => {
    const def = definitionOf(stmt);
    if (def.type === 'class_definition') return defName(def) === 'Meta' && /\bordering\s*=(?!=)/.test(def.text);
    return /^objects\s*=/.test(stmt.text);
  });
}
