// Who visibly reads what a setup hook leaves behind: the later test a leak is reported for.
import type { Node } from '../../syntax/parser';
import type { RuleContext } from '../../engine/rule';
import { bodyStatements, definitionOf, defName } from '../../syntax/nodes';
import { settingWrite } from '../../analysis/testing';
import { escapeRegExp } from '../../syntax/text';

/** one RegExp object per question: the engine remembers file-wide answers by pattern */
const patterns = new Map<string, RegExp>();

/**
 * Whether a value `hook` (a setup hook: setUp, setUpClass, ...) writes to `name` reaches a test that
 * reads it: a test function or class of this module, other than the hook's class and classes deriving
 * from it, whose text names `name` (or `holder`, the object it is an attribute of: `Exporter` for
 * `Exporter.batch_size`, used by the test) and never sets it (an assignment, a keyword such as
 * `override_settings(NAME=...)`, the name as a string: `setattr`, a dict key).
 *
 * A setup hook's write is its class's configuration, given again before each of its tests; after the
 * class it stays for later tests of other classes, which matters only where one of them reads it without
 * setting it. Tests in other modules, or code under test reading it, cannot be seen from here: then the
 * rules say nothing. A module-level hook (setup_function, setUpModule) runs before every test of the
 * module, so none of them is a reader it reaches. A base class's hook (the class has no tests) is not one
 * class's configuration but many classes', in other modules too: its write is taken to reach readers.
 */
export function setupWriteReachesReaders(ctx: RuleContext, hook: Node, name: string, holder?: string): boolean {
  const cls = ctx.defs.methodClass(hook);
  if (!cls || !/^\w+$/.test(name)) return false;
  // a base class with no tests of its own: its hook runs before the tests of every class deriving
  // from it, wherever they are, and what it leaves is there for the rest of the process (readthedocs)
  // (one nothing derives from, its name nowhere else in the project, is no base: its tests come from a
  // mixin, as bk-sops' `HttpComponentTest(TestCase, ComponentTestMixin)`, and it is judged as any class)
  if (ctx.testing.testsOf(cls).length === 0 && (ctx.project?.occurrences(defName(cls)) ?? 2) > 1) return true;
  const n = escapeRegExp(name);
  const read = holder && /^\w+$/.test(holder) ? `(?:${n}|${escapeRegExp(holder)})` : n;
  const sets = settingWrite(name).source;
  const subclass = `(?:@.*\\n)*class\\s+\\w+\\s*\\([^)]*\\b${escapeRegExp(defName(cls))}\\b`;
  const source = `^(?!${subclass})(?![\\s\\S]*(?:${sets}))(?=[\\s\\S]*\\b${read}\\b)[\\s\\S]*\\bdef\\s+test`;
  let pattern = patterns.get(source);
  if (!pattern) patterns.set(source, (pattern = new RegExp(source)));
  return ctx.file.anyUnit(pattern);
}

/**
 * The settings Django itself reads while tests run (django/conf/global_settings.py's names, with the few
 * later versions added): a leak of one is read by the framework, whatever the project's code does. Not
 * INSTALLED_APPS: Django reads it once, when the app registry is populated (and again only when an
 * override changes it), so a later change in place is seen by code reading the setting itself.
 */
export const DJANGO_SETTINGS = new Set(
  `ABSOLUTE_URL_OVERRIDES ADMINS ALLOWED_HOSTS APPEND_SLASH AUTHENTICATION_BACKENDS AUTH_PASSWORD_VALIDATORS
AUTH_USER_MODEL CACHES CACHE_MIDDLEWARE_ALIAS CACHE_MIDDLEWARE_KEY_PREFIX CACHE_MIDDLEWARE_SECONDS
CSRF_COOKIE_AGE CSRF_COOKIE_DOMAIN CSRF_COOKIE_HTTPONLY CSRF_COOKIE_MASKED CSRF_COOKIE_NAME CSRF_COOKIE_PATH
CSRF_COOKIE_SAMESITE CSRF_COOKIE_SECURE CSRF_FAILURE_VIEW CSRF_HEADER_NAME CSRF_TRUSTED_ORIGINS
CSRF_USE_SESSIONS DATABASES DATABASE_ROUTERS DATA_UPLOAD_MAX_MEMORY_SIZE DATA_UPLOAD_MAX_NUMBER_FIELDS
DATA_UPLOAD_MAX_NUMBER_FILES DATETIME_FORMAT DATETIME_INPUT_FORMATS DATE_FORMAT DATE_INPUT_FORMATS DEBUG
DEBUG_PROPAGATE_EXCEPTIONS DECIMAL_SEPARATOR DEFAULT_AUTO_FIELD DEFAULT_CHARSET DEFAULT_EXCEPTION_REPORTER
DEFAULT_EXCEPTION_REPORTER_FILTER DEFAULT_FILE_STORAGE DEFAULT_FROM_EMAIL DEFAULT_HASHING_ALGORITHM
DEFAULT_INDEX_TABLESPACE DEFAULT_TABLESPACE DISALLOWED_USER_AGENTS EMAIL_BACKEND EMAIL_HOST
EMAIL_HOST_PASSWORD EMAIL_HOST_USER EMAIL_PORT EMAIL_SSL_CERTFILE EMAIL_SSL_KEYFILE EMAIL_SUBJECT_PREFIX
EMAIL_TIMEOUT EMAIL_USE_LOCALTIME EMAIL_USE_SSL EMAIL_USE_TLS FILE_UPLOAD_DIRECTORY_PERMISSIONS
FILE_UPLOAD_HANDLERS FILE_UPLOAD_MAX_MEMORY_SIZE FILE_UPLOAD_PERMISSIONS FILE_UPLOAD_TEMP_DIR
FIRST_DAY_OF_WEEK FIXTURE_DIRS FORCE_SCRIPT_NAME FORMAT_MODULE_PATH FORMS_URLFIELD_ASSUME_HTTPS FORM_RENDERER
IGNORABLE_404_URLS INTERNAL_IPS LANGUAGES LANGUAGES_BIDI LANGUAGE_CODE LANGUAGE_COOKIE_AGE
LANGUAGE_COOKIE_DOMAIN LANGUAGE_COOKIE_HTTPONLY LANGUAGE_COOKIE_NAME LANGUAGE_COOKIE_PATH
LANGUAGE_COOKIE_SAMESITE LANGUAGE_COOKIE_SECURE LOCALE_PATHS LOGGING LOGGING_CONFIG LOGIN_REDIRECT_URL
LOGIN_URL LOGOUT_REDIRECT_URL MANAGERS MEDIA_ROOT MEDIA_URL MESSAGE_STORAGE MIDDLEWARE MIGRATION_MODULES
MONTH_DAY_FORMAT NUMBER_GROUPING PASSWORD_HASHERS PASSWORD_RESET_TIMEOUT PASSWORD_RESET_TIMEOUT_DAYS
PREPEND_WWW ROOT_URLCONF SECRET_KEY SECRET_KEY_FALLBACKS SECURE_BROWSER_XSS_FILTER SECURE_CONTENT_TYPE_NOSNIFF
SECURE_CROSS_ORIGIN_OPENER_POLICY SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD SECURE_HSTS_SECONDS
SECURE_PROXY_SSL_HEADER SECURE_REDIRECT_EXEMPT SECURE_REFERRER_POLICY SECURE_SSL_HOST SECURE_SSL_REDIRECT
SERVER_EMAIL SESSION_CACHE_ALIAS SESSION_COOKIE_AGE SESSION_COOKIE_DOMAIN SESSION_COOKIE_HTTPONLY
SESSION_COOKIE_NAME SESSION_COOKIE_PATH SESSION_COOKIE_SAMESITE SESSION_COOKIE_SECURE SESSION_ENGINE
SESSION_EXPIRE_AT_BROWSER_CLOSE SESSION_FILE_PATH SESSION_SAVE_EVERY_REQUEST SESSION_SERIALIZER
SHORT_DATETIME_FORMAT SHORT_DATE_FORMAT SIGNING_BACKEND SILENCED_SYSTEM_CHECKS STATICFILES_DIRS
STATICFILES_FINDERS STATICFILES_STORAGE STATIC_ROOT STATIC_URL STORAGES TEMPLATES TEST_NON_SERIALIZED_APPS
TEST_RUNNER THOUSAND_SEPARATOR TIME_FORMAT TIME_INPUT_FORMATS TIME_ZONE USE_I18N USE_L10N
USE_THOUSAND_SEPARATOR USE_TZ USE_X_FORWARDED_HOST USE_X_FORWARDED_PORT WSGI_APPLICATION X_FRAME_OPTIONS
YEAR_MONTH_FORMAT`.split(/\s+/),
);

/**
 * Whether a later test can see the value a test leaves in `name`: some test reads the setting, or names a
 * function or class of the project that reads it, without setting it first (settingUse); a function of
 * the project reads it that no test names (reached through URLs, signals, other code: cannot be
 * followed); or nothing of the project reads it while tests run but Django does, or a library may (the
 * settings define it and no code of the project reads it). Quiet where every test reaching a reader sets
 * it first, where the project reads it only once, at import, and where nothing defines or reads it.
 * `fn` is the function that leaves it, not a reader of its own leak. True when the project cannot be read.
 */
export function leakObserved(ctx: RuleContext, fn: Node, name: string, write?: Node): boolean {
  const use = ctx.project?.settingUse(name);
  if (!use) return true;
  const cls = ctx.defs.methodClass(fn);
  const self = `${ctx.file.moduleName}::${cls ? `${defName(cls)}.` : ''}${defName(fn)}`;
  if (use.unsetReaders.some(r => r !== self)) return true;
  // a test run once per parameter that writes only on some of its runs: a later run, taking the other
  // branch, reads what an earlier one left (learn-ai's `if value_in_settings is not None:` before
  // `settings.FEATURES[key] = ...`, a later case expecting the key unset)
  if (write && use.readAtRuntime && runsAgain(ctx, fn) && writesOnlySometimes(fn, write)) return true;
  if (use.readAtRuntime) return use.hiddenReaders;
  if (DJANGO_SETTINGS.has(name)) return true;
  return use.defined && !use.readAtImport;
}

/** decorators that run a test more than once: pytest's parametrize, ddt, parameterized */
const REPEATED = /parametrize|\bddt\b|@data\(|\bdata\(|parameterized|\bexpand\(/;

/** Whether test `fn` runs more than once in a process: parametrised, itself or its class. */
function runsAgain(ctx: RuleContext, fn: Node): boolean {
  const cls = ctx.defs.methodClass(fn);
  return [...ctx.defs.decorators(fn), ...(cls ? ctx.defs.decorators(cls) : [])].some(d => REPEATED.test(d.text));
}

/** Whether `write` runs on only some paths through `fn`: under an `if` (or a loop that may not run) of it. */
function writesOnlySometimes(fn: Node, write: Node): boolean {
  for (let n = write.parent; n && n.id !== fn.id; n = n.parent)
    if (
      [
        'if_statement',
        'elif_clause',
        'else_clause',
        'conditional_expression',
        'for_statement',
        'while_statement',
      ].includes(n.type)
    )
      return true;
  return false;
}

/**
 * `leakObserved` for a setup hook's write: by a test outside the hook's class, or by the project's code
 * reached through code no test names.
 */
export function leakObservedOutside(ctx: RuleContext, hook: Node, name: string): boolean {
  const use = ctx.project?.settingUse(name);
  const cls = ctx.defs.methodClass(hook);
  if (!use || !cls) return false;
  const own = `${ctx.file.moduleName}::${defName(cls)}.`;
  if (use.unsetReaders.some(r => !r.startsWith(own))) return true;
  return use.readAtRuntime && use.hiddenReaders;
}

/**
 * Whether another test of `fn`'s module matches `pattern`: a test of the same class, read here; or a
 * top-level definition of the module, asked of the file (so that an edit there is seen). `pattern` must
 * be one object per question: the engine remembers file-wide answers by pattern.
 */
export function anotherTestMatches(ctx: RuleContext, fn: Node, pattern: RegExp): boolean {
  const cls = ctx.defs.methodClass(fn);
  const siblings = cls ? bodyStatements(cls).map(definitionOf) : [];
  const sibling = (t: Node) =>
    t.id !== fn.id && t.type === 'function_definition' && ctx.testing.isTestFunction(t) && pattern.test(t.text);
  return siblings.some(sibling) || ctx.file.anyUnit(pattern);
}
