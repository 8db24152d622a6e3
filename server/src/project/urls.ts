// The project's URL routes, read from ROOT_URLCONF the way Django resolves a request: `path()`,
// `re_path()` and `url()` entries, `include()` of a module, a list or a DRF router's URLs, `app_name`
// and `namespace` for `reverse("ns:name")`. Each route keeps the view it reaches, so a test's request
// can be followed to the view that answers it (and the throttles that view applies).
import type { Names } from '../analysis/names';
import type { Node } from '../syntax/parser';
import { keywordArgument, moduleLevelStatements, positionalArguments, stringValue } from '../syntax/nodes';
import { escapeRegExp } from '../syntax/text';

export interface UrlModule {
  name: string;
  file: string;
  root: Node;
  names: Names;
  classes: ReadonlyMap<string, Node>;
  functions: ReadonlyMap<string, Node>;
}

export interface Route {
  /** the whole path from the root, without the leading slash, as Django matches it */
  pattern: RegExp;
  /** the route's namespaced name (`api:send-feedback`), a pattern for a router's (`api:item-.*`) */
  name: RegExp | null;
  /** the view's qualified name: a class (`X.as_view()`, a router's viewset) or a function */
  view: string | null;
  file: string;
  line: number;
}

/** Django's path converters, as regular expressions (an unknown converter: a segment). */
const CONVERTERS: Record<string, string> = {
  str: '[^/]+',
  int: '[0-9]+',
  slug: '[-a-zA-Z0-9_]+',
  uuid: '[0-9a-fA-F-]+',
  path: '.+',
};
/** a quantified group whose body is quantified too: `(a+)+`, `(\\w*)*`, `(?:x+){2,}` */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;
/** so many routes at most: a generated URLconf is not read to the end */
const MOST_ROUTES = 5000;
/** `include()` followed so deep at most */
const MOST_DEPTH = 10;

/** The routes of URLconf `urlconf`, in the order Django tries them. */
export function readRoutes(urlconf: string, load: (module: string) => UrlModule | null): Route[] {
  const out: Route[] = [];
  const visiting = new Set<string>();
  const expanding = new Set<string>();

  // `named`: the include gave a namespace, which stands for the module's `app_name`
  // `list`: the module's list of patterns to read, `urlpatterns` unless an import named another
  const visitModule = (
    name: string,
    prefix: string,
    namespace: string[],
    depth: number,
    named = false,
    list = 'urlpatterns',
  ) => {
    const key = `${name}:${list}`;
    const mod = depth <= MOST_DEPTH && !visiting.has(key) ? load(name) : null;
    if (!mod) return false;
    visiting.add(key);
    const facts = readModule(mod);
    const ns = depth > 0 && facts.appName && !named ? [...namespace, facts.appName] : namespace;
    for (const el of facts.lists.get(list) ?? []) entry(mod, facts, el, prefix, ns, depth);
    visiting.delete(key);
    return true;
  };

  // a list of patterns imported from another module (`from app.urls import urlpatterns as app_patterns`)
  const visitImportedList = (mod: UrlModule, node: Node, prefix: string, ns: string[], depth: number) => {
    const qualified = mod.names.resolve(node);
    const dot = qualified?.lastIndexOf('.') ?? -1;
    if (!qualified || dot < 0) return false;
    return visitModule(qualified.slice(0, dot), prefix, ns, depth + 1, true, qualified.slice(dot + 1));
  };

  const entry = (mod: UrlModule, facts: ModuleUrls, el: Node, prefix: string, ns: string[], depth: number) => {
    if (out.length >= MOST_ROUTES) return;
    if (el.type === 'list_splat') {
      const inner = el.namedChildren[0];
      if (inner) entry(mod, facts, inner, prefix, ns, depth);
      return;
    }
    if (el.type === 'attribute' && el.childForFieldName('attribute')?.text === 'urls') {
      routerRoutes(mod, facts, el.childForFieldName('object')?.text ?? '', prefix, ns);
      return;
    }
    if (el.type === 'identifier' && facts.lists.has(el.text)) {
      // (a list that names itself, `urlpatterns = urlpatterns + [...]`, is read once)
      const key = `${mod.file}#${el.text}`;
      if (expanding.has(key)) return;
      expanding.add(key);
      for (const inner of facts.lists.get(el.text) ?? []) entry(mod, facts, inner, prefix, ns, depth);
      expanding.delete(key);
      return;
    }
    if (el.type === 'identifier') {
      visitImportedList(mod, el, prefix, ns, depth);
      return;
    }
    if (el.type !== 'call') return;
    const fn = lastName(el.childForFieldName('function'));
    if (fn === 'i18n_patterns' || fn === 'patterns') {
      // a language prefix (`en/`), or none for the default language
      const languagePrefix = fn === 'i18n_patterns' ? `${prefix}(?:[a-z]{2}(?:[-_][A-Za-z]+)?/)?` : prefix;
      for (const inner of positionalArguments(el)) {
        if (inner.type !== 'string') entry(mod, facts, inner, languagePrefix, ns, depth);
      }
      return;
    }
    if (fn !== 'path' && fn !== 're_path' && fn !== 'url') return;
    const [routeNode, viewNode] = positionalArguments(el);
    const route = routeNode && stringOf(routeNode);
    if (route === null || route === undefined || !viewNode) return;
    const regex = fn === 'path' ? pathRegex(route) : regexSource(route);
    if (viewNode.type === 'call' && lastName(viewNode.childForFieldName('function')) === 'include') {
      include(mod, facts, viewNode, prefix + regex.replace(/\$$/, ''), ns, depth);
      return;
    }
    const name = keywordArgument(el, 'name');
    const routeName = name && stringOf(name);
    add(prefix + regex.replace(/\$$/, ''), routeName ? exactName(ns, routeName) : null, viewOf(mod, viewNode), mod, el);
  };

  const include = (mod: UrlModule, facts: ModuleUrls, call: Node, prefix: string, ns: string[], depth: number) => {
    let [target] = positionalArguments(call);
    let namespace = keywordArgument(call, 'namespace');
    if (target?.type === 'tuple') {
      // include(("app.urls", "app_name"), namespace="instance")
      const [inner, appName] = target.namedChildren.filter((c): c is Node => !!c);
      target = inner;
      namespace ??= appName ?? null;
    }
    if (!target) return;
    const given = namespace && stringOf(namespace);
    const inner = given ? [...ns, given] : ns;
    const text = stringOf(target);
    if (text) return visitModule(text, prefix, inner, depth + 1, !!given);
    if (target.type === 'attribute' && target.childForFieldName('attribute')?.text === 'urls') {
      const router = target.childForFieldName('object')?.text ?? '';
      if (facts.routers.has(router)) return routerRoutes(mod, facts, router, prefix, inner);
    }
    if (target.type === 'identifier' && facts.lists.has(target.text)) {
      for (const el of facts.lists.get(target.text) ?? []) entry(mod, facts, el, prefix, inner, depth);
      return;
    }
    if (target.type === 'list' || target.type === 'tuple') {
      for (const el of target.namedChildren) if (el) entry(mod, facts, el, prefix, inner, depth);
      return;
    }
    // `from app import urls as app_urls; include(app_urls)`, or a list imported from it
    const module = mod.names.resolve(target);
    if (module && !visitModule(module, prefix, inner, depth + 1, !!given))
      visitImportedList(mod, target, prefix, inner, depth);
  };

  const routerRoutes = (mod: UrlModule, facts: ModuleUrls, router: string, prefix: string, ns: string[]) => {
    for (const reg of facts.routers.get(router) ?? []) {
      // the list, the detail and the extra actions below the prefix
      const base = regexSource(reg.prefix).replace(/\/?\$?$/, '');
      const name = reg.basename ? new RegExp(`^${[...ns, reg.basename].map(escapeRegExp).join(':')}-.+$`) : null;
      add(`${prefix}${base}(?:/.*)?`, name, viewOf(mod, reg.viewset), mod, reg.at);
    }
  };

  const add = (source: string, name: RegExp | null, view: string | null, mod: UrlModule, at: Node) => {
    // a group repeated that repeats inside (`(a+)+`) can take exponential time on a path that almost
    // matches: such a route is left out rather than risk the analysis hanging
    if (NESTED_QUANTIFIER.test(source)) return;
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${source})$`);
    } catch {
      return; // a Python pattern JavaScript cannot read
    }
    out.push({ pattern, name, view, file: mod.file, line: at.startPosition.row });
  };

  visitModule(urlconf, '', [], 0);
  return out;
}

/** The route a request for `path` reaches (its query and fragment left out), the first that matches. */
export function routeOfPath(routes: readonly Route[], path: string): Route | null {
  const bare = path
    .replace(/[?#].*$/s, '')
    .replace(/^https?:\/\/[^/]+/, '')
    .replace(/^\//, '');
  return routes.find(r => r.pattern.test(bare)) ?? null;
}

/** The route `reverse(name)` builds a path for. */
export function routeNamed(routes: readonly Route[], name: string): Route | null {
  return routes.find(r => r.name?.test(name)) ?? null;
}

interface Registration {
  prefix: string;
  viewset: Node;
  basename: string | null;
  at: Node;
}

interface ModuleUrls {
  /** module-level lists of patterns by name (`urlpatterns` among them), their elements in order */
  lists: Map<string, Node[]>;
  /** DRF routers by name, with what is registered on each */
  routers: Map<string, Registration[]>;
  appName: string | null;
}

/** What a URLconf module binds at its level: its lists of patterns, its routers, its `app_name`. */
function readModule(mod: UrlModule): ModuleUrls {
  const facts: ModuleUrls = { lists: new Map(), routers: new Map(), appName: null };
  const extend = (name: string, value: Node, replace: boolean) => {
    const items = replace ? [] : (facts.lists.get(name) ?? []);
    items.push(...patternItems(value, facts));
    facts.lists.set(name, items);
  };
  for (const stmt of moduleLevelStatements(mod.root)) {
    const expr = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : null;
    if (!expr) continue;
    if (expr.type === 'assignment') {
      const left = expr.childForFieldName('left');
      const right = expr.childForFieldName('right');
      if (left?.type !== 'identifier' || !right) continue;
      if (left.text === 'app_name') facts.appName = stringOf(right);
      else if (right.type === 'call' && /Router$/.test(lastName(right.childForFieldName('function')) ?? ''))
        facts.routers.set(left.text, []);
      else if (left.text === 'urlpatterns' || isPatternList(right)) extend(left.text, right, true);
    } else if (expr.type === 'augmented_assignment') {
      const left = expr.childForFieldName('left');
      const right = expr.childForFieldName('right');
      if (left?.type === 'identifier' && right && facts.lists.has(left.text)) extend(left.text, right, false);
    } else if (expr.type === 'call') {
      const fn = expr.childForFieldName('function');
      if (fn?.type !== 'attribute') continue;
      const owner = fn.childForFieldName('object')?.text ?? '';
      const method = fn.childForFieldName('attribute')?.text;
      const args = positionalArguments(expr);
      if (method === 'register' && facts.routers.has(owner)) {
        const [prefix, viewset] = args;
        const basename = keywordArgument(expr, 'basename') ?? keywordArgument(expr, 'base_name') ?? args[2];
        const p = prefix && stringOf(prefix);
        if (p !== null && p !== undefined && viewset)
          facts.routers
            .get(owner)
            ?.push({ prefix: p, viewset, basename: basename ? stringOf(basename) : null, at: expr });
      } else if (facts.lists.has(owner) && (method === 'append' || method === 'extend' || method === 'insert')) {
        const value = method === 'insert' ? args[1] : args[0];
        if (!value) continue;
        if (method === 'extend') extend(owner, value, false);
        else if (method === 'append') facts.lists.get(owner)?.push(value);
        else facts.lists.get(owner)?.unshift(value);
      }
    }
  }
  return facts;
}

/** The entries a pattern list holds: `[...]`, `a + b`, `i18n_patterns(...)`, `router.urls`, a list's name. */
function patternItems(value: Node, facts: ModuleUrls): Node[] {
  if (value.type === 'list' || value.type === 'tuple')
    // `[..., *urlpatterns]`: the list's value so far (`urlpatterns = [debug, *urlpatterns]`)
    return value.namedChildren.flatMap(c => {
      const inner = c?.type === 'list_splat' ? c.namedChildren[0] : null;
      return inner?.type === 'identifier' && facts.lists.has(inner.text)
        ? [...(facts.lists.get(inner.text) ?? [])]
        : c
          ? [c]
          : [];
    });
  if (value.type === 'parenthesized_expression') {
    const inner = value.namedChildren[0];
    return inner ? patternItems(inner, facts) : [];
  }
  if (value.type === 'binary_operator') {
    const left = value.childForFieldName('left');
    const right = value.childForFieldName('right');
    return [...(left ? patternItems(left, facts) : []), ...(right ? patternItems(right, facts) : [])];
  }
  if (value.type === 'identifier') return facts.lists.get(value.text) ?? [value];
  // `router.urls`, `i18n_patterns(...)`, `static(...)`: read as an entry
  return [value];
}

/** A value that is a list of URL patterns: a list (or sum) with a `path()`/`re_path()`/`url()`/`include` in it. */
function isPatternList(value: Node): boolean {
  return (
    /^(list|binary_operator|call)$/.test(value.type) &&
    /\b(re_path|path|url|include|i18n_patterns)\s*\(/.test(value.text)
  );
}

/** The qualified name of the view a route names: `X.as_view()`'s class, a viewset, a function. */
function viewOf(mod: UrlModule, node: Node): string | null {
  let target: Node | null = node;
  if (node.type === 'call') {
    const fn = node.childForFieldName('function');
    if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'as_view') return null;
    target = fn.childForFieldName('object');
  }
  if (!target || (target.type !== 'identifier' && target.type !== 'attribute')) return null;
  if (target.type === 'identifier' && (mod.classes.has(target.text) || mod.functions.has(target.text)))
    return `${mod.name}.${target.text}`;
  return mod.names.resolve(target) ?? null;
}

/** A string literal's value, implicit concatenation included (`r"^api/" "v1/"`). */
function stringOf(node: Node): string | null {
  if (node.type === 'concatenated_string') {
    let out = '';
    for (const c of node.namedChildren) {
      const v = c && stringValue(c);
      if (v === null || v === undefined) return null;
      out += v;
    }
    return out;
  }
  return stringValue(node);
}

function lastName(fn: Node | null): string | null {
  if (!fn) return null;
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? null;
  return null;
}

/** A `path()` route as a regular expression: literal text, and each `<conv:name>` as its converter matches. */
export function pathRegex(route: string): string {
  let out = '';
  let last = 0;
  for (const m of route.matchAll(/<(?:(\w+):)?(\w+)>/g)) {
    out += escapeRegExp(route.slice(last, m.index)) + (CONVERTERS[m[1] ?? 'str'] ?? CONVERTERS.str);
    last = (m.index ?? 0) + m[0].length;
  }
  return out + escapeRegExp(route.slice(last));
}

/** A `re_path()`/`url()` regex as JavaScript reads it: no leading `^`, named groups unnamed. */
export function regexSource(regex: string): string {
  return regex
    .replace(/^\^/, '')
    .replace(/\(\?P<\w+>/g, '(?:')
    .replace(/\(\?P=\w+\)/g, '[^/]+')
    .replace(/\\Z$/, '$');
}

function exactName(ns: readonly string[], name: string): RegExp {
  return new RegExp(`^${[...ns, name].map(escapeRegExp).join(':')}$`);
}
