// Multi-file workspaces (test/fixtures/projects/*): what the project model changes. Each workspace's
// files carry `# expect:` comments; the CLI over the workspace must match all of them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type * as sarif from 'sarif';
import { main } from '../../server/src/cli/main';
import { assertExpected, ROOT } from './helpers';

const PROJECTS = path.join(ROOT, 'test/fixtures/projects');

interface JsonFinding {
  code: string;
  filename: string;
  location: { row: number; column: number };
  severity: string;
  message: string;
  fix: { applicability: string; message: string } | null;
  related: { filename: string; location: { row: number; column: number }; message: string }[];
}

/** `crosstalk check .` in a workspace; each test's own finding unless `group` (the CLI's default) */
async function check(project: string, format: 'json' | 'sarif' | 'text', group = false) {
  const out: string[] = [];
  const before = process.cwd();
  process.chdir(path.join(PROJECTS, project));
  try {
    await main(
      ['check', '.', '--format', format, ...(group ? [] : ['--no-group'])],
      s => out.push(s),
      () => undefined,
    );
  } finally {
    process.chdir(before);
  }
  return format === 'text' ? out.join('\n') : JSON.parse(out.join('\n'));
}

function pyFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap(e =>
      e.isDirectory() ? pyFiles(path.join(dir, e.name)) : e.name.endsWith('.py') ? [path.join(dir, e.name)] : [],
    );
}

// every directory is a workspace (README.md lists them)
for (const project of fs.readdirSync(PROJECTS).filter(name => fs.statSync(path.join(PROJECTS, name)).isDirectory())) {
  test(`${project}: findings match the workspace's expect comments`, async () => {
    const root = path.join(PROJECTS, project);
    const findings = (await check(project, 'json')) as JsonFinding[];
    for (const file of pyFiles(root)) {
      const rel = path.relative(root, file);
      const here = findings
        .filter(f => f.filename === rel)
        .map(f => ({ line: f.location.row, column: f.location.column, code: f.code, message: f.message }));
      assertExpected(fs.readFileSync(file, 'utf8'), here, rel);
    }
    assert.deepEqual(
      findings.filter(f => !pyFiles(root).some(file => path.relative(root, file) === f.filename)),
      [],
      'findings only in .py files of the project',
    );
  });
}

test('redis: a cross-process backend is named, with related information on the CACHES line of the settings split', async () => {
  const findings = (await check('redis', 'json')) as JsonFinding[];
  const cart = findings.find(f => f.message.startsWith('CartTests'))!;
  assert.equal(cart.severity, 'warning');
  assert.match(cart.message, /the default cache is django_redis\.cache\.RedisCache, shared by every xdist worker/);
  assert.equal(cart.fix!.applicability, 'safe', 'the base class in another module is a Django TestCase');
  const api = findings.find(f => f.message.startsWith('ProfileApiTests'))!;
  assert.match(api.message, /authenticated requests, with DRF throttling on in settings/);
  const log = (await check('redis', 'sarif')) as sarif.Log;
  const related = log.runs[0]!.results!.find(r => r.message.text!.startsWith('ProfileApiTests'))!.relatedLocations!.map(
    l => `${l.physicalLocation!.artifactLocation!.uri}:${l.physicalLocation!.region!.startLine} ${l.message!.text}`,
  );
  assert.deepEqual(related, [
    'shop/tests/test_cart.py:20 throttling here',
    'shop/settings/test.py:5 CACHES: the default cache is django_redis.cache.RedisCache',
    'pytest.ini:2 settings module shop.settings.test, which the test run loads (DJANGO_SETTINGS_MODULE ini key)',
    'shop/settings/base.py:3 DEFAULT_THROTTLE_CLASSES: rest_framework.throttling.UserRateThrottle',
  ]);
});

test('clear-every-alias: emptying every alias logs no one out where the sessions live in a cache of the process', async () => {
  const findings = (await check('clear-every-alias', 'json')) as JsonFinding[];
  const clears = findings.filter(f => f.code === 'XT002');
  assert.equal(clears.length, 1);
  assert.match(clears[0]!.message, /the redis cache is django_redis\.cache\.RedisCache/);
  assert.doesNotMatch(clears[0]!.message, /SESSION_ENGINE/, 'the sessions are in the LocMem default');
});

test('language-leaks: tests that leave the language changed are told once, at LANGUAGE_CODE, with the one reset that removes them', async () => {
  const each = (await check('language-leaks', 'json')) as JsonFinding[];
  const grouped = (await check('language-leaks', 'json', true)) as JsonFinding[];
  assert.equal(each.length, 3);
  assert.ok(each.every(f => f.code === 'XT070' && f.filename.startsWith('site/tests/')));
  assert.equal(grouped.length, 1);
  const [cause] = grouped;
  assert.equal(`${cause!.code} ${cause!.filename}:${cause!.location.row}`, 'XT070 site/settings.py:4');
  assert.match(
    cause!.message,
    /^The active language \(LANGUAGE_CODE, "en"\), which nothing puts back between tests: 3 findings in 2 test files rest on it \(XT070 3\)\. One change removes them all: an autouse fixture in the root conftest\.py/,
  );
  const place = (f: { filename: string; location: { row: number } }) => `${f.filename}:${f.location.row}`;
  assert.deepEqual(cause!.related.map(place), each.map(place));
});

test('redis: findings that rest on the shared cache of the test settings are told once, by XT031 at its CACHES entry', async () => {
  const each = (await check('redis', 'json')) as JsonFinding[];
  const grouped = (await check('redis', 'json', true)) as JsonFinding[];
  const cause = grouped.filter(f => f.filename === 'shop/settings/test.py');
  assert.equal(cause.length, 1);
  // XT031's finding on the LOCATION, a line below the BACKEND the others name, tells them all
  assert.equal(`${cause[0]!.code}:${cause[0]!.location.row}`, 'XT031:6');
  const place = (f: { filename: string; location: { row: number } }) => `${f.filename}:${f.location.row}`;
  const members = cause[0]!.related.map(place);
  const resting = each.filter(f => members.includes(place(f)));
  assert.deepEqual(resting.map(place), members, 'each finding it stands for, in order');
  assert.deepEqual([...new Set(resting.map(f => f.code))].sort(), ['XT001', 'XT002', 'XT003']);
  assert.ok(resting.every(f => /cache/i.test(f.message)));
  assert.match(
    cause[0]!.message,
    new RegExp(
      `\\. The default cache is django_redis\\.cache\\.RedisCache, shared by every xdist worker: ` +
        `${resting.length} findings in 3 test files rest on it \\(XT001 \\d+, XT002 \\d+, XT003 \\d+\\)`,
    ),
  );
  assert.deepEqual(
    grouped.filter(f => f !== cause[0]).map(f => `${f.code} ${place(f)}`),
    each.filter(f => !resting.includes(f) && f.code !== 'XT031').map(f => `${f.code} ${place(f)}`),
    'the others stay as they are',
  );
  const text = (await check('redis', 'text', true)) as string;
  assert.match(text, /^shop\/settings\/test\.py:6:\d+: XT031 .*\. The default cache/m);
  assert.match(text, /^ {4}shop\/tests\/test_cart\.py:\d+:\d+: XT001 CartTests /m, 'the members are listed under it');
});

test("redis-api-in-code: the project's code calls delete_pattern(), so the fix keeps django-redis and gives the test a KEY_PREFIX", async () => {
  const findings = (await check('redis-api-in-code', 'json')) as JsonFinding[];
  const xt001 = findings.find(f => f.code === 'XT001');
  assert.equal(xt001?.fix?.applicability, 'unsafe');
  assert.match(xt001?.fix?.message ?? '', /KEY_PREFIX/);
});

test('app-labels: isolate_apps() gets the installed name of an app whose label is not its module path', async () => {
  const findings = (await check('app-labels', 'json')) as JsonFinding[];
  const xt010 = findings.find(f => f.code === 'XT010');
  assert.equal(xt010?.fix?.message, 'Wrap test_provider_account_has_a_uid in @isolate_apps("market.providers.stripe")');
});

test("locmem (Django's default, settings from manage.py): no XT001 or XT002 where workers share nothing", async () => {
  const findings = (await check('locmem', 'json')) as JsonFinding[];
  assert.deepEqual(
    findings.map(f => `${f.code} ${f.severity} ${f.filename.split('/').pop()}:${f.location.row}`),
    ['XT003 info test_a.py:15', 'XT003 info test_deleted_before.py:9', 'XT003 info test_deleted_keys.py:28'],
    "A empties its cache before each test; B's key is left over for later tests of its process (XT003 alone); " +
      'keys deleted after each test are not; a key deleted before each test, or left after one, is',
  );
});

test('XT003 with --fix --unsafe-fixes: one autouse fixture in conftest.py, then nothing left; again changes nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-xt003-'));
  fs.cpSync(path.join(PROJECTS, 'suite-without-reset'), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'shop/tests'));
  const module =
    'from django.core.cache import cache\nfrom django.test import TestCase\n\n\nclass A(TestCase):\n    def test_a(self):\n        cache.set("k", 1)\n';
  fs.writeFileSync(path.join(dir, 'shop/tests/test_a.py'), module);
  fs.writeFileSync(path.join(dir, 'shop/tests/test_b.py'), module.replace('class A', 'class B'));
  const out: string[] = [];
  const before = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(
      await main(
        ['check', '.', '--fix', '--unsafe-fixes'],
        s => out.push(s),
        () => undefined,
      ),
      0,
      out.join('\n'),
    );
    const conftest = fs.readFileSync('conftest.py', 'utf8');
    assert.equal(conftest.match(/_crosstalk_isolated_cache/g)!.length, 1);
    assert.equal(
      fs.readFileSync('shop/tests/test_a.py', 'utf8'),
      module,
      'the conftest fixture isolates it: no per-class decorator needed',
    );
    assert.equal(
      await main(
        ['check', '.', '--fix', '--unsafe-fixes'],
        () => undefined,
        () => undefined,
      ),
      0,
    );
    assert.equal(fs.readFileSync('conftest.py', 'utf8'), conftest);
  } finally {
    process.chdir(before);
    fs.rmSync(dir, { recursive: true });
  }
});

test('circular star imports are read once; a package outside the workspace is "unknown", said so', async () => {
  const findings = (await check('circular', 'json')) as JsonFinding[];
  const xt002 = findings.find(f => f.code === 'XT002')!;
  assert.match(
    xt002.message,
    /the default cache is django_redis\.cache\.RedisCache as far as can be read \(star import of unknown_package\.settings, which is not in the project\)/,
  );
});

test("a cache-backed SESSION_ENGINE: clearing the shared cache logs every worker's test users out", async () => {
  const findings = (await check('redis', 'json')) as JsonFinding[];
  assert.match(
    findings.find(f => f.code === 'XT002')!.message,
    /SESSION_ENGINE keeps sessions there, so it logs their test users out too/,
  );
  // cached_db reads a session back from the database when the cache has lost it: nobody is logged out
  const cachedDb = (await check('cached-db-sessions', 'json')) as JsonFinding[];
  assert.doesNotMatch(cachedDb.find(f => f.code === 'XT002')!.message, /SESSION_ENGINE|logs/);
});
