import { insertAfter } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext } from '../engine/rule';
import { bodyStatements, field, walk } from '../syntax/nodes';
import { escapeRegExp, indentOf } from '../syntax/text';

const PATCHERS = new Set(['patch', 'patch.object', 'patch.dict', 'patch.multiple']);

const STARTS = /\bstart\s*\(\s*\)$/;

export default createRule({
  id: 'XT060',
  name: 'unstopped-patcher',
  optIn:
    'Read on suites nobody had tuned it on (rounds 5 to 19 of docs/accuracy.md), none of its 16 findings ' +
    'was a hazard a test could see: the mock stays, but what it replaced is reached only by tests that ' +
    'patch it again, or by none. Select it to audit a suite by hand.',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A mock patcher is started and never stopped, so the patch outlives the test',
  table: {
    finds:
      "`patch(...).start()` with no `stop()`, `addCleanup(p.stop)`, `stopall()` or stop after a fixture's `yield`: the mock outlives the test",
    fix: 'Safe: `self.addCleanup(p.stop)`; `yield` then `p.stop()` in a fixture',
  },
  docs: {
    what:
      '`p = patch(...)` (also `patch.object`, `patch.dict`, `patch.multiple`, from `unittest.mock` or `mock`) ' +
      'followed by `p.start()`, or `patch(...).start()`, with no `p.stop()`, `addCleanup(p.stop)`, ' +
      "`patch.stopall()`, stop after a fixture's `yield`, or a loop that stops every patcher of a list it was " +
      'put in (`self.patchers = [p, q]` ... `for p in self.patchers: p.stop()`), in the class or in a base ' +
      "class or mixin of the project (a mixin's tearDown that stops `self.p`), or kept as an attribute of " +
      'another object and stopped through it (`mocked.patcher = p` ... `self.mocked.patcher.stop()`).',
    why:
      'A started patcher replaces the target until it is stopped. Unstopped, the mock stays in place for every ' +
      'later test in the process: they call a mock instead of the real function, and pass or fail depending on ' +
      'which test ran first in their xdist worker.',
    incident:
      'AWX: `mock.patch()` patchers started in tests and never stopped left their mocks behind for the rest ' +
      'of the process and caused sporadic failures in other tests; the fix removed the leaky patches.',
    incidentUrl: 'https://github.com/ansible/awx/pull/1094',
    example: [
      'class SyncTests(TestCase):',
      '    def setUp(self):',
      '        self.client_patcher = patch("app.sync.Client")',
      '        self.client = self.client_patcher.start()     # XT060',
      '',
      '# fixed',
      'class SyncTests(TestCase):',
      '    def setUp(self):',
      '        self.client_patcher = patch("app.sync.Client")',
      '        self.client = self.client_patcher.start()',
      '        self.addCleanup(self.client_patcher.stop)',
    ].join('\n'),
    fixSafety:
      'Safe. In a unittest class `self.addCleanup(<patcher>.stop)` goes right after the start; in a ' +
      'fixture the `return` becomes `yield` followed by `<patcher>.stop()`. No fix for `patch(...).start()` ' +
      'without a name to stop it by.',
  },
  create(ctx) {
    return {
      call(call) {
        if (!STARTS.test(call.text)) return; // read from the text: most calls are not `x.start()`
        const fn = call.childForFieldName('function');
        if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'start') return;
        if (call.childForFieldName('arguments')?.namedChildCount) return;
        const receiver = field(fn, 'object');
        const owner = ctx.testing.owner(call);
        if (!owner) return;
        const direct = isPatcherCall(ctx, receiver);
        if (!direct && !assignedFromPatcher(ctx, owner.fn, receiver.text)) return;
        if (stopped(ctx, owner.fn, direct ? null : receiver.text)) return;
        ctx.report({
          node: call,
          message: `${direct ? 'This patch' : receiver.text} is started and never stopped: the mock stays in place for every later test in this process (this xdist worker)`,
          fix: direct ? null : stopFix(ctx, owner.fn, call, receiver.text),
        });
      },
    };
  },
});

function isPatcherCall(ctx: RuleContext, node: Node): boolean {
  if (node.type !== 'call') return false;
  const q = ctx.names.resolve(field(node, 'function'));
  if (!q) return false;
  const m = /^(?:unittest\.)?mock\.(.+)$/.exec(q);
  return !!m && PATCHERS.has(m[1]);
}

/** `name = patch(...)` somewhere in the function or its class. */
function assignedFromPatcher(ctx: RuleContext, fn: Node, name: string): boolean {
  const scope = ctx.defs.methodClass(fn) ?? fn;
  let found = false;
  walk(
    scope,
    n => {
      if (found) return false;
      const right = n.childForFieldName('right');
      if (n.childForFieldName('left')?.text === name && right && isPatcherCall(ctx, right)) found = true;
      return !found;
    },
    ASSIGNMENTS,
  );
  return found;
}
const ASSIGNMENTS = new Set(['assignment']);

/**
 * `name.stop()` or `addCleanup(name.stop)` in the class or function, or `stopall` anywhere in the
 * file; or `name` kept in a list (`self.patchers = [p, q]`, `self.patchers.append(p)`) whose every
 * item a loop stops (`for p in self.patchers: p.stop()`).
 */
function stopped(ctx: RuleContext, fn: Node, name: string | null): boolean {
  if (ctx.file.mentions(/\bstopall\b/)) return true;
  if (!name) return false;
  const scope = ctx.defs.methodClass(fn) ?? fn;
  if (scope.text.includes(`${name}.stop`)) return true;
  // a base class or mixin that stops it in its tearDown (image-injecttool's `BatchDeleteMixin`): stopping
  // it again after that raises before Python 3.8
  if (scope.type === 'class_definition' && ctx.testing.patchersStopped(scope).has(name)) return true;
  const n = escapeRegExp(name);
  // kept as an attribute of another object and stopped through it (zamboni: `solsel.patcher = solsel_patcher`,
  // then `self.solsel.patcher.stop()` in tearDown): a second stop raises before Python 3.8
  for (const [, attribute] of scope.text.matchAll(new RegExp(`\\.(\\w+)\\s*=\\s*${n}(?![\\w.])`, 'g')))
    if (attribute && new RegExp(`\\.${attribute}\\.stop\\b`).test(scope.text)) return true;
  const lists = [
    ...scope.text.matchAll(new RegExp(`([\\w.]+)\\s*=\\s*[\\[(][^\\])]*(?<![\\w.])${n}(?![\\w.])`, 'g')),
    ...scope.text.matchAll(
      new RegExp(`([\\w.]+)\\.(?:append|extend)\\(\\s*[\\[(]?[^)]*(?<![\\w.])${n}(?![\\w.])`, 'g'),
    ),
  ].flatMap(m => (m[1] ? [m[1]] : []));
  return lists.some(list =>
    new RegExp(
      `for\\s+(\\w+)\\s+in\\s+(?:reversed\\()?${escapeRegExp(list)}\\b[^\\n]*:[\\s\\S]*?\\b\\1\\.stop\\b`,
    ).test(scope.text),
  );
}

function stopFix(ctx: RuleContext, fn: Node, call: Node, name: string): Fix | null {
  let stmt: Node = call;
  while (stmt.parent && stmt.parent.type !== 'block') stmt = stmt.parent;
  if (ctx.testing.unittestClassOf(fn)) {
    return Fix.safe(`Stop ${name} with addCleanup`, [insertAfter(ctx, stmt, `self.addCleanup(${name}.stop)`)]);
  }
  if (!ctx.testing.isFixture(fn) || /\byield\b/.test(field(fn, 'body').text)) return null;
  const body = bodyStatements(fn);
  const last = body[body.length - 1];
  if (last.type === 'return_statement') {
    const value = last.namedChildren[0];
    return Fix.safe(`Yield, then stop ${name}`, [
      Edit.replace(last.startIndex, last.endIndex, `yield${value ? ` ${value.text}` : ''}`),
      insertAfter(ctx, last, `${name}.stop()`),
    ]);
  }
  if (body.some(s => /\breturn\b/.test(s.text))) return null;
  const indent = indentOf(ctx.file.text, last.startIndex);
  return Fix.safe(`Yield, then stop ${name}`, [insertAfter(ctx, last, `yield${ctx.file.eol}${indent}${name}.stop()`)]);
}
