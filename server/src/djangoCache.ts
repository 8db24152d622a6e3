// How a test touches the Django cache, directly or through DRF throttling, and the fix that gives it
// a cache of its own: `@override_settings(CACHES=<LocMemCache named after the test>)`.
import { addDecorator } from './decorate';
import { Fix } from './fix';
import { importName } from './imports';
import type { Node } from './parser';
import type { RuleContext } from './rule';
import { defName, stringValue, walk } from './syntax';

const LOCMEM = 'django.core.cache.backends.locmem.LocMemCache';
const THROTTLE_WORD = /throttl|rate_?limit/i;
const USE_TYPES = new Set(['call', 'integer', 'identifier', 'string', 'comment']);

/** `cache` or `caches[...]` from django.core.cache, as the receiver of a method call. */
export function isDjangoCache(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  if (node.type === 'subscript') return ctx.names.is(node.childForFieldName('value'), 'django.core.cache.caches');
  return ctx.names.is(node, 'django.core.cache.cache');
}

/** The alias a `caches["alias"]` receiver names, if literal. */
export function cacheAlias(node: Node): string | null {
  if (node.type !== 'subscript') return 'default';
  const key = node.childForFieldName('subscript');
  return key ? stringValue(key) : null;
}

/** `throttle`: a throttle class or setting, or a 429 assertion; `throttle-name`: only a throttle-ish name. */
export interface CacheUse { node: Node; kind: 'cache' | 'throttle' | 'throttle-name'; label: string; aliases: Set<string> }

/**
 * Where `def` (decorators and name included) uses the Django cache, throttling first: a method call
 * on `cache`/`caches[...]`, or DRF throttling (throttle classes or settings, a throttle or ratelimit
 * name, an assertion on status 429). `aliases` collects every literal cache alias the body uses.
 */
export function findCacheUse(ctx: RuleContext, def: Node): CacheUse | null {
  let first: CacheUse | null = null;
  const aliases = new Set<string>(['default']);
  // A throttle class or 429 explains most (the pk collision is the surprise), then a cache call, then a
  // throttle-ish name; ties go to the first use.
  const RANK = { throttle: 0, cache: 1, 'throttle-name': 2 } as const;
  const rank = (u: Omit<CacheUse, 'aliases'>) => RANK[u.kind];
  const consider = (use: Omit<CacheUse, 'aliases'>) => {
    if (!first || rank(use) < rank(first) || (rank(use) === rank(first) && use.node.startIndex < first.node.startIndex)) first = { ...use, aliases };
  };
  walk(ctx.defs.statement(def), node => {
    switch (node.type) {
      case 'call': {
        const fn = node.childForFieldName('function');
        const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
        if (receiver && isDjangoCache(ctx, receiver)) {
          const alias = cacheAlias(receiver);
          if (alias) aliases.add(alias);
          consider({ node: fn!, kind: 'cache', label: `${fn!.text}()` });
        }
        return true;
      }
      case 'integer':
        if (node.text === '429' && inAssertion(node)) consider({ node, kind: 'throttle', label: 'an assertion on status 429' });
        return false;
      case 'identifier': {
        if (node.text === 'HTTP_429_TOO_MANY_REQUESTS') consider({ node, kind: 'throttle', label: 'an assertion on status 429' });
        else if (THROTTLE_WORD.test(node.text)) {
          const q = ctx.names.resolve(node); // DRF's throttle classes all have "Throttle" in their names
          if (q?.startsWith('rest_framework.throttling.')) consider({ node, kind: 'throttle', label: `DRF's ${node.text}` });
          else consider({ node, kind: 'throttle-name', label: `\`${node.text}\`` });
        }
        return true;
      }
      default: // strings and comments: their words are not code
        return false;
    }
  }, USE_TYPES);
  const name = def.childForFieldName('name');
  if (!first && name && THROTTLE_WORD.test(defName(def))) first = { node: name, kind: 'throttle-name', label: `the name \`${defName(def)}\``, aliases };
  return first;
}

/** Inside an `assert` statement, a comparison, or the arguments of an `assert*(...)` call. */
function inAssertion(node: Node): boolean {
  for (let p = node.parent; p && p.type !== 'block' && p.type !== 'module'; p = p.parent) {
    if (p.type === 'assert_statement' || p.type === 'comparison_operator') return true;
    if (p.type === 'call' && /^assert/i.test(p.childForFieldName('function')?.text.split('.').pop() ?? '')) return true;
  }
  return false;
}

/** `CACHES={...}` giving each alias a LocMemCache of its own, named after the test. */
export function isolatedCaches(location: string, aliases: Iterable<string>): string {
  const entries = [...aliases].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)))
    .map(alias => `${JSON.stringify(alias)}: {"BACKEND": "${LOCMEM}", "LOCATION": ${JSON.stringify(alias === 'default' ? location : `${location}.${alias}`)}}`);
  return `CACHES={${entries.join(', ')}}`;
}

/** The isolation fix for a Django test class or a test function. */
export function cacheIsolationFix(ctx: RuleContext, def: Node, aliases: Iterable<string>, safe: boolean): Fix {
  const { expr, edits } = importName(ctx, 'django.test', 'override_settings');
  const location = `${ctx.file.moduleName}.${qualifiedDefName(ctx, def)}`;
  const decorator = addDecorator(ctx.file.text, ctx.file.eol, def, `${expr}(${isolatedCaches(location, aliases)})`);
  const title = `Give ${defName(def)} its own LocMem cache with @override_settings(CACHES=...)`;
  return (safe ? Fix.safe : Fix.unsafe)(title, [...edits, decorator]);
}

function qualifiedDefName(ctx: RuleContext, def: Node): string {
  const parts = [defName(def)];
  for (const d of ctx.defs.around(def)) if (d.type !== 'lambda') parts.unshift(defName(d.node));
  return parts.join('.');
}
