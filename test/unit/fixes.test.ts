// Fix properties across rules: one import however many fixes need it; other decorators, comments
// and parametrize order kept; CRLF and tabs kept; fix-all converges.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as path from 'node:path';
import { main } from '../../server/src/cli/main';
import { ROOT, fixText, lintText, syntaxErrors } from './helpers';

const SOURCE = `import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.test import TestCase


class ProfileTests(TestCase):
    def test_cached(self):
        cache.set("k", 1)

    def test_page_size(self):
        settings.PAGE_SIZE = 5
        self.assertTrue(True)


class OtherTests(TestCase):
    def test_cached(self):
        cache.get("k")


@pytest.mark.django_db  # the database
@pytest.mark.parametrize("app_label", ["a", "b"])

@pytest.mark.slow
def test_inline(app_label):
    class M(models.Model):
        class Meta:
            app_label = app_label
`;

test('fixes from several rules share one import and keep decorators, comments and blank lines', async () => {
  // (unsafe included: with no project around it, nothing tells that no code reads the app registry)
  const { text, passes } = await fixText(SOURCE, { moduleName: 'tests', unsafe: true });
  assert.ok(passes <= 10);
  assert.equal(text.match(/override_settings/g)!.length, 4, 'one import, three uses');
  assert.match(text, /^from django\.test import TestCase, override_settings$/m);
  assert.equal(text.match(/^from django\.test\.utils import isolate_apps$/gm)!.length, 1);
  assert.match(
    text,
    /@pytest\.mark\.django_db {2}# the database\n@pytest\.mark\.parametrize\("app_label", \["a", "b"\]\)\n\n@pytest\.mark\.slow\n@isolate_apps\("a", "b"\)\ndef test_inline/,
  );
  assert.deepEqual(await syntaxErrors(text), []);
  assert.equal((await fixText(text, { moduleName: 'tests', unsafe: true })).text, text, 'idempotent');
});

test('CRLF stays CRLF and tab indentation stays tabs', async () => {
  const tabbed = SOURCE.replace(/^( {4})+/gm, m => '\t'.repeat(m.length / 4)).replace(/\n/g, '\r\n');
  const { text } = await fixText(tabbed, { moduleName: 'tests' });
  assert.notEqual(text, tabbed);
  assert.doesNotMatch(text.replace(/\r\n/g, ''), /\n/, 'no bare LF');
  assert.doesNotMatch(text, /^ +\S/m, 'no space indentation introduced');
  assert.match(text, /\r\n\t@override_settings\(PAGE_SIZE=5\)\r\n\tdef test_page_size/);
});

test('XT020 in unittest methods: a directory per test, tempfile and shutil imported once', async () => {
  const source = [
    'import os',
    'from unittest import TestCase',
    '',
    '',
    'class ExportTests(TestCase):',
    '    def test_a(self):',
    '        open("/tmp/a.csv", "w").close()',
    '',
    '    def test_b(self):',
    '        self.assertEqual(os.listdir("/tmp"), [])',
    '',
  ].join('\n');
  const { text } = await fixText(source, { moduleName: 'tests', unsafe: true });
  assert.equal(
    text,
    [
      'import os',
      'import shutil',
      'import tempfile',
      'from unittest import TestCase',
      '',
      '',
      'class ExportTests(TestCase):',
      '    def test_a(self):',
      '        tmp = tempfile.mkdtemp()',
      '        self.addCleanup(shutil.rmtree, tmp, True)',
      '        open(os.path.join(tmp, "a.csv"), "w").close()',
      '',
      '    def test_b(self):',
      '        tmp = tempfile.mkdtemp()',
      '        self.addCleanup(shutil.rmtree, tmp, True)',
      '        self.assertEqual(os.listdir(tmp), [])',
      '',
    ].join('\n'),
  );
});

test("XT040's override is unsafe where another test of the module names the setting with no value of its own", async () => {
  // the leak in one test, and `other` in a second: methods of one TestCase, or pytest functions
  const inClass = (other: string) => [
    'from django.test import TestCase',
    '',
    '',
    'class UploadTests(TestCase):',
    '    def test_deleted_user(self):',
    '        settings.SERVER_ENVIRONMENT = "production"',
    '',
    '    def test_valid_payload(self):',
    `        ${other}`,
  ];
  const asFunctions = (other: string) => [
    '',
    '',
    'def test_deleted_user():',
    '    settings.SERVER_ENVIRONMENT = "production"',
    '',
    '',
    'def test_valid_payload():',
    `    ${other}`,
  ];
  const applicability = async (body: string[]) =>
    (
      await lintText(['import os', 'from django.conf import settings', ...body, ''].join('\n'), { moduleName: 'tests' })
    ).find(f => f.rule.id === 'XT040')?.fix?.applicability;
  // UK-Polling-Stations: the other test sets an environment variable the settings never read, and passed only
  // on the value the first one leaked
  assert.equal(await applicability(inClass('os.environ["SERVER_ENVIRONMENT"] = "production"')), 'unsafe');
  // one that gives the setting its own value does not rely on the leak; one that never names it neither
  assert.equal(await applicability(inClass('settings.SERVER_ENVIRONMENT = "staging"')), 'safe');
  assert.equal(await applicability(inClass('assert True')), 'safe');
  // pytest functions: another test of the module that names it with no value of its own, the same
  assert.equal(await applicability(asFunctions('os.environ["SERVER_ENVIRONMENT"] = "production"')), 'unsafe');
  assert.equal(await applicability(asFunctions('assert True')), 'safe');
});

test("XT050's monkeypatch is unsafe where another test of the module changes the environment without this variable", async () => {
  const module = (other: string) =>
    [
      'import os',
      '',
      '',
      'def test_paas(monkeypatch):',
      '    os.environ["APP_ENVIRONMENT"] = "local"',
      '',
      '',
      'def test_ci():',
      `    ${other}`,
      '',
    ].join('\n');
  const applicability = async (other: string) =>
    (await lintText(module(other), { moduleName: 'tests' })).find(f => f.rule.id === 'XT050')?.fix?.applicability;
  // directory-api: the other test sets variables of its own and passed on the APP_ENVIRONMENT leaked before it
  assert.equal(await applicability('os.environ["DATABASE_URL"] = "postgres://"'), 'unsafe');
  // one that sets this variable too does not rely on the leak; one that changes no variable neither
  assert.equal(await applicability('os.environ["APP_ENVIRONMENT"] = "ci"'), 'safe');
  assert.equal(await applicability('assert os.environ.get("HOME")'), 'safe');
});

test('Python 2 code gets what Python 2 has: assertItemsEqual, and no unittest.mock to import', async () => {
  const unordered = (extra: string) =>
    [
      'from django.db import models',
      'from django.test import TestCase',
      '',
      '',
      'class Book(models.Model):',
      '    title = models.CharField(max_length=10)',
      '',
      '',
      'class BookTests(TestCase):',
      '    def test_titles(self):',
      `        ${extra}`,
      '        self.assertEqual(list(Book.objects.all()), [self.a, self.b])',
      '',
    ].join('\n');
  // moztrap: `unicode(...)` is Python 2 code, whose unittest calls it assertItemsEqual
  assert.match((await fixText(unordered('label = unicode(self.a)'), { moduleName: 'tests' })).text, /assertItemsEqual/);
  assert.match((await fixText(unordered('label = str(self.a)'), { moduleName: 'tests' })).text, /assertCountEqual/);
  // a module that defines `unicode` itself may be Python 3
  const shim = `unicode = str\n${unordered('label = unicode(self.a)')}`;
  assert.match((await fixText(shim, { moduleName: 'tests' })).text, /assertCountEqual/);

  const environ = (imports: string, extra: string) =>
    [
      imports,
      'import os',
      '',
      '',
      'class ProxyTests(unittest.TestCase):',
      '    def test_no_proxy(self):',
      '        os.environ["no_proxy"] = "example.com"',
      `        ${extra}`,
      '',
    ].join('\n');
  const fixed = async (imports: string, extra = 'pass') =>
    (await fixText(environ(imports, extra), { moduleName: 'tests' })).text;
  // fjord's vendored requests: `import unittest` does not load unittest.mock
  assert.match(await fixed('import unittest'), /^from unittest import mock$/m);
  assert.match(await fixed('import unittest\nimport unittest.mock'), /@unittest\.mock\.patch\.dict\(os\.environ/);
  // Python 2: no unittest.mock; its own `mock` package only where the module imports it
  assert.doesNotMatch(await fixed('import unittest', 'print "x"'), /mock/);
  assert.match(await fixed('import unittest\nimport mock', 'print "x"'), /@mock\.patch\.dict\(os\.environ/);
});

test("XT040's override is unsafe on a test whose class's setUp writes the same setting straight into the settings", async () => {
  // django-taggit: setUp turns the setting on and one test turns it off, which is what put the value back
  // after the class; an override around that test restores setUp's value instead
  const module = (setUp: string) =>
    [
      'from django.conf import settings',
      'from django.test import TestCase',
      '',
      '',
      'class DeduplicateTests(TestCase):',
      '    def setUp(self):',
      `        ${setUp}`,
      '',
      '    def test_not_enabled(self):',
      '        settings.CASE_INSENSITIVE = "off"',
      '',
    ].join('\n');
  const applicability = async (setUp: string) =>
    (await lintText(module(setUp), { moduleName: 'tests' })).find(f => f.rule.id === 'XT040' && f.startPos.line === 9)
      ?.fix?.applicability;
  assert.equal(await applicability('settings.CASE_INSENSITIVE = "on"'), 'unsafe');
  assert.equal(await applicability('self.tags = []'), 'safe');
});

test("XT040's class-wide override is unsafe for a setUp write other test modules make too, with the same value", async () => {
  // AutSPACEs: `settings.DEBUG = True` in many setUps; other classes may pass only because it stays
  const dir = path.join(ROOT, 'test', 'fixtures', 'projects', 'setup-writes-elsewhere');
  const out: string[] = [];
  await main(
    ['check', dir, '--format', 'json', '--select', 'XT040'],
    s => out.push(s),
    () => {},
  );
  const fixes = (
    JSON.parse(out.join('\n')) as {
      filename: string;
      location: { row: number };
      fix: { applicability: string } | null;
    }[]
  ).map(f => `${path.basename(f.filename)}:${f.location.row} ${f.fix?.applicability}`);
  // USE_TZ = False in the setUps of two modules; TIME_ZONE written once
  assert.deepEqual(fixes.sort(), ['test_invoices.py:17 safe', 'test_invoices.py:8 unsafe', 'test_orders.py:11 unsafe']);
});

test("the cache fix is unsafe on django-redis where any of the project's code calls django-redis's own API", async () => {
  // giga-maps: `cache.keys()` behind a model's save, which setUpTestData reaches; here services'
  // `delete_pattern`, which TitleTests never calls itself
  const dir = path.join(ROOT, 'test', 'fixtures', 'projects', 'redis-api-in-code');
  const out: string[] = [];
  await main(
    ['check', dir, '--format', 'json', '--select', 'XT001', '--no-group'],
    s => out.push(s),
    () => {},
  );
  const fixes = (JSON.parse(out.join('\n')) as { filename: string; fix: { applicability: string; message: string } }[])
    .map(f => `${path.basename(f.filename)} ${f.fix.applicability} ${f.fix.message.split(' ').slice(0, 4).join(' ')}`)
    .sort();
  assert.deepEqual(fixes, ['test_drafts.py unsafe Give DraftTests keys of', 'test_titles.py unsafe Give each test of']);
});

test("XT040's settings fixture takes out the module's import of settings where the fixed test was its only user", async () => {
  // capstone: the parameter shadows the import, which flake8 then reports as unused (F401) and redefined (F811)
  const module = (other: string[]) =>
    [
      'import pytest',
      'from django.conf import settings',
      '',
      '',
      '@pytest.mark.django_db',
      'def test_docs(client, case):',
      '    settings.DOCS_CASE_ID = case.id',
      '    assert client.get("/docs/").status_code == 200',
      ...other,
      '',
    ].join('\n');
  const fixed = async (other: string[]) => (await fixText(module(other), { moduleName: 'tests' })).text;
  assert.doesNotMatch(await fixed([]), /from django\.conf import settings/);
  assert.match(await fixed([]), /def test_docs\(client, case, settings\):/);
  // another function still names the module's settings: the import stays
  const kept = await fixed(['', '', 'def helper():', '    return settings.DEBUG']);
  assert.match(kept, /^from django\.conf import settings$/m);
});

test("XT040's `with self.settings(...)` takes out the module's import of settings where the statement was its last use", async () => {
  // jorvik: `settings.DEBUG = True` after a request became `with self.settings(DEBUG=True):`; flake8 then
  // reported the import as unused (F401)
  const module = (value: string) =>
    [
      'from django.conf import settings',
      'from django.test import TestCase',
      '',
      '',
      'class PageTests(TestCase):',
      '    def test_page(self):',
      '        self.client.get("/")',
      `        settings.DEBUG = ${value}`,
      '        self.assertEqual(self.client.get("/").status_code, 200)',
      '',
    ].join('\n');
  const fixed = async (value: string) => (await fixText(module(value), { moduleName: 'tests' })).text;
  const plain = await fixed('True');
  assert.match(plain, /with self\.settings\(DEBUG=True\):/);
  assert.doesNotMatch(plain, /from django\.conf import settings/);
  // the new value still reads the settings: the import stays
  assert.match(await fixed('not settings.TEMPLATE_DEBUG'), /^from django\.conf import settings$/m);
});

test("XT050's monkeypatch fix takes out `import os` where the environment write was its last use", async () => {
  // nl-kat-coordination: the fixture's `os.environ[...] = ...` was the module's only `os`; ruff then reports F401
  const module = (other: string[]) =>
    [
      'import os',
      '',
      'import pytest',
      '',
      '',
      '@pytest.fixture',
      'def bucket():',
      '    os.environ["BUCKET"] = "test-bucket"',
      '    return "test-bucket"',
      ...other,
      '',
    ].join('\n');
  const fixed = async (other: string[]) => (await fixText(module(other), { moduleName: 'tests.conftest' })).text;
  const alone = await fixed([]);
  assert.match(alone, /monkeypatch\.setenv\("BUCKET", "test-bucket"\)/);
  assert.doesNotMatch(alone, /^import os$/m);
  // another function still names os: the import stays
  assert.match(await fixed(['', '', 'def here():', '    return os.getcwd()']), /^import os$/m);
  // django-redis: `from os import environ`, its one use the fixture's write
  const fromOs = [
    'from os import environ',
    '',
    'import pytest',
    '',
    '',
    '@pytest.fixture',
    'def cache(cache_settings):',
    '    environ["DJANGO_SETTINGS_MODULE"] = cache_settings',
    '    return cache_settings',
    '',
  ].join('\n');
  assert.doesNotMatch((await fixText(fromOs, { moduleName: 'tests.conftest' })).text, /from os import environ/);
});

test("XT070's fix for a request's Accept-Language deactivates the language after the test, importing translation", async () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'projects', 'locale-middleware-requests');
  const out: string[] = [];
  await main(
    ['check', path.join(dir, 'shop', 'tests', 'test_pages.py'), '--diff'],
    s => out.push(s),
    () => {},
  );
  const diff = out.join('\n');
  assert.match(diff, /^\+from django\.utils import translation$/m);
  assert.match(diff, /^\+ {8}self\.addCleanup\(translation\.deactivate\)$/m);
});

test("the cache fix names the test's LocMemCache so that its line keeps to the limit: dotted path, module's last part, class", async () => {
  const source = `from django.core.cache import cache
from django.test import TestCase


class ProposalVotePostingTestCase(TestCase):
    def test_cached(self):
        cache.set("k", 1)


class OtherTests(TestCase):
    def test_cached(self):
        self.assertIsNone(cache.get("k"))
`;
  const location = async (moduleName: string) => {
    const { text } = await fixText(source, { moduleName });
    const lines = text.split('\n');
    assert.ok(
      lines.every(l => l.length <= 79),
      lines.find(l => l.length > 79),
    );
    return [...text.matchAll(/"LOCATION": "([^"]+)"/g)].map(m => m[1]);
  };
  assert.deepEqual(await location('app.tests.test_votes'), [
    'test_votes.ProposalVotePostingTestCase',
    'app.tests.test_votes.OtherTests',
  ]);
  // conf_site's 99-character line, which its flake8 refused
  assert.deepEqual(await location('conf_site.reviews.tests.test_proposal_voting'), [
    'ProposalVotePostingTestCase',
    'test_proposal_voting.OtherTests',
  ]);
});
