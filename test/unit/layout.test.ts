// Fix text laid out for the project's gates: new lines within its line length (split as black splits,
// with the trailing commas that keep them split), new imports where isort puts them.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitLine } from '../../server/src/engine/layout';
import { configuredLineLength } from '../../server/src/project/style';
import { fixText, syntaxErrors } from './helpers';

const split = (line: string, limit = 79) => splitLine(line, limit, '\n');

test('a long call splits at its last bracket, one item a line, a comment kept after the close', () => {
  assert.equal(
    split('    monkeypatch.setattr(menu_registry, "discovered", True, raising=False)  # set so it is not found again'),
    [
      '    monkeypatch.setattr(',
      '        menu_registry,',
      '        "discovered",',
      '        True,',
      '        raising=False,',
      '    )  # set so it is not found again',
    ].join('\n'),
  );
});

test('an item still too long splits in turn; strings holding brackets, commas and # stay whole', () => {
  const cache =
    '"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "app.tests.test_views.ThrottleTests"';
  assert.equal(
    split(`@override_settings(CACHES={"default": {${cache}}})`),
    [
      '@override_settings(',
      '    CACHES={',
      '        "default": {',
      '            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",',
      '            "LOCATION": "app.tests.test_views.ThrottleTests",',
      '        },',
      '    },',
      ')',
    ].join('\n'),
  );
  assert.equal(
    split('        self.addCleanup(setattr, payments, "RETRY # (DELAY, [x", payments.RETRY_DELAY_SECONDS)'),
    [
      '        self.addCleanup(',
      '            setattr,',
      '            payments,',
      '            "RETRY # (DELAY, [x",',
      '            payments.RETRY_DELAY_SECONDS,',
      '        )',
    ].join('\n'),
  );
});

test('no split where a comma would change the meaning (subscripts, one parenthesised value, a lone generator) or the items cannot be read', () => {
  assert.equal(
    split('    value = settings.CACHES["default"]["A_LOCATION_NAME_THAT_IS_VERY_LONG_INDEED_AND_MORE"]'),
    null,
  );
  assert.equal(
    split('    total = (first_very_long_operand_name + second_very_long_operand_name + third_operand)'),
    null,
  );
  assert.equal(
    split('    names = sorted(name for name in a_very_long_iterable_name_that_goes_on_and_on_and_on)'),
    null,
  );
  assert.equal(
    split('from django.test import SimpleTestCase,, TestCase, TransactionTestCase, override_settings'),
    null,
  );
  assert.equal(
    split('    text = """an open string that goes on to the next line ( and further still, and further'),
    null,
  );
});

test('a from-import too long takes brackets, as isort and black write it', () => {
  assert.equal(
    split('from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings, tag'),
    [
      'from django.test import (',
      '    SimpleTestCase,',
      '    TestCase,',
      '    TransactionTestCase,',
      '    override_settings,',
      '    tag,',
      ')',
    ].join('\n'),
  );
});

test('the configured line length: the shortest of black, ruff and flake8; a flake8 ignoring E501 sets none', () => {
  const files = (map: Record<string, string>) => (f: string) => map[f.replace(/^\/p\//, '')] ?? null;
  assert.equal(configuredLineLength('/p', files({})), null);
  assert.equal(
    configuredLineLength('/p', files({ 'pyproject.toml': '[tool.black]\ntarget-version = ["py311"]\n' })),
    88,
  );
  assert.equal(
    configuredLineLength(
      '/p',
      files({ 'pyproject.toml': '[tool.ruff]\nline-length = 120\n', 'setup.cfg': '[flake8]\nmax-line-length = 100\n' }),
    ),
    100,
  );
  assert.equal(
    configuredLineLength('/p', files({ 'tox.ini': '[flake8]\nmax-line-length = 100\nextend-ignore = E203, E501\n' })),
    null,
  );
  assert.equal(configuredLineLength('/p', files({ '.flake8': '[flake8]\nmax_line_length = 119\n' })), 119);
});

test('a new import goes into its isort section in name order, or opens the section where isort puts it', async () => {
  // the kitsune file: the project's imports after Django's; the new Django import joins Django's
  const source = [
    'from django.core.cache import cache',
    '',
    'from kitsune.sumo.tests import helper',
    '',
    '',
    'def test_x():',
    '    cache.set("k", helper())',
    '',
    '',
    'def test_y():',
    '    assert cache.get("k") is None',
    '',
  ].join('\n');
  const { text } = await fixText(source, { moduleName: 'tests' });
  assert.match(
    text,
    /^from django\.core\.cache import cache\nfrom django\.test import override_settings\n\nfrom kitsune\.sumo\.tests import helper\n/,
  );
  // no standard-library import yet: os, shutil and tempfile open that section, first, parted by one blank line
  const tmp = [
    'from django.test import TestCase',
    '',
    '',
    'class ExportTests(TestCase):',
    '    def test_a(self):',
    '        open("/tmp/a.csv", "w").close()',
    '',
    '    def test_b(self):',
    '        self.assertFalse(open("/tmp/a.csv").read())',
    '',
  ].join('\n');
  const fixed = (await fixText(tmp, { moduleName: 'tests', unsafe: true })).text;
  assert.match(fixed, /^import os\nimport shutil\nimport tempfile\n\nfrom django\.test import TestCase\n/);
  assert.deepEqual(await syntaxErrors(fixed), []);
});

test('a name joins a from-import in isort order (constants, classes, then the rest)', async () => {
  const source = [
    'from django.core.cache import cache',
    'from django.test import TestCase, tag',
    '',
    '',
    'class T(TestCase):',
    '    def test_x(self):',
    '        cache.set("k", 1)',
    '',
  ].join('\n');
  const { text } = await fixText(source, { moduleName: 'tests' });
  assert.match(text, /^from django\.test import TestCase, override_settings, tag$/m);
});

test("XT040's override decorator takes out the settings import it leaves unused (flake8's F401)", async () => {
  const source = [
    'from django.conf import settings',
    'from django.test import TestCase',
    '',
    '',
    '# a base class for the suite (wagtail-CMS): its setUp runs before every test of every subclass',
    'class LocalTestCase(TestCase):',
    '    def setUp(self):',
    '        settings.LOCAL = True',
    '',
    '    def assertIsTrue(self, value):',
    '        self.assertIs(value, True)',
    '',
  ].join('\n');
  const { text } = await fixText(source, { moduleName: 'tests' });
  assert.equal(
    text,
    [
      'from django.test import TestCase, override_settings',
      '',
      '',
      '# a base class for the suite (wagtail-CMS): its setUp runs before every test of every subclass',
      '@override_settings(LOCAL=True)',
      'class LocalTestCase(TestCase):',
      '    def setUp(self):',
      '        pass',
      '',
      '    def assertIsTrue(self, value):',
      '        self.assertIs(value, True)',
      '',
    ].join('\n'),
  );
});
