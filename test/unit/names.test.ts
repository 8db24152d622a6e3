// What a name means: imports, aliases, module imports, and the scopes that shadow them.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Definitions } from '../../server/src/analysis/defs';
import { Names } from '../../server/src/analysis/names';
import { parse, type Node } from '../../server/src/syntax/parser';
import { walk } from '../../server/src/syntax/nodes';
import { fixText, lintText, parser } from './helpers';

/** The resolution of every `probe(<expr>)` argument in `source`, in order. */
async function resolveProbes(source: string): Promise<(string | undefined)[]> {
  const tree = parse(await parser(), source);
  try {
    const names = new Names(tree.rootNode, new Definitions(tree));
    const out: (string | undefined)[] = [];
    walk(tree.rootNode, (n: Node) => {
      if (n.type === 'call' && n.childForFieldName('function')?.text === 'probe') {
        out.push(names.resolve(n.childForFieldName('arguments')!.namedChildren[0]!));
      }
    });
    return out;
  } finally {
    tree.delete();
  }
}

test('imports, aliases and module imports resolve to canonical names', async () => {
  assert.deepEqual(
    await resolveProbes(`
from django.core.cache import cache as c, caches
from django.test import override_settings as os_
from django.test.utils import override_settings
import django.test
import django.db.models as m
from django.db.models.base import Model
from django.contrib.gis.db import models as geomodels
probe(c)
probe(caches)
probe(os_)
probe(override_settings)
probe(django.test.override_settings)
probe(m.Model)
probe(Model)
probe(geomodels.Model)
probe(undefined_name)
`),
    [
      'django.core.cache.cache',
      'django.core.cache.caches',
      'django.test.override_settings',
      'django.test.override_settings',
      'django.test.override_settings',
      'django.db.models.Model',
      'django.db.models.Model',
      'django.db.models.Model',
      undefined,
    ],
  );
});

test('parameters, locals, loop variables and class attributes shadow imports; methods do not see class names', async () => {
  assert.deepEqual(
    await resolveProbes(`
from django.conf import settings
from django.core.cache import cache

def test_fixture(settings):
    probe(settings)

def test_local():
    cache = {}
    probe(cache)

def test_loop():
    for cache in []:
        pass
    probe(cache)

def test_global():
    probe(settings)

class T:
    settings = None
    probe(settings)

    def test_method(self):
        probe(settings)

lam = lambda cache: probe(cache)
`),
    [undefined, undefined, undefined, 'django.conf.settings', undefined, 'django.conf.settings', undefined],
  );
});

test('`import django.test` is used by the fix instead of a new import', async () => {
  const source =
    'import django.test\nfrom django.core.cache import cache\n\n\nclass T(django.test.TestCase):\n    def test_x(self):\n        cache.set("k", 1)\n';
  assert.deepEqual(
    (await lintText(source)).map(f => f.rule.id),
    ['XT001'],
  );
  const { text } = await fixText(source);
  assert.match(text, /^@django\.test\.override_settings\(\s*CACHES=/m);
  assert.doesNotMatch(text, /^from django\.test import/m);
});

test('a new import goes after the docstring and leading imports, merged where a from-import exists', async () => {
  const source =
    '"""Tests."""\nfrom __future__ import annotations\n\nimport os\nfrom django.test import (\n    TestCase,\n)\nfrom django.core.cache import cache\n\nX = 1\n\n\nclass T(TestCase):\n    def test_x(self):\n        cache.set("k", 1)\n';
  const { text } = await fixText(source);
  assert.match(text, /from django\.test import \(\n {4}TestCase,\n {4}override_settings,\n\)/);
  const bare = '"""Tests."""\nfrom django.core.cache import cache\n\n\ndef test_x():\n    cache.set("k", 1)\n';
  assert.match(
    (await fixText(bare)).text,
    /^"""Tests\."""\nfrom django\.core\.cache import cache\nfrom django\.test import override_settings\n/,
  );
});
