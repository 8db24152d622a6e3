import { insertBefore } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import { bodyStatements, defName, field, parameterNames, walk } from '../syntax/nodes';
import { afterLineBreak, lineEndOf, lineStartOf } from '../syntax/text';

const OVERRIDES = ['django.test.override_settings', 'django.test.modify_settings'];

export default createRule({
  id: 'XT041',
  name: 'mixed-settings-override',
  optIn:
    'Read on suites nobody had tuned it on (rounds 5 to 19 of docs/accuracy.md), none of its 14 findings ' +
    "was a hazard a test could see: the race is real and leaves the decorator's values behind, but every " +
    'later test that reads them set them first. Select it to audit a suite by hand.',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A test overrides settings with both @override_settings and the pytest-django settings fixture',
  table: {
    finds:
      'A test using both `@override_settings` / `modify_settings` and the pytest-django `settings` fixture: their teardowns race',
    fix: "Unsafe: move the decorator's values into the fixture",
  },
  docs: {
    what:
      'One test (or its class) using both `@override_settings` / `modify_settings` (as a decorator or a `with` ' +
      'block) and the pytest-django `settings` fixture, which it writes to (`settings.X = ...`). An empty ' +
      '`@override_settings()` overrides nothing and does not count.',
    why:
      'Each mechanism restores what it saw when it started. Interleaved, their teardowns run in an order ' +
      'neither expects: the fixture restores the value @override_settings put in place, or the other way ' +
      'round, and a value stays pinned for the rest of the worker.',
    incident:
      'djust: one test used `@override_settings`, the pytest-django `settings` fixture and a write in a ' +
      'fixture; the restorations raced and left `ROOT_URLCONF` pinned for the rest of the worker, breaking ' +
      'an unrelated test class under `-n auto`. The fix moved every change onto the `settings` fixture.',
    incidentUrl: 'https://github.com/djust-org/djust/pull/1874',
    example: [
      '@override_settings(LANGUAGE_CODE="fr")',
      'def test_greeting(settings):              # XT041',
      '    settings.TIME_ZONE = "Europe/Paris"',
      '',
      '# fixed',
      'def test_greeting(settings):',
      '    settings.LANGUAGE_CODE = "fr"',
      '    settings.TIME_ZONE = "Europe/Paris"',
    ].join('\n'),
    fixSafety:
      'Unsafe: moves the keyword arguments of an `@override_settings(...)` on the test function into ' +
      '`settings.X = ...` statements at the top of its body. The values are then evaluated inside the test, ' +
      'not at import time. No fix for class decorators, `modify_settings` or `with` blocks.',
  },
  create(ctx): Listeners {
    if (!ctx.file.mentions('settings')) return {}; // the settings fixture and override_settings both need it
    return {
      function_definition(fn) {
        // only a fixture that changes something has something to restore at the wrong moment
        if (!ctx.testing.isTestFunction(fn) || !parameterNames(fn).includes('settings') || !writesThroughFixture(fn))
          return;
        const own = ctx.defs.decorators(fn).filter(d => isOverride(ctx, d));
        const cls = ctx.defs.methodClass(fn);
        const inherited = cls ? ctx.defs.decorators(cls).some(d => isOverride(ctx, d)) : false;
        const inBody = usesOverrideInBody(ctx, fn);
        if (own.length === 0 && !inherited && !inBody) return;
        ctx.report({
          node: field(fn, 'name'),
          message: `${defName(fn)} overrides settings through both the pytest-django settings fixture and ${own.length || inherited ? '@override_settings' : 'override_settings()'}: their teardowns race, and a value can stay set for the rest of the worker`,
          fix: !inherited && !inBody && own.length === 1 ? moveIntoFixture(ctx, fn, own[0]) : null,
        });
      },
    };
  },
});

function writesThroughFixture(fn: Node): boolean {
  return /(^|[^\w.])settings\.\w+(\[[^\]]*\])*\s*([-+*|&]?=(?!=))|\bdel\s+settings\./m.test(field(fn, 'body').text);
}

function isOverride(ctx: RuleContext, node: Node | null): boolean {
  const target = node?.type === 'call' ? node.childForFieldName('function') : node;
  // an empty `@override_settings()` overrides nothing: nothing of it can stay behind
  const empty = node?.type === 'call' && (node.childForFieldName('arguments')?.namedChildren.length ?? 0) === 0;
  return !!target && !empty && ctx.names.is(target, ...OVERRIDES);
}

function usesOverrideInBody(ctx: RuleContext, fn: Node): boolean {
  let found = false;
  walk(
    field(fn, 'body'),
    n => {
      if (!found && isOverride(ctx, n)) found = true;
      return !found;
    },
    CALLS,
  );
  return found;
}
const CALLS = new Set(['call']);

function moveIntoFixture(ctx: RuleContext, fn: Node, decorator: Node): Fix | null {
  const fnName = decorator.childForFieldName('function');
  if (!fnName || !ctx.names.is(fnName, 'django.test.override_settings')) return null;
  const args =
    decorator.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
  if (args.length === 0 || args.some(a => a.type !== 'keyword_argument')) return null;
  const first = bodyStatements(fn)[0];
  if (!first) return null;
  // comments among the decorators: which line goes with which is a person's call (found by the fuzz suite)
  if (ctx.defs.statement(fn).namedChildren.some(c => c?.type === 'comment')) return null;
  // the `@...` line(s): from the decorator node's start (the @) to the next line
  const at = decorator.parent; // the `decorator` node
  if (!at) return null;
  const { text } = ctx.file;
  const lineStart = lineStartOf(text, at.startIndex);
  const lineEnd = afterLineBreak(text, lineEndOf(text, at.endIndex));
  const assignments = args.map(a => `settings.${field(a, 'name').text} = ${field(a, 'value').text}`);
  return Fix.unsafe('Move the overrides into the settings fixture', [
    Edit.replace(lineStart, lineEnd, ''),
    ...assignments.map(line => insertBefore(ctx, first, line)),
  ]);
}
