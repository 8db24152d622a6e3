// Where a test's request goes, read the way people write it: a path literal, an f-string whose holes
// are constants or ids, a sum of strings, `reverse("ns:name")`, a local or a class attribute set to one;
// and, read the same ways, the string a test's argument surely is.
import type { RuleContext } from '../../engine/rule';
import type { Node } from '../../syntax/parser';
import {
  assignedValues,
  classValues,
  keywordArgument,
  moduleValue,
  positionalArguments,
  stringValue,
} from '../../syntax/nodes';

export type RequestTarget = { path: string } | { name: string };

/** functions that turn a route's name into its path */
const REVERSE = new Set([
  'django.urls.reverse',
  'django.urls.reverse_lazy',
  'django.core.urlresolvers.reverse',
  'rest_framework.reverse.reverse',
  'django.shortcuts.resolve_url',
]);
/** how deep a value is followed through names */
const MOST_STEPS = 4;
/** what stands for a hole of an f-string that is not a constant: an id matches `<int:pk>` and `<str:x>` alike */
const HOLE = '1';

/** The path test-client call `call` requests, or the route name it reverses; null when it cannot be read. */
export function requestTarget(ctx: RuleContext, call: Node): RequestTarget | null {
  const arg = positionalArguments(call)[0] ?? keywordArgument(call, 'path');
  return arg ? targetOf(ctx, arg, call, 0, true) : null;
}

/**
 * The string `node` surely is, read the same ways (a literal, a local or module constant, `self.x` the
 * class sets once): `activate(self.language)` where setUp sets `self.language = "fr"`. Null when any
 * part of it is not known.
 */
export function constantString(ctx: RuleContext, node: Node): string | null {
  const value = targetOf(ctx, node, node, 0, false);
  return value && 'path' in value ? value.path : null;
}

/** `holes`: an f-string's hole that is not a constant stands for an id (a path); else the string is unknown */
function targetOf(ctx: RuleContext, node: Node, at: Node, steps: number, holes: boolean): RequestTarget | null {
  if (steps > MOST_STEPS) return null;
  switch (node.type) {
    case 'parenthesized_expression': {
      const inner = node.namedChildren[0];
      return inner ? targetOf(ctx, inner, at, steps, holes) : null;
    }
    case 'string': {
      const plain = stringValue(node);
      if (plain !== null) return { path: plain };
      if (/^[a-z]*b/i.test(node.text)) return null;
      let path = '';
      for (const part of node.namedChildren) {
        if (!part) continue;
        if (part.type === 'string_content' || part.type === 'escape_sequence') path += part.text;
        else if (part.type === 'interpolation') {
          const hole = part.namedChildren[0];
          const value = hole ? targetOf(ctx, hole, at, steps + 1, holes) : null;
          if (!(value && 'path' in value) && !holes) return null;
          path += value && 'path' in value ? value.path : HOLE;
        }
      }
      return { path };
    }
    case 'concatenated_string':
    case 'binary_operator': {
      if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text !== '+') return null;
      let path = '';
      for (const part of node.namedChildren) {
        const value = part && targetOf(ctx, part, at, steps + 1, holes);
        if (!value || !('path' in value)) return null;
        path += value.path;
      }
      return { path };
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const q = fn && ctx.names.resolve(fn);
      if (!q || !REVERSE.has(q)) return null;
      const name = positionalArguments(node)[0] ?? keywordArgument(node, 'viewname');
      const value = name && stringValue(name);
      return value ? { name: value } : null;
    }
    case 'identifier': {
      // the value the test gave the name before the request, or the module's constant
      const fn = ctx.defs.enclosingFunction(at);
      const local = fn ? assignedValues(fn, node.text, at) : [];
      const value = local.at(-1) ?? moduleValue(node.tree.rootNode, node.text);
      return value ? targetOf(ctx, value, value, steps + 1, holes) : null;
    }
    case 'attribute': {
      // `self.url`: the class body's `url = ...`, or the one `self.url = ...` in the class's methods
      const object = node.childForFieldName('object')?.text;
      const attr = node.childForFieldName('attribute')?.text ?? '';
      const fn = ctx.defs.enclosingFunction(at);
      const cls = fn && ctx.defs.methodClass(fn);
      if (!cls || (object !== 'self' && object !== 'cls')) return null;
      const values = classValues(cls, attr);
      return values.length === 1 && values[0] ? targetOf(ctx, values[0], values[0], steps + 1, holes) : null;
    }
    default:
      return null;
  }
}

/** a test client's request methods */
const CLIENT_METHODS = /^(get|post|put|patch|delete|head|options|trace|generic)$/;

/** Whether `callee` is a test client's request method: `self.client.get`, `api_client.post`. */
export function isClientRequest(callee: Node | null): boolean {
  return (
    callee?.type === 'attribute' &&
    CLIENT_METHODS.test(callee.childForFieldName('attribute')?.text ?? '') &&
    /client$/i.test(callee.childForFieldName('object')?.text.split('.').pop() ?? '')
  );
}
