// What the test frameworks make of a file: which definitions are tests, setUp hooks or fixtures,
// which classes are Django test cases, and which scopes have an isolated cache. Computed lazily,
// once per file and definition.
import type { Definitions } from './defs';
import { DJANGO_TEST_CASES, returnsCache, ROLLBACK_TEST_CASES } from './django';
import type { Names } from './names';
import type { ClassFacts, Located, ProjectView, SetupWrites } from './projectView';
import type { Node } from '../syntax/parser';
import {
  BLOCK_TYPES,
  bodyStatements,
  callArguments,
  defName,
  definitionOf,
  field,
  hasDictionarySplat,
  keywordArgument,
  parameterNames,
  stringValue,
  walk,
} from '../syntax/nodes';
import { escapeRegExp } from '../syntax/text';
import { marksIn } from './marks';

const ISOLATION_TYPES = new Set(['with_item', 'call', 'assignment']);
const TEARDOWN = /^(tearDown|teardown|tearDownClass|teardown_method|teardown_class|asyncTearDown)/;
/** a hook that activates or deactivates a language sets the one the next test starts in */
const SETS_LANGUAGE = /\b(?:translation\.)?(?:activate|deactivate|deactivate_all)\s*\(/;
/** A module's setup hooks (pytest's, unittest's), and the teardown hooks that undo what they did. */
export const MODULE_SETUP = /^(setup_module|setUpModule|setup_function|setup)$/;
export const MODULE_TEARDOWNS = ['teardown_module', 'tearDownModule', 'teardown_function', 'teardown'];
const UNDO_TYPES = new Set(['yield', 'finally_clause']);
/** `pytest.raises`, `self.assertRaises`, `assertRaisesRegex`, Django's `assertRaisesMessage` */
const RAISES = /(^|\.)(raises|assertRaises\w*)$/;
const RESTORE_TYPES = new Set(['finally_clause', 'call', 'yield', 'expression_statement', 'delete_statement']);
const STEP_TYPES = new Set(['call', 'assignment', 'delete_statement']);
const CLEANUP = /(^|\.)add(Class)?Cleanup$/;

/** the hooks that run around every single test (setUpClass and friends run once per class) */
const PER_TEST_HOOKS =
  /^(setUp|tearDown|_pre_setup|_post_teardown|asyncSetUp|asyncTearDown|setup_method|teardown_method)$/;
/** the hooks that run after every single test */
const AFTER_EACH_HOOKS = /^(tearDown|_post_teardown|asyncTearDown|teardown_method)$/;
/** pytest hooks a conftest.py or plugin runs around every test */
const RUNTEST_HOOKS = /^pytest_runtest_(setup|call|teardown)$/;
const CALLS = new Set(['call']);
/** a method that puts an object back as it was: `revert()`, `reset()`, `restore_defaults()` */
const REVERTS = /^(revert|reset|restore)(_\w+)?$/;
/**
 * One step that may undo a change, as `undone` hands it to its judge: a call (its callee and its
 * arguments, comments left out), or what an assignment or a `del` writes.
 */
export type Step = { callee: Node; args: Node[] } | { target: Node };

/** What resets a cache before each test: a call in this file, or a place in another. */
export interface Reset {
  by: 'base-class' | 'fixture' | 'runner' | 'test';
  node?: Node;
  at?: Located;
}

/**
 * Module-level hooks: unittest's and pytest's per-module and per-function ones, and pytest's per-test
 * hooks (conftest.py).
 */
const MODULE_HOOKS = new Set([
  'setUpModule',
  'tearDownModule',
  'setup_module',
  'teardown_module',
  'setup_function',
  'teardown_function',
  'pytest_runtest_setup',
  'pytest_runtest_call',
  'pytest_runtest_teardown',
]);

const SETUP_HOOKS = new Set([
  'setUp',
  'tearDown',
  'setUpClass',
  'tearDownClass',
  'setUpTestData',
  'asyncSetUp',
  'asyncTearDown',
  'setup_method',
  'teardown_method',
  'setup_class',
  'teardown_class',
]);

/**
 * 'django': derives (in this file) from a Django test case, so `@override_settings` can decorate it;
 * 'presumed': derives from an imported `*TestCase` we cannot see, most likely a project base class;
 * 'other': a pytest class, a `unittest.TestCase`, or a plain class.
 */
export type ClassKind = 'django' | 'presumed' | 'other';

const ASSIGNMENTS = new Set(['assignment']);
const ASSIGNMENTS_AND_CALLS = new Set(['assignment', 'call']);
/** pytest hooks that run once for the whole run */
const SESSION_HOOKS = /^pytest_(configure|sessionstart|sessionfinish|unconfigure)$/;
/** a function named for emptying a cache: `clear_config_cache`, `reset_cache`, `invalidate_menu_cache` */
const CLEARING_HELPER = /^_?(?:clear|reset|invalidate|flush|purge)_(?:\w+_)?caches?$/;

/** `settings.X[k]` as the item it names, whatever the spacing: `X[k]`. */
/** a literal that makes a new dict, list or set */
const NEW_CONTAINER = /^(dictionary|list|set|dictionary_comprehension|list_comprehension)$/;

/**
 * Code that gives the setting (or a name) `name` a value: an assignment, also of an item (`X = v`,
 * `X["k"] = v`), a keyword such as `override_settings(X=...)`, or the name as a string (`setattr`, a dict
 * key). Not `X += v`, which reads the value it changes. One RegExp per name.
 */
export function settingWrite(name: string): RegExp {
  let pattern = SETTING_WRITES.get(name);
  if (!pattern) {
    const n = escapeRegExp(name);
    pattern = new RegExp(`\\b${n}\\b\\s*(?:\\[[^\\]\\n]*\\]\\s*)*=(?!=)|["']${n}["']`);
    SETTING_WRITES.set(name, pattern);
  }
  return pattern;
}
const SETTING_WRITES = new Map<string, RegExp>();

/** A class whose body names Django fixture files to load (`fixtures = ["data.json"]`). */
export function declaresFixtures(cls: Node): boolean {
  return bodyStatements(cls).some(s => {
    const a = s.type === 'expression_statement' ? s.firstNamedChild : null;
    return a?.type === 'assignment' && a.childForFieldName('left')?.text === 'fixtures';
  });
}

/** The settings `settings.X = ...` gives a whole new value in `text` (not `settings.X[...] = ...`). */
export function replacedSettings(text: string): string[] {
  return [...text.matchAll(/^[ \t]*settings\.(\w+)\s*=(?!=)/gm)].flatMap(m => (m[1] ? [m[1]] : []));
}

export const settingsItem = (target: string): string => target.replace(/\s+/g, '').replace(/^settings\./, '');

const isClear = (call: Node) => /\.a?clear$/.test(call.childForFieldName('function')?.text ?? '');

/**
 * `with cache.lock("k"):` that waits for the lock (no `blocking_timeout`, not `blocking=False`): two
 * processes taking it only wait for each other, and it keeps nothing another test reads afterwards.
 */
export function isWaitingLock(call: Node): boolean {
  if (!/\.lock$/.test(call.childForFieldName('function')?.text ?? '')) return false;
  if (/\bblocking_timeout\s*=|\bblocking\s*=\s*False\b/.test(call.text)) return false;
  return call.parent?.type === 'with_item' || call.parent?.parent?.type === 'with_item';
}

export class Testing {
  private readonly kinds = new Map<number, ClassKind>();
  private readonly isolated = new Map<number, boolean>();
  private fileIsolation: boolean | undefined;
  private fileReset: Reset | null | undefined;
  private settingsItems: Set<string> | undefined;
  private cacheClasses: Map<string, { q: string; methods: Set<string> }> | undefined;
  private readonly helpers = new Map<number, boolean>();
  private readonly tearDownHelpers = new Map<number, boolean>();

  /** `moduleFixtures`: the module's top-level statements that may be autouse fixtures (all will do) */
  constructor(
    private readonly moduleFixtures: readonly Node[],
    private readonly names: Names,
    private readonly defs: Definitions,
    private readonly project?: ProjectView,
    /** the module's text (its helpers' callers are found in it) */
    private readonly text?: string,
    /** whether a project function returns a Django cache, where there is no view of the project */
    private readonly returnsCache?: (qualified: string) => boolean,
  ) {}

  /** A function named as a test; a fixture named so (`@pytest_asyncio.fixture def test_x`) is not collected as one. */
  isTestFunction(fn: Node): boolean {
    return defName(fn).startsWith('test') && !this.isFixture(fn) && !this.defs.replacedInClass(fn);
  }

  isSetupHook(fn: Node): boolean {
    const name = defName(fn);
    if (this.defs.methodClass(fn) !== null) return SETUP_HOOKS.has(name);
    // module-level: unittest's and pytest's module and function hooks, and pytest's per-test hooks
    return this.defs.isModuleLevel(fn) && MODULE_HOOKS.has(name);
  }

  isFixture(fn: Node): boolean {
    return this.defs.decorators(fn).some(d => this.isFixtureDecorator(d));
  }

  private isFixtureDecorator(d: Node): boolean {
    const target = d.type === 'call' ? d.childForFieldName('function') : d;
    if (!target) return false;
    const q = this.names.resolve(target);
    return q === 'pytest.fixture' || q === 'pytest_asyncio.fixture';
  }

  /**
   * The function whose code `node` runs in, as a test framework sees it: the outermost enclosing
   * function, with its role. Code in pytest hooks, helpers and at module level has no role.
   */
  owner(node: Node): { fn: Node; role: 'test' | 'hook' | 'fixture' | 'helper' } | null {
    let fn: Node | null = null;
    for (const d of this.defs.around(node)) if (d.type === 'function_definition') fn = d.node;
    if (!fn || this.defs.replacedInClass(fn)) return null; // a method the class body defines again never runs
    const role = this.roleOf(fn);
    if (role === 'fixture' && this.neverRequested(fn)) return null;
    if (role && this.deselected(fn, role)) return null;
    if (role) return { fn, role };
    // a helper a test, hook or fixture calls (a module's function, a test class's method) runs as part of it
    return this.isHelper(fn) ? { fn, role: 'helper' } : null;
  }

  /** A fixture that is not autouse and that nothing in the project requests: its code never runs. */
  private neverRequested(fn: Node): boolean {
    if (!this.project) return false;
    let name = defName(fn);
    for (const d of this.defs.decorators(fn)) {
      if (d.type !== 'call' || !this.isFixtureDecorator(d)) continue;
      if (keywordArgument(d, 'autouse')?.text === 'True') return false;
      name = stringValue(keywordArgument(d, 'name') ?? d) ?? name;
    }
    return this.project.requestsFixture(name) === false;
  }

  /**
   * Code the run never reaches because pytest's `-m` (addopts) deselects the tests it serves: a test
   * whose marks (its own, its class's, the module's `pytestmark`) the expression rejects; a setup hook
   * of a class whose every test is so; a fixture of this module (visible to it alone) that only such
   * tests request.
   */
  private deselected(fn: Node, role: 'test' | 'hook' | 'fixture'): boolean {
    const selects = this.project?.selectsMarks;
    if (!selects) return false;
    const cls = this.defs.methodClass(fn);
    if (role === 'test') return !selects(this.marksOf(fn));
    if (role === 'hook') {
      const tests = cls ? this.testsOf(cls) : [];
      return tests.length > 0 && tests.every(t => !selects(this.marksOf(t)));
    }
    // (a conftest.py's fixture serves other modules' tests: none here requests it)
    if (cls || !this.text || this.isAutouseFixture(fn)) return false;
    const name = escapeRegExp(defName(fn));
    // named as a string (`usefixtures("x")`, `request.getfixturevalue("x")`) or requested by another
    // fixture: not followed, taken as run
    if (new RegExp(`["']${name}["']`).test(this.text)) return false;
    const requesters = [...this.text.matchAll(new RegExp(`\\bdef\\s+(\\w+)\\s*\\([^)]*\\b${name}\\b`, 'g'))]
      .flatMap(m => this.defs.functionsNamed(m[1] ?? ''))
      .filter(d => d.id !== fn.id);
    return requesters.length > 0 && requesters.every(d => this.isTestFunction(d) && !selects(this.marksOf(d)));
  }

  /**
   * No other test runs beside `fn` (a test, or a hook or method of its class): it or its class carries a
   * tag (`@tag("no_parallel")`) or mark the project's CI runs only without workers.
   */
  runsAlone(fn: Node): boolean {
    const serial = this.project?.serialTags;
    if (!serial?.length) return false;
    const cls = this.defs.methodClass(fn);
    const decorators = [...this.defs.decorators(fn), ...(cls ? this.defs.decorators(cls) : [])];
    const tags = decorators.flatMap(d =>
      d.type === 'call' && /(^|\.)tag$/.test(field(d, 'function').text)
        ? callArguments(d).flatMap(a => stringValue(a) ?? [])
        : [],
    );
    return [...tags, ...this.marksOf(fn)].some(t => serial.includes(t));
  }

  /** The marks a test carries: its decorators', its class's (and the class's `pytestmark`), the module's. */
  private marksOf(test: Node): Set<string> {
    const marks = new Set<string>();
    const add = (text: string) => {
      for (const m of marksIn(text)) marks.add(m);
    };
    for (const d of this.defs.decorators(test)) add(d.text);
    const cls = this.defs.methodClass(test);
    if (cls) {
      for (const d of this.defs.decorators(cls)) add(d.text);
      for (const stmt of bodyStatements(cls)) if (/^pytestmark\s*=/.test(stmt.text)) add(stmt.text);
    }
    for (const m of (this.text ?? '').matchAll(/^pytestmark\s*=\s*(\[[^\]]*\]|.*)/gm)) add(m[1] ?? '');
    return marks;
  }

  private roleOf(fn: Node): 'test' | 'hook' | 'fixture' | null {
    if (this.isFixture(fn)) return 'fixture';
    if (this.isSetupHook(fn)) return 'hook';
    if (this.isTestFunction(fn) && (this.defs.isModuleLevel(fn) || this.defs.methodClass(fn))) return 'test';
    return null;
  }

  /**
   * A module-level function (not itself a test) called from a test, hook or fixture of this module; or a
   * method of a test class that its tests reach: one a test, hook or helper method of the module calls
   * (`self._go_to_path(path)`), or any method of a base class with no tests of its own, whose methods are
   * there for the tests of the classes deriving from it (codeforlife's `BaseTest.go_to_homepage`).
   */
  private isHelper(fn: Node): boolean {
    const known = this.helpers.get(fn.id);
    if (known !== undefined) return known;
    this.helpers.set(fn.id, false);
    const cls = this.defs.methodClass(fn);
    if (!cls && !this.defs.isModuleLevel(fn)) return false;
    if (cls && (/^__\w+__$/.test(defName(fn)) || !this.isTestClass(cls))) return false;
    let helper = false;
    if (cls && this.testsOf(cls).length === 0) helper = true;
    // called, or (a module's function) handed to a thread or process as its `target=`
    const call = cls
      ? `\\b(?:self|cls)\\.${escapeRegExp(defName(fn))}\\s*\\(`
      : `(?<![\\w.])${escapeRegExp(defName(fn))}\\s*\\(|\\btarget\\s*=\\s*${escapeRegExp(defName(fn))}\\b(?!\\s*[.(])`;
    for (const { caller } of helper ? [] : this.callSites(fn, call)) {
      if (caller && caller.id !== fn.id && (this.roleOf(caller) || (cls && this.isHelper(caller)))) {
        helper = true;
        break;
      }
    }
    this.helpers.set(fn.id, helper);
    return helper;
  }

  /**
   * Where this module names the module-level function `fn` as `pattern` says (a call `name(`), outside
   * `fn` itself (its own definition, recursion): the offset, what matched, and the outermost function there.
   */
  private *callSites(fn: Node, pattern: string): Generator<{ at: number; match: string; caller: Node | null }> {
    const text = this.text ?? fn.tree.rootNode.text;
    for (const m of text.matchAll(new RegExp(pattern, 'g'))) {
      const at = m.index ?? 0;
      if (at >= fn.startIndex && at < fn.endIndex) continue;
      yield { at, match: m[0], caller: this.defs.outermostFunctionAt(at) };
    }
  }

  /**
   * A module-level helper that only wide fixtures (session, module, class scope) and pytest's session
   * hooks call: it runs once for the run's configuration, as those do (aisl's `_start_django_server()`).
   */
  onlyWideCallers(fn: Node): boolean {
    let callers = 0;
    for (const { caller } of this.callSites(fn, `(?<![\\w.])${escapeRegExp(defName(fn))}\\s*\\(`)) {
      if (!caller || !(this.isWideFixture(caller) || SESSION_HOOKS.test(defName(caller)))) return false;
      callers++;
    }
    return callers > 0;
  }

  /** A pytest test (or function-scoped fixture) that can request fixtures such as `tmp_path` or `monkeypatch`. */
  takesFixtures(fn: Node): boolean {
    if (this.isFixture(fn)) {
      const scope = this.defs
        .decorators(fn)
        .map(d => (d.type === 'call' ? keywordArgument(d, 'scope') : null))
        .find(Boolean);
      return !scope || scope.text === '"function"' || scope.text === "'function'";
    }
    if (!this.isTestFunction(fn)) return false;
    const cls = this.defs.methodClass(fn);
    // a plain class pytest collects (`Test*`); a mixin's test methods run only in the test cases it is mixed into
    return (
      this.defs.isModuleLevel(fn) ||
      (!!cls && /^Test/.test(defName(cls)) && this.baseExpressions(cls).every(b => b.text === 'object'))
    );
  }

  /** A Django (or presumed Django) test case method, where `self.settings`, `addCleanup` and decorators apply. */
  testCaseOf(fn: Node): Node | null {
    const cls = this.defs.methodClass(fn);
    return cls && this.classKind(cls) !== 'other' ? cls : null;
  }

  /** A unittest-style class (any base, so `self.addCleanup` exists) holding the method `fn`. */
  unittestClassOf(fn: Node): Node | null {
    const cls = this.defs.methodClass(fn);
    return cls && this.baseExpressions(cls).some(b => b.text !== 'object') ? cls : null;
  }

  /** `self.addCleanup` in a unittest method, `cls.addClassCleanup` in a classmethod hook; null elsewhere. */
  cleanupHolder(fn: Node): string | null {
    if (!this.unittestClassOf(fn)) return null;
    const first = parameterNames(fn)[0];
    return first === 'cls' ? 'cls.addClassCleanup' : first === 'self' ? 'self.addCleanup' : null;
  }

  /**
   * Whether something mentioning `needle` (a setting, a key, a patcher) is undone where undoing
   * belongs: in a `finally`, in an `addCleanup(...)` / `addClassCleanup(...)`, in a tearDown method of the class, or
   * after
   * the `yield` of a fixture.
   */
  restores(fn: Node, needle: string | RegExp, after?: Node): boolean {
    // `obj.attr` is also written as `setattr(obj, "attr", old)` and `delattr(obj, "attr")`
    const member = typeof needle === 'string' ? /^([\w.]+)\.(\w+)$/.exec(needle) : null;
    const byName =
      member && new RegExp(`\\b(?:set|del)attr\\(\\s*${escapeRegExp(member[1] ?? '')}\\s*,\\s*["']${member[2]}["']`);
    const mentions = (text: string) =>
      typeof needle === 'string' ? text.includes(needle) || !!byName?.test(text) : needle.test(text);
    // a plain name is undone only by writing it again (a pattern describes its own undo)
    const writes = (n: Node) => {
      if (typeof needle !== 'string' || n.type === 'delete_statement') return true;
      const assign = n.type === 'expression_statement' ? n.firstNamedChild : null;
      if (assign?.type === 'assignment' || assign?.type === 'augmented_assignment')
        return mentions(assign.childForFieldName('left')?.text ?? '');
      return (
        n.type === 'call' &&
        /(^|\.)(pop|clear|setattr|delattr|__delitem__|__setitem__)$/.test(n.childForFieldName('function')?.text ?? '')
      );
    };
    const regions = this.undoRegions(fn);
    // cheap: nothing there could undo it
    if (!regions.some(r => mentions(this.defs.methodClass(r)?.text ?? r.text))) return false;
    let found = false;
    for (const region of regions) {
      const wholeRegion = region.id !== fn.id; // a tearDown: anything in it counts
      // where the fixture's first `yield` ends: its own value (`yield signal.disconnect(...)`) is set up
      let yieldEnd = Infinity;
      walk(
        region,
        n => {
          if (found) return false;
          if (n.type === 'yield' && n.isNamed) yieldEnd = Math.min(yieldEnd, n.endIndex);
          // later in the same test counts too, when it writes: the change is undone before the test ends
          const counts =
            wholeRegion ||
            n.startIndex >= yieldEnd ||
            n.type === 'finally_clause' ||
            (!!after && n.startIndex >= after.endIndex && writes(n)) ||
            (n.type === 'call' && CLEANUP.test(n.childForFieldName('function')?.text ?? ''));
          if (counts && mentions(n.text) && n.type !== 'yield') {
            found = true;
            return false;
          }
          return true;
        },
        RESTORE_TYPES,
      );
      if (found) return true;
    }
    return false;
  }

  /**
   * Whether a step that `undoes` (the judge of what really undoes the change) runs where undoing belongs:
   * in a `finally`, in a cleanup (`addCleanup(f, *args)` is judged as the call `f(*args)` it defers), in a
   * tearDown method of the class, after the `yield` of a fixture, or later in `fn` than `after`. Unlike
   * `restores`, a mere mention is no undo: reading `sys.path[0]` restores nothing.
   */
  undone(fn: Node, undoes: (step: Step) => boolean, after?: Node): boolean {
    let found = false;
    for (const region of this.undoRegions(fn)) {
      walk(
        region,
        n => {
          if (found) return false;
          found =
            stepsOf(n).some(undoes) &&
            (region.id !== fn.id ||
              (!!after && n.startIndex >= after.endIndex) ||
              insideCleanup(n, fn) ||
              this.isUndoing(n, fn));
          return !found;
        },
        STEP_TYPES,
      );
      if (found) return true;
    }
    return false;
  }

  /**
   * `fn`, and the tearDown methods of its class (for a module's setup hook, the module's teardown
   * hooks): where `restores` and `undone` look.
   */
  private undoRegions(fn: Node): Node[] {
    const cls = this.defs.methodClass(fn);
    if (!cls && MODULE_SETUP.test(defName(fn)) && this.defs.isModuleLevel(fn))
      return [fn, ...MODULE_TEARDOWNS.flatMap(name => this.defs.functionsNamed(name))];
    if (!cls) return [fn];
    const tearDowns = this.tearDownsOf(cls);
    return [fn, ...tearDowns, ...tearDowns.flatMap(t => this.methodsCalled(t, cls))];
  }

  /**
   * The methods of `cls` that `fn` calls on `self` or `cls` (`cls.remove_allowed_test_domain()` in
   * django-tenant-schemas' tearDownClass): what a tearDown undoes through a helper of its class.
   */
  private methodsCalled(fn: Node, cls: Node): Node[] {
    const names = new Set([...fn.text.matchAll(/\b(?:self|cls)\.(\w+)\s*\(/g)].map(m => m[1]));
    return bodyStatements(cls)
      .map(definitionOf)
      .filter(d => d.type === 'function_definition' && d.id !== fn.id && names.has(defName(d)));
  }

  /**
   * A method that only tearDown methods of the module call (`cls.remove_allowed_test_domain()`, its own
   * class's or a subclass's): what it changes, it puts back.
   */
  private calledOnlyInTearDown(fn: Node): boolean {
    if (!this.defs.methodClass(fn)) return false;
    // asked for every candidate a rule meets in the method: the module's text is searched once per method
    let known = this.tearDownHelpers.get(fn.id);
    if (known === undefined) {
      let callers = 0;
      known = true;
      for (const { caller } of this.callSites(fn, `\\b(?:self|cls)\\.${escapeRegExp(defName(fn))}\\s*\\(`)) {
        if (!caller || !TEARDOWN.test(defName(caller))) {
          known = false;
          break;
        }
        callers++;
      }
      known &&= callers > 0;
      this.tearDownHelpers.set(fn.id, known);
    }
    return known;
  }

  /**
   * The tearDown methods that run after a test of `cls`: its own, and those of its bases in this file that
   * a tearDown of its own hands on to with `super()` (or that it inherits, having none): a base class that
   * deletes the settings its subclasses' tests write (django-dynamic-fixture).
   */
  private tearDownsOf(cls: Node, seen = new Set<number>()): Node[] {
    if (seen.has(cls.id)) return [];
    seen.add(cls.id);
    const own = bodyStatements(cls)
      .map(definitionOf)
      .filter(d => d.type === 'function_definition' && TEARDOWN.test(defName(d)));
    if (own.length > 0 && !own.some(d => /\bsuper\([^)]*\)\s*\.\s*(tearDown|teardown)\w*\s*\(/.test(d.text)))
      return own;
    const bases = this.baseExpressions(cls)
      .map(b => this.inFileClass(b))
      .filter((c): c is Node => !!c);
    return [...own, ...bases.flatMap(b => this.tearDownsOf(b, seen))];
  }

  /**
   * A tearDown of `cls` or of a base class (in this file, or through the project) activates or
   * deactivates a language: whatever a test activated does not outlive it (evap's
   * ResetLanguageOnTearDownMixin).
   */
  tearDownRestoresLanguage(cls: Node, seen = new Set<number>()): boolean {
    if (seen.has(cls.id)) return false;
    seen.add(cls.id);
    const own = bodyStatements(cls)
      .map(definitionOf)
      .some(d => d.type === 'function_definition' && TEARDOWN.test(defName(d)) && SETS_LANGUAGE.test(d.text));
    if (own) return true;
    return this.baseExpressions(cls).some(base => {
      const local = this.inFileClass(base);
      if (local) return this.tearDownRestoresLanguage(local, seen);
      const q = this.names.resolve(base);
      return !!q && !!this.project?.classInfo(q)?.restoresLanguage;
    });
  }

  /**
   * `cls` itself sets the language before each of its tests: its setUp or `_pre_setup` activates or
   * deactivates one. Asked of a base class the project's test modules import (kitsune's and django-cms'
   * base test cases): the suite's tests start from that language, whatever the test before left.
   */
  setupSetsLanguage(cls: Node): boolean {
    return bodyStatements(cls)
      .map(definitionOf)
      .some(
        d =>
          d.type === 'function_definition' &&
          /^(setUp|_pre_setup|asyncSetUp|setup_method)$/.test(defName(d)) &&
          SETS_LANGUAGE.test(d.text),
      );
  }

  /** `cls` or a base (in this file, or through the project) loads Django fixture files: `fixtures = [...]`. */
  loadsFixtures(cls: Node, seen = new Set<number>()): boolean {
    if (seen.has(cls.id)) return false;
    seen.add(cls.id);
    if (declaresFixtures(cls)) return true;
    return this.baseExpressions(cls).some(base => {
      const local = this.inFileClass(base);
      if (local) return this.loadsFixtures(local, seen);
      const q = this.names.resolve(base);
      return !!q && !!this.project?.classInfo(q)?.loadsFixtures;
    });
  }

  /**
   * The patchers (`self.x`) a class or one of its bases stops anywhere in its body (a mixin's tearDown,
   * an `addCleanup(self.x.stop)`), in this file or through the project: XT060 does not ask for another stop.
   */
  patchersStopped(cls: Node): Set<string> {
    return this.withBases(
      cls,
      c => [...c.text.matchAll(/\b(self\.\w+)\.stop\b/g)].flatMap(m => (m[1] ? [m[1]] : [])),
      info => info.patchersStopped,
    );
  }

  /**
   * The objects (qualified names) whose own reset a class or one of its bases calls after each test, in
   * a tearDown: `settings.revert()` (easy-thumbnails' app settings), `registry.reset()`. What a test
   * changes on them is put back before the next.
   */
  objectsReverted(cls: Node): Set<string> {
    return this.withBases(
      cls,
      c => {
        const out: string[] = [];
        for (const hook of this.afterEachHooksOf(c))
          walk(
            hook,
            node => {
              const callee = node.childForFieldName('function');
              const q =
                callee?.type === 'attribute' && REVERTS.test(field(callee, 'attribute').text)
                  ? this.names.resolve(field(callee, 'object'))
                  : undefined;
              if (q) out.push(q);
              return true;
            },
            CALLS,
          );
        return out;
      },
      info => info.objectsReverted,
    );
  }

  /**
   * What `own` finds in a class and in its bases, at any depth: a base in this file read the same way, one
   * elsewhere in the project through its facts (`fact`), which the project model gathers the same way.
   */
  private withBases(
    cls: Node,
    own: (c: Node) => Iterable<string>,
    fact: (info: ClassFacts) => Iterable<string>,
    seen = new Set<number>(),
  ): Set<string> {
    const out = new Set<string>();
    if (seen.has(cls.id)) return out;
    seen.add(cls.id);
    for (const n of own(cls)) out.add(n);
    for (const base of this.baseExpressions(cls)) {
      const local = this.inFileClass(base);
      const q = local ? undefined : this.names.resolve(base);
      const info = q ? this.project?.classInfo(q) : undefined;
      const names = local ? this.withBases(local, own, fact, seen) : info ? fact(info) : [];
      for (const n of names) out.add(n);
    }
    return out;
  }

  /** The setUp / setUpTestData / setUpClass methods of a class. */
  setupHooksOf(cls: Node): Node[] {
    return bodyStatements(cls)
      .map(definitionOf)
      .filter(d => d.type === 'function_definition' && SETUP_HOOKS.has(defName(d)));
  }

  /** The methods of a class that run after each of its tests: tearDown, teardown_method, ... */
  afterEachHooksOf(cls: Node): Node[] {
    return bodyStatements(cls)
      .map(definitionOf)
      .filter(d => d.type === 'function_definition' && AFTER_EACH_HOOKS.test(defName(d)));
  }

  /** A fixture with a wider scope than one test: it sets up the run on purpose, and is undone with it. */
  isWideFixture(fn: Node): boolean {
    const scope = this.defs
      .decorators(fn)
      .map(d => (d.type === 'call' && this.isFixtureDecorator(d) ? keywordArgument(d, 'scope') : null))
      .find(Boolean);
    return !!scope && !/^["']function["']$/.test(scope.text);
  }

  /**
   * `@override_settings(...)` / `@modify_settings(...)` on the test or its class: settings are a throwaway copy there.
   */
  settingsOverridden(fn: Node): boolean {
    const cls = this.defs.methodClass(fn);
    return [...this.defs.decorators(fn), ...(cls ? this.defs.decorators(cls) : [])].some(d => {
      const target = d.type === 'call' ? d.childForFieldName('function') : d;
      return this.names.is(target, 'django.test.override_settings', 'django.test.modify_settings');
    });
  }

  /**
   * `target = old` where `old = target` (or `old = getattr(...)`) was saved earlier: in the function, or
   * (`self.old`) in its class's setUp. Putting the value back, not changing it.
   */
  isPutBack(fn: Node, target: string, value: Node | null): boolean {
    // `X = (\n old\n)`: a formatter wraps a long line's value in parentheses
    while (value?.type === 'parenthesized_expression') value = value.firstNamedChild;
    if (value?.type !== 'identifier' && value?.type !== 'attribute') return false;
    const saved = new RegExp(`(^|[^\\w.])${escapeRegExp(value.text)}\\s*=\\s*[^=\\n]*${escapeRegExp(target)}`);
    if (saved.test(fn.text.slice(0, value.startIndex - fn.startIndex))) return true;
    const cls = value.text.startsWith('self.') || value.text.startsWith('cls.') ? this.defs.methodClass(fn) : null;
    return !!cls && this.setupHooksOf(cls).some(hook => hook.id !== fn.id && saved.test(hook.text));
  }

  /**
   * `del target` on one branch of an `if` whose other branch puts a saved value back (`if old: X = old`
   * / `else: del X`, mezzanine's SITE_ID): the target had no value when it was saved, and deleting it
   * is that branch's way of putting it back.
   */
  deletesWhatWasUnset(fn: Node, target: string, del: Node): boolean {
    for (let n = del.parent; n && n.id !== fn.id; n = n.parent) {
      if (n.type !== 'if_statement') continue;
      let putBack = false;
      walk(n, m => {
        if (putBack) return false;
        if (m.type === 'assignment' && m.childForFieldName('left')?.text === target)
          putBack = this.isPutBack(fn, target, m.childForFieldName('right'));
        return !putBack;
      });
      return putBack;
    }
    return false;
  }

  /**
   * Whether `fn` assigns `target` (`settings.X = ...`, `Klass.attr = ...`) before `node`: then `node`,
   * writing it again, puts it back (the set-then-reset idiom); the first write is the change, and it is
   * judged as undone by this one.
   */
  writtenBefore(fn: Node, target: string, node: Node): boolean {
    const before = fn.text.slice(0, node.startIndex - fn.startIndex);
    return new RegExp(`(^|\\n)[ \\t]*${escapeRegExp(target)}\\s*=(?!=)`).test(before);
  }

  /**
   * Whether `node` runs inside a settings override: `with override_settings(...)`, `with
   * self.settings(...)` or `with modify_settings(...)` in `fn`, a decorator of `fn`, or one of its class
   * or a base class. Settings are a throwaway copy there, restored when the override ends.
   */
  insideSettingsOverride(node: Node, fn: Node): boolean {
    if (this.settingsOverridesAround(node, fn).length) return true;
    // a class-level override is on from the base's setUpClass to its tearDownClass: around setUp,
    // setUpTestData, the tests and tearDown (a class hook of the class itself runs partly outside it)
    const cls = this.defs.methodClass(fn);
    return !!cls && !/^(setUpClass|tearDownClass)$/.test(defName(fn)) && this.classOverridesSettings(cls);
  }

  /**
   * The `override_settings(...)` / `modify_settings(...)` calls in effect while `node` runs in `fn`:
   * `with` blocks around it (`self.settings(...)` too) and the decorators of `fn`. Each undoes, when it
   * ends, whatever was written to the settings inside it.
   */
  settingsOverridesAround(node: Node, fn: Node): Node[] {
    const found = this.defs.decorators(fn).filter(d => this.isSettingsOverride(d));
    if (!/override_settings|modify_settings|\.settings\(/.test(fn.text)) return found;
    return [...found, ...this.withContextsAround(node, fn).filter(c => this.isSettingsOverride(c))];
  }

  /** What the `with` statements of `fn` around `node` enter (`with patch(...) as m:` gives `patch(...)`). */
  withContextsAround(node: Node, fn: Node): Node[] {
    const found: Node[] = [];
    walk(
      fn,
      n => {
        if (n.startIndex > node.startIndex || n.endIndex < node.endIndex) return false;
        if (n.type === 'with_statement') {
          const items = n.childForFieldName('body') ? n.namedChildren.find(c => c?.type === 'with_clause') : null;
          for (const item of items?.namedChildren ?? []) {
            const value = item?.type === 'with_item' ? item.childForFieldName('value') : null;
            const entered = value?.type === 'as_pattern' ? value.namedChildren[0] : value;
            if (entered) found.push(entered);
          }
        }
        return true;
      },
      BLOCK_TYPES,
    );
    return found;
  }

  /** `override_settings(...)`, `modify_settings(...)`, or a Django test case's `self.settings(...)`. */
  private isSettingsOverride(call: Node): boolean {
    if (call.type !== 'call') return false;
    const target = call.childForFieldName('function');
    return (
      this.names.is(target, 'django.test.override_settings', 'django.test.modify_settings') ||
      (target?.type === 'attribute' && /^self\.(settings|modify_settings)$/.test(target.text))
    );
  }

  /** `@override_settings(...)` or `@modify_settings(...)` on the class itself. */
  decoratedWithSettingsOverride(cls: Node): boolean {
    return this.defs.decorators(cls).some(d => this.isSettingsOverride(d));
  }

  /** The class, or a base (in this file or the project's), is decorated with a settings override. */
  classOverridesSettings(cls: Node, seen = new Set<number>()): boolean {
    if (seen.has(cls.id)) return false;
    seen.add(cls.id);
    if (this.decoratedWithSettingsOverride(cls)) return true;
    return this.baseExpressions(cls).some(base => {
      const local = this.inFileClass(base);
      if (local) return this.classOverridesSettings(local, seen);
      const q = this.names.resolve(base);
      return !!q && !!this.project?.classInfo(q)?.overridesSettings;
    });
  }

  /** Whether `node` sits where undoing belongs: a tearDown method, a `finally`, after a fixture's `yield`. */
  isUndoing(node: Node, fn: Node): boolean {
    if (TEARDOWN.test(defName(fn)) || this.calledOnlyInTearDown(fn)) return true;
    let undoing = false;
    walk(
      fn,
      n => {
        if (undoing || n.startIndex > node.startIndex) return false;
        // the `yield` expression, not its keyword (a node of the same type): its value is set up, not undoing
        if (n.type === 'yield' && n.isNamed && n.endIndex <= node.startIndex) undoing = true;
        if (n.type === 'finally_clause' && n.endIndex >= node.endIndex) undoing = true;
        return !undoing;
      },
      UNDO_TYPES,
    );
    return undoing;
  }

  /**
   * Whether `node` is (in) the last statement of a `with pytest.raises(...)` or `with self.assertRaises(...)`
   * block of `fn`: in a passing test that statement never completes, it raises or something before it
   * did (`with self.assertRaises(AttributeError): CONSTANTS.LENGTH = 20`), so it changes nothing.
   */
  neverCompletes(node: Node, fn: Node): boolean {
    let stmt: Node | null = node;
    while (stmt?.parent && stmt.parent.type !== 'block') stmt = stmt.parent;
    const block = stmt?.parent;
    const withStmt = block?.parent;
    if (!stmt || withStmt?.type !== 'with_statement' || withStmt.childForFieldName('body')?.id !== block?.id)
      return false;
    const last = block?.namedChildren.filter(c => c?.type !== 'comment').pop();
    if (last?.id !== stmt.id) return false;
    if (withStmt.startIndex < fn.startIndex || withStmt.endIndex > fn.endIndex) return false;
    return this.withContextsAround(stmt, withStmt).some(
      c => c.type === 'call' && RAISES.test(c.childForFieldName('function')?.text ?? ''),
    );
  }

  /**
   * A helper of this module (a module-level function) that its tests call only where undoing belongs: in
   * a `finally`, a tearDown, after a fixture's `yield`, or handed to `addCleanup`. What it writes puts
   * state back (`_restore_rates(saved)` in a `finally`).
   */
  calledOnlyToUndo(fn: Node): boolean {
    if (!this.defs.isModuleLevel(fn)) return false;
    const name = escapeRegExp(defName(fn));
    let calls = 0;
    for (const { at, match, caller } of this.callSites(
      fn,
      `(?<![\\w.])${name}\\s*\\(|add(?:Class)?Cleanup\\(\\s*${name}\\b`,
    )) {
      // the caller's own tree holds the call (a document may be parsed in pieces)
      if (!caller) return false;
      if (!match.startsWith('add') && !this.callIsUndoing(caller, at)) return false;
      calls++;
    }
    return calls > 0;
  }

  /** Whether the call in `caller` whose callee starts at `at` runs where undoing belongs. */
  private callIsUndoing(caller: Node, at: number): boolean {
    let call: Node | null = null;
    walk(
      caller,
      n => {
        if (n.childForFieldName('function')?.startIndex === at) call = n;
        return !call;
      },
      CALLS,
    );
    const found = call as Node | null;
    return !!found && this.isUndoing(found, this.defs.enclosingFunction(found) ?? caller);
  }

  /**
   * Whether `fn` saves what `target` (`Klass.attr`) holds into a name before `node` writes it, and
   * returns that name: its caller gets the original to put back (`original = dict(Klass.RATES)`, or
   * `getattr(Klass, "RATES", ...)`, then `return original`).
   */
  returnsSaved(fn: Node, node: Node, target: string): boolean {
    const member = /^([\w.]+)\.(\w+)$/.exec(target);
    const read = member
      ? `(?:${escapeRegExp(target)}\\b|getattr\\(\\s*${escapeRegExp(member[1] ?? '')}\\s*,\\s*["']${member[2]}["'])`
      : `${escapeRegExp(target)}\\b`;
    const before = fn.text.slice(0, node.startIndex - fn.startIndex);
    const after = fn.text.slice(node.endIndex - fn.startIndex);
    return [...before.matchAll(new RegExp(`(?:^|\\n)[ \\t]*(\\w+)\\s*=[^=\\n][^\\n]*${read}`, 'g'))].some(m =>
      new RegExp(`(?:^|\\n)[ \\t]*return\\b[^\\n]*\\b${m[1]}\\b`).test(after),
    );
  }

  /**
   * What the setup hooks of `cls` assign to members (`settings.X = ...`, `Klass.attr = ...`) and the
   * class attributes: a base's first, the class's own over them.
   */
  setupWrites(cls: Node, seen = new Set<number>()): SetupWrites {
    const out: SetupWrites = { writes: new Map(), attributes: new Map() };
    if (seen.has(cls.id)) return out;
    seen.add(cls.id);
    for (const base of this.baseExpressions(cls)) {
      const local = this.inFileClass(base);
      const q = local ? null : this.names.resolve(base);
      const inherited = local ? this.setupWrites(local, seen) : q ? this.project?.classInfo(q)?.setup : undefined;
      for (const [k, v] of inherited?.writes ?? []) out.writes.set(k, v);
      for (const [k, v] of inherited?.attributes ?? []) out.attributes.set(k, v);
    }
    for (const stmt of bodyStatements(cls)) {
      const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
      const left = assign?.type === 'assignment' ? assign.childForFieldName('left') : null;
      const right = assign?.childForFieldName('right');
      if (left?.type === 'identifier' && right) out.attributes.set(left.text, right.text);
    }
    for (const hook of this.setupHooksOf(cls)) {
      walk(hook, n => {
        if (n.type !== 'assignment') return true;
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        if (left?.type === 'attribute' && right)
          out.writes.set(`${defName(hook)} ${left.text}`, sameValueText(right.text));
        return false;
      });
    }
    return out;
  }

  /**
   * Whether `assign` (`settings.X = v` in a setup hook, after the hook's `super()` call) writes the
   * value the same hook of a base class has just written there: it changes nothing. A base's
   * `cls.NAME` is read as this class has it.
   */
  sameAsBaseHook(fn: Node, assign: Node): boolean {
    const cls = this.defs.methodClass(fn);
    const hook = defName(fn);
    const left = assign.childForFieldName('left');
    const right = assign.childForFieldName('right');
    if (!cls || !SETUP_HOOKS.has(hook) || !left || !right) return false;
    const before = fn.text.slice(0, assign.startIndex - fn.startIndex);
    if (!new RegExp(`\\bsuper\\([^)]*\\)\\.${hook}\\(`).test(before)) return false;
    const key = `${hook} ${left.text}`;
    const mine = this.setupWrites(cls);
    const resolved = (text: string) =>
      sameValueText(text.replace(/\b(?:cls|self)\.(\w+)\b/g, (m, n: string) => mine.attributes.get(n) ?? m));
    return this.baseExpressions(cls).some(base => {
      const local = this.inFileClass(base);
      const q = local ? null : this.names.resolve(base);
      const written = (local ? this.setupWrites(local) : q ? this.project?.classInfo(q)?.setup : undefined)?.writes.get(
        key,
      );
      return written !== undefined && resolved(written) === resolved(right.text);
    });
  }

  /** The in-file class definition a base-class expression names, if any. */
  inFileClass(base: Node): Node | undefined {
    return base.type === 'identifier' ? this.defs.classesNamed(base.text, base).at(-1) : undefined;
  }

  baseExpressions(cls: Node): Node[] {
    const sup = cls.childForFieldName('superclasses');
    return sup
      ? sup.namedChildren.filter((c): c is Node => c !== null && c.type !== 'keyword_argument' && c.type !== 'comment')
      : [];
  }

  classKind(cls: Node, seen = new Set<number>()): ClassKind {
    const known = this.kinds.get(cls.id);
    if (known) return known;
    if (seen.has(cls.id)) return 'other';
    seen.add(cls.id);
    let kind: ClassKind = 'other';
    for (const base of this.baseExpressions(cls)) {
      const local = this.inFileClass(base);
      const k: ClassKind = local ? this.classKind(local, seen) : this.importedKind(base);
      if (k === 'django') {
        kind = 'django';
        break;
      }
      if (k === 'presumed') kind = 'presumed';
    }
    this.kinds.set(cls.id, kind);
    return kind;
  }

  private importedKind(base: Node): ClassKind {
    const q = this.names.resolve(base);
    if (q !== undefined && (DJANGO_TEST_CASES.has(q) || this.project?.classInfo(q)?.djangoTestCase)) return 'django';
    const last = (q ?? base.text).split('.').pop() ?? '';
    if (q?.startsWith('unittest.')) return 'other';
    return /TestCase$/.test(last) ? 'presumed' : 'other';
  }

  /** A class that holds tests: a Django/unittest case, a pytest `Test*` class, or one with `test*` methods. */
  isTestClass(cls: Node): boolean {
    if (this.classKind(cls) !== 'other' || /^Test/.test(defName(cls))) return true;
    if (this.baseExpressions(cls).some(b => /TestCase$/.test(b.text))) return true;
    return bodyStatements(cls).some(s => {
      const def = definitionOf(s);
      return def.type === 'function_definition' && this.isTestFunction(def);
    });
  }

  /**
   * Whether `CACHES` is overridden for every test that runs `def` (a class or function): by
   * `@override_settings(CACHES=...)` on it, its class or an in-file base class; by a `with` block
   * or the pytest-django `settings` fixture inside it; or by an autouse fixture in the file or class.
   */
  cacheIsolated(def: Node): boolean {
    const cached = this.isolated.get(def.id);
    if (cached !== undefined) return cached;
    this.isolated.set(def.id, false); // cycle guard for `class A(A)`
    let result = this.fileCacheIsolated() || this.decoratedWithCaches(def);
    if (!result && def.type === 'class_definition') {
      result =
        this.baseExpressions(def).some(b => {
          const local = this.inFileClass(b);
          if (local) return this.cacheIsolated(local);
          const q = this.names.resolve(b); // a base class in another module of the workspace
          return !!q && !!this.project?.classInfo(q)?.isolatesCache;
        }) || this.hasIsolatingAutouseFixture(bodyStatements(def));
    }
    if (!result && def.type === 'function_definition') {
      const cls = this.defs.methodClass(def);
      result = (cls !== null && this.cacheIsolated(cls)) || this.bodyIsolatesCache(def);
    }
    this.isolated.set(def.id, result);
    return result;
  }

  /** An autouse fixture at the top of this module isolates the cache (a conftest.py's, for every test below it). */
  hasFileCacheIsolation(): boolean {
    return (
      this.hasIsolatingAutouseFixture(this.moduleFixtures.filter(c => c.type === 'decorated_definition')) ||
      this.moduleFixtures.some(s => {
        const def = definitionOf(s);
        return (
          def.type === 'function_definition' &&
          (RUNTEST_HOOKS.test(defName(def)) || this.isAutouseFixture(def)) &&
          this.prefixesKeysPerTest(def)
        );
      })
    );
  }

  /**
   * Whether `fn`, or a function of this module it calls, gives the cache's keys a prefix computed
   * afresh (`cache.key_prefix = "t{0}".format(counter)`, treeherder's counter bumped before every test):
   * run before each test, each has keys of its own.
   */
  private prefixesKeysPerTest(fn: Node, depth = 0): boolean {
    if (!fn.text.includes('key_prefix') && depth > 0) return false;
    let found = false;
    walk(
      fn,
      node => {
        if (found) return false;
        if (node.type === 'assignment') {
          const left = node.childForFieldName('left');
          const right = node.childForFieldName('right');
          found =
            left?.type === 'attribute' &&
            field(left, 'attribute').text === 'key_prefix' &&
            this.isCacheObject(field(left, 'object')) &&
            !!right &&
            stringValue(right) === null;
        } else if (depth === 0 && node.type === 'call') {
          const callee = node.childForFieldName('function');
          const local = callee?.type === 'identifier' ? this.defs.functionsNamed(callee.text).at(-1) : undefined;
          found = !!local && local.id !== fn.id && this.prefixesKeysPerTest(local, depth + 1);
        }
        return !found;
      },
      ASSIGNMENTS_AND_CALLS,
    );
    return found;
  }

  /**
   * The settings items autouse fixtures at the top of this module (a conftest.py's: every test below
   * it) write before each test, through the pytest-django `settings` fixture: `FEATURES[flags.X]`
   * for `settings.FEATURES[flags.X] = False`. Each test starts with them as the fixture sets them.
   */
  autouseSettingsItems(): Set<string> {
    if (this.settingsItems) return this.settingsItems;
    const out = (this.settingsItems = new Set<string>());
    for (const s of this.moduleFixtures) {
      const def = definitionOf(s);
      if (def.type !== 'function_definition' || !this.isAutouseFixture(def)) continue;
      if (!parameterNames(def).includes('settings')) continue;
      walk(
        def,
        node => {
          const left = node.childForFieldName('left');
          if (left?.type === 'subscript' && /^settings\.\w+\[/.test(left.text)) out.add(settingsItem(left.text));
          // the whole setting given a new container (`settings.CACHES = {...}`): each test has its own to change
          const right = node.childForFieldName('right');
          if (
            left?.type === 'attribute' &&
            /^settings\.\w+$/.test(left.text) &&
            right &&
            NEW_CONTAINER.test(right.type)
          )
            out.add(settingsItem(left.text));
          return true;
        },
        ASSIGNMENTS,
      );
    }
    return out;
  }

  /**
   * An autouse fixture at the top of this module (a conftest.py's: every test below it) writes a
   * setting through the pytest-django `settings` fixture (`settings.STORAGE = ...`): an override is then
   * open around every test, and a write straight to django.conf.settings during the test goes into that
   * override, dropped with it at teardown (override_settings puts back the settings object it replaced).
   */
  autouseOpensSettingsOverride(): boolean {
    return this.moduleFixtures.some(s => {
      const def = definitionOf(s);
      if (def.type !== 'function_definition' || !this.isAutouseFixture(def)) return false;
      if (!parameterNames(def).includes('settings')) return false;
      let opens = false;
      walk(
        def,
        node => {
          opens ||= /^settings\.\w+$/.test(node.childForFieldName('left')?.text ?? '');
          return !opens;
        },
        ASSIGNMENTS,
      );
      return opens;
    });
  }

  /**
   * An autouse fixture at the top of this module puts the app registry back after each test
   * (`apps.all_models` saved, then restored after `yield`): models defined in tests do not outlive them.
   */
  /**
   * An autouse fixture of this module puts the working directory back after each test: a `chdir(...)`
   * after its `yield` (the saved directory), or `monkeypatch.chdir`, which pytest undoes.
   */
  /**
   * An autouse fixture of this module (a conftest.py's: every test below it) activates, overrides or
   * deactivates a language around each test: what a test activates does not reach the next (twp's
   * `reset_language`: `activate("en")`, `yield`, `deactivate()`).
   */
  autouseRestoresLanguage(): boolean {
    return this.autouseCalls(/\b(?<!timezone\.)(?:translation\.)?(?:activate|deactivate|deactivate_all|override)\s*\(/);
  }

  /** The same for the current time zone: `timezone.activate`, `deactivate` or `override` (pretalx). */
  autouseRestoresZone(): boolean {
    return this.autouseCalls(/\btimezone\.(?:activate|deactivate|override)\s*\(/);
  }

  /** Whether a per-test autouse fixture of this module calls what `pattern` matches. */
  private autouseCalls(pattern: RegExp): boolean {
    return this.moduleFixtures.some(s => {
      const def = definitionOf(s);
      return (
        def.type === 'function_definition' &&
        this.isAutouseFixture(def) &&
        !this.isWideFixture(def) &&
        pattern.test(def.text)
      );
    });
  }

  autouseRestoresCwd(): boolean {
    return this.moduleFixtures.some(s => {
      const def = definitionOf(s);
      if (def.type !== 'function_definition' || !this.isAutouseFixture(def)) return false;
      const after = afterYield(def);
      return /chdir\s*\(/.test(after) || /\bmonkeypatch\.chdir\s*\(/.test(def.text);
    });
  }

  autouseRestoresApps(): boolean {
    return this.moduleFixtures.some(s => {
      const def = definitionOf(s);
      return (
        def.type === 'function_definition' &&
        this.isAutouseFixture(def) &&
        /\ball_models\b/.test(def.text) &&
        /\byield\b|addfinalizer/.test(def.text)
      );
    });
  }

  private fileCacheIsolated(): boolean {
    this.fileIsolation ??= this.hasFileCacheIsolation() || !!this.project?.autouseCacheIsolation;
    return this.fileIsolation;
  }

  private hasIsolatingAutouseFixture(statements: Node[]): boolean {
    return statements.some(s => {
      const def = definitionOf(s);
      if (def.type !== 'function_definition') return false;
      const autouse = this.defs
        .decorators(def)
        .some(d => d.type === 'call' && this.isFixtureDecorator(d) && keywordArgument(d, 'autouse')?.text === 'True');
      return autouse && this.bodyIsolatesCache(def);
    });
  }

  /** `@override_settings(CACHES=...)` (or `**splat`, which we cannot see into) among the decorators. */
  decoratedWithCaches(def: Node): boolean {
    return this.cachesDecorator(def) !== null;
  }

  /** The decorator of `def` that overrides CACHES, if any. */
  cachesDecorator(def: Node): Node | null {
    return this.defs.decorators(def).find(d => this.overridesCaches(d)) ?? null;
  }

  overridesCaches(call: Node): boolean {
    if (call.type !== 'call') return false;
    const fn = call.childForFieldName('function');
    const isOverride =
      this.names.is(fn, 'django.test.override_settings') ||
      // `self.settings(...)` in a Django test case
      (fn?.type === 'attribute' &&
        fn.childForFieldName('object')?.text === 'self' &&
        fn.childForFieldName('attribute')?.text === 'settings');
    return isOverride && (keywordArgument(call, 'CACHES') !== null || hasDictionarySplat(call));
  }

  private bodyIsolatesCache(fn: Node): boolean {
    const body = fn.childForFieldName('body');
    if (!body) return false;
    const hasSettingsFixture = parameterNames(fn).includes('settings');
    let found = false;
    walk(
      body,
      node => {
        if (found) return false;
        if (node.type === 'with_item' || node.type === 'call') {
          const call = node.type === 'with_item' ? node.childForFieldName('value') : node;
          if (call && this.overridesCaches(call.type === 'as_pattern' ? call.namedChildren[0] : call)) found = true;
        } else if (hasSettingsFixture && node.type === 'assignment') {
          // pytest-django: `settings.CACHES = {...}` is undone after the test
          if (node.childForFieldName('left')?.text === 'settings.CACHES') found = true;
        }
        return !found;
      },
      ISOLATION_TYPES,
    );
    return found;
  }

  /**
   * The call in `fn`'s body that empties a Django cache: `cache.clear()`, `caches["x"].clear()`, or
   * `c.clear()` in a loop over `caches.all()`. Null when there is none.
   */
  clearsCache(fn: Node): Node | null {
    return this.clearsCacheItself(fn) ?? this.clearingHelperCall(fn);
  }

  /**
   * A call in `fn`'s body of a function of this module, or of a method of `fn`'s class
   * (`self._clear_caches()`), that empties the cache itself: one level, as people write a reset. Or of a
   * function of the project named for clearing a cache (`clear_redirect_cache()`) that uses the cache.
   */
  private clearingHelperCall(fn: Node): Node | null {
    const body = fn.childForFieldName('body');
    if (!body) return null;
    const cls = this.defs.methodClass(fn);
    let found: Node | null = null;
    walk(
      body,
      node => {
        if (found) return false;
        const callee = node.childForFieldName('function');
        let target: Node | undefined;
        if (callee?.type === 'identifier') target = this.defs.functionsNamed(callee.text).at(-1);
        else if (cls && callee?.type === 'attribute' && /^(self|cls)$/.test(field(callee, 'object').text)) {
          const name = field(callee, 'attribute').text;
          target = bodyStatements(cls)
            .map(definitionOf)
            .find(d => d.type === 'function_definition' && defName(d) === name);
        }
        if (target && target !== fn && this.clearsCacheItself(target)) found = node;
        // the project's own `clear_config_cache()`: named for emptying a cache, and using the cache
        else if (!target && callee?.type === 'identifier' && CLEARING_HELPER.test(callee.text)) {
          const q = this.names.resolve(callee);
          if (q && this.project?.functionUsesCache(q)) found = node;
        }
        return !found;
      },
      CALLS,
    );
    return found;
  }

  private clearsCacheItself(fn: Node): Node | null {
    const body = fn.childForFieldName('body');
    if (!body || !/\.a?clear\s*\(|\.dangerous_clear_all_tiers\s*\(/.test(body.text)) return null;
    const loopVars = new Set([...body.text.matchAll(/for\s+(\w+)\s+in\s+[\w.]*caches\.all\(\)/g)].map(m => m[1]));
    // a local name for the cache: `backend = caches["default"]`, then `backend.clear()`
    const aliases = new Set<string>();
    walk(
      body,
      node => {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        if (left?.type === 'identifier' && right && this.isCacheObject(right)) aliases.add(left.text);
        return false;
      },
      ASSIGNMENTS,
    );
    let found: Node | null = null;
    walk(
      body,
      node => {
        if (found) return false;
        const fnNode = node.childForFieldName('function');
        // edx-django-utils empties the Django cache (and its request cache) in one call
        if (fnNode && /(^|\.)TieredCache\.dangerous_clear_all_tiers$/.test(this.names.resolve(fnNode) ?? '')) {
          found = node;
          return false;
        }
        if (fnNode?.type !== 'attribute' || !/^a?clear$/.test(fnNode.childForFieldName('attribute')?.text ?? ''))
          return true;
        const receiver = fnNode.childForFieldName('object');
        if (!receiver) return true;
        const isCache =
          this.isCacheObject(receiver) ||
          this.isCacheGetter(receiver) ||
          (receiver.type === 'identifier' && (loopVars.has(receiver.text) || aliases.has(receiver.text)));
        if (isCache) found = node;
        return !found;
      },
      CALLS,
    );
    return found;
  }

  /** `get_cache()`: a call of a function, of this module or the project, that returns a Django cache. */
  private isCacheGetter(node: Node): boolean {
    const callee = node.type === 'call' ? node.childForFieldName('function') : null;
    if (callee?.type !== 'identifier' && callee?.type !== 'attribute') return false;
    const local = callee.type === 'identifier' ? this.defs.functionsNamed(callee.text).at(-1) : undefined;
    if (local) return returnsCache(local.text);
    const q = this.names.resolve(callee);
    return !!q && !!(this.project?.functionReturnsCache(q) ?? this.returnsCache?.(q));
  }

  /** `cache` or `caches[...]` of django.core.cache. */
  private isCacheObject(node: Node): boolean {
    return (
      (node.type === 'subscript' && this.names.is(node.childForFieldName('value'), 'django.core.cache.caches')) ||
      this.names.is(node, 'django.core.cache.cache')
    );
  }

  /**
   * Whether `fn`'s body calls a method of the Django cache (`cache.get`, `caches["x"].set`) other
   * than emptying it: a helper that only clears is a reset, not a use.
   */
  callsCache(fn: Node): boolean {
    return this.cacheCalls(fn).some(call => !isClear(call) && !isWaitingLock(call));
  }

  /** The calls of methods of the Django cache in `fn`, in the order they are written. */
  private cacheCalls(fn: Node): Node[] {
    const out: Node[] = [];
    walk(
      fn,
      node => {
        const callee = node.childForFieldName('function');
        const receiver = callee?.type === 'attribute' ? callee.childForFieldName('object') : null;
        if (
          receiver &&
          ((receiver.type === 'subscript' &&
            this.names.is(receiver.childForFieldName('value'), 'django.core.cache.caches')) ||
            this.names.is(receiver, 'django.core.cache.cache'))
        )
          out.push(node);
        return true;
      },
      CALLS,
    );
    return out;
  }

  /** The tests `def` stands for: a class's test methods, or the function itself. */
  testsOf(def: Node): Node[] {
    return def.type === 'class_definition'
      ? bodyStatements(def)
          .map(definitionOf)
          .filter(d => d.type === 'function_definition' && this.isTestFunction(d))
      : [def];
  }

  /**
   * The project's classes this module imports whose methods use the Django cache themselves, by the name
   * the module calls them, with those methods: `LmsUserApiClient().best_effort_user_data(12345)` uses it.
   */
  projectCacheClasses(): Map<string, { q: string; methods: Set<string> }> {
    if (this.cacheClasses) return this.cacheClasses;
    const out = (this.cacheClasses = new Map<string, { q: string; methods: Set<string> }>());
    if (!this.project) return out;
    for (const [name, q] of this.names.moduleImports()) {
      const last = q.slice(q.lastIndexOf('.') + 1);
      if (!/^[A-Z]/.test(last) || /^(django|rest_framework|pytest|unittest)\b/.test(q)) continue;
      const methods = this.project.methodsUsingCache(q);
      if (methods.length) out.set(name, { q, methods: new Set(methods) });
    }
    return out;
  }

  /**
   * The project's class and method a call's `callee` reaches, where that method uses the cache:
   * `Client().m()`, `Client.m()`, or `client.m()` after `client = Client(...)` in `scope`.
   */
  projectCacheMethod(callee: Node, scope: Node): { q: string; method: string } | null {
    const classes = this.projectCacheClasses();
    if (classes.size === 0 || callee.type !== 'attribute') return null;
    const receiver = field(callee, 'object');
    const cls = receiver.type === 'call' ? receiver.childForFieldName('function') : receiver;
    if (cls?.type !== 'identifier') return null;
    const name = classes.has(cls.text)
      ? cls.text
      : new RegExp(`\\b${cls.text}\\s*=\\s*([A-Z]\\w*)\\(`).exec(scope.text)?.[1];
    const target = name ? classes.get(name) : undefined;
    const method = field(callee, 'attribute').text;
    return target?.methods.has(method) ? { q: target.q, method } : null;
  }

  /** Whether `fn` calls a method of one of the project's classes that uses the cache (`projectCacheMethod`). */
  private callsProjectCacheMethod(fn: Node): boolean {
    if (this.projectCacheClasses().size === 0) return false;
    let found = false;
    walk(
      fn,
      node => {
        const callee = node.childForFieldName('function');
        found ||= !!callee && this.projectCacheMethod(callee, fn) !== null;
        return !found;
      },
      CALLS,
    );
    return found;
  }

  /**
   * A test that empties the cache itself before it first uses it, or after it last does: it starts
   * from an empty cache, or leaves nothing behind (within its process). For a class, every test of it
   * that uses the cache does so.
   */
  private ownCacheReset(def: Node): Reset | null {
    const tests = this.testsOf(def);
    let found: Reset | null = null;
    for (const test of tests) {
      const calls = this.cacheCalls(test);
      // a test that reaches the cache only through a method of the project's own class clears nothing
      if (calls.length === 0 && this.callsProjectCacheMethod(test)) return null;
      if (calls.length === 0) continue;
      const clear = [calls[0], calls[calls.length - 1]].find(c => c && isClear(c));
      if (!clear) return null;
      found ??= { by: 'test', node: clear };
    }
    return found;
  }

  /**
   * What empties or isolates the cache before every test of class `cls`: a per-test hook (setUp,
   * tearDown, _pre_setup, _post_teardown) or an autouse fixture of the class or of a base class, in this
   * file or another.
   */
  classCacheReset(cls: Node, seen = new Set<number>()): Reset | null {
    if (seen.has(cls.id)) return null;
    seen.add(cls.id);
    for (const stmt of bodyStatements(cls)) {
      const def = definitionOf(stmt);
      // a per-test hook, or an autouse fixture of the class (it runs around each of its tests: nest)
      if (def.type !== 'function_definition' || !(PER_TEST_HOOKS.test(defName(def)) || this.isAutouseFixture(def)))
        continue;
      const call = this.clearsCache(def);
      if (call) return { by: 'base-class', node: call };
    }
    for (const base of this.baseExpressions(cls)) {
      const local = this.inFileClass(base);
      const inherited = local ? this.classCacheReset(local, seen) : null;
      if (inherited) return inherited;
      const q = local ? undefined : this.names.resolve(base);
      const at = q ? this.project?.classInfo(q)?.resetsCache : undefined;
      if (at) return { by: 'base-class', at };
    }
    return null;
  }

  /**
   * An autouse fixture or a per-test hook (`pytest_runtest_setup`, `pytest_runtest_teardown`) at the
   * top of this module (or, through the project, in a conftest.py or a plugin) that clears the cache.
   */
  fileCacheReset(): Reset | null {
    if (this.fileReset === undefined) {
      this.fileReset = null;
      for (const s of this.moduleFixtures) {
        const def = definitionOf(s);
        if (def.type !== 'function_definition') continue;
        if (!RUNTEST_HOOKS.test(defName(def)) && !this.isAutouseFixture(def)) continue;
        const call = this.clearsCache(def);
        if (call) {
          this.fileReset = { by: 'fixture', node: call };
          break;
        }
        // or through a fixture it requests (conversations' `_clear_cache_between_tests(clear_cache)`)
        if (!this.isAutouseFixture(def)) continue;
        const seen = new Set([defName(def)]);
        const through = parameterNames(def).reduce<Reset | null>(
          (found, p) => found ?? this.fixtureResetsCache(p, seen),
          null,
        );
        if (through) {
          this.fileReset = through;
          break;
        }
      }
      const fromProject = this.project?.autouseCacheReset;
      if (!this.fileReset && fromProject) this.fileReset = { by: 'fixture', at: fromProject };
    }
    return this.fileReset;
  }

  /**
   * Whether every test that runs `def` rolls its database writes back: a method of a TestCase (not a
   * TransactionTestCase), or a pytest function with the `db` fixture or a plain `django_db` mark.
   */
  rollsBack(def: Node, seen = new Set<number>()): boolean {
    const cls = def.type === 'class_definition' ? def : this.defs.methodClass(def);
    if (cls) {
      if (seen.has(cls.id)) return false;
      seen.add(cls.id);
      return this.baseExpressions(cls).some(b => {
        const local = this.inFileClass(b);
        if (local) return this.rollsBack(local, seen);
        const q = this.names.resolve(b);
        return !!q && (ROLLBACK_TEST_CASES.has(q) || !!this.project?.classInfo(q)?.rollsBack);
      });
    }
    const params = def.childForFieldName('parameters')?.namedChildren ?? [];
    if (params.some(p => p?.text === 'db')) return true;
    return this.defs.decorators(def).some(d => /^pytest\.mark\.django_db(\(\))?$/.test(d.text.replace(/\s/g, '')));
  }

  /** What gives every test that runs `def` (a class, or a function) an emptied cache, within its process. */
  cacheReset(def: Node): Reset | null {
    const cls = def.type === 'class_definition' ? def : this.defs.methodClass(def);
    return (
      (cls ? this.classCacheReset(cls) : null) ??
      this.fileCacheReset() ??
      this.requestedCacheReset(def) ??
      this.ownCacheReset(def)
    );
  }

  /**
   * The fixtures every test of `def` requests by name: a function's parameters, and
   * `@pytest.mark.usefixtures(...)` on it or its class (or a class's `pytestmark`).
   */
  requestedFixtures(def: Node): Set<string> {
    const names = new Set<string>();
    const cls = def.type === 'class_definition' ? def : this.defs.methodClass(def);
    if (def.type === 'function_definition') for (const p of parameterNames(def)) names.add(p);
    const marks = [
      ...(def.type === 'function_definition' ? this.defs.decorators(def) : []),
      ...(cls ? this.defs.decorators(cls) : []),
    ];
    if (cls) for (const stmt of bodyStatements(cls)) if (/^pytestmark\s*=/.test(stmt.text)) marks.push(stmt);
    // the module's `pytestmark = pytest.mark.usefixtures(...)`: every test of the module
    for (const stmt of this.moduleFixtures) if (/^pytestmark\s*=/.test(stmt.text)) marks.push(stmt);
    for (const mark of marks)
      for (const m of mark.text.matchAll(/usefixtures\(([^)]*)\)/g))
        for (const s of (m[1] ?? '').matchAll(/["'](\w+)["']/g)) if (s[1]) names.add(s[1]);
    return names;
  }

  /**
   * A fixture the tests of `def` request (not autouse) that empties the cache: this module's, or a
   * conftest.py's above it (`@pytest.mark.usefixtures("reset_cache")`, a `local_memory_cache` parameter).
   */
  private requestedCacheReset(def: Node): Reset | null {
    const tests = this.testsOf(def);
    if (tests.length === 0) return null;
    let found: Reset | null = null;
    for (const test of tests) {
      let reset: Reset | null = null;
      for (const name of this.requestedFixtures(test)) {
        reset = this.fixtureResetsCache(name, new Set());
        if (reset) break;
      }
      if (!reset) return null;
      found ??= reset;
    }
    return found;
  }

  /**
   * The fixture `name` empties the cache, itself or through a fixture it requests in turn (`downloader`
   * requesting `limit_test_data`, which clears it): this module's, or a conftest.py's above it.
   */
  private fixtureResetsCache(name: string, seen: Set<string>): Reset | null {
    return this.inFixtureChain(
      name,
      seen,
      local => {
        const call = this.clearsCache(local);
        return call ? { by: 'fixture', node: call } : null;
      },
      other => (this.project?.cacheResetFixtures.has(other) ? { by: 'fixture' } : null),
    );
  }

  /**
   * Whether the fixture `name` gives `setting` a whole new value through pytest-django's `settings`
   * (`settings.APPLICATION = deepcopy(...)`), itself or through a fixture it requests: this module's, or
   * a conftest.py's above it.
   */
  fixtureReplacesSetting(name: string, setting: string): boolean {
    return !!this.inFixtureChain(
      name,
      new Set(),
      local => (parameterNames(local).includes('settings') && replacedSettings(local.text).includes(setting)) || null,
      other => this.project?.settingReplacers.get(other)?.has(setting) || null,
    );
  }

  /**
   * What `own` finds in the fixture `name` of this module, or in a fixture it requests in turn; for a
   * fixture not defined here (a conftest.py's), what `above` says of it.
   */
  private inFixtureChain<T>(
    name: string,
    seen: Set<string>,
    own: (fixture: Node) => T | null,
    above: (name: string) => T | null,
  ): T | null {
    if (seen.has(name)) return null;
    seen.add(name);
    const local = this.defs.functionsNamed(name).find(f => this.isFixture(f));
    if (!local) return above(name);
    const found = own(local);
    if (found) return found;
    for (const requested of parameterNames(local)) {
      const deeper = this.inFixtureChain(requested, seen, own, above);
      if (deeper) return deeper;
    }
    return null;
  }

  /**
   * Whether a fixture of this module around the test `fn` puts `target` (a module's attribute or
   * container, as the module spells it) back after each test: an autouse one, or one the test requests
   * (a parameter, `usefixtures`), or a fixture either requests in turn, that after its `yield` assigns,
   * empties or refills it (`detection.NAMES.clear()` then `.update(saved)` in a `finally`; moo's
   * `_session_settings.clear()` before and after every test).
   */
  fixtureResets(fn: Node, target: string): boolean {
    const dot = target.lastIndexOf('.');
    const [owner, attr] = [escapeRegExp(target.slice(0, dot)), escapeRegExp(target.slice(dot + 1))];
    const reset = new RegExp(
      `(?<![\\w.])${escapeRegExp(target)}(?:\\s*=[^=]|\\.(?:clear|update)\\s*\\()` +
        (dot > 0 ? `|setattr\\(\\s*${owner}\\s*,\\s*["']${attr}["']` : ''),
    );
    const resets = (def: Node) => reset.test(afterYield(def));
    const autouse = this.moduleFixtures.some(s => {
      const def = definitionOf(s);
      return def.type === 'function_definition' && this.isAutouseFixture(def) && resets(def);
    });
    if (autouse) return true;
    const seen = new Set<string>();
    return [...this.requestedFixtures(fn)].some(
      name =>
        !!this.inFixtureChain(
          name,
          seen,
          local => (resets(local) ? true : null),
          () => null,
        ),
    );
  }

  isAutouseFixture(def: Node): boolean {
    return this.defs
      .decorators(def)
      .some(d => d.type === 'call' && this.isFixtureDecorator(d) && keywordArgument(d, 'autouse')?.text === 'True');
  }
}

/** The steps a call, an assignment or a `del` takes: a cleanup is also the call it defers. */
function stepsOf(n: Node): Step[] {
  if (n.type === 'assignment') return [{ target: n.childForFieldName('left') ?? n }];
  if (n.type === 'delete_statement')
    return n.namedChildren
      .flatMap(t => (t?.type === 'expression_list' ? t.namedChildren : [t]))
      .filter((t): t is Node => !!t && t.type !== 'comment')
      .map(target => ({ target }));
  const callee = n.childForFieldName('function');
  if (!callee) return [];
  const args = callArguments(n);
  const steps: Step[] = [{ callee, args }];
  if (CLEANUP.test(callee.text) && args[0]) steps.push({ callee: args[0], args: args.slice(1) });
  return steps;
}

/** Whether `n` is (or is inside) an `addCleanup(...)` call in `fn`. */
function insideCleanup(n: Node, fn: Node): boolean {
  for (let cur: Node | null = n; cur && cur.id !== fn.id; cur = cur.parent)
    if (cur.type === 'call' && CLEANUP.test(cur.childForFieldName('function')?.text ?? '')) return true;
  return false;
}

/**
 * An expression's text as a value, for comparing two writes: whitespace and trailing commas out,
 * one kind of quote (`('a',\n 'b',)` and `("a", "b")` are the same).
 */
function sameValueText(text: string): string {
  return text
    .replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|\s+/g, (_, str: string | undefined) =>
      str ? `"${str.slice(1, -1)}"` : '',
    )
    .replace(/,([)\]}])/g, '$1');
}

/** The text of a fixture after its first `yield`: what runs after the test. Empty where it yields nothing. */
export function afterYield(def: Node): string {
  return def.text
    .split(/\byield\b/)
    .slice(1)
    .join('yield');
}
