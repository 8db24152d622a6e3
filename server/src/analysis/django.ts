// What Django, DRF and pytest-django are, as far as the analysis needs to know: the test-case classes,
// and how far a cache backend's keys are shared.
import type { Backend, ClassLookup } from './projectView';
import type { Node } from '../syntax/parser';
import { bodyStatements, defName, definitionOf, field, positionalArguments } from '../syntax/nodes';

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

/** Django's own managers and querysets (GeoDjango's too): they give a queryset no order of their own. */
const DJANGO_MANAGER =
  /^django\.(?:contrib\.gis\.)?db\.models\.(?:manager\.|query\.)?(?:BaseManager|Manager|GeoManager|QuerySet)$/;
export const isDjangoManager = (qualified: string): boolean => DJANGO_MANAGER.test(qualified);

/**
 * Whether a model class itself gives its querysets an order: `ordering` in its `Meta`, or a manager of
 * its own (`objects = ...`) that may order them. With `lookup`, a manager read to its classes orders
 * only where one of them (or a base) says `order_by` or `ordering`, or cannot be read; without it, any
 * manager of its own may. What the model's bases give is the caller's to add.
 */
export function declaresOrder(cls: Node, lookup?: ClassLookup): boolean {
  return bodyStatements(cls).some(stmt => {
    const def = definitionOf(stmt);
    if (def.type === 'class_definition') return defName(def) === 'Meta' && /\bordering\s*=(?!=)/.test(def.text);
    if (!/^objects\s*=/.test(stmt.text)) return false;
    const value = stmt.firstNamedChild?.childForFieldName('right');
    if (!lookup || !value) return true;
    const names = managerClassNames(value);
    return !names.length || names.some(name => classMayOrder(lookup(name)));
  });
}

/**
 * Whether `method` of the model's own manager (`objects = ...`, its classes and their bases, as `lookup`
 * reads them) hands back a queryset with no order of its own: every `return` of it is a chain on `self`
 * or `super()` ending in a queryset method (`self.filter(...)`, `self.get_queryset().exclude(...)`) with
 * no `order_by` (euphrosyne's `Run.objects.for_project(p)`).
 */
export function managerMethodUnordered(model: Node, lookup: ClassLookup, method: string): boolean {
  const stmt = bodyStatements(model).find(s => /^objects\s*=/.test(s.text));
  const value = stmt?.firstNamedChild?.childForFieldName('right');
  if (!value) return false;
  for (const name of managerClassNames(value)) {
    const found = lookup(name);
    const def = methodOf(found, method);
    if (def) return returnsUnorderedQueryset(def, found);
  }
  return false;
}

/** `method` as the class (or a base) defines it. */
function methodOf(found: ReturnType<ClassLookup>, method: string, depth = 0): Node | null {
  if (!found || found === 'django' || depth > 8) return null;
  for (const stmt of bodyStatements(found.node)) {
    const def = definitionOf(stmt);
    if (def.type === 'function_definition' && defName(def) === method) return def;
  }
  for (const base of basesOf(found.node)) {
    const def = methodOf(found.lookup(base), method, depth + 1);
    if (def) return def;
  }
  return null;
}

/** Django's queryset methods that give the same rows, in no particular order (a chain's own methods are the class's) */
export const QUERYSET_METHODS: ReadonlySet<string> = new Set([
  'all',
  'filter',
  'exclude',
  'values',
  'values_list',
  'select_related',
  'prefetch_related',
  'distinct',
  'only',
  'defer',
  'annotate',
  'using',
  'get_queryset',
  'none',
]);
/** the methods that end a chain in a queryset of the same rows, in no particular order */
const QUERYSET_ENDS = new RegExp(`\\.(?:${[...QUERYSET_METHODS].join('|')})$`);
const ORDERS = /\.(?:order_by|reverse|latest|earliest|first|last)\s*\(/;

/**
 * Whether every `return` of manager method `def` is a chain on `self` ending in a queryset with no
 * order: a chain that starts with another method of the class (`self.published(at).filter(...)`:
 * djangoproject.com's releases, whose `published` orders) is unordered only where that method is.
 */
function returnsUnorderedQueryset(def: Node, owner: ReturnType<ClassLookup>, depth = 0): boolean {
  const body = def.childForFieldName('body');
  if (!body) return false;
  const returns: Node[] = [];
  const visit = (n: Node) => {
    for (const c of n.namedChildren) {
      if (!c || c.type === 'function_definition' || c.type === 'class_definition' || c.type === 'lambda') continue;
      if (c.type === 'return_statement') returns.push(c);
      else visit(c);
    }
  };
  visit(body);
  return (
    returns.length > 0 &&
    returns.every(r => {
      const value = r.firstNamedChild;
      const fn = value?.type === 'call' ? value.childForFieldName('function') : null;
      if (
        !fn ||
        !/^(?:self|super\(\))\./.test(fn.text) ||
        !QUERYSET_ENDS.test(fn.text) ||
        ORDERS.test(value?.text ?? '')
      )
        return false;
      const first = firstMethodOnSelf(value as Node);
      if (first === null || QUERYSET_METHODS.has(first)) return first !== null;
      const called = depth < 4 ? methodOf(owner, first) : null;
      return !!called && called.id !== def.id && returnsUnorderedQueryset(called, owner, depth + 1);
    })
  );
}

/** `published` for `self.published(at).filter(...)`: the method the chain calls first, on self or super(). */
function firstMethodOnSelf(chain: Node): string | null {
  let n: Node | null = chain;
  let name: string | null = null;
  while (n) {
    if (n.type === 'call') n = n.childForFieldName('function');
    else if (n.type === 'attribute') {
      const object: Node | null = n.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === 'self') return field(n, 'attribute').text;
      if (object?.type === 'call' && object.text === 'super()') return field(n, 'attribute').text;
      name = field(n, 'attribute').text;
      n = object;
    } else if (n.type === 'subscript') n = n.childForFieldName('value');
    else return null;
  }
  return name;
}

function basesOf(cls: Node): Node[] {
  const sup = cls.childForFieldName('superclasses');
  return (
    sup?.namedChildren.filter((c): c is Node => !!c && c.type !== 'keyword_argument' && c.type !== 'comment') ?? []
  );
}

/** The classes `objects = ...` names: `Manager()`, `QS.as_manager()`, `M.from_queryset(QS)()`. */
function managerClassNames(value: Node): Node[] {
  const out: Node[] = [];
  let n: Node | null = value;
  while (n?.type === 'call') {
    const fn: Node | null = n.childForFieldName('function');
    const method: string = fn?.type === 'attribute' ? field(fn, 'attribute').text : '';
    if (method === 'from_queryset') out.push(...positionalArguments(n));
    n = method === 'as_manager' || method === 'from_queryset' ? (fn?.childForFieldName('object') ?? null) : fn;
  }
  if (n?.type === 'identifier' || n?.type === 'attribute') out.push(n);
  return out;
}

/**
 * A manager or queryset class may order: its `get_queryset` (or a base's) says `order_by`, or a base of it
 * cannot be read. Its other methods order only what they return.
 */
function classMayOrder(found: ReturnType<ClassLookup>, depth = 0): boolean {
  if (found === 'django') return false;
  if (!found || depth > 8) return true;
  const own = methodOf({ node: found.node, lookup: () => null }, 'get_queryset');
  if (own) return /\border_by\s*\(/.test(own.text);
  return basesOf(found.node).some(b => classMayOrder(found.lookup(b), depth + 1));
}
