// `crosstalk check` in-process: the three incidents through SARIF, --fix, formats, exit codes, bad input.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type * as sarif from 'sarif';
import { formatGithub } from '../../server/src/cli/format';
import { main } from '../../server/src/cli/main';
import type { Finding } from '../../server/src/engine/finding';
import { rules } from '../../server/src/rules';
import { ROOT, syntaxErrors } from './helpers';

process.chdir(ROOT);
const INCIDENTS = 'test/fixtures/incidents';

async function run(...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(
    args,
    s => out.push(s),
    s => err.push(s),
  );
  return { code, out: out.join('\n'), err };
}

/** ruleIds per file (sorted), from a SARIF run. */
function byFile(log: sarif.Log): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of log.runs[0]!.results ?? []) {
    const uri = r.locations![0]!.physicalLocation!.artifactLocation!.uri!;
    (out[uri] ??= []).push(r.ruleId!);
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

const EXPECTED: Record<string, Record<string, string[]>> = {
  kpi: { 'test_throttling.py': ['XT001', 'XT002'] },
  flagsmith: { 'test_migrate_router.py': ['XT010', 'XT040'] },
  codecov: { 'conftest.py': ['XT030', 'XT030', 'XT030'], 'test_bundle_analysis.py': ['XT020', 'XT020'] },
};

/**
 * What the maintainers' fix leaves, being another hazard: Flagsmith's test adds an alias to
 * settings.DATABASES in place through the settings fixture, which restores only the attribute.
 */
const LEFT_AFTER: Record<string, Record<string, string[]>> = { flagsmith: { 'test_migrate_router.py': ['XT040'] } };

/** XT010 is off by default: Flagsmith's case is checked with it selected, as a user hunting it would */
const SELECT: Record<string, string[]> = { flagsmith: ['--select', 'XT,XT010'] };

for (const [incident, files] of Object.entries(EXPECTED)) {
  test(`${incident}: SARIF flags the hazard with the right rules; the maintainers' fix is quiet`, async () => {
    const sarifOf = (side: 'before' | 'after') =>
      run('check', `${INCIDENTS}/${incident}/${side}`, '--format', 'sarif', ...(SELECT[incident] ?? []));
    const before = await sarifOf('before');
    assert.equal(before.code, 1);
    const log = JSON.parse(before.out) as sarif.Log;
    assert.equal(log.version, '2.1.0');
    const expected = Object.fromEntries(
      Object.entries(files).map(([f, ids]) => [`${INCIDENTS}/${incident}/before/${f}`, ids]),
    );
    assert.deepEqual(byFile(log), expected);
    const result = log.runs[0]!.results![0]!;
    const region = result.locations![0]!.physicalLocation!.region!;
    assert.ok(region.startLine! >= 1 && region.startColumn! >= 1, '1-based region');
    assert.ok(
      log.runs[0]!.tool.driver.rules!.some(r => r.id === result.ruleId && r.help?.text && r.shortDescription?.text),
    );
    assert.equal(log.runs[0]!.tool.driver.rules![result.ruleIndex!]!.id, result.ruleId);

    const after = await sarifOf('after');
    const left = Object.fromEntries(
      Object.entries(LEFT_AFTER[incident] ?? {}).map(([f, ids]) => [`${INCIDENTS}/${incident}/after/${f}`, ids]),
    );
    assert.deepEqual(byFile(JSON.parse(after.out) as sarif.Log), left, after.out);
  });

  test(`${incident}: --fix --unsafe-fixes leaves nothing to report, parses clean and is idempotent`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `crosstalk-${incident}-`));
    fs.cpSync(`${INCIDENTS}/${incident}/before`, dir, { recursive: true });
    const fixed = await run('check', dir, '--fix', '--unsafe-fixes', ...(SELECT[incident] ?? []));
    assert.equal(fixed.code, 0, fixed.out);
    assert.match(fixed.out, /^Fixed \d+ hazards?\.$/m);
    const snapshot = Object.fromEntries(Object.keys(files).map(f => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    for (const [f, text] of Object.entries(snapshot)) {
      assert.deepEqual(
        await syntaxErrors(text),
        await syntaxErrors(fs.readFileSync(`${INCIDENTS}/${incident}/before/${f}`, 'utf8')),
        `${f}: no new syntax errors`,
      );
    }
    await run('check', dir, '--fix', '--unsafe-fixes', ...(SELECT[incident] ?? []));
    for (const [f, text] of Object.entries(snapshot))
      assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), text, `${f}: second --fix changes nothing`);
    fs.rmSync(dir, { recursive: true });
  });
}

test('--fix alone applies safe fixes and reports what remains (unsafe ones)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-codecov-'));
  fs.cpSync(`${INCIDENTS}/codecov/before`, dir, { recursive: true });
  fs.chmodSync(path.join(dir, 'conftest.py'), 0o640);
  const r = await run('check', dir, '--fix');
  assert.equal(r.code, 1);
  assert.match(r.out, /Fixed 3 hazards\./);
  // each file is written whole (a temporary file renamed over it): its mode kept, nothing left beside it
  assert.equal(fs.statSync(path.join(dir, 'conftest.py')).mode & 0o777, 0o640);
  assert.deepEqual(
    fs.readdirSync(dir).filter(f => f.includes('crosstalk')),
    [],
  );
  assert.match(r.out, /Found 2 hazards in 1 file \(2 more with --fix --unsafe-fixes\)\./);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'conftest.py'), 'utf8'), /slave/);
  fs.rmSync(dir, { recursive: true });
});

test('text format: path:line:col: CODE [*] message, and a summary', async () => {
  const r = await run('check', `${INCIDENTS}/kpi/before`);
  assert.equal(r.code, 1);
  const lines = r.out.split('\n');
  assert.equal(
    lines[0],
    `${INCIDENTS}/kpi/before/test_throttling.py:8:7: XT001 [*] SubmissionThrottlingTests exercises DRF throttling (an assertion on status 429): throttle history lives in the Django cache as throttle_<scope>_<user pk or IP>: every xdist worker's first user has pk=1, so on a shared cache workers exhaust each other's rate limits (cache backend unknown: no settings module found)`,
  );
  assert.match(
    lines[1]!,
    /^test\/fixtures\/incidents\/kpi\/before\/test_throttling\.py:10:9: XT002 \[\*\] cache\.clear\(\) on a shared cache.*\(cache backend unknown: no settings module found\)$/,
  );
  assert.equal(lines[2], 'Found 2 hazards in 1 file (2 fixable with --fix).');
});

test('a throttle test alone in a folder: the settings are not found, so DRF throttling may be on in them', async () => {
  // (in this repository, the fixtures around it name throttle classes; alone, nothing does)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-kpi-'));
  fs.copyFileSync(`${INCIDENTS}/kpi/before/test_throttling.py`, path.join(dir, 'test_throttling.py'));
  const r = await run('check', dir, '--select', 'XT001');
  fs.rmSync(dir, { recursive: true });
  assert.match(r.out, /test_throttling\.py:8:7: XT001 \[\*\] SubmissionThrottlingTests exercises DRF throttling/);
});

test('github format: a workflow command per finding, with the level, position and title', async () => {
  const { code, out } = await run('check', `${INCIDENTS}/kpi/before`, '--format', 'github');
  assert.equal(code, 1);
  const lines = out.split('\n');
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /^::warning file=test\/fixtures\/incidents\/kpi\/before\/test_throttling\.py,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=Crosstalk XT001 \(shared-cache\)::[^\n]*pk=1/,
  );
  assert.match(
    lines[1]!,
    /^::warning file=[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=Crosstalk XT002 \(shared-cache-clear\)::/,
  );
  assert.equal((await run('check', `${INCIDENTS}/kpi/after`, '--format', 'github')).out, '', 'nothing when clean');
});

test('github format escapes %, CR and LF everywhere, and , and : in properties', () => {
  const finding = {
    rule: rules.find(r => r.id === 'XT001')!,
    severity: 'info',
    message: '100% shared\r\nby: one, two',
    startPos: { line: 0, character: 0 },
    endPos: { line: 2, character: 4 },
    related: [],
  } as unknown as Finding;
  assert.equal(
    formatGithub([{ file: 'odd\\dir,x:y%z.py', text: '', findings: [finding] }]),
    '::notice file=odd/dir%2Cx%3Ay%25z.py,line=1,col=1,endLine=3,endColumn=5,title=Crosstalk XT001 (shared-cache)::100%25 shared%0D%0Aby: one, two',
  );
});

test('--test-files-only skips named files that are not test modules (pre-commit names every staged file)', async () => {
  assert.equal(
    (await run('check', 'examples/shop/settings.py')).out,
    'No hazards found in 1 file.',
    'a named file is always analysed',
  );
  assert.equal(
    (await run('check', 'examples/shop/settings.py', '--test-files-only')).out,
    'No hazards found in 0 files.',
  );
  const both = await run('check', 'examples/shop/settings.py', 'examples/shop/tests/test_api.py', '--test-files-only');
  assert.equal(both.code, 1);
  assert.match(both.out, /Found 3 hazards in 1 file/);
});

test('json format carries code, location and fix', async () => {
  const r = await run('check', `${INCIDENTS}/flagsmith/before`, '--format', 'json', '--select', 'XT,XT010');
  const f = JSON.parse(r.out).find((x: { code: string }) => x.code === 'XT010');
  assert.equal(f.code, 'XT010');
  assert.deepEqual(f.location, { row: 18, column: 11 });
  // Flagsmith reads the registry (migration tests): code there could look the model up, so unsafe
  assert.equal(f.fix.applicability, 'unsafe');
  assert.equal(
    f.fix.message,
    'Wrap test_analytics_router_allow_migrate in @isolate_apps("app_analytics", "default_app")',
  );
});

test("XT010's isolate_apps is safe only where nothing looks the model up in the global registry", async () => {
  const r = await run('check', 'test/fixtures/projects/inline-models-unread', '--format', 'json', '--select', 'XT010');
  const fixes = (JSON.parse(r.out) as { code: string; location: { row: number }; fix: { applicability: string } }[])
    .filter(f => f.code === 'XT010' && f.fix)
    .map(f => [f.location.row, f.fix.applicability]);
  // a project that reads no registry (a method of its own named `_get_models` is not the registry's): safe;
  // a test that names the model ("tests.Gadget"): unsafe
  assert.deepEqual(fixes, [
    [20, 'safe'],
    [45, 'safe'],
    [56, 'safe'],
    [68, 'unsafe'],
    [101, 'safe'],
  ]);
  // the project's own code reads the registry (no test does): the model defined twice is still reported,
  // and its fix is unsafe, since the code under test may look it up in the global registry
  const byApp = await run(
    'check',
    'test/fixtures/projects/registry-read-by-app',
    '--format',
    'json',
    '--select',
    'XT010',
  );
  assert.deepEqual(
    (JSON.parse(byApp.out) as { code: string; location: { row: number }; fix: { applicability: string } }[]).map(f => [
      f.code,
      f.location.row,
      f.fix.applicability,
    ]),
    [['XT010', 21, 'unsafe']],
  );
});

test('fixes name what Django needs: every cache alias the settings define, the INSTALLED_APPS entry', async () => {
  type Finding = { code: string; fix: { message: string; edits: { text: string }[] } };
  const findings = async (dir: string) =>
    JSON.parse(
      (await run('check', `test/fixtures/projects/${dir}`, '--format', 'json', '--select', 'XT,XT010')).out,
    ) as Finding[];
  // the test names only `sessions`; code under test reaches `default` and `rates`, so they stay
  const cache = (await findings('star-chain-update')).find(f => f.code === 'XT001')!;
  const override = cache.fix.edits.map(e => e.text).join('');
  for (const alias of ['default', 'sessions', 'rates'])
    assert.match(override, new RegExp(`"${alias}": \\{\\s*"BACKEND"`));
  // the project imports override_settings from django.test.utils (Django 1.6 has it only there): so does the fix
  const fromUtils = (await findings('override-settings-from-utils')).find(f => f.code === 'XT040')!;
  assert.ok(
    fromUtils.fix.edits.some(e => e.text.includes('from django.test.utils import override_settings')),
    JSON.stringify(fromUtils.fix.edits),
  );
  // the project's own command writes the setting: the test's write may be its reset, so the fixture is unsafe
  // (and so is every fix in that test: the parameter reroutes all its writes through the fixture)
  const resets = (await findings('command-writes-setting')).filter(f => f.code === 'XT040') as (Finding & {
    fix: { applicability: string };
  })[];
  assert.deepEqual(
    resets.map(f => f.fix.applicability),
    ['unsafe', 'unsafe', 'unsafe'],
  );
  // the project's own wrapper in place of Django's settings (awx): an override would bypass it
  const wrapped = (await findings('settings-wrapper')).filter(f => f.code === 'XT040') as (Finding & {
    fix: { applicability: string };
  })[];
  assert.deepEqual(
    wrapped.map(f => f.fix.applicability),
    ['unsafe'],
  );
  // two AppConfigs in apps.py make Django refuse the module name: the entry as INSTALLED_APPS has it
  const models = (await findings('app-labels')).filter(f => f.code === 'XT010').map(f => f.fix.message);
  assert.ok(
    models.some(m => m.includes('@isolate_apps("market.accounts.apps.AccountsConfig")')),
    models.join('\n'),
  );
});

test('--select and --ignore take codes and prefixes', async () => {
  const codes = async (...a: string[]) =>
    (
      JSON.parse((await run('check', `${INCIDENTS}/codecov/before`, '--format', 'json', ...a)).out) as {
        code: string;
      }[]
    ).map(f => f.code);
  assert.deepEqual([...new Set(await codes('--select', 'XT02'))], ['XT020']);
  assert.deepEqual([...new Set(await codes('--ignore', 'XT020'))], ['XT030']);
  assert.deepEqual(await codes('--select', 'XT001'), []);
});

test('usage errors exit 2 with one line', async () => {
  for (const args of [
    ['check', '--format', 'xml'],
    ['check', '--select', 'XT999'],
    ['check', 'no/such/dir'],
    ['lint'],
    ['check', '--bogus'],
  ]) {
    const r = await run(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.err.length, 1, args.join(' '));
    assert.match(r.err[0]!, /^crosstalk: /);
  }
});

test('walks test modules only, skips virtualenvs and node_modules; a bad file is one line and the run goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-walk-'));
  const write = (f: string, content: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  };
  const hazard = 'import os\n\ndef test_x():\n    os.listdir("/tmp")\n';
  write('app/tests/test_a.py', hazard);
  write('app/views.py', hazard); // not a test module
  write('app/tests/helpers.py', hazard); // under tests/: analysed
  write('node_modules/pkg/test_n.py', hazard);
  write('env/pyvenv.cfg', 'home = /usr\n');
  write('env/lib/test_v.py', hazard);
  write(
    'app/tests/test_latin1.py',
    Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\n# caf'), Buffer.from([0xe9]), Buffer.from('\n' + hazard)]),
  );
  write('app/tests/test_broken.py', Buffer.from([0x64, 0x65, 0x66, 0x20, 0xff, 0xfe, 0x0a]));
  const r = await run('check', dir, '--format', 'json');
  assert.equal(r.code, 1, 'an undecodable file makes the run exit 1, as a finding would');
  assert.deepEqual(r.err, [
    `crosstalk: ${path.relative(ROOT, path.join(dir, 'app/tests/test_broken.py'))}: not valid utf-8 (byte 4)`,
  ]);
  const files = (JSON.parse(r.out) as { filename: string }[])
    .map(f => path.relative(path.relative(ROOT, dir), f.filename))
    .sort();
  assert.deepEqual(files, ['app/tests/helpers.py', 'app/tests/test_a.py', 'app/tests/test_latin1.py']);
  // a file named on the command line is analysed whatever its name
  assert.equal((await run('check', path.join(dir, 'app/views.py'))).code, 1);
  fs.rmSync(dir, { recursive: true });
});

test("--fix keeps a file's encoding, BOM and CRLF line endings", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-enc-'));
  const file = path.join(dir, 'conftest.py');
  const text =
    '# -*- coding: latin-1 -*-\r\n# caf\u00e9\r\ndef pytest_configure(config):\r\n    return config.slaveinput\r\n';
  fs.writeFileSync(file, Buffer.from(text, 'latin1'));
  assert.equal((await run('check', file, '--fix')).code, 0);
  assert.equal(fs.readFileSync(file).toString('latin1'), text.replace('slaveinput', 'workerinput'));
  const bom = path.join(dir, 'test_bom.py');
  fs.writeFileSync(bom, '\ufeffdef pytest_configure(config):\n    return config.slaveid\n');
  assert.equal((await run('check', bom, '--fix')).code, 0);
  assert.equal(fs.readFileSync(bom, 'utf8'), '\ufeffdef pytest_configure(config):\n    return config.workerid\n');
  fs.rmSync(dir, { recursive: true });
});

test('--jobs: worker threads give the same report, in the same order, as one thread', async () => {
  const dir = path.join(ROOT, 'test/fixtures/rules');
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.py') && !f.endsWith('.fixed.py'))
    .map(f => path.join(dir, f));
  assert.ok(files.length > 16, 'enough files for two workers');
  const one = await run('check', ...files, '--format', 'json', '--jobs', '1');
  const two = await run('check', ...files, '--format', 'json', '--jobs', '2');
  assert.equal(one.code, 1);
  assert.ok(JSON.parse(one.out).length > 50);
  assert.equal(two.out, one.out);
  assert.equal(two.code, one.code);
  assert.equal((await run('check', files[0]!, '--jobs', '0')).code, 2);
});
