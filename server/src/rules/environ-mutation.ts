import { addDecorator, addParameter, importLeftUnused, removeStatement, withFromHere } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import { importName, reachedName } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { isPython2 } from './lib/python2';
import { afterYield } from '../analysis/testing';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import { BLOCK_TYPES, bodyStatements, definitionOf, field, isConstant, stringValue, walk } from '../syntax/nodes';
import { escapeRegExp } from '../syntax/text';
import { thisProcess } from './lib/process';
import { anotherTestMatches } from './lib/readers';

const MUTATORS = new Set(['update', 'pop', 'setdefault', 'clear', 'popitem', '__setitem__', '__delitem__']);
const PATCH_DICT = /(^|\.)patch\.dict$/;
/** a write or removal whose key is a variable, or the whole environment put back: restores what was saved */
const RESTORE_BY_NAME =
  /\b(?:os\.)?environ\[\s*[A-Za-z_]\w*\s*\]\s*=[^=]|\b(?:os\.)?environ\.(?:update|clear)\(|\b(?:os\.)?environ\.pop\(\s*[A-Za-z_]\w*\s*[,)]/;
/** variables the interpreter, the C library or common libraries read on every use (locale, time zone, proxies) */
const PROCESS_WIDE =
  /^(TZ|LANG|LANGUAGE|LC_\w+|HOME|PATH|TMPDIR|TEMP|TMP|USER|LOGNAME|PYTHON\w*|DJANGO_\w+|(HTTPS?|NO|ALL|FTP)_PROXY|(https?|no|all|ftp)_proxy|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|SSL_CERT_(FILE|DIR))$/;

export default createRule({
  id: 'XT050',
  name: 'environ-mutation',
  optIn:
    'Read on suites nobody had tuned it on (rounds 5 to 19 of docs/accuracy.md), none of its 30 findings ' +
    'was a hazard a test could see: the variable is left set, but the code reading it runs once at import ' +
    '(the settings) or only in tests that set it first. Select it to audit a suite by hand.',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A test changes os.environ without restoring it',
  table: {
    finds:
      '`os.environ[k] = v`, `del os.environ[k]`, `os.environ.update/pop/...`, `os.putenv` in tests without `monkeypatch`, `patch.dict` or a restore',
    fix: 'Safe: `monkeypatch.setenv/delenv` in pytest; `@mock.patch.dict(os.environ, ...)` in unittest',
  },
  docs: {
    what:
      '`os.environ[k] = v`, `del os.environ[k]`, `os.environ.update/pop/setdefault/clear`, `os.putenv` and ' +
      '`os.unsetenv` in a test, setUp hook or fixture, outside `monkeypatch`, `mock.patch.dict(os.environ, ...)` ' +
      "and without a restore in tearDown, `finally`, `addCleanup` or after a fixture's `yield` (by its name, or " +
      'by a variable: `for key, value in self._saved.items(): os.environ[key] = value`), or by an autouse ' +
      'fixture of the class or module that removes or resets the variable after its `yield`; when something ' +
      'reads the variable while tests run: code of the project in a function (not a settings module at ' +
      'import), a test that does not set it first, or the interpreter and common libraries (`TZ`, `LANG`, ' +
      '`HOME`, proxies, `DJANGO_*`). A variable nothing reads after import (a fake AWS key for a library the ' +
      'suite mocks) is not reported, nor code in a fixture no test requests, nor ' +
      '`os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)` where the settings module is known (it is set ' +
      'before any test runs); a computed name, or a project whose files cannot be listed, is. Nor a write ' +
      'that is the last statement of a `pytest.raises` or `assertRaises` block, which never completes in a ' +
      'passing test (`os.environ["PORT"] = 8080` raises TypeError).',
    why:
      'The environment belongs to the process: a variable set by one test is still set for every later test in ' +
      'that xdist worker (and for subprocesses they start), so behaviour depends on which tests ran first.',
    incident:
      'canonical/operator: two tests changed `os.environ` without restoring it, and the change leaked into ' +
      'later tests; the fix: `monkeypatch.setenv`.',
    incidentUrl: 'https://github.com/canonical/operator/pull/1385',
    example: [
      'def test_uses_sandbox():',
      '    os.environ["PAYMENTS_SANDBOX"] = "1"   # XT050',
      '',
      '# fixed',
      'def test_uses_sandbox(monkeypatch):',
      '    monkeypatch.setenv("PAYMENTS_SANDBOX", "1")',
    ].join('\n'),
    fixSafety:
      'Safe. In pytest functions and function-scoped fixtures the change goes through `monkeypatch` ' +
      '(`setenv`, `delenv`), which undoes it. In unittest test methods, a constant assignment as a top-level ' +
      'statement becomes `@mock.patch.dict(os.environ, {...})` on the method; when the test reads the variable ' +
      'before setting it, or the value is computed, `with mock.patch.dict(os.environ, {...}):` over the rest of ' +
      'the test instead, so the change starts where it did. Unsafe where another test of the module changes ' +
      'the environment and does not set this variable: it may pass only on the value this one leaks. ' +
      '`mock` comes from `unittest` (`from unittest import mock`, unless the module already reaches ' +
      '`unittest.mock`, `import unittest` alone does not); in Python 2 code, which has no `unittest.mock`, ' +
      'only through a `mock` the module imports. Other shapes get no automatic fix.',
  },
  create(ctx): Listeners {
    if (!ctx.file.mentions('environ') && !ctx.file.mentions('putenv') && !ctx.file.mentions('unsetenv')) return {};
    const check = (node: Node, key: Node | null, environ: Node, kind: 'set' | 'del' | 'call', value: Node | null) => {
      const owner = ctx.testing.owner(node);
      if (
        !owner ||
        ctx.testing.isUndoing(node, owner.fn) ||
        ctx.testing.neverCompletes(node, owner.fn) ||
        ctx.testing.isWideFixture(owner.fn) ||
        patchedAround(ctx, node, owner.fn)
      )
        return;
      if (ctx.testing.restores(owner.fn, key?.text ?? environ.text, node)) return;
      // a restore of saved variables by name (`for key, value in self._saved.items(): os.environ[key] = value`)
      if (ctx.testing.restores(owner.fn, RESTORE_BY_NAME, node)) return;
      // an autouse fixture of the class or module that removes or resets the variable after each test
      if (key && resetByAutouseFixture(ctx, owner.fn, key)) return;
      if (kind === 'set' && key && ctx.testing.isPutBack(owner.fn, key.text, value)) return;
      // removing a variable the test itself set earlier puts the environment back (set, then unset)
      if (kind !== 'set' && key && setBefore(owner.fn, key, node)) return;
      if (key && unread(ctx, key)) return;
      ctx.report({
        node,
        message: `os.environ${key ? `[${key.text}]` : ''} is changed for the rest of this process: every later test in ${thisProcess(ctx)} (and every subprocess it starts) sees it`,
        fix: unsafeWhereRelied(ctx, owner.fn, key, fixFor(ctx, owner.fn, node, environ, key, kind, value)),
      });
    };
    const isEnviron = (n: Node | null) => !!n && ctx.names.is(n, 'os.environ');
    return {
      assignment(node) {
        if (!node.text.includes('[')) return; // read from the text: only a subscript sets a key
        const left = node.childForFieldName('left');
        if (left?.type === 'subscript' && isEnviron(left.childForFieldName('value'))) {
          check(
            node,
            left.childForFieldName('subscript'),
            field(left, 'value'),
            'set',
            node.childForFieldName('right'),
          );
        }
      },
      delete_statement(node) {
        for (const t of node.namedChildren) {
          if (t?.type === 'subscript' && isEnviron(t.childForFieldName('value')))
            check(node, t.childForFieldName('subscript'), field(t, 'value'), 'del', null);
        }
      },
      call(node) {
        const fn = node.childForFieldName('function');
        if (!fn) return;
        if (
          fn.type === 'attribute' &&
          MUTATORS.has(field(fn, 'attribute').text) &&
          isEnviron(fn.childForFieldName('object'))
        ) {
          const method = field(fn, 'attribute').text;
          const first = node.childForFieldName('arguments')?.namedChildren.find(a => a?.type !== 'comment') ?? null;
          // the settings module is in the environment before any test runs (pytest-django, manage.py
          // set it): a setdefault of it changes nothing
          if (
            method === 'setdefault' &&
            first &&
            stringValue(first) === 'DJANGO_SETTINGS_MODULE' &&
            ctx.project?.settings.module
          )
            return;
          check(node, method === 'pop' ? first : null, field(fn, 'object'), 'call', null);
        } else if (ctx.names.is(fn, 'os.putenv', 'os.unsetenv')) {
          const first = node.childForFieldName('arguments')?.namedChildren.find(a => a?.type !== 'comment') ?? null;
          check(node, first, fn, 'call', null);
        }
      },
    };
  },
});

/**
 * A variable no code of the project reads while tests run, and that Python or common libraries do not
 * read on every call: its leaked value cannot change a result (a fake AWS key under moto, a variable the
 * settings read once at import). Unknown (a computed name, files that cannot be listed): not unread.
 */
function unread(ctx: RuleContext, key: Node): boolean {
  const name = stringValue(key);
  return !!name && !PROCESS_WIDE.test(name) && ctx.project?.readsEnviron(name) === false;
}

/**
 * An autouse fixture of `fn`'s class or module that, after its `yield`, removes or writes the variable
 * `key` names (`os.environ.pop("X", None)`, also over a tuple of names): every test ends with it reset.
 */
function resetByAutouseFixture(ctx: RuleContext, fn: Node, key: Node): boolean {
  const name = stringValue(key);
  if (!name) return false;
  const cls = ctx.defs.methodClass(fn);
  const scopes = [
    ...(cls ? bodyStatements(cls) : []),
    ...ctx.file.topLevel.filter(c => c.kind === 'def').map(c => c.node),
  ];
  return scopes.some(stmt => {
    const def = definitionOf(stmt);
    if (def.type !== 'function_definition' || !ctx.testing.isAutouseFixture(def)) return false;
    const after = afterYield(def);
    return after.includes(JSON.stringify(name).slice(1, -1)) && ENVIRON_RESET.test(after);
  });
}
const ENVIRON_RESET = /environ\.(?:pop|update|clear)\(|\bdel\s+(?:os\.)?environ\[|environ\[[^\]]+\]\s*=[^=]|delenv\(/;

/** Inside `with mock.patch.dict(os.environ, ...)`, or a test decorated with it (or its class). */
function patchedAround(ctx: RuleContext, node: Node, fn: Node): boolean {
  const cls = ctx.defs.methodClass(fn);
  const decorated = [...ctx.defs.decorators(fn), ...(cls ? ctx.defs.decorators(cls) : [])].some(
    d => d.type === 'call' && PATCH_DICT.test(d.childForFieldName('function')?.text ?? '') && /environ/.test(d.text),
  );
  if (decorated) return true;
  let inside = false;
  walk(
    fn,
    n => {
      if (inside || n.startIndex > node.startIndex || n.endIndex < node.endIndex) return false;
      if (
        n.type === 'with_statement' &&
        /patch\.dict\s*\(\s*(os\.)?environ|patch\.dict\s*\(\s*["']os\.environ/.test(
          n.text.slice(0, field(n, 'body').startIndex - n.startIndex),
        )
      )
        inside = true;
      return !inside;
    },
    BLOCK_TYPES,
  );
  return inside;
}
/**
 * A fix is unsafe where another test of the module changes the environment too and does not set this
 * variable (directory-api's `test_ci_environment` sets three others, reloads the reader, and passed on
 * the `APP_ENVIRONMENT` the tests before it leaked): the module's tests hand each other their
 * environment, and undoing one leak may take a value another relies on.
 */
function unsafeWhereRelied(ctx: RuleContext, fn: Node, key: Node | null, fix: Fix | null): Fix | null {
  if (!fix || fix.applicability === 'unsafe' || !key) return fix;
  return anotherTestMatches(ctx, fn, reliantUnit(stringValue(key) ?? key.text))
    ? Fix.unsafe(fix.title, fix.edits)
    : fix;
}

/** Code that changes the environment and never names `name`: one RegExp per name (the file's `anyUnit` key). */
function reliantUnit(name: string): RegExp {
  let pattern = RELIANT.get(name);
  if (!pattern) {
    pattern = new RegExp(`^(?![\\s\\S]*\\b${escapeRegExp(name)}\\b)[\\s\\S]*${ENVIRON_WRITE.source}`);
    RELIANT.set(name, pattern);
  }
  return pattern;
}
const RELIANT = new Map<string, RegExp>();
/** a write to the environment: `os.environ[k] = v`, `os.environ.update(`, `putenv(` */
const ENVIRON_WRITE = /environ\s*\[[^\]]+\]\s*=(?!=)|environ\.(?:update|setdefault)\(|putenv\(/;

function fixFor(
  ctx: RuleContext,
  fn: Node,
  node: Node,
  environ: Node,
  key: Node | null,
  kind: 'set' | 'del' | 'call',
  value: Node | null,
): Fix | null {
  const statement = node.type === 'delete_statement' ? node : node.parent;
  if (!statement || (statement !== node && statement.type !== 'expression_statement')) return null;
  if (ctx.testing.takesFixtures(fn) && key) {
    const method = node.type === 'call' ? field(node, 'function').text : '';
    let call: string | null = null;
    if (kind === 'set' && value) call = `monkeypatch.setenv(${key.text}, ${value.text})`;
    else if (kind === 'del') call = `monkeypatch.delenv(${key.text})`;
    else if (/\.pop$|unsetenv$/.test(method)) call = `monkeypatch.delenv(${key.text}, raising=False)`;
    else if (/putenv$/.test(method)) {
      const args = field(node, 'arguments').namedChildren.filter((a): a is Node => !!a && a.type !== 'comment');
      if (args.length === 2) call = `monkeypatch.setenv(${args[0].text}, ${args[1].text})`;
    }
    if (!call) return null;
    return Fix.safe('Use monkeypatch (it restores the environment)', [
      ...addParameter(ctx, fn, 'monkeypatch'),
      Edit.replace(statement.startIndex, statement.endIndex, call),
      // the test's `os.environ` may have been the module's last use of `import os` (or of `from os import environ`)
      ...(/\bos\b/.test(call) ? [] : importLeftUnused(ctx, /^import\s+os\s*$/, 'os', statement)),
      ...(/\benviron\b/.test(call)
        ? []
        : importLeftUnused(ctx, /^from\s+os\s+import\s+environ\s*$/, 'environ', statement)),
    ]);
  }
  // unittest: an assignment at the top of a test method becomes @mock.patch.dict(os.environ, {...})
  if (kind !== 'set' || !key || !value || !isConstant(key)) return null;
  if (!ctx.testing.unittestClassOf(fn) || !ctx.testing.isTestFunction(fn) || statement.parent?.parent?.id !== fn.id)
    return null;
  const reached =
    reachedName(ctx, 'unittest.mock', 'unittest.mock.patch') ??
    (isPython2(ctx) ? reachedName(ctx, 'mock', 'mock.patch') : undefined);
  // Python 2 has no unittest.mock to import (its `mock` package is a requirement of its own)
  if (!reached && isPython2(ctx)) return null;
  const patch = reached ?? `${importName(ctx, 'unittest', 'mock').expr}.patch`;
  const imports = reached ? [] : importName(ctx, 'unittest', 'mock').edits;
  // the test looks at the variable before setting it, or the value is computed: a decorator would set
  // it from the start, so the patch starts where the assignment was, over the rest of the test
  if (fn.text.slice(0, statement.startIndex - fn.startIndex).includes(key.text) || !isConstant(value)) {
    const edits = withFromHere(ctx, fn, statement, `with ${patch}.dict(${environ.text}, {${key.text}: ${value.text}})`);
    return edits && Fix.safe('Use mock.patch.dict(os.environ, ...) for the rest of the test', [...imports, ...edits]);
  }
  return Fix.safe('Use @mock.patch.dict(os.environ, ...) on the test', [
    ...imports,
    addDecorator(ctx, fn, `${patch}.dict(${environ.text}, {${key.text}: ${value.text}})`),
    removeStatement(ctx, fn, statement),
  ]);
}

/** `os.environ[key] = ...` (or `environ[key] = ...`) written in `fn` before `node`. */
function setBefore(fn: Node, key: Node, node: Node): boolean {
  const before = fn.text.slice(0, node.startIndex - fn.startIndex);
  return new RegExp(`environ\\[\\s*${escapeRegExp(key.text)}\\s*\\]\\s*=(?!=)`).test(before);
}
