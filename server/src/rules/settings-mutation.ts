import {
  addDecorator,
  addParameter,
  importLeftUnused,
  removeStatement,
  statementOf,
  withFromHere,
} from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import { importModule } from '../engine/imports';
import type { Node } from '../syntax/parser';
import {
  anotherTestMatches,
  DJANGO_SETTINGS,
  leakObserved,
  leakObservedOutside,
  setupWriteReachesReaders,
} from './lib/readers';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import {
  bodyStatements,
  constantText,
  defName,
  definitionOf,
  field,
  isConstant,
  parameterNames,
  stringValue,
  walk,
} from '../syntax/nodes';
import { escapeRegExp, indentOf } from '../syntax/text';
import { settingsItem, settingWrite } from '../analysis/testing';
import { importOverrideSettings } from './lib/overrideSettings';
import { djangoRunner, thisProcess } from './lib/process';

const MUTATORS = new Set([
  'append',
  'extend',
  'insert',
  'update',
  'remove',
  'pop',
  'clear',
  'add',
  'setdefault',
  'discard',
]);
const SETTINGS = 'django.conf.settings';

const MEMBER_TARGET = /^[^=]*\./;

/**
 * What Django's setup_test_environment() (run by its runner and by pytest-django) sets for the whole
 * run: assigning it again changes nothing.
 */
const TEST_ENVIRONMENT = new Map([
  ['EMAIL_BACKEND', '"django.core.mail.backends.locmem.EmailBackend"'],
  ['DEBUG', 'False'],
]);

/** the settings only Django's SMTP email backend reads (django/core/mail/backends/smtp.py) */
const SMTP_SETTINGS = new Set([
  'EMAIL_HOST',
  'EMAIL_PORT',
  'EMAIL_HOST_USER',
  'EMAIL_HOST_PASSWORD',
  'EMAIL_USE_TLS',
  'EMAIL_USE_SSL',
  'EMAIL_SSL_CERTFILE',
  'EMAIL_SSL_KEYFILE',
  'EMAIL_TIMEOUT',
]);

/**
 * Django's own defaults (django/conf/global_settings.py) that have stayed the same from 3.2 to 5.x, as
 * `constantText` writes them: where no module of the project defines the setting, a test that writes the
 * default changes nothing (djangosaml2's `settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"`).
 */
const DJANGO_DEFAULTS = new Map([
  ['SESSION_ENGINE', '"django.contrib.sessions.backends.db"'],
  ['SESSION_COOKIE_NAME', '"sessionid"'],
  ['SESSION_COOKIE_AGE', '1209600'],
  ['SESSION_SAVE_EVERY_REQUEST', 'False'],
  ['SESSION_EXPIRE_AT_BROWSER_CLOSE', 'False'],
  ['SESSION_COOKIE_SECURE', 'False'],
  ['CSRF_COOKIE_NAME', '"csrftoken"'],
  ['CSRF_COOKIE_SECURE', 'False'],
  ['APPEND_SLASH', 'True'],
  ['PREPEND_WWW', 'False'],
  ['LOGIN_URL', '"/accounts/login/"'],
  ['LOGIN_REDIRECT_URL', '"/accounts/profile/"'],
  ['DEFAULT_FROM_EMAIL', '"webmaster@localhost"'],
  ['SERVER_EMAIL', '"root@localhost"'],
  ['EMAIL_HOST', '"localhost"'],
  ['EMAIL_PORT', '25'],
  ['EMAIL_USE_TLS', 'False'],
  ['EMAIL_USE_SSL', 'False'],
  ['SECURE_SSL_REDIRECT', 'False'],
]);

/**
 * Settings Django reads in nearly every test: whenever a date is made or stored (`timezone.now()`, a
 * DateTimeField) or a page is rendered. A setup hook that leaves one changed changes every later test of
 * the process (gettogether's `settings.USE_TZ = False` in a setUp with no tearDown). Likewise a setting a
 * context processor or middleware of the project reads (SettingUse.readOnEveryRequest: airmozilla's
 * `AUTOCOMPETER_KEY`), for every later test that renders a page.
 */
const READ_BY_EVERY_TEST = new Set(['USE_TZ', 'TIME_ZONE', 'USE_I18N', 'USE_L10N', 'LANGUAGE_CODE']);
export default createRule({
  id: 'XT040',
  name: 'settings-mutation',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A test changes django.conf.settings directly, and the change outlives the test',
  table: {
    finds:
      'Assignment, `del` or a mutating call on `django.conf.settings.X` in a test, setUp or fixture, not restored: it stays for every later test in the worker',
    fix: 'Safe: the pytest-django `settings` fixture in pytest tests; `@override_settings(X=...)` for a constant in a Django test case',
  },
  docs: {
    what:
      'Assignment, augmented assignment, `del`, or a mutating call (`append`, `extend`, `insert`, `update`, ...) ' +
      'on `django.conf.settings.X` (any import path or alias) in a test, setUp hook or fixture. Not the ' +
      'pytest-django `settings` fixture (a parameter named `settings` shadows the import), and not when the ' +
      "old value is restored in tearDown (the class's own, or a base class's in the module that it inherits or " +
      "hands on to with `super()`), a `finally`, `addCleanup` or after a fixture's `yield` (a name " +
      'saved as `before = settings.MIDDLEWARE` is the same list: put back after an `append`, it restores ' +
      'nothing, and the change is reported). Through ' +
      'the `settings` fixture, a change inside a setting (`settings.FEATURES["x"] = True`) is flagged (not where ' +
      "the module defines a fixture named `settings` of its own, which replaces pytest-django's), except " +
      'for an item an autouse fixture (of the module, or a conftest.py above it) sets before every test (or an ' +
      'item inside one it gives a new dict), or a setting it gives a new dict or list before every test ' +
      '(`settings.CACHES = {...}`), or a setting a fixture the test requests (itself, or through a fixture it ' +
      'requests) gives a new value (`settings.APPLICATION = deepcopy(...)`), and ' +
      "that fixture's own write of a constant: each test starts from it; nor an entry an autouse fixture of a " +
      'conftest.py whose folder holds every test of the project takes out (`settings.MIDDLEWARE.remove("x")`, ' +
      '`pop`, `discard`, `del` of a constant entry): every test starts without it, whatever ran before. ' +
      'Nor the assignment of the constant ' +
      'the settings module itself gives the setting (`settings.RESTRICT = False` where it is `False`; a list of ' +
      'constants too, also one the settings read from the environment with a default, ' +
      '`json.loads(os.getenv("STATES", \'[...]\'))`, `ast.literal_eval(os.getenv("USE_S3", "False"))`), or ' +
      "that Django's test environment gives it for the whole run (`EMAIL_BACKEND` the locmem backend, " +
      "`DEBUG = False`), or that a base class's same setup hook has just given it (the write after " +
      '`super().setUpClass()`), or an item of a dict setting the value the settings give that item ' +
      '(`settings.INDIGO["PROPERTIES"] = {}` where it is `{}`), or another setting the settings give the same ' +
      'constant (`settings.MODE = settings.MODE_GENERAL` where `MODE = MODE_GENERAL`), or, where nothing ' +
      "defines the setting, the constant every reading of the project's code falls back on " +
      '(`settings.X = False` where each reads `getattr(settings, "X", False)`): nothing changes; nor a false ' +
      'constant where the settings give another (`None` where they give `""`): code asking whether the setting is ' +
      'set sees no change. Nor a location the test made ' +
      'for itself (`with TemporaryDirectory() as root: settings.MEDIA_ROOT = root`, `tempfile.mkdtemp()`, ' +
      '`tmp_path`): what stays is a directory no other test knows, and a test that writes to the setting ' +
      'without setting it gets a folder of its own. A value saved first and put back later in the same test ' +
      'is a put-back (`rate = settings.X["k"]` ... `settings.X["k"] = rate`), `del settings.X` of a setting ' +
      "nothing defines (not one of Django's) leaves it as the run started, and so is `del settings.X` on the " +
      'other branch of the `if` that puts the saved value back (`if old: settings.X = old` / `else: del settings.X`). In tearDown, `setattr(settings, "X", ...)` and ' +
      '`delattr(settings, "X")` undo it as `settings.X = ...` and `del settings.X` do. Nor an in-place ' +
      'change the same test takes back (`X.remove(a)` and `X.append(a)`, `X[k] = v` and `del X[k]`): ' +
      'neither of the pair is reported. Nor a write inside an override: `with override_settings(...)` or ' +
      '`self.settings(...)` around it, `@override_settings` on the test, or on its class or a base class ' +
      "(another file's too) for everything but the class's own setUpClass/tearDownClass: the write goes into " +
      "the override and goes with it; but the class's override stays on until its last test, so a test's " +
      'write into it (none of its own around it) is reported where another test of the class gives the ' +
      "setting no value of its own and the project's code reads it while tests run: the tests of the class " +
      'that run after it see it. A write in a setup hook (`setUp`, `setUpClass`, `setUpTestData`, ' +
      "`setup_method`) is its class's configuration, given again before each of its tests: it is reported " +
      'only where a test of another class of the same module (or a module-level test) reads the setting ' +
      'and never sets it, or where it gives a setting nothing defines another value than the one every ' +
      'reading of the project\'s code falls back on (`getattr(settings, "X", False)`, and a test of another ' +
      "class or the project's code reads it), or where the class has no tests of its own " +
      '(a base class: it configures every class ' +
      'deriving from it, in other modules too), or where the setting is one Django reads in every test that ' +
      'makes a date or renders a page (`USE_TZ`, `TIME_ZONE`, `USE_I18N`, `USE_L10N`, `LANGUAGE_CODE`): every ' +
      'later test of the process reads it; so does every test that renders a page where a context processor ' +
      'or middleware of the project reads it (its dotted path a string of the settings, as TEMPLATES and MIDDLEWARE ' +
      'name them). Another reader in another module, or one that reaches the setting through the code ' +
      'under test, cannot be seen from the file: then nothing is said. Under pytest, where an autouse ' +
      "fixture (of the module, or a conftest.py above it) writes a setting through pytest-django's `settings`, " +
      'an override is open around every test: a write straight to the settings in the test, its setUp or a ' +
      'fixture goes into it and is dropped with it at teardown (Django puts back the settings it replaced), ' +
      'so it is not reported; a write in setUpClass or at module level (before the override opens) and a ' +
      'change inside a setting (the same object is behind the override) are. Last, a leak is reported only ' +
      "where a later test can see it, read from the project's files: a test that reads the setting, or names a " +
      'function or class of the project reading it (or a class deriving from one), without setting it first ' +
      "(in its body or decorators, its class's decorators or setup hooks, a fixture it requests); a function " +
      'of the project reading it that no test names, or that other code of the project names (a view reached ' +
      'through the URLconf, a helper the views call), except that a view the URLconf routes to, and code only ' +
      'such views name (its permission class, a helper it calls), is read by the tests requesting its route ' +
      '(a path, an f-string path, a `reverse()` name, in the test, its class or its module) as if they named ' +
      "it (eox-core's setUp configuration of a view only its own class requests); a test run once per " +
      'parameter that writes the setting only on some runs (under an `if`) is a later reader of its own ' +
      'write; or, where no code of the project reads it while tests ' +
      'run, a setting Django reads, or one the settings define (a library may read it). Not where every test ' +
      "reaching a reader sets it first (nest's Slack commands, each test setting `SLACK_COMMANDS_ENABLED` before " +
      "calling the handler), where the project reads it only at import (Archery's `PASSWORD_MIXIN_PATH`, read " +
      'once when its models are imported), or where nothing defines or reads it.',
    why:
      '`django.conf.settings` is one object per process. A value set by one test stays for every test that ' +
      'runs after it in that process (that xdist worker), so later tests pass or fail depending on which tests ' +
      'ran before them and how xdist happened to split the suite.',
    incident:
      'foundation.mozilla.org: a test assigned `settings.APPLE_PAY_DOMAIN_ASSOCIATION_KEY_*` directly and ' +
      'never reset it; pytest-xdist reuses worker processes, so the value leaked into whichever test came ' +
      'next and CI failed intermittently. The fix: `@override_settings`.',
    incidentUrl: 'https://github.com/MozillaFoundation/foundation.mozilla.org/issues/16690',
    example: [
      'def test_debug_toolbar():',
      '    settings.DEBUG = True                 # XT040',
      '',
      '# fixed (pytest-django: the fixture restores it)',
      'def test_debug_toolbar(settings):',
      '    settings.DEBUG = True',
      '',
      'class ApiTests(TestCase):',
      '    def test_x(self):',
      '        settings.PAGE_SIZE = 5            # XT040',
      '',
      '# fixed',
      'class ApiTests(TestCase):',
      '    @override_settings(PAGE_SIZE=5)',
      '    def test_x(self):',
      '        ...',
    ].join('\n'),
    fixSafety:
      'Safe. In a pytest function or function-scoped fixture the `settings` fixture is requested, which ' +
      "shadows the import and restores every change (unsafe where the project's own code writes the " +
      "setting too: the test's write may be the reset of what that code left, and the fixture restores the " +
      "value it found). Every fix is unsafe where the project's own code replaces Django's settings object " +
      "(`settings._wrapped = ...`: awx's wrapper stores some settings in the database), since a write there may " +
      'do more than set a value, and where another test of the module names the setting without giving it a ' +
      'value of its own (it may pass only on the value this test leaks). In a Django test case, an assignment of a constant as a ' +
      'top-level statement of a test method becomes `@override_settings(X=...)` on the method (on the class ' +
      'when it is in setUp, unless a test of the class changes or deletes the setting: setUp gave each test ' +
      'the value afresh, one override for the class does not), when nothing but other such assignments comes ' +
      'before it. When anything runs before the change (the test, or code it calls, may read the setting ' +
      'first), or the value is computed, ' +
      'the statement becomes `with self.settings(X=...):` over the rest of the test, so the change still ' +
      'starts where it did; `settings.X += v` and `settings.X["k"] = v` become a new value ' +
      '(`settings.X + v`, `{**settings.X, "k": v}`), which is unsafe: code that kept the old object does not ' +
      'see it. Mutating calls, chained assignments (`settings.A = settings.B = v`) and other shapes get no ' +
      'automatic fix, nor a function whose body binds the ' +
      'name `settings` itself (`from django.conf import settings` inside it would shadow the fixture).',
  },
  create(ctx): Listeners {
    if (!ctx.file.mentions('settings')) return {}; // django.conf.settings is reached through that word
    const check = (target: Node | null, stmt: Node, kind: 'assign' | 'del' | 'call') => {
      const setting = settingOf(ctx, target, kind) ?? throughFixture(ctx, target, stmt, kind);
      if (!setting) return;
      const owner = ctx.testing.owner(stmt);
      if (!owner || ctx.testing.isUndoing(stmt, owner.fn) || ctx.testing.isWideFixture(owner.fn)) return;
      if (ctx.testing.neverCompletes(stmt, owner.fn)) return;
      // a helper only session fixtures and hooks call configures the run, as they do
      if (owner.role === 'helper' && ctx.testing.onlyWideCallers(owner.fn)) return;
      // the class's own override stays on from its first test to its last: a test's write into it is
      // there for the tests of the class that run after it (municipal-data's `settings.NO_INDEX`)
      const inClassOverride =
        ctx.testing.settingsOverridden(owner.fn) || ctx.testing.insideSettingsOverride(stmt, owner.fn);
      if (inClassOverride && !leftToClassmates(ctx, owner, stmt, setting)) return;
      if (
        ctx.testing.restores(owner.fn, setting.node.text, stmt) &&
        !(setting.nested && aliasPutBack(owner.fn, setting, stmt))
      )
        return;
      // changed inside a value the test put there itself (`settings.X = deepcopy(settings.X)` first)
      if (setting.nested && replacedBefore(owner.fn, setting, stmt)) return;
      // ... or a fixture it requests did (`application_settings` giving settings.APPLICATION a deep copy)
      if (
        setting.nested &&
        [...ctx.testing.requestedFixtures(owner.fn)].some(f => ctx.testing.fixtureReplacesSetting(f, setting.name))
      )
        return;
      // changed and changed back in the same test: `X.remove(a)` ... `X.append(a)`, `X[k] = v` ... `del X[k]`
      if (setting.nested && pairedWithInverse(owner.fn, stmt)) return;
      // an item an autouse fixture sets before every test (this module's, a conftest's): each test
      // starts from the fixture's value; and that fixture's own write of a constant is the reset
      if (setting.nested && stmt.type === 'assignment') {
        const value = stmt.childForFieldName('right');
        if (value && isConstant(value) && ctx.testing.isAutouseFixture(owner.fn)) return;
        const item = settingsItem(stmt.childForFieldName('left')?.text ?? '');
        // the item, or one holding it (`STORAGES["default"]` given a new dict: `["default"]["BACKEND"]` is in it)
        const set = (items: ReadonlySet<string> | undefined) =>
          !!items && (items.has(item) || [...items].some(i => item.startsWith(`${i}[`)));
        if (set(ctx.testing.autouseSettingsItems()) || set(ctx.project?.autouseSettingsItems)) return;
      }
      // an entry an autouse fixture of a conftest.py above every test takes out (`X.remove(a)`, `del X[k]`,
      // `X.pop(k, None)`): each test starts without it, whatever ran before (dso-api's middleware)
      if (
        setting.nested &&
        ctx.testing.isAutouseFixture(owner.fn) &&
        takesOut(stmt) &&
        /(^|\.)conftest$/.test(ctx.file.moduleName) &&
        ctx.project?.testsOutsideFolder === false
      )
        return;
      // a constant an autouse fixture of a conftest.py above every test writes: each test starts from it,
      // whatever ran before, and no test sees another value unless it writes one itself (unified-ecommerce's
      // `settings.MITOL_APP_PATH_PREFIX = ""`)
      if (
        !setting.nested &&
        stmt.type === 'assignment' &&
        isConstant(stmt.childForFieldName('right') ?? stmt) &&
        ctx.testing.isAutouseFixture(owner.fn) &&
        /(^|\.)conftest$/.test(ctx.file.moduleName) &&
        ctx.project?.testsOutsideFolder === false
      )
        return;
      // ... or gives the whole setting a new container before every test: a change inside it is that test's own
      // (not in setUpClass, which runs before it)
      const perTest = owner.role !== 'hook' || PER_TEST_HOOK.test(defName(owner.fn));
      if (setting.nested && perTest) {
        const fresh = ctx.testing.autouseSettingsItems().has(setting.name);
        if (fresh || ctx.project?.autouseSettingsItems.has(setting.name)) return;
      }
      // written before in the test, and now (for an item inside a setting) given a constant: the test puts
      // back what it takes the value to have been (hawc's `FAKE_IMPORTS = True` ... `FAKE_IMPORTS = False`)
      const value = stmt.type === 'assignment' ? stmt.childForFieldName('right') : null;
      if (
        stmt.type === 'assignment' &&
        (ctx.testing.isPutBack(owner.fn, setting.node.text, value) ||
          ((!setting.nested || (!!value && isConstant(value))) &&
            ctx.testing.writtenBefore(owner.fn, stmt.childForFieldName('left')?.text ?? '', stmt)))
      )
        return;
      if (stmt.type === 'delete_statement' && ctx.testing.deletesWhatWasUnset(owner.fn, setting.node.text, stmt))
        return;
      // `del settings.X` of a setting nothing defines (not one of Django's): the run started without it, and
      // that is where the delete leaves it, whatever setUp gave it (xblock-lti-consumer)
      if (
        stmt.type === 'delete_statement' &&
        !setting.nested &&
        !DJANGO_SETTINGS.has(setting.name) &&
        ctx.project?.settingUse(setting.name)?.defined === false
      )
        return;
      // a directory the test made for itself (`with TemporaryDirectory() as root: settings.MEDIA_ROOT = root`):
      // what stays is a location no other test knows; one that writes there without setting it gets a
      // directory of its own, as storages make the folders they write into (pontoon)
      if (
        stmt.type === 'assignment' &&
        !setting.nested &&
        ownTemporaryDirectory(ctx, owner.fn, stmt.childForFieldName('right'))
      )
        return;
      // the value a base class's hook has just given it (`super().setUpClass()` first): nothing changes
      if (stmt.type === 'assignment' && !setting.nested && ctx.testing.sameAsBaseHook(owner.fn, stmt)) return;
      // the value the settings give it anyway: nothing changes (`settings.X = False` where X is False,
      // `settings.X["k"] = {}` where the settings' X has `"k": {}`)
      if (stmt.type === 'assignment' && setting.name) {
        const value = stmt.childForFieldName('right');
        const path = settingPath(setting, stmt.childForFieldName('left'));
        const constants = ctx.project?.settings.constants;
        const given = path && (TEST_ENVIRONMENT.get(path) ?? constants?.get(path));
        if (value && given != null && isConstant(value) && constantText(value) === given) return;
        // Django's own default, for a setting no module of the project defines
        if (
          value &&
          given == null &&
          !setting.nested &&
          isConstant(value) &&
          ctx.project?.settings.unknown === null &&
          DJANGO_DEFAULTS.get(setting.name) === constantText(value) &&
          ctx.project.settingUse(setting.name)?.defined === false
        )
          return;
        // a false value where the settings give another (`None` where they give `""`): code that asks
        // whether the setting is set, as settings are read, sees no change (foundation's Apple Pay keys)
        if (value && given != null && isConstant(value) && FALSY.test(constantText(value)) && FALSY.test(given)) return;
        // a setting nothing defines, given the constant every reading of the project's code falls back on
        // (`getattr(settings, "X", False)`): later tests see what they would have (django-taggit)
        if (
          value &&
          given == null &&
          !setting.nested &&
          isConstant(value) &&
          ctx.project?.settingUse(setting.name)?.defaultWhereUnset === constantText(value)
        )
          return;
        // `settings.X = settings.Y` where the settings give Y the value they give X (escrutinio-social's
        // `settings.MODO_ELECCION = settings.ME_OPCION_GEN`, its default)
        const left = stmt.childForFieldName('left');
        if (
          value?.type === 'attribute' &&
          left?.type === 'attribute' &&
          field(value, 'object').text === field(left, 'object').text &&
          given != null &&
          constants?.get(field(value, 'attribute').text) === given
        )
          return;
      }
      // an autouse fixture opens an override around every test (it writes a setting through pytest-django's
      // `settings`): a write straight to the settings goes into it, and is dropped with it at teardown.
      // Not what setUpClass or a module writes (before the override opens), nor a change inside a value
      // (the same object is behind the override)
      if (
        !setting.nested &&
        !setting.fixture &&
        perTest &&
        (ctx.testing.autouseOpensSettingsOverride() ||
          (ctx.project?.usesPytest && ctx.project.autouseOpensSettingsOverride))
      )
        return;
      // a setup hook's write is its class's configuration: reported where a test of another class reads it unset
      if (
        owner.role === 'hook' &&
        !(!setting.nested && READ_BY_EVERY_TEST.has(setting.name)) &&
        !setupWriteReachesReaders(ctx, owner.fn, setting.name) &&
        !turnsOnUnsetSetting(ctx, owner.fn, stmt, setting) &&
        // (asked last: it reads the project's files)
        !ctx.project?.settingUse(setting.name)?.readOnEveryRequest
      )
        return;
      // Django's SMTP backend alone reads the connection settings, and the test environment puts the locmem
      // backend in the settings' place: a host or port left behind is seen only through a backend some test
      // sets. Where this function sets that too, the backend's finding tells the leak; where no test names
      // the SMTP backend, nothing reads them (django-mailbox's base setUp)
      if (
        !setting.nested &&
        SMTP_SETTINGS.has(setting.name) &&
        (/\bEMAIL_BACKEND\s*=(?!=)/.test(owner.fn.text) || ctx.project?.occurrencesInTests('smtp.EmailBackend') === 0)
      )
        return;
      // no later test can see it: every test reaching a reader sets it first, or nothing reads it after import
      if (!leakObserved(ctx, owner.fn, setting.name, stmt)) return;
      ctx.report({
        node: stmt,
        message: inClassOverride
          ? `settings.${setting.name} is changed inside the class's override_settings, which stays on until its last test: every test of the class that runs after this one sees it`
          : setting.fixture
            ? `settings.${setting.name} is changed in place: the pytest-django settings fixture restores only the attribute, not what is inside it, so every later test in ${thisProcess(ctx)} sees the change`
            : `settings.${setting.name} is changed for the rest of this process: every test that runs after this one${djangoRunner(ctx) ? '' : ' in the same xdist worker'} sees it`,
        fix: unsafeWhereRelied(ctx, owner.fn, stmt, setting.name, fixFor(ctx, owner.fn, stmt, setting, kind)),
      });
    };
    return {
      // a setting is a member (`settings.X`): an assignment with no `.` before its `=` sets none
      assignment(node) {
        if (MEMBER_TARGET.test(node.text)) check(node.childForFieldName('left'), node, 'assign');
      },
      augmented_assignment(node) {
        if (MEMBER_TARGET.test(node.text)) check(node.childForFieldName('left'), node, 'assign');
      },
      delete_statement(node) {
        for (const t of node.namedChildren) if (t) check(t, node, 'del');
      },
      call(node) {
        const fn = node.childForFieldName('function');
        if (fn?.type === 'attribute' && MUTATORS.has(fn.childForFieldName('attribute')?.text ?? ''))
          check(fn.childForFieldName('object'), node, 'call');
        else if (fn && ctx.file.mentions(HANDED)) handedToWriter(ctx, node, fn);
      },
    };
  },
});

/**
 * A test's write of a setting straight into its class's override_settings (none of the test's own around
 * it), where another test of the class gives the setting no value of its own and the project's code reads
 * it while tests run: the class's later tests see it.
 */
function leftToClassmates(ctx: RuleContext, owner: { fn: Node; role: string }, stmt: Node, setting: Setting): boolean {
  const cls = ctx.defs.methodClass(owner.fn);
  if (owner.role !== 'test' || setting.nested || !cls || !/^\w+$/.test(setting.name)) return false;
  // (the decorators of a method are said with its class's)
  const classWide = new Set(ctx.defs.decorators(cls).map(d => d.id));
  if (ctx.testing.settingsOverridesAround(stmt, owner.fn).some(o => !classWide.has(o.id))) return false;
  const sets = settingWrite(setting.name);
  const others = ctx.testing.testsOf(cls).filter(t => t.id !== owner.fn.id && !sets.test(t.text));
  if (!others.length || !ctx.project?.settingUse(setting.name)?.readAtRuntime) return false;
  // the class, or a base of it, gives it a value outside its tests (a setUp, a `_reset_state()` it calls)
  return !setOutsideTests(ctx, cls, sets, new Set());
}

/** Whether code of `cls` or of its bases other than its tests matches `sets` (another module's: any of its code). */
function setOutsideTests(ctx: RuleContext, cls: Node, sets: RegExp, seen: Set<number>): boolean {
  if (seen.has(cls.id)) return false;
  seen.add(cls.id);
  const tests = new Set(ctx.testing.testsOf(cls).map(t => t.id));
  if (bodyStatements(cls).some(s => !tests.has(definitionOf(s).id) && sets.test(s.text))) return true;
  return ctx.testing.baseExpressions(cls).some(b => {
    const local = ctx.testing.inFileClass(b);
    if (local) return setOutsideTests(ctx, local, sets, seen);
    const q = ctx.names.resolve(b);
    const info = q ? ctx.project?.classInfo(q) : undefined;
    const text = info ? ctx.project?.readText(info.file) : null;
    return !!text && sets.test(text);
  });
}

/** `X.remove(a)`, `X.discard(a)`, `X.pop(k, None)`, `del X[k]` with constant entries: the same, done twice */
function takesOut(stmt: Node): boolean {
  if (stmt.type === 'delete_statement')
    return stmt.namedChildren.every(t => t?.type === 'subscript' && isConstant(field(t, 'subscript')));
  const method = stmt.type === 'call' ? field(stmt, 'function') : null;
  if (method?.type !== 'attribute' || !TAKE_OUT.has(field(method, 'attribute').text)) return false;
  const args = field(stmt, 'arguments').namedChildren;
  return args.length > 0 && args.every(a => !!a && isConstant(a));
}
const TAKE_OUT = new Set(['remove', 'discard', 'pop']);

/**
 * A setup hook's constant for a setting nothing defines, other than the one every reading of the project
 * falls back on (`settings.X = True` where each reads `getattr(settings, "X", False)`), where a test of
 * another class, or the project's code that tests reach unseen, reads it: every other class takes the
 * default for granted, and after this class it is gone (django-taggit's case-insensitive tags).
 */
function turnsOnUnsetSetting(ctx: RuleContext, hook: Node, stmt: Node, setting: Setting): boolean {
  const value = stmt.type === 'assignment' ? stmt.childForFieldName('right') : null;
  if (setting.nested || !value || !isConstant(value)) return false;
  const fallback = ctx.project?.settingUse(setting.name)?.defaultWhereUnset;
  return fallback != null && fallback !== constantText(value) && leakObservedOutside(ctx, hook, setting.name);
}

/** a call handing something named settings on: `plugin_settings(settings)` */
const HANDED = /\(\s*settings\s*[,)]/;

/**
 * django.conf.settings handed to a function of the project that writes settings on it, in a test or a
 * fixture (edX plugins' `common.plugin_settings(settings)`): each write stays for the rest of the process,
 * as one in the test would. Reported where a later test can see one of them; not inside an override.
 */
function handedToWriter(ctx: RuleContext, call: Node, callee: Node): void {
  if (callee.type !== 'identifier' && callee.type !== 'attribute') return;
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  const index = args.findIndex(a => a?.type === 'identifier' && ctx.names.resolve(a) === SETTINGS);
  if (index < 0 || args.slice(0, index).some(a => a?.type === 'keyword_argument')) return;
  const owner = ctx.testing.owner(call);
  if (!owner || (owner.role !== 'test' && owner.role !== 'fixture') || ctx.testing.isWideFixture(owner.fn)) return;
  if (ctx.testing.settingsOverridden(owner.fn) || ctx.testing.insideSettingsOverride(call, owner.fn)) return;
  const q = ctx.names.resolve(callee);
  const written = q ? ctx.project?.parameterSettingsWritten(q, index) : null;
  const seen = written?.names.find(name => leakObserved(ctx, owner.fn, name));
  if (!written || !seen) return;
  const others = written.names.length - 1;
  ctx.report({
    node: call,
    message: `${callee.text}() writes settings.${seen}${others ? ` (and ${others} more)` : ''} straight into django.conf.settings: the values stay for the rest of this process, and every test that runs after this one${djangoRunner(ctx) ? '' : ' in the same xdist worker'} sees them`,
    related: [{ at: written.at, message: `${callee.text}() writes the settings it is handed here` }],
  });
}

/** a constant Python takes as false, as `constantText` writes it */
const FALSY = /^(?:None|False|0|""|\[\]|\{\}|\(\))$/;

/** setup hooks that run inside each test, under its function-scoped fixtures */
const PER_TEST_HOOK = /^(setUp|tearDown|setup_method|teardown_method|setup_function|teardown_function)$/;

interface Setting {
  name: string;
  node: Node;
  receiver: Node;
  /** changed inside (an item, or in place): not undone by replacing the attribute */
  nested: boolean;
  /** through the pytest-django `settings` fixture, which restores only the attribute */
  fixture?: boolean;
}

/**
 * A change in place "undone" by putting back a name that holds the same object (ol-django's fixture:
 * `before = settings.MIDDLEWARE`, then `settings.MIDDLEWARE.append(...)`, and after the `yield`
 * `settings.MIDDLEWARE = before`): the saved name was never a copy, so what goes back is the changed list.
 * True where every later write of the setting in `fn` assigns such a name and nothing else mentions it.
 */
function aliasPutBack(fn: Node, setting: Setting, stmt: Node): boolean {
  const text = setting.node.text;
  const aliases = new Set<string>();
  const writes: Node[] = [];
  walk(
    fn,
    n => {
      if (n.type === 'function_definition' || n.type === 'lambda') return n.id === fn.id;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      // `before = settings.MIDDLEWARE` first: the same object, not a copy
      if (n.endIndex <= stmt.startIndex) {
        if (left?.type === 'identifier' && right?.text === text) aliases.add(left.text);
      } else if (left?.text === text) writes.push(n);
      return true;
    },
    ALIAS_TYPES,
  );
  // the put-backs all assign a saved alias, and the rest of the function names the setting nowhere else
  const mentions = fn.text.slice(stmt.endIndex - fn.startIndex).split(text).length - 1;
  return (
    writes.length > 0 &&
    mentions === writes.length &&
    writes.every(w => aliases.has(w.childForFieldName('right')?.text ?? ''))
  );
}
const ALIAS_TYPES = new Set(['assignment', 'function_definition', 'lambda']);

/** `settings.X` (or `settings.X[...]`, `settings.X.y`) on django.conf.settings: the setting and its receiver. */
function settingOf(ctx: RuleContext, target: Node | null, kind: 'assign' | 'del' | 'call'): Setting | null {
  const node = target && ctx.names.memberOf(target, SETTINGS);
  if (!node || !target) return null;
  // an item of the setting, or a mutating call on it, changes its value in place
  const nested = target.id !== node.id || kind === 'call';
  return { name: field(node, 'attribute').text, node, receiver: field(node, 'object'), nested };
}

/**
 * `settings.X["k"] = v`, `settings.X.update(...)`, `del settings.X["k"]` through the pytest-django
 * `settings` fixture: it puts back the attribute after the test, but the dict or list inside was
 * changed in place, and the put-back value is that same, changed object.
 */
function throughFixture(
  ctx: RuleContext,
  target: Node | null,
  stmt: Node,
  kind: 'assign' | 'del' | 'call',
): Setting | null {
  if (!target || !/^settings\.\w+/.test(target.text)) return null;
  let node: Node | null = target;
  const chain: Node[] = [];
  while (node?.type === 'attribute' || node?.type === 'subscript') {
    chain.push(node);
    node = node.childForFieldName(node.type === 'attribute' ? 'object' : 'value');
  }
  const top = chain.at(-1);
  if (node?.type !== 'identifier' || node.text !== 'settings' || top?.type !== 'attribute') return null;
  // the attribute itself replaced (or deleted) is what the fixture restores
  if (chain.length === 1 && kind !== 'call') return null;
  const fn = ctx.defs.enclosingFunction(stmt);
  if (!fn || !parameterNames(fn).includes('settings') || !ctx.testing.takesFixtures(fn)) return null;
  // the module's own fixture named `settings` replaces pytest-django's (awx builds a LazySettings per test)
  if (ctx.defs.functionsNamed('settings').some(f => ctx.testing.isFixture(f))) return null;
  return { name: field(top, 'attribute').text, node: top, receiver: node, nested: true, fixture: true };
}

/** what makes a temporary directory: tempfile's, or pytest's per-test one */
const TEMPORARY_DIRECTORY = /\b(?:mkdtemp|TemporaryDirectory)\s*\(|\b(?:tmp_path|tmpdir|tmp_path_factory)\b/;

/**
 * Whether `value` is a temporary directory the test made: `mkdtemp()`, `str(tmp_path)`, `tmp.name`,
 * or a name (`self.x` too, from a setup hook of the class) that `fn` binds to one, with `with
 * TemporaryDirectory() as x` or `x = mkdtemp()`.
 */
function ownTemporaryDirectory(ctx: RuleContext, fn: Node, value: Node | null): boolean {
  if (!value) return false;
  if (TEMPORARY_DIRECTORY.test(value.text) && !/\bgettempdir\b/.test(value.text)) return true;
  let name = value;
  // `x.name` of a TemporaryDirectory, `str(x)`, `os.fspath(x)`, `Path(x)`
  if (name.type === 'attribute' && name.childForFieldName('attribute')?.text === 'name') name = field(name, 'object');
  if (
    name.type === 'call' &&
    /^(str|os\.fspath|Path|pathlib\.Path)$/.test(name.childForFieldName('function')?.text ?? '')
  ) {
    const args = name.childForFieldName('arguments')?.namedChildren ?? [];
    if (args.length !== 1 || !args[0]) return false;
    name = args[0];
  }
  if (name.type !== 'identifier' && name.type !== 'attribute') return false;
  const n = escapeRegExp(name.text);
  const made = new RegExp(
    `(?:TemporaryDirectory\\([^()]*\\)\\s+as\\s+${n}\\b)|(?:^|[^\\w.])${n}\\s*=(?!=)[^\\n]*(?:mkdtemp|TemporaryDirectory)\\s*\\(`,
  );
  if (made.test(fn.text)) return true;
  const cls = name.text.startsWith('self.') || name.text.startsWith('cls.') ? ctx.defs.methodClass(fn) : null;
  return !!cls && ctx.testing.setupHooksOf(cls).some(hook => made.test(hook.text));
}

/** The setting a write replaces, as the settings' constants name it: `X`, or `X["k"]` for one item of a dict. */
function settingPath(setting: Setting, target: Node | null): string | null {
  if (!setting.nested) return setting.name;
  if (target?.type !== 'subscript' || target.childForFieldName('value')?.id !== setting.node.id) return null;
  const subscript = target.childForFieldName('subscript');
  const key = subscript && stringValue(subscript);
  return key === null ? null : `${setting.name}[${JSON.stringify(key)}]`;
}

/** `X[...][k] = v` or `del X[...][k]`: the container, the key and the value. */
function itemTarget(stmt: Node, kind: 'assign' | 'del'): { container: Node; key: Node; value: Node | null } | null {
  const target =
    kind === 'del' ? stmt.namedChildren.find(c => c?.type === 'subscript') : stmt.childForFieldName('left');
  if (target?.type !== 'subscript' || (kind === 'del' && stmt.namedChildren.length !== 1)) return null;
  const container = target.childForFieldName('value');
  const key = target.childForFieldName('subscript');
  const value = kind === 'assign' ? stmt.childForFieldName('right') : null;
  if (!container || !key || (kind === 'assign' && (!value || stmt.type !== 'assignment'))) return null;
  return { container, key, value };
}

/**
 * Whether `fn` assigns the setting itself (`settings.X = ...`) before `stmt`: the object changed in
 * place is then its own.
 */
function replacedBefore(fn: Node, setting: Setting, stmt: Node): boolean {
  const before = fn.text.slice(0, stmt.startIndex - fn.startIndex);
  return new RegExp(`(^|\\n)[ \\t]*${escapeRegExp(setting.receiver.text)}\\.${setting.name}\\s*=(?!=)`).test(before);
}

/** In-place changes that undo each other: a method and the ones that take its change back. */
const INVERSE: Record<string, string[]> = {
  remove: ['append', 'add', 'insert'],
  discard: ['append', 'add', 'insert'],
  append: ['remove', 'discard'],
  add: ['remove', 'discard'],
  insert: ['remove', 'discard'],
};

/**
 * `stmt`, an in-place change of a setting (`S.remove(a)`, `S[k] = v`, `del S[k]`, `S.pop(k)`), and another
 * statement of `fn` that takes it back, before or after it (`S.append(a)`, `del S[k]` or `S.pop(k)`, `S[k] = v`):
 * the pair leaves the setting as it was. Matched on the receiver's and the item's text.
 */
function pairedWithInverse(fn: Node, stmt: Node): boolean {
  const shape = (n: Node): { receiver: string; op: string; item: string } | null => {
    if (n.type === 'call') {
      const f = n.childForFieldName('function');
      const args = n.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a) ?? [];
      const op = f?.type === 'attribute' ? (f.childForFieldName('attribute')?.text ?? '') : '';
      // `S.pop(k)` takes an item out as `del S[k]` does
      if (op === 'pop' && args[0] && args[0].type !== 'keyword_argument')
        return { receiver: field(f as Node, 'object').text, op: 'delitem', item: key(args[0]) };
      const item = args.at(-1);
      return op in INVERSE && item ? { receiver: field(f as Node, 'object').text, op, item: key(item) } : null;
    }
    const target =
      n.type === 'assignment' ? n.childForFieldName('left') : n.type === 'delete_statement' ? n.namedChildren[0] : null;
    if (target?.type !== 'subscript') return null;
    return {
      receiver: field(target, 'value').text,
      op: n.type === 'assignment' ? 'setitem' : 'delitem',
      item: key(target.childForFieldName('subscript')),
    };
  };
  // `"k"` and `'k'` are one key
  const key = (n: Node | null) => {
    const v = n && stringValue(n);
    return v !== null && v !== undefined ? JSON.stringify(v) : (n?.text ?? '');
  };
  const mine = shape(stmt);
  if (!mine) return false;
  const undo = mine.op === 'setitem' ? ['delitem'] : mine.op === 'delitem' ? ['setitem'] : (INVERSE[mine.op] ?? []);
  let found = false;
  walk(
    fn,
    n => {
      if (found) return false;
      const other = n.id === stmt.id ? null : shape(n);
      if (other && undo.includes(other.op) && other.receiver === mine.receiver && other.item === mine.item)
        found = true;
      return !found;
    },
    CHANGES,
  );
  return found;
}
const CHANGES = new Set(['call', 'assignment', 'delete_statement']);

/**
 * A fix that may change more than the leak is unsafe: where the project's own code puts a wrapper of its
 * own in place of Django's settings (`settings._wrapped = SettingsWrapper(...)`: awx keeps registered
 * settings in database rows), a write may do more than set a value, and an override or the settings
 * fixture bypasses it; and where another test may pass only on the value this one leaks (othersMention).
 */
function unsafeWhereRelied(ctx: RuleContext, fn: Node, stmt: Node, name: string, fix: Fix | null): Fix | null {
  if (!fix || fix.applicability === 'unsafe') return fix;
  const wraps = (ctx.project?.occurrences(WRAPS) ?? 0) > (ctx.project?.occurrencesInTests(WRAPS) ?? 0);
  return wraps || othersMention(ctx, fn, name) || hookWritesToo(ctx, fn, name) || sameElsewhere(ctx, fn, stmt)
    ? Fix.unsafe(fix.title, fix.edits)
    : fix;
}

/**
 * A test whose class's setup hook writes the same setting straight into the settings (django-taggit's
 * setUp `TAGGIT_CASE_INSENSITIVE = True`, a test's `= False`): the test's own write was what put a value
 * back after the class, and an override around the test restores the hook's value instead.
 */
function hookWritesToo(ctx: RuleContext, fn: Node, name: string): boolean {
  const cls = ctx.defs.methodClass(fn);
  const writes = new RegExp(`\\bsettings\\.${name}\\s*[-+|]?=(?!=)`);
  return !!cls && ctx.testing.setupHooksOf(cls).some(h => h.id !== fn.id && writes.test(h.text));
}

/**
 * A setup hook's write that test modules elsewhere make too, with the same value, straight into the
 * settings (AutSPACEs' `settings.DEBUG = True` in many setUps): the suite may pass only because that
 * value stays, for tests of other classes that never set it, and an override would take it away.
 */
function sameElsewhere(ctx: RuleContext, fn: Node, stmt: Node): boolean {
  if (!ctx.testing.isSetupHook(fn) || stmt.type !== 'assignment') return false;
  const written = stmt.text.replace(/\s+/g, ' ');
  const here = ctx.file.text.replace(/[ \t]+/g, ' ').split(written).length - 1;
  return (ctx.project?.occurrencesInTests(written) ?? 0) > here;
}
const WRAPS = 'settings._wrapped = ';

/**
 * Another test names the setting without giving it a value of its own (UK-Polling-Stations' tests set
 * `os.environ["SERVER_ENVIRONMENT"]`, which the settings never read, and passed only on the value an
 * earlier test leaked): it may rely on the leak, and the fix would take that away. A test of the same
 * class, read here; or another top-level definition of the module that names it and never writes it,
 * asked of the file (so that an edit there is seen).
 */
function othersMention(ctx: RuleContext, fn: Node, name: string): boolean {
  return anotherTestMatches(ctx, fn, reliantUnit(name));
}

/**
 * Code that names the setting and never gives it a value of its own (`settings.X = v`, `X=v` in an
 * override, `settings.X += v`): one RegExp per name, the key of the file's `anyUnit` question.
 */
function reliantUnit(name: string): RegExp {
  let pattern = RELIANT.get(name);
  if (!pattern) {
    pattern = new RegExp(`^(?![\\s\\S]*\\b${name}\\s*[-+|]?=(?!=))[\\s\\S]*\\b${name}\\b`);
    RELIANT.set(name, pattern);
  }
  return pattern;
}
const RELIANT = new Map<string, RegExp>();

function fixFor(ctx: RuleContext, fn: Node, stmt: Node, setting: Setting, kind: 'assign' | 'del' | 'call'): Fix | null {
  // a name `settings` bound in the body (`from django.conf import settings` there) would win over a
  // `settings` parameter: the fixture would change nothing (flagsmith's conftest)
  if (
    /^[ \t]*(from\s+[\w.]+\s+import\s+[^\n]*\bsettings\b|import\s+settings\b|settings\s*=[^=])/m.test(
      field(fn, 'body').text,
    )
  )
    return null;
  // changed in place: monkeypatch changes the same item and puts it back (the object stays the one
  // that code holding it sees: DRF's throttles keep the rates dict they read at import)
  if (setting.nested && ctx.testing.takesFixtures(fn)) {
    const statement = statementOf(stmt);
    const item = kind === 'call' ? null : itemTarget(stmt, kind);
    if (item && statement.type === (kind === 'del' ? 'delete_statement' : 'expression_statement')) {
      // the container, through the fixture: `settings.X["a"]`
      const container = `settings.${setting.name}${ctx.file.text.slice(setting.node.endIndex, item.container.endIndex)}`;
      const call =
        kind === 'del'
          ? `monkeypatch.delitem(${container}, ${item.key.text})`
          : `monkeypatch.setitem(${container}, ${item.key.text}, ${item.value?.text})`;
      return Fix.safe(`Use monkeypatch.${kind === 'del' ? 'delitem' : 'setitem'} (it puts the item back)`, [
        ...addParameter(ctx, fn, 'monkeypatch'),
        ...(setting.receiver.text === 'settings' ? [] : addParameter(ctx, fn, 'settings')),
        Edit.replace(statement.startIndex, statement.endIndex, call),
      ]);
    }
    const { expr: copy, edits } = importModule(ctx, 'copy');
    // one copy for all the changes at this level: before the first of them, so that every such fix
    // inserts the same line and fix-all adds it once
    const indent = indentOf(ctx.file.text, statement.startIndex);
    const first = new RegExp(
      `^${escapeRegExp(indent)}(?:del\\s+)?${escapeRegExp(setting.receiver.text)}\\.${setting.name}(?:\\[|\\.\\w+\\()`,
      'm',
    ).exec(fn.text);
    const firstAt = first ? fn.startIndex + first.index + indent.length : statement.startIndex;
    const at = Math.min(firstAt, statement.startIndex);
    const rename =
      setting.receiver.text === 'settings'
        ? []
        : [Edit.replace(setting.receiver.startIndex, setting.receiver.endIndex, 'settings')];
    // a mutating call: only a copy can be changed and restored, and code that kept the old object misses it
    return Fix.unsafe(
      `Change a deep copy of settings.${setting.name} through the settings fixture (it restores the attribute)`,
      [
        ...edits,
        ...addParameter(ctx, fn, 'settings'),
        Edit.insert(
          at,
          `settings.${setting.name} = ${copy}.deepcopy(settings.${setting.name})${ctx.file.eol}${indent}`,
        ),
        ...rename,
      ],
    );
  }
  // pytest: request the fixture, which shadows the import; route the change through it
  if (ctx.testing.takesFixtures(fn) && kind !== 'call') {
    // `+=` extends a list in place before the fixture sees the assignment: assign a new value instead
    // (unsafe: code that kept the old object does not see the new one)
    if (stmt.type === 'augmented_assignment') {
      const value = field(stmt, 'right');
      const op = field(stmt, 'operator').text.slice(0, -1);
      return Fix.unsafe('Assign a new value through the pytest-django settings fixture (it restores the value)', [
        ...addParameter(ctx, fn, 'settings'),
        Edit.replace(
          stmt.startIndex,
          stmt.endIndex,
          `settings.${setting.name} = settings.${setting.name} ${op} ${operand(value)}`,
        ),
      ]);
    }
    const rename =
      setting.receiver.text === 'settings'
        ? []
        : [Edit.replace(setting.receiver.startIndex, setting.receiver.endIndex, 'settings')];
    // the project's own code writes one of the settings this function writes (peeringdb's pdb_api_cache
    // command sets one and leaves it): a write after calling that code may be the reset of its leak, and
    // the fixture, which takes every write of the function at once, would restore the leaked value
    const byProject = [...fn.text.matchAll(/\bsettings\.(\w+)\s*=(?!=)/g)].some(([, name]) => {
      const written = `settings.${name} =`;
      return (ctx.project?.occurrences(written) ?? 0) > (ctx.project?.occurrencesInTests(written) ?? 0);
    });
    return (byProject ? Fix.unsafe : Fix.safe)('Use the pytest-django settings fixture (it restores the value)', [
      ...addParameter(ctx, fn, 'settings'),
      ...rename,
      ...importLeftUnused(ctx, /^from\s+django\.conf\s+import\s+settings\s*$/, 'settings', ctx.defs.statement(fn)),
    ]);
  }
  const cls = ctx.testing.testCaseOf(fn);
  const expr = stmt.parent;
  if (!cls || expr?.type !== 'expression_statement') return null;
  if (expr.parent?.parent?.id !== fn.id) return null; // nested in an if/with/loop: order matters there
  const value = stmt.childForFieldName('right');
  // `settings.A = settings.B = v`: a chain no single override spells
  if (value?.type === 'assignment') return null;
  const left = stmt.childForFieldName('left');
  const direct = stmt.type === 'assignment' && left?.id === setting.node.id;
  // a decorator changes the setting from the start: only where nothing runs before the change (the test
  // reading it, or code under test reading it: mytardis' recall_url asserted first, then emptied)
  const runsBefore = !leadingStatement(fn, expr);
  // a Django test case: a constant assigned as a top-level statement becomes @override_settings
  if (direct && value && isConstant(value) && !runsBefore) {
    const target = fn.childForFieldName('name')?.text === 'setUp' ? cls : ctx.testing.isTestFunction(fn) ? fn : null;
    if (!target || (target === cls && ctx.testing.classKind(cls) !== 'django')) return null;
    // setUp gave every test the value afresh; one override for the whole class does not, so a test of the
    // class that deletes or changes the setting would leave it so for the next (django-tenants)
    if (target === cls && changedElsewhere(cls, fn, setting.name)) return null;
    const { expr: decorator, edits } = importOverrideSettings(ctx);
    return Fix.safe(`Use @override_settings(${setting.name}=...) on ${target === cls ? 'the class' : 'the test'}`, [
      ...edits,
      addDecorator(ctx, target, `${decorator}(${setting.name}=${value.text})`),
      removeStatement(ctx, fn, expr),
      ...importLeftUnused(ctx, /^from\s+django\.conf\s+import\s+settings\s*$/, 'settings', expr),
    ]);
  }
  // otherwise the override starts where the change was, for the rest of the test: `with self.settings(...)`
  if (!ctx.testing.isTestFunction(fn) || !value) return null;
  const current = `${setting.receiver.text}.${setting.name}`;
  let newValue: string | null = null;
  if (direct) newValue = value.text;
  else if (stmt.type === 'augmented_assignment' && left?.id === setting.node.id)
    newValue = `${current} ${field(stmt, 'operator').text.slice(0, -1)} ${operand(value)}`;
  else if (
    stmt.type === 'assignment' &&
    left?.type === 'subscript' &&
    left.childForFieldName('value')?.id === setting.node.id
  )
    newValue = `{**${current}, ${field(left, 'subscript').text}: ${value.text}}`;
  if (newValue === null) return null;
  const django = ctx.testing.classKind(cls) === 'django';
  const override = django ? null : importOverrideSettings(ctx);
  const edits = withFromHere(ctx, fn, expr, `with ${override?.expr ?? 'self.settings'}(${setting.name}=${newValue})`);
  if (!edits) return null;
  // the statement was the module's last use of the imported settings (jorvik): the import goes too, unless
  // the new value still names them
  const unused = /\bsettings\b/.test(newValue)
    ? []
    : importLeftUnused(ctx, /^from\s+django\.conf\s+import\s+settings\s*$/, 'settings', expr);
  // a new object in place of one changed in place: code that kept the old one does not see it
  return (direct ? Fix.safe : Fix.unsafe)(
    `Use ${override ? 'override_settings' : 'self.settings'}(${setting.name}=...) for the rest of the test`,
    [...(override?.edits ?? []), ...edits, ...unused],
  );
}

/**
 * Whether only a docstring and other assignments of constants to settings come before `expr` in `fn`'s
 * body: nothing has run that could read the setting.
 */
function leadingStatement(fn: Node, expr: Node): boolean {
  for (const stmt of field(fn, 'body').namedChildren) {
    if (!stmt || stmt.id === expr.id) return true;
    const inner = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    if (inner?.type === 'string' && stmt.id === field(fn, 'body').firstNamedChild?.id) continue; // the docstring
    if (stmt.type === 'comment') continue;
    const right = inner?.type === 'assignment' ? inner.childForFieldName('right') : null;
    if (right && isConstant(right) && /^settings\.\w+$/.test(inner?.childForFieldName('left')?.text ?? '')) continue;
    return false;
  }
  return false;
}

/** Whether a method of `cls` other than `hook` assigns, deletes or changes `settings.<name>`. */
function changedElsewhere(cls: Node, hook: Node, name: string): boolean {
  const others = cls.text.slice(0, hook.startIndex - cls.startIndex) + cls.text.slice(hook.endIndex - cls.startIndex);
  const n = escapeRegExp(name);
  return new RegExp(
    `\\.${n}\\s*(?:[-+*|&]?=(?!=)|\\[[^\\]\\n]*\\]\\s*=(?!=)|\\.(?:${[...MUTATORS].join('|')})\\()|\\bdel\\s+[\\w.]+\\.${n}\\b|\\b(?:set|del)attr\\([^,]+,\\s*["']${n}["']`,
  ).test(others);
}

/** `value` as the right operand of a binary operator: parenthesised unless it is an atom. */
function operand(value: Node): string {
  return /^(identifier|attribute|call|subscript|list|dictionary|set|tuple|string|integer|float|parenthesized_expression|true|false|none)$/.test(
    value.type,
  )
    ? value.text
    : `(${value.text})`;
}
