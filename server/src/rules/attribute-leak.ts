// XT071: writes to attributes and entries of imported modules and classes, left for later tests (split from
// XT070; off by default: see its optIn).
import { addParameter, insertBefore } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext } from '../engine/rule';
import { constantText, emptyContainerText, field, isConstant, positionalArguments, stringValue } from '../syntax/nodes';
import { escapeRegExp } from '../syntax/text';
import { builtFromPk, pksMoveOn } from './lib/primaryKeys';
import { setupWriteReachesReaders } from './lib/readers';
import { thisProcess } from './lib/process';

/** attributes only mocks have: setting them configures a mock, not the object it replaced */
const MOCK_ATTRIBUTES = new Set(['return_value', 'side_effect']);
/**
 * State that is set again before anything reads it: Django's outbox (before every test), the output
 * streams (a replaced one changes what later tests print, never what they assert on: a test that
 * checks output captures its own), django-tenants' `connection.tenant` (set for each request and
 * each tenant test case)
 */
const FRAMEWORK_RESETS = new Set([
  'django.core.mail.outbox',
  'sys.stdout',
  'sys.stderr',
  'django.db.connection.tenant',
]);
/**
 * What pytest puts back before or after each test, beyond the above: `sys.stdin` (its output capture),
 * the sites framework's Site cache (pytest-django's autouse fixture empties it)
 */
const PYTEST_RESETS = new Set(['sys.stdin', 'django.contrib.sites.models.SITE_CACHE']);

/** Whether `qualified` is set again before every test, so nothing a test leaves there reaches the next. */
function resetForEachTest(ctx: RuleContext, qualified: string): boolean {
  return FRAMEWORK_RESETS.has(qualified) || (PYTEST_RESETS.has(qualified) && !!ctx.project?.usesPytest);
}

export default createRule({
  id: 'XT071',
  name: 'attribute-leak',
  severity: 'warning',
  fix: 'sometimes',
  optIn:
    'Read on suites nobody had tuned it on (rounds 12 to 18, 56 and 57 of docs/accuracy.md, 124 suites), 8 of ' +
    'the 183 findings read were a hazard a test could see: the attribute is left replaced, but almost always every test ' +
    'that reaches the code reading it sets the value first. Select it when hunting an order-dependent ' +
    'failure; XT070 keeps the process-wide switches (language, time zone, signals, logging, sys.path, cwd).',
  summary:
    'A test replaces an attribute of an imported module or class, or an entry of an imported container, and leaves it replaced',
  table: {
    finds:
      'Assignment to an attribute of an imported module or class (`conf.RETRIES = 5`, `Gateway.timeout = 1`) or to an entry of an imported container (`REGISTRY["key"] = value`), not restored',
    fix: 'Safe in pytest: `monkeypatch.setattr` / `monkeypatch.setitem`; unsafe in unittest: `addCleanup(setattr, ...)`',
  },
  docs: {
    what:
      'An attribute of an imported module or class replaced in a test, setUp hook or fixture and not restored ' +
      '(`conf.RETRIES = 5`, `SomeClass.attr = ...`, `TestCase.tearDown = ...`, `task.model.objects.get = Mock()`), ' +
      'or an entry written into a container imported from another module (`REGISTRY["key"] = value`, ' +
      'deeper, or through an attribute: `client._options["x"] = y`); settings and `os.environ` are XT040 and ' +
      'XT050. Only what really undoes the change counts as restoring it: the attribute assigned again, ' +
      "`setattr`/`delattr` or `del` where undoing belongs (a `finally`, tearDown, after a fixture's `yield`, " +
      '`addCleanup`), an entry put back from `old = CONF.pop("x", None)`. ' +
      'Not reported: configuring a mock (`return_value`, `side_effect`); what is set again before every test ' +
      "(Django's `mail.outbox`, emptied before every test whether the test replaces or changes it; " +
      '`sys.stdout` and `sys.stderr`, whose replacement changes what later tests print, not what they assert ' +
      "on; django-tenants' `connection.tenant`, set for each request and tenant test case; under pytest " +
      "`sys.stdin`, which its capture puts back, and the sites framework's `SITE_CACHE`, which pytest-django " +
      'empties). ' +
      'A write that is the last statement of a `pytest.raises` or `assertRaises` block never completes in a ' +
      "passing test (a frozen object's `CONSTANTS.LENGTH = 20`). What a fixture around the test puts back " +
      'after each test (an autouse fixture of the module, or one the test requests, that after its `yield` ' +
      'assigns it again, or empties or refills the container: `SESSIONS.clear()`, `LIMITS.update(saved)`) ' +
      'does not leak. ' +
      'What the test patches (`@patch("app.payments.LIMITS")`, `patch.object`, `patch.dict`, on the test, its ' +
      'class or in a `with` around the write) is put back by the patch, and an entry the test removes again ' +
      "(`del`, `pop`, `clear()`) is gone before it ends; an entry under a primary key of the test's own rows " +
      "(`MAP[self.challenge.id] = ...`) is one no later test finds where the database's sequences move on " +
      '(not SQLite, no `reset_sequences`). ' +
      "Assigning an attribute the value the project's own module gives it (`RETRIES = 3`, " +
      '`getattr(settings, "X", False)`, a class body\'s `_loaded = False`, what `__init__` gives an instance ' +
      'the module makes, where the class fills it when it finds it so: `FLAGS.client = None` for ' +
      '`FLAGS = FeatureFlags()` with `if self.client is None:`, a new empty container for one the ' +
      'module starts empty: `HANDLERS = []` for `HANDLERS = list()`) changes nothing. Attributes of what the ' +
      "project's test modules define (a test double in `tests/doubles.py`) are read only by the tests that " +
      'use it, each of which sets what it needs. A helper of the module that tests call only to put things ' +
      "back (in a `finally`, a tearDown, after a `yield`, through `addCleanup`), or that saves the attribute's " +
      'value and returns it to its caller, does not leak it. An attribute or entry written in a setup hook ' +
      "(`setUp`, `setUpClass`, ...) is its class's configuration, given again before each of its tests: it is " +
      'reported only where a test of another class of the same module (or a module-level test) names it (or ' +
      'the object holding it) and never sets it, or where the class has no tests of its own (a base class ' +
      'others derive from); a module-level hook (`setup_module`) runs before every test of its module.',
    why:
      'A module or class lives as long as the process, not the test. The next test in the same xdist worker ' +
      'runs with the replaced value, and passes or fails depending on which tests ran before it.',
    incident:
      'Ascender: six unit tests assigned a Mock straight onto a model manager (`task.model.objects.get = ' +
      'mock.Mock(...)`) and never restored it; whichever test files later shared the xdist worker failed, ' +
      'with errors from MagicMock JSON to foreign-key violations. The fix: patches that undo themselves.',
    incidentUrl: 'https://github.com/ctrliq/ascender/pull/388',
    example: [
      'def test_sandbox_gateway(client):',
      '    payments.GATEWAY_URL = "https://sandbox.example"   # XT071',
      '',
      '# fixed',
      'def test_sandbox_gateway(client, monkeypatch):',
      '    monkeypatch.setattr(payments, "GATEWAY_URL", "https://sandbox.example")',
    ].join('\n'),
    fixSafety:
      'In pytest tests `monkeypatch.setattr(..., raising=False)` / `monkeypatch.setitem` replace the write ' +
      '(safe: monkeypatch restores exactly what was there, or removes what was not; `raising=False` lets it ' +
      'create an attribute the object does not have yet, as the assignment did). In unittest classes an ' +
      '`addCleanup(setattr, obj, "name", obj.name)` goes before the write (unsafe: the attribute may not have ' +
      'existed). No fix for a write in a function nested in the test (a callback), which runs when something ' +
      "calls it, nor for an item of Django's `caches`, `connections` or `storages`, which have no `.get` for " +
      'monkeypatch to save the old item with. Otherwise no fix.',
  },
  create(ctx) {
    return {
      assignment(node) {
        const left = node.childForFieldName('left');
        if (left?.type === 'subscript') return itemAssignment(ctx, node, left);
        if (left?.type !== 'attribute') return;
        const object = field(left, 'object');
        const q = ctx.names.resolve(object);
        if (!q || q === 'django.conf.settings' || q === 'os.environ' || q.startsWith('django.conf.settings.')) return;
        const attr0 = left.childForFieldName('attribute')?.text ?? '';
        // configuring a mock (whatever installed it), and state set again before anything reads it
        if (MOCK_ATTRIBUTES.has(attr0) || resetForEachTest(ctx, `${q}.${attr0}`)) return;
        const owner = ctx.testing.owner(node);
        if (!owner || ctx.testing.isUndoing(node, owner.fn) || ctx.testing.isWideFixture(owner.fn)) return;
        if (ctx.testing.neverCompletes(node, owner.fn)) return;
        // a test double (or other code of the project's tests): read only by the tests using it, which set it
        if (ctx.project?.definedInTests(q)) return;
        const attr = field(left, 'attribute').text;
        const value = node.childForFieldName('right');
        const undo = new RegExp(
          `${escapeRegExp(left.text)}\\s*=[^=]|(del|set)attr\\s*[(,]\\s*${escapeRegExp(object.text)}\\s*,\\s*["']${attr}["']|del\\s+${escapeRegExp(left.text)}\\b`,
        );
        // a helper its tests call to put things back, or one that hands the saved original to its caller
        if (
          owner.role === 'helper' &&
          (ctx.testing.calledOnlyToUndo(owner.fn) || ctx.testing.returnsSaved(owner.fn, node, left.text))
        )
          return;
        // the class, or a base, resets the whole object after each test (`settings.revert()` in tearDown)
        const cls = ctx.defs.methodClass(owner.fn);
        if (cls && ctx.testing.objectsReverted(cls).has(q)) return;
        if (
          ctx.testing.restores(owner.fn, undo, node) ||
          ctx.testing.isPutBack(owner.fn, left.text, value) ||
          ctx.testing.writtenBefore(owner.fn, left.text, node) ||
          patchedDuring(ctx, owner.fn, node, `${q}.${attr}`) ||
          ctx.testing.fixtureResets(owner.fn, left.text)
        )
          return;
        // the value the project's own module gives it where it is defined (a new empty container for one
        // it starts empty: later tests see it as if fresh): a change to nothing
        const given = value && (emptyContainerText(value) ?? (isConstant(value) ? constantText(value) : null));
        if (given && ctx.project?.attributeDefault(`${q}.${attr}`) === given) return;
        // emptying shared state in setUp is a reset before the test, not a change that leaks out of it
        if (owner.role === 'hook' && value && emptyContainerText(value)) return;
        // a setup hook's write is its class's configuration: reported where a test of another class reads it unset
        if (owner.role === 'hook' && !setupWriteReachesReaders(ctx, owner.fn, attr, object.text.split('.').pop()))
          return;
        const stmt = node.parent?.type === 'expression_statement' ? node.parent : null;
        let fix: Fix | null = null;
        // a write in a function nested in the test (a callback baserow's fixture hands `on_commit`) runs
        // when something calls it, not under the test's monkeypatch
        const direct = ctx.defs.enclosingFunction(node)?.id === owner.fn.id;
        if (stmt && value && direct && ctx.testing.takesFixtures(owner.fn)) {
          // raising=False: like the assignment, it also creates an attribute that is not there yet
          // (baserow's throttle `rate`, set per instance by DRF), and removes it again afterwards
          fix = Fix.safe(`Use monkeypatch.setattr (it restores ${left.text})`, [
            ...addParameter(ctx, owner.fn, 'monkeypatch'),
            Edit.replace(
              stmt.startIndex,
              stmt.endIndex,
              `monkeypatch.setattr(${object.text}, ${JSON.stringify(attr)}, ${value.text}, raising=False)`,
            ),
          ]);
        } else if (stmt && direct && ctx.testing.cleanupHolder(owner.fn)) {
          fix = Fix.unsafe(`Restore ${left.text} with addCleanup`, [
            insertBefore(
              ctx,
              stmt,
              `${ctx.testing.cleanupHolder(owner.fn)}(setattr, ${object.text}, ${JSON.stringify(attr)}, ${left.text})`,
            ),
          ]);
        }
        ctx.report({
          node,
          message: `${left.text} is replaced for the whole process: every later test in ${thisProcess(ctx)} sees the new value`,
          fix,
        });
      },
    };
  },
});

/**
 * `CONFIG["key"] = value` (or deeper, or through an attribute: `client._options["x"] = y`) where the
 * container is imported from another module: a process-wide registry or configuration, changed for
 * every later test. Not settings or os.environ (XT040, XT050), not mocks.
 */
function itemAssignment(ctx: RuleContext, node: Node, left: Node): void {
  let root: Node | null = left;
  let sawAttribute = false;
  while (root?.type === 'subscript' || root?.type === 'attribute') {
    if (root.type === 'attribute') {
      if (MOCK_ATTRIBUTES.has(root.childForFieldName('attribute')?.text ?? '')) return;
      sawAttribute = true;
    }
    root = root.childForFieldName(root.type === 'subscript' ? 'value' : 'object');
  }
  if (root?.type !== 'identifier') return;
  const q = ctx.names.resolve(root);
  if (!q || /^(django\.conf\.settings|os\.environ)\b/.test(q) || /^(os|sys)$/.test(q)) return;
  const owner = ctx.testing.owner(node);
  if (!owner || ctx.testing.isUndoing(node, owner.fn) || ctx.testing.isWideFixture(owner.fn)) return;
  if (ctx.testing.neverCompletes(node, owner.fn)) return;
  if (ctx.project?.definedInTests(q)) return;
  const container = left.childForFieldName('value');
  const key = left.childForFieldName('subscript');
  const value = node.childForFieldName('right');
  if (!container || !key || !value) return;
  // restored: patch.dict around it, monkeypatch, or the container written again where undoing belongs
  if (/patch\.dict\s*\(/.test(owner.fn.text) && owner.fn.text.includes(root.text)) return;
  // a container the test's `@patch(...)` replaced: the writes go to the patch's object, dropped when it ends
  let patchable: Node = container;
  while (patchable.type === 'subscript') patchable = field(patchable, 'value');
  const containerName = ctx.names.resolve(patchable);
  if (containerName && patchedDuring(ctx, owner.fn, node, containerName)) return;
  // a fixture around the test empties or refills it after each test
  if (ctx.testing.fixtureResets(owner.fn, patchable.text)) return;
  // set again before anything reads it: by Django before every test, or by pytest-django (SITE_CACHE)
  if (containerName && resetForEachTest(ctx, containerName)) return;
  if (ctx.testing.restores(owner.fn, container.text, node)) return;
  // the item written again later (set, then reset), or this write putting back a value saved from it
  const item = left.text;
  if (
    ctx.testing.restores(owner.fn, new RegExp(`${escapeRegExp(item)}\\s*=[^=]`), node) ||
    ctx.testing.isPutBack(owner.fn, item, value) ||
    ctx.testing.writtenBefore(owner.fn, item, node)
  )
    return;
  if (owner.role === 'hook' && emptyContainerText(value)) return;
  if (owner.role === 'hook' && !setupWriteReachesReaders(ctx, owner.fn, patchable.text.split('.').pop() ?? '')) return;
  // `old = CONF[a].pop("x", None)` (or `.get`) earlier, and this puts it back: the restore, not the change
  if (value.type === 'identifier' && savedFromContainer(owner.fn, node, value.text, container, key)) return;
  // an entry under a primary key of the test's own rows (`MAP[self.challenge.id]`): where the database's
  // sequences move on, no later test makes a row with that key, so none finds the entry
  const cls = ctx.defs.methodClass(owner.fn);
  const scopes = [owner.fn, ...(cls ? ctx.testing.setupHooksOf(cls) : [])];
  if (pksMoveOn(ctx) && builtFromPk(key, scopes)) return;
  const stmt = node.parent?.type === 'expression_statement' ? node.parent : null;
  // monkeypatch.setitem reads the old item with `.get`, which Django's connection handlers lack
  // (`caches["x"] = mock`: cas-registration), so no fix there
  const fix =
    stmt && !sawAttribute && ctx.testing.takesFixtures(owner.fn) && !NOT_DICTS.has(containerName ?? '')
      ? Fix.safe(`Use monkeypatch.setitem (it restores ${container.text}[${key.text}])`, [
          ...addParameter(ctx, owner.fn, 'monkeypatch'),
          Edit.replace(
            stmt.startIndex,
            stmt.endIndex,
            `monkeypatch.setitem(${container.text}, ${key.text}, ${value.text})`,
          ),
        ])
      : null;
  ctx.report({
    node,
    message: `${container.text}[${key.text}] is changed for the whole process (${root.text} comes from ${q.includes('.') ? q.slice(0, q.lastIndexOf('.')) : q}): every later test in ${thisProcess(ctx)} sees it`,
    fix,
  });
}

/** Django's handlers indexed by alias: `[...]` works on them, `.get` does not */
const NOT_DICTS = new Set(['django.core.cache.caches', 'django.db.connections', 'django.core.files.storage.storages']);

/** Whether `fn`, before `node`, saved `name = container.pop(key...)` or `.get(key...)` (spacing aside). */
function savedFromContainer(fn: Node, node: Node, name: string, container: Node, key: Node): boolean {
  const squeeze = (t: string) => t.replace(/\s+/g, '');
  const before = squeeze(fn.text.slice(0, node.startIndex - fn.startIndex));
  const saved = `${name}=${squeeze(container.text)}.`;
  return [`${saved}pop(${squeeze(key.text)}`, `${saved}get(${squeeze(key.text)}`].some(t =>
    new RegExp(`(?:^|[^\\w.])${escapeRegExp(t)}[,)]`).test(before),
  );
}

const PATCHER = /(^|\.)patch(\.object|\.dict)?$/;

/**
 * Whether `target` (a qualified name) is patched while `node` runs: `@patch("a.b.X")`,
 * `@patch.object(b, "X")` or `@patch.dict("a.b.X")` on the test or its class, or a `with` of one around
 * `node`. The patch puts the original back when the test ends, whatever the test wrote to it.
 */
function patchedDuring(ctx: RuleContext, fn: Node, node: Node, target: string): boolean {
  const cls = ctx.defs.methodClass(fn);
  const patchers = [
    ...ctx.defs.decorators(fn),
    ...(cls ? ctx.defs.decorators(cls) : []),
    ...ctx.testing.withContextsAround(node, fn),
  ];
  return patchers.some(p => {
    if (p.type !== 'call') return false;
    const kind = PATCHER.exec(field(p, 'function').text);
    const [first, second] = positionalArguments(p);
    if (!kind || !first) return false;
    const named =
      kind[2] === '.object'
        ? `${ctx.names.resolve(first) ?? first.text}.${second ? stringValue(second) : ''}`
        : (stringValue(first) ?? ctx.names.resolve(first));
    return !!named && (target === named || target.startsWith(`${named}.`));
  });
}
