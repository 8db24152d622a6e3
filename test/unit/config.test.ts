// [tool.crosstalk]: parsed with a TOML library, problems point at their line, bad keys fall back.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { main } from '../../server/src/cli/main';
import { defaultConfig, parseConfig, ResolvedConfig } from '../../server/src/project/config';

const GOOD = `[project]
name = "shop"

[tool.crosstalk]
select = ["XT0"]
ignore = ["XT080"]
settings-module = "shop.settings.test"

[tool.crosstalk.per-file-ignores]
"legacy/**" = ["XT020", "XT021"]

[tool.crosstalk.severity]
XT001 = "error"
`;

test('a valid [tool.crosstalk] table', () => {
  const { config, problems } = parseConfig(GOOD, '/proj/pyproject.toml');
  assert.deepEqual(problems, []);
  assert.deepEqual(config!.select, ['XT0']);
  assert.equal(config!.settingsModule, 'shop.settings.test');
  const resolved = new ResolvedConfig(config!);
  const ids = (f: string) => resolved.rulesFor(f).map(r => r.id);
  assert.deepEqual(ids('/proj/tests/test_a.py'), [
    'XT001',
    'XT002',
    'XT003',
    'XT020',
    'XT030',
    'XT031',
    'XT040',
    'XT070',
    'XT090',
  ]);
  assert.ok(!ids('/proj/legacy/tests/test_b.py').includes('XT020'), 'per-file ignore');
  assert.deepEqual(
    resolved.rulesFor('/proj/tests/test_a.py', { select: ['XT03'] }).map(r => r.id),
    ['XT030', 'XT031'],
    'the command line selects over the file',
  );
  assert.equal(config!.severity.XT001, 'error');
});

test('no crosstalk table: no config; a crosstalk.toml holds the keys at top level', () => {
  assert.equal(parseConfig('[project]\nname = "x"\n', '/p/pyproject.toml').config, null);
  assert.deepEqual(parseConfig('ignore = ["XT080"]\n', '/p/crosstalk.toml').config!.ignore, ['XT080']);
});

test('bad values point at their line and fall back to the default for that key only', () => {
  const text = `[tool.crosstalk]\nselect = ["XT001"]\nignore = ["XT999"]\nsevere = true\n\n[tool.crosstalk.severity]\nXT001 = "loud"\n`;
  const { config, problems } = parseConfig(text, '/p/pyproject.toml');
  assert.deepEqual(
    problems.map(p => [p.line, p.column, p.message]),
    [
      [
        4,
        1,
        'tool.crosstalk.severe: unknown key (known: select, ignore, per-file-ignores, severity, test-files, settings-module); using the default',
      ],
      [3, 1, 'tool.crosstalk.ignore: unknown rule code "XT999"; using the default'],
      [6, 1, 'tool.crosstalk.severity: XT001 must be "error", "warning" or "info"; using the default'],
    ],
  );
  assert.deepEqual(config!.select, ['XT001'], 'the good key still applies');
  assert.deepEqual(config!.ignore, []);
});

test("invalid TOML: one problem at the parser's position, all defaults", () => {
  const { config, problems } = parseConfig('[tool.crosstalk]\nselect = ["XT001"\nignore = []\n', '/p/pyproject.toml');
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.line, 3);
  assert.match(problems[0]!.message, /^not valid TOML: .*; using the defaults$/);
  assert.deepEqual(config!.select, []);
});

test('test-files replaces the built-in patterns', () => {
  const { config } = parseConfig('[tool.crosstalk]\ntest-files = ["checks/**/*.py"]\n', '/p/pyproject.toml');
  const r = new ResolvedConfig(config!);
  assert.ok(r.isTestFile('/p/checks/api/cart.py'));
  assert.ok(!r.isTestFile('/p/tests/test_cart.py'));
});

test('the built-in patterns read the path from the root: a checkout under a tests/ directory is not all tests', () => {
  const r = new ResolvedConfig(defaultConfig('/home/me/tests/shop'));
  assert.ok(!r.isTestFile('/home/me/tests/shop/shop/models.py'));
  assert.ok(!r.isTestFile('/home/me/tests/shop/shop/settings/test.py'));
  assert.ok(r.isTestFile('/home/me/tests/shop/shop/tests/helpers.py'));
  assert.ok(r.isTestFile('/home/me/tests/shop/test/factories.py'));
  assert.ok(r.isTestFile('/home/me/tests/shop/shop/test_cart.py'));
  assert.ok(r.isTestFile('/home/me/tests/shop/conftest.py'));
  // test support a package keeps apart (netbox's utilities/testing/mixins.py, a testcases.py)
  assert.ok(r.isTestFile('/home/me/tests/shop/utilities/testing/mixins.py'));
  assert.ok(r.isTestFile('/home/me/tests/shop/shop/testcases.py'));
  assert.ok(!r.isTestFile('/home/me/tests/shop/shop/testing_tools/models.py'));
});

async function cli(cwd: string, ...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(
      args,
      s => out.push(s),
      s => err.push(s),
    );
    return { code, out: out.join('\n'), err };
  } finally {
    process.chdir(before);
  }
}

test('the CLI finds pyproject.toml upward, honours it, and reports a bad line without stopping', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-config-'));
  const hazard =
    'import os\nimport sys\n\n\ndef test_x():\n    os.listdir("/tmp")\n    sys.path.insert(0, "/opt/plugins")\n';
  fs.mkdirSync(path.join(dir, 'app/tests'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'legacy/tests'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'app/tests/test_a.py'), hazard);
  fs.writeFileSync(path.join(dir, 'legacy/tests/test_b.py'), hazard);
  fs.writeFileSync(
    path.join(dir, 'pyproject.toml'),
    '[tool.crosstalk]\nignore = ["XT070"]\nunknown = 1\n\n[tool.crosstalk.per-file-ignores]\n"legacy/**" = ["XT020"]\n\n[tool.crosstalk.severity]\nXT020 = "error"\n',
  );
  const r = await cli(path.join(dir, 'app'), 'check', '..', '--format', 'json');
  assert.deepEqual(r.err, [
    'crosstalk: ../pyproject.toml:3:1: tool.crosstalk.unknown: unknown key (known: select, ignore, per-file-ignores, severity, test-files, settings-module); using the default',
  ]);
  const found = (JSON.parse(r.out) as { code: string; filename: string; severity: string }[]).map(
    f => `${f.filename} ${f.code} ${f.severity}`,
  );
  assert.deepEqual(found, ['tests/test_a.py XT020 error']);
  // --config names another file; the command line's --ignore adds to it
  fs.writeFileSync(path.join(dir, 'strict.toml'), 'select = ["XT07"]\n');
  const strict = await cli(dir, 'check', '.', '--config', 'strict.toml', '--format', 'json');
  assert.deepEqual(
    (JSON.parse(strict.out) as { code: string }[]).map(f => f.code),
    ['XT070', 'XT070'],
  );
  assert.equal((await cli(dir, 'check', '.', '--config', 'missing.toml')).code, 2);
  fs.rmSync(dir, { recursive: true });
});
