import { constantString, isClientRequest } from './lib/requests';
import { importName } from '../engine/imports';
import { addParameter, insertAfter, insertBefore, statementOf } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type Cause, type RuleContext } from '../engine/rule';
import {
  assignedValues,
  bodyStatements,
  callArguments,
  classValues,
  defName,
  field,
  isConstant,
  keywordArgument,
  parameterNames,
  positionalArguments,
  stringValue,
  walk,
} from '../syntax/nodes';
import type { Step } from '../analysis/testing';
import { escapeRegExp } from '../syntax/text';
import { djangoRunner, thisProcess } from './lib/process';

/** A process-wide switch: what it is, what undoes it, and the cleanup that restores it. */
interface Switch {
  what: string;
  /**
   * what, in a finally / addCleanup / tearDown / after yield / later in the test, undoes it: a call of one of
   * `calls` (with arguments `args` accepts), or a write to `writes` (or to an item of it). Never a mere read.
   */
  undo: Undo;
  /**
   * the cleanup call's arguments, given the call's callee object text and arguments; placed after the call unless
   * `before`
   */
  cleanup?: (call: Call) => string | null;
  before?: boolean;
  /** a monkeypatch equivalent for pytest tests (replaces the call) */
  monkeypatch?: (call: Call) => string | null;
  /** the cleanup may not restore exactly what was there (a receiver connected with options not seen here) */
  unsafe?: boolean;
  /** for a disconnect, the receiver it takes off as the message names it */
  taken?: string;
}
interface Undo {
  calls: string[];
  args?: (args: Node[]) => boolean;
  writes?: string;
}
interface Call {
  node: Node;
  receiver: string;
  args: Node[];
}

const CALLS = new Set(['call']);

const SIGNALS =
  /(^|\.)(pre_init|post_init|pre_save|post_save|pre_delete|post_delete|m2m_changed|class_prepared|pre_migrate|post_migrate|request_started|request_finished|got_request_exception|setting_changed|template_rendered|user_logged_in|user_logged_out|user_login_failed|connection_created)$/;

const SWITCHES: Record<string, Switch> = {
  'django.utils.translation.activate': {
    what: 'the active language',
    undo: {
      calls: [
        'django.utils.translation.deactivate',
        'django.utils.translation.deactivate_all',
        'django.utils.translation.activate',
      ],
    },
    cleanup: c => (c.receiver ? `${c.receiver}.deactivate` : null),
  },
  'django.utils.timezone.activate': {
    what: 'the current time zone',
    undo: { calls: ['django.utils.timezone.deactivate', 'django.utils.timezone.activate'] },
    cleanup: c => (c.receiver ? `${c.receiver}.deactivate` : null),
  },
  'django.contrib.admin.site.register': {
    what: 'the admin site registry',
    undo: { calls: ['django.contrib.admin.site.unregister'] },
    cleanup: c => (c.args[0] ? `${c.receiver}.unregister, ${c.args[0].text}` : null),
  },
  'logging.disable': {
    what: 'logging (disabled process-wide)',
    undo: { calls: ['logging.disable'], args: a => !!a[0] && !LEVEL.test(a[0].text) },
    cleanup: c => `${c.receiver}.disable, ${c.receiver}.NOTSET`,
  },
  'sys.path.insert': {
    what: 'sys.path',
    undo: { calls: ['sys.path.remove', 'sys.path.pop'], writes: 'sys.path' },
    cleanup: c => (c.args[1] && stable(c.args[1]) ? `${c.receiver}.remove, ${c.args[1].text}` : null),
    monkeypatch: c => (c.args[0]?.text === '0' && c.args[1] ? `monkeypatch.syspath_prepend(${c.args[1].text})` : null),
  },
  'sys.path.append': {
    what: 'sys.path',
    undo: { calls: ['sys.path.remove', 'sys.path.pop'], writes: 'sys.path' },
    cleanup: c => (c.args[0] && stable(c.args[0]) ? `${c.receiver}.remove, ${c.args[0].text}` : null),
  },
  'os.chdir': {
    what: 'the working directory',
    undo: { calls: ['os.chdir'] },
    before: true,
    cleanup: c => `${c.receiver}.chdir, ${c.receiver}.getcwd()`,
    monkeypatch: c => (c.args[0] ? `monkeypatch.chdir(${c.args[0].text})` : null),
  },
  'socket.setdefaulttimeout': {
    what: 'the default socket timeout',
    undo: { calls: ['socket.setdefaulttimeout'] },
    before: true,
    cleanup: c => `${c.receiver}.setdefaulttimeout, ${c.receiver}.getdefaulttimeout()`,
  },
  'locale.setlocale': {
    what: 'the process locale',
    undo: { calls: ['locale.setlocale'], args: setsLocale },
    before: true,
    cleanup: c =>
      c.args.length === 2 && stable(c.args[0])
        ? `${c.receiver}.setlocale, ${c.args[0].text}, ${c.receiver}.setlocale(${c.args[0].text})`
        : null,
  },
};

/** a level `logging.disable` disables up to again: not an undo (NOTSET, or a saved level, is) */
const LEVEL = /^(logging\.)?(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG)$|^[1-9]\d*$/;

/** `setlocale(category, locale)` sets the locale; `setlocale(category)` (or with `None`) only queries it */
function setsLocale(args: Node[]): boolean {
  const keyword = args.find(a => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'locale');
  const value = keyword ? keyword.childForFieldName('value') : args.filter(a => a.type !== 'keyword_argument')[1];
  return !!value && value.text !== 'None';
}

/** whether a call of the switch `q` changes it: `logging.disable(NOTSET)` re-enables, a query changes nothing */
function changes(ctx: RuleContext, q: string | undefined, call: Node): boolean {
  // with USE_I18N = False Django serves trans_null's functions for the whole process: activate() does nothing
  if (q === 'django.utils.translation.activate' && ctx.project?.settings.constants.get('USE_I18N') === 'False')
    return false;
  // the language or zone saved before (`tz = timezone.get_current_timezone_name()`): put back, not changed
  if (q && q in CURRENT && savedCurrent(ctx, call, CURRENT[q] ?? [])) return false;
  // the language get_language() gives anyway when nothing is active: settings.LANGUAGE_CODE
  if (q === 'django.utils.translation.activate') {
    const language = callArguments(call)[0];
    const given = classesGiveLanguage(ctx, call, language);
    return given === null ? !defaultLanguage(ctx, language) : !given;
  }
  // the zone the current time zone is anyway when none is active: settings.TIME_ZONE
  if (q === 'django.utils.timezone.activate') return !defaultTimeZone(ctx, callArguments(call)[0]);
  // NOTSET is 0: `logging.disable(0)` enables logging again; the level the settings disable logging at
  // is where every test starts (fac's `logging.disable(logging.ERROR)` under manage.py test)
  if (q === 'logging.disable') {
    const level = callArguments(call)[0]?.text.replace(/^logging\./, '');
    return (
      !/NOTSET|^\(\s*0\s*\)$/.test(call.childForFieldName('arguments')?.text ?? '') && level !== settingsLevel(ctx)
    );
  }
  if (q === 'locale.setlocale') return setsLocale(callArguments(call)) && localeRead(ctx);
  return true;
}

/**
 * What reads the process locale: the locale module's formatting and conversions, `calendar`'s names of
 * days and months, the `n` format; and strftime's names and local formats (`%b`, `%c`, ...), in
 * LOCAL_STRFTIME. Django reads none of it (its formats are its own).
 */
const LOCALE_READERS = [
  'locale.currency',
  'locale.format',
  'locale.str(',
  'locale.atof',
  'locale.atoi',
  'locale.delocalize',
  'locale.localize',
  'locale.localeconv',
  'locale.nl_langinfo',
  'locale.strcoll',
  'locale.strxfrm',
  'locale.getlocale',
  'from locale import',
  'day_name',
  'day_abbr',
  'month_name',
  'month_abbr',
  ':n}',
];
const LOCAL_STRFTIME = /strftime\(\s*[rbuf]*["'][^"'\n]*%[aAbBcpxX]/;

/** Whether the project's code or tests may read the process locale (unknown: they may). */
function localeRead(ctx: RuleContext): boolean {
  if (LOCALE_READERS.some(r => ctx.project?.occurrences(r) !== 0) || LOCAL_STRFTIME.test(ctx.file.text)) return true;
  const strftime = ctx.project?.elsewhere('strftime(');
  return !strftime || strftime.some(f => LOCAL_STRFTIME.test(f.text));
}

/** What reads the current value of a switch: activating what it gave puts the value back. */
const CURRENT: Record<string, string[]> = {
  'django.utils.translation.activate': ['django.utils.translation.get_language'],
  'django.utils.timezone.activate': [
    'django.utils.timezone.get_current_timezone',
    'django.utils.timezone.get_current_timezone_name',
  ],
};

/** `call`'s argument is a name its function assigned, before it, from one of `getters` (shuup's `original_tz`). */
function savedCurrent(ctx: RuleContext, call: Node, getters: string[]): boolean {
  const arg = callArguments(call)[0];
  const fn = ctx.defs.enclosingFunction(call);
  if (arg?.type !== 'identifier' || !fn) return false;
  // the value it holds at the call: the last one assigned before it
  const value = assignedValues(fn, arg.text, call).at(-1);
  return value?.type === 'call' && ctx.names.is(field(value, 'function'), ...getters);
}

/**
 * The level the settings module itself disables logging at (`logging.disable(logging.ERROR)`, without the
 * `logging.` prefix): the state every test starts in. Null when it does not, or cannot be read.
 */
function settingsLevel(ctx: RuleContext): string | null {
  const file = ctx.project?.settings.file;
  const lines = (file ? ctx.project?.readText(file) : null)?.split('\n') ?? [];
  for (const [i, line] of lines.entries()) {
    const [, indent, level] = /^(\s*)logging\.disable\(\s*(?:logging\.)?(\w+)\s*\)\s*$/.exec(line) ?? [];
    if (indent === undefined || !level) continue;
    if (!indent) return level; // at the top of the module: every run
    // in an `if` that asks only whether this is a test run (fac); any other condition (koku's
    // DISABLE_LOGGING) may be false, so the level is not known
    const depth = indent.length;
    const opener = lines
      .slice(0, i)
      .reverse()
      .find(l => l.trim() && l.length - l.trimStart().length < depth);
    if (opener && !/^\s/.test(opener) && TEST_RUN_CONDITION.test(opener)) return level;
  }
  return null;
}

/**
 * Whether some test of the project reads what logging emits: `assertLogs`/`assertNoLogs`, pytest's
 * `caplog` (or the output through `capsys`/`capfd`), a handler it adds, testfixtures' `LogCapture`,
 * structlog's `capture_logs`. Where none does, logging left disabled changes no test's outcome
 * (prj.app's 29 `logging.disable(logging.CRITICAL)` in setUp). True when the project cannot be read.
 */
function logsReadByTests(ctx: RuleContext): boolean {
  const project = ctx.project;
  if (!project) return true;
  return LOG_READERS.some(word => project.occurrencesInTests(word) !== 0);
}
const LOG_READERS = [
  'assertLogs',
  'assertNoLogs',
  'caplog',
  'capsys',
  'capfd',
  'addHandler',
  'LogCapture',
  'capture_logs',
];

/** `if "test" in sys.argv:`, `if len(sys.argv) > 1 and sys.argv[1] == "test":` */
const TEST_RUN_CONDITION =
  /^if\s+(?:len\(sys\.argv\)\s*>\s*1\s+and\s+)?(?:sys\.argv\[1\]\s*==\s*["']test["']|["']test["']\s+in\s+sys\.argv)\s*:/;

/** `settings.LANGUAGE_CODE`, or a string equal to it (when the settings tell it): a literal, `self.lang` set once. */
function defaultLanguage(ctx: RuleContext, arg: Node | undefined): boolean {
  if (!arg) return false;
  if (ctx.names.is(arg, 'django.conf.settings.LANGUAGE_CODE')) return true;
  // wagtail's default locale, the one LANGUAGE_CODE names: `Locale.get_default().language_code`, or
  // the attribute a test keeps it in (`self.default_locale.language_code`, foundation.mozilla.org)
  if (/^(?:[\w.]*\bdefault_locale|Locale\.get_default\(\))\.language_code$/.test(arg.text)) return true;
  const code = ctx.project?.settings.languageCode;
  const value = stringValue(arg) ?? constantString(ctx, arg);
  return !!code && value !== null && sameLanguage(value, code);
}

/**
 * `activate(self.language)`, where the class and its subclasses give `language`: true where it changes
 * nothing, every value they give being `None` (activate() does nothing with it), the default language,
 * or one given under an `override_settings` of LANGUAGES (at its end Django forgets the active
 * language): cs-field-guide's base test classes, whose 36 subclasses all give "en". False where a
 * subclass gives another; null where the argument is no attribute of the class, or the project cannot
 * be searched.
 */
function classesGiveLanguage(ctx: RuleContext, call: Node, language: Node | undefined): boolean | null {
  const object = language?.type === 'attribute' ? language.childForFieldName('object')?.text : null;
  const attr = language?.childForFieldName('attribute')?.text;
  const fn = ctx.defs.enclosingFunction(call);
  const cls = fn && ctx.defs.methodClass(fn);
  const code = ctx.project?.settings.languageCode;
  if ((object !== 'self' && object !== 'cls') || !attr || !cls || !code) return null;
  const subclasses = ctx.project?.subclassValues(defName(cls), attr);
  if (!subclasses) return null;
  const own = classValues(cls, attr).map(value => ({
    value: stringValue(value) ?? constantString(ctx, value),
    none: value.type === 'none',
    overrides: new Set<string>(),
  }));
  const values = [...own, ...subclasses];
  return (
    values.length > 0 &&
    values.every(
      v =>
        v.none ||
        (v.value !== null && sameLanguage(v.value, code)) ||
        LANGUAGE_SETTINGS.some(name => v.overrides.has(name)),
    )
  );
}

/**
 * `value` is the language `code` (LANGUAGE_CODE) is, or its base language: `activate("fr")` under
 * `"fr-fr"` reads the same catalogue Django falls back to for the default (euphrosyne, joplin's "en").
 */
function sameLanguage(value: string, code: string): boolean {
  const [v, c] = [value.toLowerCase().replace('_', '-'), code.toLowerCase().replace('_', '-')];
  return v === c || v === c.split('-')[0];
}

/**
 * `settings.TIME_ZONE`, `get_default_timezone()`, or a zone named as it (`"Europe/Helsinki"`,
 * `ZoneInfo("Europe/Helsinki")`, `pytz.timezone(...)`; `timezone.utc` for "UTC").
 */
function defaultTimeZone(ctx: RuleContext, arg: Node | undefined): boolean {
  if (!arg) return false;
  if (ctx.names.is(arg, 'django.conf.settings.TIME_ZONE')) return true;
  if (arg.type === 'call' && ctx.names.is(field(arg, 'function'), 'django.utils.timezone.get_default_timezone'))
    return true;
  const zone = ctx.project?.settings.timeZone;
  if (!zone) return false;
  const named = arg.type === 'call' ? callArguments(arg)[0] : arg;
  const value = named ? stringValue(named) : null;
  if (value !== null) return value === zone;
  return /^(Etc\/)?UTC$/.test(zone) && /(^|\.)(utc|UTC)$/.test(arg.text);
}

/** A literal language that is not the default one; unknown (false) when the settings do not tell the default. */
function otherLanguage(ctx: RuleContext, arg: Node): boolean {
  const code = ctx.project?.settings.languageCode;
  const value = stringValue(arg) ?? constantString(ctx, arg);
  return !!code && value !== null && !sameLanguage(value, code);
}

/** Whether `step` undoes the switch: a call `undo` names, with arguments it accepts, or a write to its target. */
function undoes(ctx: RuleContext, undo: Undo, step: Step): boolean {
  if ('target' in step) {
    let target: Node | null = step.target;
    while (target?.type === 'subscript') target = target.childForFieldName('value');
    return !!undo.writes && !!target && ctx.names.is(target, undo.writes);
  }
  return ctx.names.is(step.callee, ...undo.calls) && (!undo.args || undo.args(step.args));
}

/** Whether `fn` changes the switch `q` before `node`. */
function changedBefore(ctx: RuleContext, fn: Node, node: Node, q: string): boolean {
  let found = false;
  walk(
    fn,
    n => {
      if (found || n.startIndex >= node.startIndex) return false;
      const callee = n.childForFieldName('function');
      found = !!callee && ctx.names.is(callee, q) && changes(ctx, q, n);
      return !found;
    },
    CALLS,
  );
  return found;
}

function stable(node: Node): boolean {
  return isConstant(node) || /^[\w.]+$/.test(node.text);
}

/** the last names of the calls it knows (`activate` for translation.activate), and signals' `connect` */
const CALLEES = new Set([...Object.keys(SWITCHES).map(q => q.slice(q.lastIndexOf('.') + 1)), 'connect', 'disconnect']);

export default createRule({
  id: 'XT070',
  name: 'global-state-leak',
  severity: 'warning',
  fix: 'sometimes',
  summary:
    'A test changes process-wide state (language, time zone, signals, admin, logging, sys.path, cwd) and leaves it changed',
  table: {
    finds:
      'Process-wide state changed and not restored: `translation.activate`, `timezone.activate`, signal `.connect`, `admin.site.register`, `logging.disable`, `sys.path`, `os.chdir`, socket timeout, locale',
    fix: 'Safe where the undo is known: `addCleanup(...)` in unittest, `monkeypatch` in pytest',
  },
  docs: {
    what:
      'Process-wide state changed in a test, setUp hook or fixture without being restored: ' +
      '`translation.activate` (no `deactivate`), `timezone.activate`, a signal `.connect` without ' +
      "`.disconnect`, a `.disconnect` of the project's own receiver (imported from its code, or named by the " +
      "string `dispatch_uid` the project's code connects it under: `post_save.disconnect(sender=Event, " +
      'dispatch_uid="setup_event")`) never connected again (not one whose body does nothing: `pass`, `...`, a docstring), `admin.site.register`, `logging.disable`, `sys.path.insert/append`, `os.chdir`, ' +
      '`socket.setdefaulttimeout`, `locale.setlocale`; and a test-client request sending an Accept-Language ' +
      'header (`HTTP_ACCEPT_LANGUAGE="es-mx"`, `headers={"Accept-Language": ...}`, a variable of a loop over ' +
      "the settings' `LANGUAGES`, which leaves the last of them), or of a path beginning with a " +
      "language the settings' LANGUAGES lists in a project whose URLs use `i18n_patterns` (`/de/...`), where the settings' " +
      "MIDDLEWARE holds Django's `LocaleMiddleware`, which activates the request's language and never " +
      "deactivates it (the language Django picks: the first asked for that the settings' LANGUAGES has, as " +
      'itself, its generic code or a variant of it; not the default language, nor a header asking only for ' +
      'languages LANGUAGES lacks, which falls back to the default, nor where a later request of the test without the header ' +
      'activates its own language in place of this one: the default again, without the header or asking for it). (Attributes and entries of imported modules and classes ' +
      'are XT071, off by default.) Only what really undoes the change counts as ' +
      'restoring it (`sys.path.remove`/`pop`, `del sys.path[...]` or `sys.path[:] = saved`; `logging.disable(0)`, ' +
      'which is `NOTSET`, or the level the settings module itself disables logging at, where every test ' +
      'starts; and disabled logging matters only in a project where some test reads what logging emits: ' +
      '`assertLogs`, `caplog`, `capsys`/`capfd`, a handler of its own, `LogCapture`, `capture_logs`; ' +
      '`setlocale` with a ' +
      'locale to set): reading `sys.path[0]` or querying `locale.setlocale(category)` later restores nothing. ' +
      "A locale set matters only in a project whose code or tests read it (the `locale` module's formatting, " +
      "`calendar`'s day and month names, strftime's `%a %b %c %p %x %X`, the `n` format; Django's own formats " +
      'do not): where none does, `setlocale` is not reported. ' +
      "`activate()` of the settings' `LANGUAGE_CODE` changes nothing (it is what `get_language()` gives anyway), " +
      "nor of wagtail's default locale (`Locale.get_default().language_code`, `self.default_locale.language_code`), " +
      'nor of its base language (`activate("fr")` under `"fr-fr"`: the catalogue Django falls back to), ' +
      'nor `activate(self.language)` in a base class where it and every subclass of the project give one of those, ' +
      '`None` (activate() does nothing with it) or a language under their own `override_settings(LANGUAGES=...)` ' +
      '(at its end Django forgets the active language), ' +
      'nor any `activate()` where the settings say `USE_I18N = False` (Django then serves no-op translation ' +
      'functions for the whole process), ' +
      'nor `timezone.activate()` of their `TIME_ZONE`, nor an `activate()` of what `get_language()` or ' +
      '`get_current_timezone(_name)()` gave earlier in the same function (the value put back), ' +
      'and a later `activate()` puts the language back only with that default or a saved value; a signal ' +
      'receiver Django holds weakly that goes with the test (a function or mock it made, a method of a ' +
      "fixture's object or of a plain pytest class's instance, a mock `with patch(...) as m` gives, a mock the " +
      'class made, `self.handler = Mock()`) is not left ' +
      'connected, nor is one the test defined that only records into its own objects (`def record(**kw): ' +
      'calls.append(kw)` over its `calls = []`), even held strongly (`weak=False`); a tearDown ' +
      'of the class or a base class (another file too) that activates or deactivates a language restores it, ' +
      'and so does a base class imported from another module of the project whose setUp or `_pre_setup` does ' +
      "(the suite's base test case, as kitsune's and django-cms': its tests start from that language) " +
      '(and one that connects again the receiver a setUp took off, named by position or `receiver=`, restores that; ' +
      'so does a test connecting again what it took off by the same `dispatch_uid`), ' +
      'and so does the end of an `override_settings` of `LANGUAGES`, `LANGUAGE_CODE` or `LOCALE_PATHS` around ' +
      "the `activate()` (Django's `setting_changed` receiver forgets the active language). An autouse " +
      'fixture (of the module, a conftest.py above it, or a module such a conftest.py star-imports) that changes back to a saved directory after its ' +
      '`yield`, or uses `monkeypatch.chdir`, restores the working directory after every test; one that ' +
      'activates, overrides or deactivates a language sets the language afresh around every test, and one ' +
      'that calls `timezone.activate`, `override` or `deactivate` the time zone. Connecting a receiver that ' +
      'a project module connects to the same signal at import (`signal.connect(receiver)` or ' +
      '`@receiver(signal, sender=S)` there), with the same sender or none and no `dispatch_uid`, adds nothing: ' +
      'Django keys a receiver by itself and its sender. A receiver an autouse fixture of a conftest.py above ' +
      'every test of the project takes off is taken off before every test: each starts without it, whatever ran before.',
    why:
      'All of these live in the process, not the test. The next test in the same xdist worker runs with the ' +
      'other language, the extra signal receiver, the disabled logging or the other working directory, and ' +
      'passes or fails depending on which tests ran before it.',
    incident:
      "Comment (a Django comments app): the tests' shared base setUp activated a test language and never " +
      'deactivated it, so later tests of the process rendered in that language. The fix: ' +
      '`addCleanup(translation.deactivate)`.',
    incidentUrl: 'https://github.com/Radi85/Comment/pull/200',
    example: [
      'class GreetingTests(TestCase):',
      '    def test_german(self):',
      '        translation.activate("de")                 # XT070',
      '',
      '# fixed',
      'class GreetingTests(TestCase):',
      '    def test_german(self):',
      '        translation.activate("de")',
      '        self.addCleanup(translation.deactivate)',
    ].join('\n'),
    fixSafety:
      'Safe where the undo is known: in unittest classes an `addCleanup(...)` restoring the previous state ' +
      'goes next to the change (`deactivate`, also after a request whose Accept-Language the middleware ' +
      'activated; `disconnect`, `unregister`, `logging.disable(NOTSET)`, ' +
      '`sys.path.remove`, back to the old cwd, timeout or locale; none for `logging.disable` where the ' +
      'settings disable logging themselves); in pytest tests `monkeypatch.chdir` / ' +
      '`monkeypatch.syspath_prepend` replace the change. Connecting again a receiver ' +
      'the test took off is unsafe (`addCleanup(signal.connect, receiver, sender=...)`: the project may have ' +
      'connected it with options the test does not repeat, `weak=False` or a `dispatch_uid`). Otherwise no fix.',
  },
  create(ctx) {
    return {
      call(node) {
        const fn = node.childForFieldName('function');
        if (!fn) return;
        if (ctx.file.mentions(REQUESTED_LANGUAGE) && requestLeavesLanguage(ctx, node, fn)) return;
        if (!ctx.names.mayCall(fn, CALLEES)) return;
        const q = ctx.names.resolve(fn);
        let sw = q ? SWITCHES[q] : undefined;
        let what = sw?.what;
        if (!sw && fn.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'disconnect') {
          sw = disconnectSwitch(ctx, node, field(fn, 'object')) ?? undefined;
          what = sw?.what;
        }
        if (!sw && fn.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'connect') {
          const signal = field(fn, 'object');
          const sq = ctx.names.resolve(signal);
          if (sq && (SIGNALS.test(sq) || /\.signals\./.test(sq))) {
            const receiverArg = positionalArguments(node)[0];
            if (receiverArg && receiverDiesWithTheTest(ctx, node, receiverArg)) return;
            if (receiverArg && receiverKeepsToTheTest(ctx, node, receiverArg)) return;
            if (receiverArg && receiverManaged(ctx, node, signal.text, receiverArg.text)) return;
            if (receiverArg && connectedAtImport(ctx, node, sq, receiverArg)) return;
            const argumentList = field(node, 'arguments').namedChildren;
            const kwargs = ['sender', 'dispatch_uid']
              .map(k =>
                argumentList.find(a => a?.type === 'keyword_argument' && a.childForFieldName('name')?.text === k),
              )
              .flatMap(a => (a ? [`, ${a.text}`] : []))
              .join('');
            sw = {
              what: `the ${signal.text} signal's receivers`,
              undo: { calls: [`${sq}.disconnect`] },
              cleanup: () => (receiverArg ? `${signal.text}.disconnect, ${receiverArg.text}${kwargs}` : null),
            };
            what = sw.what;
          }
        }
        if (!sw || !what) return;
        // an autouse fixture (this module's, or a conftest.py's above it) puts the directory back after each test
        if (q === 'os.chdir' && (ctx.testing.autouseRestoresCwd() || ctx.project?.autouseRestoresCwd)) return;
        // ... or activates or deactivates a language around each test
        if (
          q === 'django.utils.translation.activate' &&
          (ctx.testing.autouseRestoresLanguage() || ctx.project?.autouseRestoresLanguage)
        )
          return;
        if (
          q === 'django.utils.timezone.activate' &&
          (ctx.testing.autouseRestoresZone() || ctx.project?.autouseRestoresZone)
        )
          return;
        if (!changes(ctx, q, node)) return;
        // disabled logging is seen only by a test that reads what logging emits
        if (q === 'logging.disable' && !logsReadByTests(ctx)) return;
        const owner = ctx.testing.owner(node);
        if (!owner || ctx.testing.isUndoing(node, owner.fn) || ctx.testing.isWideFixture(owner.fn)) return;
        if (ctx.testing.neverCompletes(node, owner.fn)) return;
        // taken off by an autouse fixture of a conftest.py above every test: before every test, so each
        // starts without it whatever ran before (ocw-studio's navigation-menu receiver)
        if (
          fn.type === 'attribute' &&
          fn.childForFieldName('attribute')?.text === 'disconnect' &&
          ctx.testing.isAutouseFixture(owner.fn) &&
          /(^|\.)conftest$/.test(ctx.file.moduleName) &&
          ctx.project?.testsOutsideFolder === false
        )
          return;
        const undo = sw.undo;
        if (ctx.testing.undone(owner.fn, step => undoes(ctx, undo, step), node)) return;
        // a tearDown of the class or a base class puts a language back after every test
        const cls = ctx.defs.methodClass(owner.fn);
        if (q === 'django.utils.translation.activate' && cls && ctx.testing.tearDownRestoresLanguage(cls)) return;
        // an override of the language settings around it: when it ends, Django's setting_changed receiver
        // forgets the active language (trans_real._active)
        if (q === 'django.utils.translation.activate' && languageOverrideAround(ctx, node, owner.fn)) return;
        // the undo of an earlier change in the same function (a second activate(), the saved locale set
        // again); a second activate() of another language than the default is a change of its own
        const args = callArguments(node);
        if (
          q &&
          undoes(ctx, undo, { callee: fn, args }) &&
          changedBefore(ctx, owner.fn, node, q) &&
          !(q === 'django.utils.translation.activate' && args[0] && otherLanguage(ctx, args[0]))
        )
          return;
        const call: Call = {
          node,
          receiver: fn.type === 'attribute' ? field(fn, 'object').text : '',
          args: positionalArguments(node),
        };
        ctx.report({
          node,
          message:
            fn.childForFieldName('attribute')?.text === 'disconnect'
              ? `${fn.text}() takes ${sw.taken ?? (positionalArguments(node)[0] ?? keywordArgument(node, 'receiver'))?.text} off ${what} for the whole process: every later test in ${thisProcess(ctx)} runs without it`
              : `${fn.text}() changes ${what} for the whole process: every later test in ${thisProcess(ctx)} inherits it`,
          fix: fixFor(ctx, owner.fn, call, sw),
          cause: q === 'django.utils.translation.activate' ? languageCause(ctx) : undefined,
        });
      },
    };
  },
});

/** an Accept-Language header, or a path that may begin with a language (`"/de/`) */
const REQUESTED_LANGUAGE = /accept[-_]language|["']\/[a-z]{2}(?:[-_][a-zA-Z]{2,4})?\//i;

/**
 * The language a request's path begins with (`client.get("/de/i18n/")`), one the settings' LANGUAGES
 * lists, in a project whose URLs use `i18n_patterns`: LocaleMiddleware activates it (feincms3).
 */
function pathLanguage(ctx: RuleContext, call: Node): string | null {
  const url = positionalArguments(call)[0];
  const prefix = /^\/([a-z]{2}(?:[-_][a-zA-Z]{2,4})?)\//.exec((url && stringValue(url)) ?? '')?.[1];
  const languages = ctx.project?.settings.languages;
  if (!prefix || !languages?.some(l => l.toLowerCase() === prefix.toLowerCase())) return null;
  return (ctx.project?.occurrences('i18n_patterns(') ?? 0) > 0 ? prefix : null;
}

/**
 * A test-client request sending an Accept-Language header (`HTTP_ACCEPT_LANGUAGE="es-mx"`, `headers=
 * {"Accept-Language": ...}`) in a project whose MIDDLEWARE holds Django's LocaleMiddleware: the middleware
 * activates the request's language and nothing deactivates it after the response, so code outside a
 * request in later tests (a model's `__str__`, a form, `gettext`) runs in that language (django-countries).
 * Not the default language, nor where the test, its class or an autouse fixture puts the language back,
 * or a later request of the same test activates its own language in place of this one. True when the
 * call was such a request.
 */
function requestLeavesLanguage(ctx: RuleContext, call: Node, callee: Node): boolean {
  if (!isClientRequest(callee)) return false;
  const asked = acceptLanguage(ctx, call);
  const path = asked === null ? pathLanguage(ctx, call) : null;
  const header = asked ?? path;
  if (header === null) return false;
  const language = asked === null ? header : supportedVariant(ctx, header);
  const code = ctx.project?.settings.languageCode;
  if (!language || language === '*' || !code || sameLanguage(language, code)) return true;
  const project = ctx.project;
  const middleware = 'django.middleware.locale.LocaleMiddleware';
  // named by the settings the run loads (a library's tests/settings.py too) or by the project's code
  const loaded = project?.settings.file ? project.readText(project.settings.file) : null;
  if (
    !project ||
    (!loaded?.includes(middleware) &&
      !ctx.file.text.includes(middleware) &&
      (project.occurrences(middleware) ?? 0) <= (project.occurrencesInTests(middleware) ?? 0))
  )
    return true;
  if (project.settings.constants.get('USE_I18N') === 'False') return true;
  if (ctx.testing.autouseRestoresLanguage() || project.autouseRestoresLanguage) return true;
  const owner = ctx.testing.owner(call);
  if (!owner || ctx.testing.isWideFixture(owner.fn)) return true;
  const undo = SWITCHES['django.utils.translation.activate']?.undo;
  if (undo && ctx.testing.undone(owner.fn, step => undoes(ctx, undo, step), call)) return true;
  const cls = ctx.defs.methodClass(owner.fn);
  if (cls && ctx.testing.tearDownRestoresLanguage(cls)) return true;
  if (languageOverrideAround(ctx, call, owner.fn)) return true;
  // a later request of the test: the middleware activates its language in place of this one's (the
  // default, without the header or asking for it: feincms3's `HTTP_ACCEPT_LANGUAGE="en"`; another language
  // there is that request's own finding)
  let later = false;
  walk(
    owner.fn,
    n => {
      if (later || n.startIndex < call.endIndex) return !later;
      later = isClientRequest(n.childForFieldName('function'));
      return !later;
    },
    CALLS,
  );
  if (later) return true;
  ctx.report({
    node: call,
    message: `${callee.text}() ${path ? `requests a path in ${JSON.stringify(path)} (i18n_patterns)` : `sends Accept-Language ${sent(ctx, call, header)}`}: Django's LocaleMiddleware activates ${JSON.stringify(language)} for the request and never deactivates it, so every later test in ${thisProcess(ctx)} runs in that language`,
    fix: deactivateAfter(ctx, owner.fn, call),
    cause: languageCause(ctx),
  });
  return true;
}

/**
 * The language LocaleMiddleware activates for an Accept-Language header, read as Django's
 * `get_supported_language_variant` does against the settings' LANGUAGES: the first language asked for that
 * LANGUAGES has (the code itself, its generic code `de` for `de-at`, or a variant `de-at` for `de`). Null
 * where none is: the middleware falls back to LANGUAGE_CODE (open-producten's `"de"`, which its LANGUAGES
 * of nl and en lack). Where LANGUAGES is not known, the first language asked for.
 */
function supportedVariant(ctx: RuleContext, header: string): string | null {
  const asked = header
    .split(',')
    .map(part => part.split(';')[0]?.trim() ?? '')
    .filter(Boolean);
  const languages = ctx.project?.settings.languages;
  if (!languages?.length) return asked[0] ?? null;
  const norm = (l: string) => l.toLowerCase().replace('_', '-');
  const have = languages.map(norm);
  for (const language of asked) {
    if (language === '*') return language;
    const l = norm(language);
    const generic = l.split('-')[0] ?? l;
    if (have.includes(l)) return language;
    if (have.includes(generic)) return generic;
    const variant = have.find(h => h.startsWith(`${generic}-`));
    if (variant) return variant;
  }
  return null;
}

/**
 * In a unittest class, `self.addCleanup(translation.deactivate)` after the statement that sends the
 * request, as for an `activate()` (translation imported where the module has it not).
 */
function deactivateAfter(ctx: RuleContext, fn: Node, call: Node): Fix | null {
  const holder = ctx.testing.cleanupHolder(fn);
  const stmt = statementOf(call);
  if (!holder || stmt.parent?.type !== 'block') return null;
  const { expr, edits } = importName(ctx, 'django.utils', 'translation');
  return Fix.safe(`Restore with ${holder.split('.').pop()}`, [
    ...edits,
    insertAfter(ctx, stmt, `${holder}(${expr}.deactivate)`),
  ]);
}

/** The Accept-Language a test-client call sends, as written; null when it sends none that can be read. */
function acceptLanguage(ctx: RuleContext, call: Node): string | null {
  const direct = keywordArgument(call, 'HTTP_ACCEPT_LANGUAGE');
  if (direct) return stringValue(direct) ?? constantString(ctx, direct) ?? lastLanguageOfLoop(ctx, direct);
  const headers = keywordArgument(call, 'headers');
  if (headers?.type !== 'dictionary') return null;
  for (const pair of headers.namedChildren) {
    const key = pair?.type === 'pair' ? pair.childForFieldName('key') : null;
    const value = pair?.childForFieldName('value');
    if (key && value && /^accept-language$/i.test(stringValue(key) ?? ''))
      return stringValue(value) ?? constantString(ctx, value);
  }
  return null;
}

/** The header as the message tells it: `"es"`, or `code (the last of LANGUAGES, "fr")` for a loop's variable */
function sent(ctx: RuleContext, call: Node, header: string): string {
  const direct = keywordArgument(call, 'HTTP_ACCEPT_LANGUAGE');
  return direct?.type === 'identifier' && lastLanguageOfLoop(ctx, direct) !== null
    ? `${direct.text} (the last of the settings' LANGUAGES, ${JSON.stringify(header)})`
    : JSON.stringify(header);
}

/**
 * `HTTP_ACCEPT_LANGUAGE=lang` inside `for lang, _ in settings.LANGUAGES:`: after the loop the request of its
 * last round has activated the last language the settings list (go-api's translation test).
 */
function lastLanguageOfLoop(ctx: RuleContext, value: Node): string | null {
  if (value.type !== 'identifier') return null;
  for (let p = value.parent; p && p.type !== 'function_definition'; p = p.parent) {
    if (p.type !== 'for_statement') continue;
    const left = p.childForFieldName('left');
    const bound = left?.type === 'identifier' ? left : left?.namedChildren[0];
    if (bound?.text !== value.text) continue;
    if (!/(^|\.)LANGUAGES$/.test(p.childForFieldName('right')?.text ?? '')) return null;
    return ctx.project?.settings.languages?.at(-1) ?? null;
  }
  return null;
}

/**
 * `signal.disconnect(receiver)` of a receiver the project connects (imported from its code): taken
 * off for every later test, unless the test connected it itself first (then this is the undo). What
 * undoes it: connecting the same receiver again where undoing belongs.
 */
function disconnectSwitch(ctx: RuleContext, call: Node, signal: Node): Switch | null {
  const sq = ctx.names.resolve(signal);
  if (!sq || !(SIGNALS.test(sq) || /\.signals\./.test(sq))) return null;
  const receiver = positionalArguments(call)[0] ?? keywordArgument(call, 'receiver');
  if (!receiver) return disconnectByUid(ctx, call, signal, sq);
  const rq =
    receiver?.type === 'identifier' || receiver?.type === 'attribute' ? ctx.names.resolve(receiver) : undefined;
  // a receiver of the test's own (defined in this file, a mock, a local): not one the project relies on
  if (!receiver || !rq || rq.startsWith(`${ctx.file.moduleName}.`) || !rq.includes('.')) return null;
  // a receiver that does nothing (its body commented out): no test can tell it is gone
  if (ctx.project?.functionDoesNothing(rq)) return null;
  const fn = ctx.defs.enclosingFunction(call);
  const before = fn ? fn.text.slice(0, call.startIndex - fn.startIndex) : '';
  const connect = `${escapeRegExp(signal.text)}\\.connect\\(${RECEIVER_ARG}${escapeRegExp(receiver.text)}\\b`;
  if (new RegExp(connect).test(before)) return null; // the test's own connect, undone
  if (receiverManaged(ctx, call, signal.text, receiver.text)) return null;
  const kwargs = ['sender', 'dispatch_uid']
    .map(k => keywordArgument(call, k))
    .flatMap(a => (a ? [`, ${a.parent?.text}`] : []))
    .join('');
  return {
    what: `the ${signal.text} signal's receivers`,
    undo: { calls: [`${sq}.connect`], args: a => receiverIn(a)?.text === receiver.text },
    cleanup: () => `${signal.text}.connect, ${receiver.text}${kwargs}`,
    unsafe: true,
  };
}

/**
 * `signal.disconnect(sender=SetupEvent, dispatch_uid="setup_event")`, no receiver named: takes off the
 * receiver the project's own code connects to that signal under that uid (Core-Portal's autouse
 * fixtures), for every later test, unless the test or its class's tearDown connects one under it again.
 */
function disconnectByUid(ctx: RuleContext, call: Node, signal: Node, sq: string): Switch | null {
  const uidArg = keywordArgument(call, 'dispatch_uid');
  const uid = uidArg ? stringValue(uidArg) : null;
  if (!uid) return null;
  if (!ctx.project?.receiverConnectedUnder(sq.slice(sq.lastIndexOf('.') + 1), uid)) return null;
  const fn = ctx.defs.enclosingFunction(call);
  const again = new RegExp(
    `${escapeRegExp(signal.text)}\\.connect\\([^)]*dispatch_uid\\s*=\\s*(['"])${escapeRegExp(uid)}\\1`,
  );
  // connected under it earlier in the test: this is the undo (a tearDown's connect is found by `undone`)
  if (fn && again.test(fn.text.slice(0, call.startIndex - fn.startIndex))) return null;
  return {
    what: `the ${signal.text} signal's receivers`,
    undo: {
      calls: [`${sq}.connect`],
      args: a =>
        a.some(
          k =>
            k.type === 'keyword_argument' &&
            k.childForFieldName('name')?.text === 'dispatch_uid' &&
            stringValue(field(k, 'value')) === uid,
        ),
    },
    taken: `the project's receiver under dispatch_uid ${JSON.stringify(uid)}`,
    unsafe: true,
  };
}

/** the receiver among a `connect(...)` call's arguments: the first positional one, or `receiver=` */
function receiverIn(args: Node[]): Node | null {
  const keyword = args.find(a => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'receiver');
  return keyword?.childForFieldName('value') ?? args.find(a => a.type !== 'keyword_argument') ?? null;
}

/** the receiver as the first argument of `connect(`/`disconnect(`: positional, or `receiver=` */
const RECEIVER_ARG = '\\s*(?:receiver\\s*=\\s*)?';

/**
 * A receiver that goes when the test returns, connected weakly (the default): a function or object
 * the test made, a lambda, a method of a fixture's object or of a plain pytest class's instance.
 */
function receiverDiesWithTheTest(ctx: RuleContext, call: Node, receiver: Node): boolean {
  if (/\bweak\s*=\s*False\b/.test(call.text)) return false;
  if (receiver.type === 'lambda') return true;
  const fn = ctx.defs.enclosingFunction(call);
  if (!fn) return false;
  // a method of a fixture's object (`signal_tracker.receiver`), or of a plain pytest class's
  // instance (one per test): Django holds it weakly, and the object goes with the test (a unittest
  // TestCase's instances live as long as the suite)
  if (receiver.type === 'attribute') {
    const root = receiver.childForFieldName('object');
    if (root?.type !== 'identifier') return false;
    if (root.text === 'self') {
      const cls = ctx.defs.methodClass(fn);
      if (!cls) return false;
      // a mock the class made (`self.handler = Mock()` in setUp): called, it changes nothing anyone reads
      const attr = escapeRegExp(field(receiver, 'attribute').text);
      if (new RegExp(`\\bself\\.${attr}\\s*=\\s*(?:[\\w.]*\\.)?(?:Magic|Async|NonCallable)?Mock\\(`).test(cls.text))
        return true;
      return ctx.testing.baseExpressions(cls).every(b => b.text === 'object');
    }
    return root.text !== 'cls' && parameterNames(fn).includes(root.text);
  }
  if (receiver.type !== 'identifier') return false;
  const name = escapeRegExp(receiver.text);
  // a function defined in the test, or an object it made (`handler = MagicMock()`, `with patch(...) as handler`)
  return new RegExp(
    `\\bdef\\s+${name}\\s*\\(|(^|\\n)[ \\t]*${name}\\s*=\\s*[\\w.]+\\(|\\)\\s+as\\s+${name}\\s*[:,)]`,
  ).test(fn.text);
}

/**
 * A receiver the test defined that only records into the test's own objects (`def set_signal(**kwargs):
 * signal_calls.append(kwargs)` over the test's `signal_calls = []`): left connected, even strongly
 * (`weak=False`), it changes nothing another test can read (django-cacheops).
 */
function receiverKeepsToTheTest(ctx: RuleContext, call: Node, receiver: Node): boolean {
  const fn = ctx.defs.enclosingFunction(call);
  const body = fn?.childForFieldName('body');
  if (!fn || !body || receiver.type !== 'identifier') return false;
  const def = body.namedChildren.find(
    (d): d is Node => d?.type === 'function_definition' && defName(d) === receiver.text,
  );
  if (!def) return false;
  // names the test binds in its own body (`signal_calls = []`), not its parameters (fixtures live on)
  const locals = new Set(
    body.namedChildren.flatMap(st => {
      const a = st?.type === 'expression_statement' ? st.firstNamedChild : null;
      const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
      return left?.type === 'identifier' ? [left.text] : [];
    }),
  );
  const own = (n: Node | null) => n?.type === 'identifier' && locals.has(n.text);
  return bodyStatements(def).every(st => {
    if (st.type === 'pass_statement' || st.type === 'nonlocal_statement') return true;
    const e = st.type === 'expression_statement' ? st.firstNamedChild : null;
    if (e?.type === 'string') return true;
    // `calls.append(kwargs)`, `calls[key] = value`, `count += 1` on a name the test bound: nothing else called
    if (e?.type === 'call') {
      const f = e.childForFieldName('function');
      return (
        f?.type === 'attribute' &&
        own(f.childForFieldName('object')) &&
        RECORDS.has(field(f, 'attribute').text) &&
        !callsAnything(field(e, 'arguments'))
      );
    }
    if (e?.type === 'assignment' || e?.type === 'augmented_assignment') {
      const left = e.childForFieldName('left');
      const target = left?.type === 'subscript' ? left.childForFieldName('value') : left;
      return own(target ?? null) && !callsAnything(field(e, 'right'));
    }
    return false;
  });
}
const RECORDS = new Set(['append', 'extend', 'add', 'update', 'put', 'set', 'appendleft']);

function callsAnything(node: Node): boolean {
  let found = false;
  walk(node, () => void (found = true), CALL);
  return found;
}
const CALL = new Set(['call']);

/**
 * The test class manages this receiver itself: its tearDown (or the test, earlier) connects or
 * disconnects the same receiver on the same signal. Then this connect puts it back (after a
 * disconnect), or tearDown restores the class's own state: a cleanup added here would run after
 * tearDown and undo its restore.
 */
function receiverManaged(ctx: RuleContext, call: Node, signal: string, receiver: string): boolean {
  const fn = ctx.defs.enclosingFunction(call);
  if (!fn) return false;
  const same = new RegExp(`${escapeRegExp(signal)}\\.(dis)?connect\\(${RECEIVER_ARG}${escapeRegExp(receiver)}\\b`);
  const before = fn.text.slice(0, call.startIndex - fn.startIndex);
  if (new RegExp(`${escapeRegExp(signal)}\\.disconnect\\(${RECEIVER_ARG}${escapeRegExp(receiver)}\\b`).test(before))
    return true;
  // taken off by its dispatch_uid alone (`post_save.disconnect(sender=Group, dispatch_uid="group_post_save")`),
  // and put back under the same one (minmatar), a string or a name (`dispatch_uid=OpenQuestion.__name__`, as
  // django-ordered-model's ready() connects it)
  const uid = keywordArgument(call, 'dispatch_uid');
  if (
    uid &&
    (stringValue(uid) !== null || /^[A-Za-z_][\w.]*$/.test(uid.text)) &&
    new RegExp(`${escapeRegExp(signal)}\\.disconnect\\([^)]*dispatch_uid\\s*=\\s*${escapeRegExp(uid.text)}`).test(
      before,
    )
  )
    return true;
  const cls = ctx.defs.methodClass(fn);
  return (
    !!cls &&
    ctx.testing
      .setupHooksOf(cls)
      .some(
        h =>
          /^(tearDown|asyncTearDown|teardown_method)$/.test(h.childForFieldName('name')?.text ?? '') &&
          same.test(h.text),
      )
  );
}

/** the settings whose change makes Django forget the active language (django/test/signals.py) */
const LANGUAGE_SETTINGS = ['LANGUAGES', 'LANGUAGE_CODE', 'LOCALE_PATHS'];

/** An `override_settings(LANGUAGES=...)` (or LANGUAGE_CODE, LOCALE_PATHS) around `node`, on `fn` or its class. */
function languageOverrideAround(ctx: RuleContext, node: Node, fn: Node): boolean {
  const cls = ctx.defs.methodClass(fn);
  const overrides = [
    ...ctx.testing.settingsOverridesAround(node, fn),
    ...(cls ? ctx.defs.decorators(cls).filter(d => d.type === 'call') : []),
  ];
  return overrides.some(o => LANGUAGE_SETTINGS.some(name => keywordArgument(o, name)));
}

function fixFor(ctx: RuleContext, fn: Node, call: Call, sw: Switch): Fix | null {
  const stmt = statementOf(call.node);
  if (stmt.type !== 'expression_statement' || stmt.firstNamedChild?.id !== call.node.id) return null;
  // the settings disable logging at a level of their own: NOTSET is not where the test started
  if (sw === SWITCHES['logging.disable'] && settingsLevel(ctx)) return null;
  if (sw.monkeypatch && ctx.testing.takesFixtures(fn)) {
    const replacement = sw.monkeypatch(call);
    if (replacement)
      return Fix.safe('Use monkeypatch (it restores the state)', [
        ...addParameter(ctx, fn, 'monkeypatch'),
        Edit.replace(stmt.startIndex, stmt.endIndex, replacement),
      ]);
  }
  const holder = ctx.testing.cleanupHolder(fn);
  const args = holder && sw.cleanup?.(call);
  if (!holder || !args) return null;
  const line = `${holder}(${args})`;
  return (sw.unsafe ? Fix.unsafe : Fix.safe)(`Restore with ${holder.split('.').pop()}`, [
    sw.before ? insertBefore(ctx, stmt, line) : insertAfter(ctx, stmt, line),
  ]);
}

/**
 * `signal.connect(receiver)` where the receiver is an object of a project module that connects it to
 * that signal itself at import, with the same sender (or none, here and there) and no `dispatch_uid`:
 * Django keys a receiver by its identity and sender, so connecting it again changes nothing (amy;
 * ocw-studio's `sender=WebsiteContent`, put back after its conftest.py's disconnect).
 */
function connectedAtImport(ctx: RuleContext, call: Node, signal: string, receiver: Node): boolean {
  const keywords = field(call, 'arguments').namedChildren.filter(a => a?.type === 'keyword_argument');
  if (keywords.some(k => !['weak', 'sender'].includes(k?.childForFieldName('name')?.text ?? ''))) return false;
  // the sender by its last name, as the project's module names it (`sender=WebsiteContent`)
  const senderArg = keywordArgument(call, 'sender');
  const sender = senderArg ? /(?:^|\.)(\w+)$/.exec(senderArg.text)?.[1] : undefined;
  if (senderArg && !sender) return false;
  const q = ctx.names.resolve(receiver);
  const dot = q?.lastIndexOf('.') ?? -1;
  if (!q || dot <= 0) return false;
  const name = q.slice(dot + 1);
  return !!ctx.project?.moduleConnects(q.slice(0, dot), signal.slice(signal.lastIndexOf('.') + 1), name, sender);
}

/**
 * The active language is one per process, and nothing of Django's puts it back between tests: where many
 * tests leave it changed, one reset for every test (an autouse fixture, a common base class) removes them
 * all (foundation.mozilla.org's 41 `activate("fr")`). Told at LANGUAGE_CODE, the language it goes back to.
 */
function languageCause(ctx: RuleContext): Cause | undefined {
  const settings = ctx.project?.settings;
  if (!settings?.languageAt) return undefined;
  const code = settings.languageCode ? ` (LANGUAGE_CODE, ${JSON.stringify(settings.languageCode)})` : '';
  return {
    at: settings.languageAt,
    describe: `the active language${code}, which nothing puts back between tests`,
    remedy: djangoRunner(ctx)
      ? "one change removes them all: a tearDown in the tests' common base class that activates LANGUAGE_CODE again after every test"
      : 'one change removes them all: an autouse fixture in the root conftest.py that activates LANGUAGE_CODE again after every test',
  };
}
