// How a test touches the Django cache, directly or through DRF throttling, and the fix that gives it
// a cache of its own: `@override_settings(CACHES=<LocMemCache named after the test>)`.
import { addDecorator } from './decorate';
import { Fix } from './fix';
import { importName } from './imports';
import type { Node } from './parser';
import type { RuleContext } from './rule';
import { definitionStatement, defName, stringValue, walk } from './syntax';

const LOCMEM = 'django.core.cache.backends.locmem.LocMemCache';
const THROTTLE_WORD = /throttl|rate_?limit/i;

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

export interface CacheUse { node: Node; kind: 'cache' | 'throttle'; label: string; aliases: Set<string> }

/**
 * The first place in `def` (decorators and name included) that uses the Django cache: a method call
 * on `cache`/`caches[...]`, or DRF throttling (throttle classes or settings, a throttle or ratelimit
 * name, an assertion on status 429). `aliases` collects every literal cache alias the body uses.
 */
export function findCacheUse(ctx: RuleContext, def: Node): CacheUse | null {
  let first: CacheUse | null = null;
  const aliases = new Set<string>(['default']);
  const consider = (use: Omit<CacheUse, 'aliases'>) => { if (!first || use.node.startIndex < first.node.startIndex) first = { ...use, aliases }; };
  walk(definitionStatement(def), node => {
    switch (node.type) {
      case 'call': {
        const fn = node.childForFieldName('function');
        const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
        if (receiver && isDjangoCache(ctx, receiver)) {
          const alias = cacheAlias(receiver);
          if (alias) aliases.add(alias);
          consider({ node: fn!, kind: 'cache', label: `${fn!.text}()` });
        } else if (fn && /^assert/i.test(fn.text.split('.').pop() ?? '') && hasArgument429(node)) {
          consider({ node, kind: 'throttle', label: 'an assertion on status 429' });
        }
        return true;
      }
      case 'comparison_operator':
        if (node.namedChildren.some(c => c !== null && is429(c))) consider({ node, kind: 'throttle', label: 'an assertion on status 429' });
        return true;
      case 'identifier':
        if (THROTTLE_WORD.test(node.text) || node.text === 'HTTP_429_TOO_MANY_REQUESTS') {
          const q = ctx.names.resolve(node);
          const what = q?.startsWith('rest_framework.throttling.') ? `DRF's ${node.text}` : `\`${node.text}\``;
          consider({ node, kind: 'throttle', label: what });
        }
        return true;
      case 'string':
      case 'comment':
        return false;
      default:
        return true;
    }
  });
  const name = def.childForFieldName('name');
  if (!first && name && THROTTLE_WORD.test(defName(def))) first = { node: name, kind: 'throttle', label: `the name \`${defName(def)}\``, aliases };
  return first;
}

function is429(node: Node): boolean {
  return (node.type === 'integer' && node.text === '429') || /(^|\.)HTTP_429_TOO_MANY_REQUESTS$/.test(node.text);
}

function hasArgument429(call: Node): boolean {
  return !!call.childForFieldName('arguments')?.namedChildren.some(a => a !== null && is429(a));
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
  const location = `${ctx.file.moduleName}.${qualifiedDefName(def)}`;
  const decorator = addDecorator(ctx.file.text, ctx.file.eol, def, `${expr}(${isolatedCaches(location, aliases)})`);
  const title = `Give ${defName(def)} its own LocMem cache with @override_settings(CACHES=...)`;
  return (safe ? Fix.safe : Fix.unsafe)(title, [...edits, decorator]);
}

function qualifiedDefName(def: Node): string {
  const parts = [defName(def)];
  for (let p = def.parent; p; p = p.parent) if (p.type === 'class_definition' || p.type === 'function_definition') parts.unshift(defName(p));
  return parts.join('.');
}
