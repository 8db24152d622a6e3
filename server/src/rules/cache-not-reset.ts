import { LOCMEM_BACKEND } from '../analysis/django';
import { clearInSetUp, exposure, mayUseCache, sharedCause, sharedKey, sharedUse } from './lib/djangoCache';
import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import type { ProjectView } from '../analysis/projectView';
import { createRule, type Listeners, type RuleContext } from '../engine/rule';
import { assignedValues, field, stringValue, walk } from '../syntax/nodes';
import { eolOf, escapeRegExp, splitLines } from '../syntax/text';
import { thisProcess } from './lib/process';

const FIXTURE_NAME = '_crosstalk_isolated_cache';

/** The autouse fixture: every test gets its own LocMemCache for every alias the settings define. */
function isolatingFixture(eol: string): string {
  return (
    [
      '@pytest.fixture(autouse=True)',
      `def ${FIXTURE_NAME}(settings, request):`,
      '    """Give every test its own in-memory cache, for every alias: no keys shared between tests or xdist workers."""',
      '    settings.CACHES = {',
      `        alias: {"BACKEND": "${LOCMEM_BACKEND}", "LOCATION": f"{request.node.nodeid}:{alias}"}`,
      '        for alias in settings.CACHES',
      '    }',
    ].join(eol) + eol
  );
}

export default createRule({
  id: 'XT003',
  name: 'cache-not-reset',
  severity: 'info',
  fix: 'sometimes',
  once: true,
  summary: 'The suite uses the Django cache and nothing gives each test its own, once for all tests',
  table: {
    finds:
      'A test module using the Django cache in a project where nothing gives every test its own (no isolating autouse fixture or base class): the once-and-for-all fix',
    fix: 'Unsafe, confirmed: an autouse fixture in the root `conftest.py` giving every test its own LocMemCache (or the shared base class, unittest-only)',
  },
  docs: {
    what:
      'A test module that uses the Django cache (as XT001 defines it) in a project where nothing gives every ' +
      'test its own cache: no autouse fixture in a conftest.py, no isolating base class, no hook that gives ' +
      'the keys a fresh prefix before each test (`cache.key_prefix = ...` in `pytest_runtest_setup`). Reported once per ' +
      'module, at its first unisolated use. Not where the cache is emptied before or after each of its ' +
      "tests (an autouse fixture, a base class) and no other process shares the keys: a cache of the process's " +
      "own, or one whose keys a conftest.py prefixes with the xdist worker's name, or one the settings the " +
      "run loads do not show (they cannot be found: nothing says another process shares it). An authenticated test's " +
      "throttling, where the user model's primary key is a UUID, is no cache use here, nor a call whose key " +
      'no other test can be seen to have (as in XT001). Within one process, a literal key no other code of ' +
      'the project names, which the test writes before it reads it (`cache.set("key", x)`, then ' +
      '`cache.get("key")`), is the test\'s own; and a key the class\'s tearDown ' +
      'deletes after each test leaves nothing for the next (one deleted before, in setUp, is a key the code ' +
      "under test fills, and what it fills stays for later tests). Within one process, a constant key the project's " +
      'own class gives the cache (`self.CACHE_KEY`), reached by two tests through its methods, is a key they share. ' +
      'Nor, on a cache each process has of its own, an ' +
      "authenticated request under the settings' DRF throttling in a test that neither names a throttle nor " +
      'expects a 429: its history counts toward a limit no test is seen to reach. And a test that requests a ' +
      'view (`reverse("name")`, or a URL literal) which another test of the module requests only after ' +
      'emptying the cache: the view keeps what it answers there, and this test gets what an earlier test ' +
      'left (not a request turned away, a redirect or a 403, which never reaches it; nor on a DatabaseCache in a ' +
      "test whose transaction is rolled back, which takes the cache's rows with it).",
    why:
      'Decorating test classes one by one (XT001) never ends: the next test that touches the cache is shared ' +
      'again. An autouse fixture in the root conftest.py isolates every test at once, including the ones not ' +
      'written yet.',
    incident:
      'openedx-platform fixed flaky xdist tests ("too many login attempts") one class at a time by ' +
      'subclassing a cache-isolating base class; the reviewer asked for a pytest hook that would do it for ' +
      "every test automatically, which is this rule's fix.",
    incidentUrl: 'https://github.com/openedx/openedx-platform/pull/19102',
    example: `# conftest.py (added by the fix)\nimport pytest\n\n\n${isolatingFixture('\n').trimEnd()}`,
    fixSafety:
      "Unsafe, and confirmed before it applies: it adds (or creates) an autouse fixture in the project's root " +
      "conftest.py using pytest-django's `settings` fixture, so every test of the suite gets its own LocMemCache " +
      'for every alias. Tests that rely on a real Redis feature, or on the cache outliving a test, change ' +
      'behaviour. In a unittest-only project it decorates the shared base class in another module instead, ' +
      'and empties that cache first thing in its setUp (one LocMemCache serves every test of every subclass), ' +
      'when there is one. Applying it again changes nothing.',
  },
  projectFix: {
    command: 'crosstalk.isolateCacheForEveryTest',
    title: 'Isolate the Django cache for every test',
    nothingToDo: 'Crosstalk: every test already has its own cache (or no pytest project was found).',
    fix: project => (project.usesPytest && !project.autouseCacheIsolation ? conftestFix(project, '\n') : null),
  },
  create(ctx): Listeners {
    const project = ctx.project;
    // a project-level finding needs a recognisable project: pytest configured, or the settings found
    if (!project || project.autouseCacheIsolation || (!project.usesPytest && !project.settings.file)) return {};
    /** reports the module's cache use by `def`, if it is one: whether it did */
    const check = (def: Node): boolean => {
      const use = sharedUse(ctx, def);
      if (!use || ctx.testing.cacheIsolated(def)) return false;
      const exposed = exposure(ctx, use.aliases);
      // nothing kept, or emptied before each test within a process that alone uses it
      if (exposed?.kind === 'none' || (exposed?.inTestDatabase && ctx.testing.rollsBack(def))) return false;
      if (use.clearOnly && exposed?.kind !== 'cross-process') return false;
      // emptied before (or after) each test where no other process reads or writes these keys
      const ownKeys = exposed?.kind !== 'cross-process' || !!exposed.keysPerWorker;
      if (ownKeys && ctx.testing.cacheReset(def)) return false;
      // within one process (or where nothing says the cache is any wider), what one test leaves matters
      // only where another can find it: a key two tests use (the throttle keys of users with the same pk)
      const inProcess = !!exposed && exposed.kind !== 'cross-process' && !exposed.lone;
      const key = inProcess && use.kind === 'cache' ? sharedKey(ctx, def) : null;
      if (inProcess && use.kind === 'cache' && !key) return false;
      // nor, within one process, does an authenticated request under the settings' throttling (no throttle,
      // no 429 in the test): its history counts toward a limit no test of the module is seen to reach
      if (inProcess && use.throttling) return false;
      ctx.report({
        // within one process, where the key another test finds is used
        node: key?.node ?? use.node,
        // (Django's runner knows no conftest.py: there, the tests' common base class is the one place)
        message: project.usesPytest
          ? 'The suite uses the Django cache and nothing gives each test its own: one autouse fixture in conftest.py isolates every test at once'
          : "The suite uses the Django cache and nothing gives each test its own: the tests' common base class can isolate every test at once",
        fix: project.usesPytest ? conftestFix(project, ctx.file.eol) : baseClassFix(ctx, def, project),
        cause: sharedCause(ctx, exposed),
      });
      return true;
    };
    return {
      class_definition(cls) {
        if (mayUseCache(ctx, cls) && ctx.testing.classKind(cls) !== 'other' && ctx.testing.isTestClass(cls)) check(cls);
      },
      function_definition(fn) {
        if (!ctx.testing.isTestFunction(fn)) return;
        if (mayUseCache(ctx, fn) && (ctx.defs.isModuleLevel(fn) || ctx.testing.takesFixtures(fn)) && check(fn)) return;
        if (ctx.file.mentions(CLEAR)) requestsWhatOthersClearFor(ctx, fn);
      },
    };
  },
});

/** Adds the fixture to the root conftest.py (creating it if need be); `import pytest` when missing. */
function conftestFix(project: ProjectView, eol: string): Fix {
  const { file, text } = project.rootConftest;
  const title = 'Isolate the cache for every test: add an autouse fixture to conftest.py';
  if (text === null)
    return Fix.unsafe(title, [
      Edit.elsewhere(file, 0, `import pytest${eol}${eol}${eol}${isolatingFixture(eol)}`, true),
    ]);
  const fileEol = text.includes('\r\n') ? '\r\n' : '\n';
  const edits: Edit[] = [];
  if (!/^import pytest\s*$/m.test(text))
    edits.push(Edit.elsewhere(file, afterPreamble(text), `import pytest${fileEol}`));
  const trimmedEnd = text.replace(/\s+$/, '').length;
  const gap = trimmedEnd === 0 ? '' : `${fileEol}${fileEol}${fileEol}`;
  edits.push({ ...Edit.elsewhere(file, trimmedEnd, `${gap}${isolatingFixture(fileEol)}`), end: text.length });
  return Fix.unsafe(title, edits);
}

/** Where a new import goes in a file we have only as text: after comments, a docstring and __future__ imports. */
function afterPreamble(text: string): number {
  const m =
    /^(?:[ \t]*(?:#[^\n]*)?\r?\n)*(?:(?:[rRuU]?"""[\s\S]*?"""|[rRuU]?'''[\s\S]*?''')[^\n]*\n)?(?:from __future__ import[^\n]*\n|[ \t]*\r?\n)*/.exec(
      text,
    );
  return m ? m[0].length : 0;
}

/** unittest-only: `@override_settings(CACHES=...)` on the shared base class another module defines. */
function baseClassFix(ctx: RuleContext, def: Node, project: ProjectView): Fix | null {
  if (def.type !== 'class_definition') return null;
  for (const base of ctx.testing.baseExpressions(def)) {
    const q = ctx.names.resolve(base);
    const info = q ? project.classInfo(q) : undefined;
    const text = info ? project.readText(info.file) : null;
    if (!info || text === null || !info.djangoTestCase) continue;
    const fileEol = eolOf(text);
    // by Python's line breaks (a lone \r too), as the tree's rows count them
    const { lines, starts } = splitLines(text);
    let at = starts[info.line] ?? text.length;
    const indent = /^[ \t]*/.exec(lines[info.line] ?? '')?.[0] ?? '';
    at += indent.length;
    // the `class` line: below any decorators it already has
    const edits = [
      Edit.elsewhere(
        info.file,
        at,
        `@override_settings(CACHES={"default": {"BACKEND": "${LOCMEM_BACKEND}", "LOCATION": "${q}"}})${fileEol}${indent}`,
      ),
    ];
    // one LOCATION for every test of every subclass: each test starts it empty
    for (const c of clearInSetUp(text, info.line, fileEol, 'cache.clear()') ?? [])
      edits.push(Edit.elsewhere(info.file, c.at, c.text));
    const imports = [];
    if (!/^from django\.core\.cache import .*\bcache\b/m.test(text))
      imports.push(`from django.core.cache import cache${fileEol}`);
    if (!/^from django\.test import .*\boverride_settings\b/m.test(text))
      imports.push(`from django.test import override_settings${fileEol}`);
    if (imports.length) edits.unshift(Edit.elsewhere(info.file, afterPreamble(text), imports.join('')));
    return Fix.unsafe(`Isolate the cache for every test of every subclass of ${q}`, edits);
  }
  return null;
}

const CLEAR = /\bcaches?\b(?:\[[^\]\n]*\])?\.clear\(\)/;
/** one RegExp object per question: the engine remembers file-wide answers by pattern */
const clearsBefore = new Map<string, RegExp>();

/**
 * A test that requests a view (`reverse("name")`, or a URL literal) which another test of the module
 * requests only after emptying the cache (pontoon: `test_view_microsoft_translator_cache` clears, then
 * asks twice and expects one upstream call): that view keeps what it answers in the cache, and this test
 * gets whatever an earlier test of the process left there. The module need not name the cache otherwise:
 * the view does the caching.
 */
function requestsWhatOthersClearFor(ctx: RuleContext, fn: Node): void {
  // a request turned away (a redirect to the login page, a 403) never reaches what the view caches
  const text = fn.text;
  if (CLEAR.test(text) || TURNED_AWAY.test(text)) return;
  // the cache emptied must be Django's: a Flask app's `app.jinja_env.cache.clear()` is its templates'
  if (ctx.names.moduleNamesReaching('django.core.cache').length === 0) return;
  const views = requestedViews(fn);
  if (!views.length || ctx.testing.cacheIsolated(fn) || ctx.testing.cacheReset(fn)) return;
  const exposed = exposure(ctx, ['default']);
  if (!exposed || exposed.kind === 'none' || exposed.kind === 'unknown') return;
  // a DatabaseCache's rows go with the test's transaction: nothing an earlier test cached is left (refinebio)
  if (exposed.inTestDatabase && ctx.testing.rollsBack(fn)) return;
  for (const { target, node } of views) {
    const t = escapeRegExp(target);
    // in one test, before the next definition: the cache emptied, then the same view requested
    const source = `\\bdef\\s+test\\w*\\((?:(?!\\n[ \\t]*(?:async\\s+)?def\\s)[\\s\\S])*?${CLEAR.source}(?:(?!\\n[ \\t]*(?:async\\s+)?def\\s)[\\s\\S])*?["']${t}["']`;
    let pattern = clearsBefore.get(source);
    if (!pattern) clearsBefore.set(source, (pattern = new RegExp(source)));
    if (!ctx.file.anyUnit(pattern)) continue;
    ctx.report({
      node,
      message: `Another test of this module empties the cache before it requests ${target}: what that view answers is cached, and this test gets whatever an earlier test of ${thisProcess(ctx)} left there`,
      fix: null,
    });
    return;
  }
}

/** The views a test requests through a test client: `reverse("name")` (itself or by a local name), a URL literal. */
function requestedViews(fn: Node): { target: string; node: Node }[] {
  const out: { target: string; node: Node }[] = [];
  walk(fn, node => {
    if (node.type !== 'call') return true;
    const callee = node.childForFieldName('function');
    if (callee?.type !== 'attribute' || !REQUEST_METHOD.test(field(callee, 'attribute').text)) return true;
    if (!/client/i.test(field(callee, 'object').text)) return true;
    const first = node.childForFieldName('arguments')?.namedChildren[0];
    const values = first?.type === 'identifier' ? assignedValues(fn, first.text, node) : first ? [first] : [];
    for (const v of values) {
      const target = v.type === 'string' ? stringValue(v) : viewName(v);
      if (target && target.length > 1) out.push({ target, node });
    }
    return true;
  });
  return out;
}
const TURNED_AWAY =
  /status_code\s*==\s*(?:30[12]|40[1345])\b|assertRedirects|HTTP_(?:30[12]|40[1345])_|assertEqual\(\s*\w+\.status_code\s*,\s*(?:30[12]|40[1345])\b/;
const REQUEST_METHOD = /^(get|post|put|patch|delete|head|options)$/;

/** `reverse("name", ...)` (or `reverse_lazy`, `resolve_url`): the view's name. */
function viewName(v: Node): string | null {
  if (v.type !== 'call' || !/(^|\.)(reverse|reverse_lazy|resolve_url)$/.test(field(v, 'function').text)) return null;
  const name = v.childForFieldName('arguments')?.namedChildren[0];
  return name ? stringValue(name) : null;
}
