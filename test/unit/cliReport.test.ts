// What `crosstalk check` reports besides findings, and how: SARIF that validates against the SARIF 2.1.0
// schema with every file it could not analyse, fixes and rule pages; the exit status of a file that
// cannot be read; --diff, --statistics, --exit-zero, --output-file, and `crosstalk rule`.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type * as sarif from 'sarif';
import { main } from '../../server/src/cli/main';
import { applyFixes, type Edit } from '../../server/src/engine/fix';
import { rules } from '../../server/src/rules';
import { MAX_INDENT_WIDTHS } from '../../server/src/syntax/parseGuard';
import { KPI, ROOT } from './helpers';

process.chdir(ROOT);
const HAZARD = 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/**
 * The SARIF 2.1.0 schema as Microsoft's SARIF SDK for JavaScript ships it (@microsoft/jest-sarif: the
 * 2.1.0-rtm.5 schema, draft-04), compiled by Ajv. Its one language-tag pattern is not a valid Unicode
 * regular expression, hence unicodeRegExp: false.
 */
const validateSarif = (() => {
  const schema = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
  );
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
})();
const schemaErrors = (log: unknown) =>
  validateSarif(log) ? [] : (validateSarif.errors ?? []).map(e => `${e.instancePath} ${e.message}`);

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

/** A tree of test files, some of which no tool can read as Python. */
let dir: string;
const REFUSED = ['tests/test_bad_cookie.py', 'tests/test_deep.py', 'tests/test_invalid_utf8.py'];
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-report-'));
  const write = (f: string, content: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  };
  write('tests/test_hazard.py', HAZARD);
  write('tests/test_nul.py', KPI.replace('cache.clear()', 'cache.clear(\0)\0'));
  write(
    'tests/test_latin1.py',
    Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\n# caf'), Buffer.from([0xe9]), Buffer.from('\n' + HAZARD)]),
  );
  write('tests/test_invalid_utf8.py', Buffer.concat([Buffer.from(HAZARD), Buffer.from([0xff, 0x0a])]));
  write('tests/test_bad_cookie.py', '# -*- coding: klingon -*-\n' + HAZARD);
  // one more distinct indentation width than the parser takes, each block inside the last
  write(
    'tests/test_deep.py',
    Array.from({ length: MAX_INDENT_WIDTHS + 1 }, (_, i) => `${' '.repeat(i)}if x:\n`).join('') +
      `${' '.repeat(MAX_INDENT_WIDTHS + 1)}pass\n`,
  );
});
after(() => fs.rmSync(dir, { recursive: true }));

test('SARIF over files with NUL bytes, invalid UTF-8 and deep nesting validates and names every refused file', async () => {
  const r = await run('check', dir, '--format', 'sarif');
  assert.equal(r.code, 1);
  const log = JSON.parse(r.out) as sarif.Log;
  assert.deepEqual(schemaErrors(log), []);
  const [theRun] = log.runs;
  const rel = (f: string) => path.relative(ROOT, path.join(dir, f)).split(path.sep).join('/');
  const [invocation] = theRun!.invocations!;
  assert.equal(invocation!.executionSuccessful, true, 'the scan ran to its end');
  assert.equal(invocation!.exitCode, 1);
  const notes = invocation!.toolExecutionNotifications!;
  assert.deepEqual(notes.map(n => n.locations![0]!.physicalLocation!.artifactLocation!.uri).sort(), REFUSED.map(rel));
  assert.ok(notes.every(n => n.level === 'error' && / was not analysed: ./.test(n.message.text!)));
  assert.match(notes.find(n => /deep/.test(n.message.text!))!.message.text!, /indentation too deep/);
  // and on stderr, one line each, as in every format
  assert.equal(r.err.length, REFUSED.length);
  // every other file was analysed: the NUL bytes are read as Python's tokenizer would not, but analysed
  const analysed = new Set(theRun!.results!.map(x => x.locations![0]!.physicalLocation!.artifactLocation!.uri));
  assert.deepEqual(
    [...analysed].sort(),
    ['tests/test_hazard.py', 'tests/test_latin1.py', 'tests/test_nul.py'].map(rel),
  );
  // relative URIs, resolved against the run's working directory
  assert.deepEqual(theRun!.originalUriBaseIds, { '%SRCROOT%': { uri: `${pathToFileURL(ROOT).href}/` } });
  assert.ok(
    theRun!.results!.every(x => x.locations![0]!.physicalLocation!.artifactLocation!.uriBaseId === '%SRCROOT%'),
  );
});

test('the schema check can fail: a log with a wrong level or no message is refused', async () => {
  const log = JSON.parse((await run('check', dir, '--format', 'sarif')).out);
  log.runs[0].results[0].level = 'fatal';
  delete log.runs[0].invocations[0].toolExecutionNotifications[0].message;
  assert.equal(schemaErrors(log).length, 2, schemaErrors(log).join('\n'));
});

test('SARIF: each rule has its page (helpUri at the release tag, markdown help); fixable results carry their fix', async () => {
  const r = await run('check', 'test/fixtures/incidents/kpi/before', '--format', 'sarif');
  const log = JSON.parse(r.out) as sarif.Log;
  assert.deepEqual(schemaErrors(log), []);
  const driver = log.runs[0]!.tool.driver;
  assert.equal(driver.informationUri, pkg.repository.url);
  for (const rule of driver.rules!) {
    const page = `docs/rules/${rule.name}.md`;
    assert.equal(rule.helpUri, `${pkg.repository.url}/blob/v${pkg.version}/${page}`);
    assert.ok(fs.existsSync(path.join(ROOT, page)), page);
    assert.equal(rule.help!.markdown, fs.readFileSync(path.join(ROOT, page), 'utf8'));
  }
  const results = log.runs[0]!.results!;
  assert.deepEqual(
    results.map(x => [x.ruleId, x.fixes?.[0]?.properties?.applicability]),
    [
      ['XT001', 'safe'],
      ['XT002', 'safe'],
    ],
  );
});

/** A SARIF fix applied by its lines and columns (UTF-16 code units), as a SARIF consumer applies it. */
function applySarifFix(text: string, fix: sarif.Fix): string {
  const starts = [0];
  for (const m of text.matchAll(/\r\n|\r|\n/g)) starts.push(m.index + m[0].length);
  const offset = (line: number, column: number) => starts[line - 1]! + column - 1;
  const edits = fix.artifactChanges[0]!.replacements.map(rep => ({
    start: offset(rep.deletedRegion.startLine!, rep.deletedRegion.startColumn!),
    end: offset(rep.deletedRegion.endLine!, rep.deletedRegion.endColumn!),
    text: rep.insertedContent?.text ?? '',
  }));
  return applyFixes(text, [{ title: '', applicability: 'safe', edits }]).text;
}

for (const [name, eol] of [
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['lone CR', '\r'],
] as const) {
  test(`SARIF fixes applied by line and column make the JSON format's offset edits (${name}, a non-BMP character)`, async () => {
    // a surrogate pair on a line above and before the edits: columns count UTF-16 code units
    const text = ('# \u{1F600} kpi\n' + KPI).replace(/\n/g, eol);
    const file = path.join(dir, `test_fix_${name.replace(' ', '_')}.py`);
    fs.writeFileSync(file, text);
    const log = JSON.parse((await run('check', file, '--format', 'sarif')).out) as sarif.Log;
    const json = JSON.parse((await run('check', file, '--format', 'json')).out) as { fix: { edits: Edit[] } }[];
    const results = log.runs[0]!.results!;
    assert.equal(results.length, 2);
    results.forEach((result, i) => {
      const edits = json[i]!.fix.edits;
      assert.ok(edits.length > 0);
      assert.equal(
        applySarifFix(text, result.fixes![0]!),
        applyFixes(text, [{ title: '', applicability: 'safe', edits }]).text,
        result.ruleId,
      );
    });
    fs.rmSync(file);
  });
}

test('a project-wide fix (XT003) is an artifact change to the conftest.py it creates', async () => {
  const log = JSON.parse((await run('check', 'examples', '--format', 'sarif')).out) as sarif.Log;
  const xt003 = log.runs[0]!.results!.find(x => x.ruleId === 'XT003')!;
  const [change] = xt003.fixes![0]!.artifactChanges;
  assert.equal(change!.artifactLocation.uri, 'examples/conftest.py');
  assert.deepEqual(change!.replacements[0]!.deletedRegion, { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 });
  assert.match(change!.replacements[0]!.insertedContent!.text!, /@pytest\.fixture\(autouse=True\)/);
});

test('a file that cannot be analysed: exit 1 like a finding, in every format; --exit-zero makes it 0', async () => {
  const bad = path.join(dir, 'tests/test_invalid_utf8.py');
  const name = path.relative(ROOT, bad);
  const text = await run('check', bad);
  assert.equal(text.code, 1);
  assert.deepEqual(text.err, [`crosstalk: ${name}: not valid utf-8 (byte ${Buffer.byteLength(HAZARD)})`]);
  assert.equal(text.out, 'No hazards found in 0 files.\n1 file could not be analysed (see stderr).');
  const github = await run('check', bad, '--format', 'github');
  assert.equal(
    github.out,
    `::error file=${name},title=Crosstalk%3A not analysed::not valid utf-8 (byte ${Buffer.byteLength(HAZARD)})`,
  );
  assert.equal((await run('check', bad, '--exit-zero')).code, 0);
  assert.equal((await run('check', 'test/fixtures/incidents/kpi/before', '--exit-zero')).code, 0);
  assert.equal((await run('check', 'no/such/path', '--exit-zero')).code, 2, 'a usage error is still 2');
});

/** Every file under `d` with its content hash: what a run may not change. */
function hashes(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(d, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(d, f);
    if (fs.statSync(p).isFile()) out[f] = createHash('sha1').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

test('--diff: a unified diff that patch applies to give what --fix writes; nothing written; exit 1', async () => {
  const cwd = process.cwd();
  for (const unsafe of [[], ['--unsafe-fixes']]) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-diff-'));
    const [a, b] = [path.join(base, 'a'), path.join(base, 'b')];
    fs.cpSync('examples', a, { recursive: true });
    fs.cpSync('examples', b, { recursive: true });
    try {
      process.chdir(a);
      const untouched = hashes(a);
      const diff = await run('check', '.', '--diff', ...unsafe);
      assert.equal(diff.code, 1);
      assert.deepEqual(hashes(a), untouched, '--diff writes nothing');
      assert.equal(
        diff.err.at(-1),
        // (hazards no longer reported: ten safe fixes, and the XT003 that one of them settles too; with
        // the unsafe ones, XT003's autouse fixture writes CACHES through `settings`, and the override it
        // opens around every test settles a test's plain settings write: no XT040 fix is needed)
        unsafe.length ? 'Would fix 12 hazards in 5 files.' : 'Would fix 11 hazards in 3 files.',
      );
      assert.match(diff.out, /^--- shop\/tests\/conftest\.py\n\+\+\+ shop\/tests\/conftest\.py\n@@ /m);
      if (unsafe.length)
        assert.match(diff.out, /^--- \/dev\/null\n\+\+\+ conftest\.py\n/m, 'the conftest.py XT003 creates');
      execFileSync('patch', ['-p0', '-s'], { cwd: a, input: diff.out + '\n' });
      process.chdir(b);
      await run('check', '.', '--fix', ...unsafe);
      assert.deepEqual(hashes(a), hashes(b), `patch -p0 < the diff = --fix ${unsafe.join(' ')}`);
      // all fixed: nothing left to fix, exit 0, no output
      process.chdir(a);
      const done = await run('check', '.', '--diff', ...unsafe);
      assert.deepEqual([done.code, done.out], [0, '']);
    } finally {
      process.chdir(cwd);
      fs.rmSync(base, { recursive: true });
    }
  }
  assert.equal((await run('check', '.', '--diff', '--format', 'json')).code, 2, 'a diff has one format');
});

test('--statistics: a count per rule, most first, [*] when all are fixable; text or json', async () => {
  const text = await run('check', 'examples', '--statistics');
  assert.equal(text.code, 1);
  const lines = text.out.split('\n');
  // most first, a tie in code order
  assert.equal(lines[0], '3\tXT020\t[ ] shared-tmp-path');
  assert.equal(lines[1], '3\tXT030\t[*] xdist-legacy-api');
  const json = JSON.parse((await run('check', 'examples', '--statistics', '--format', 'json')).out) as {
    code: string;
    count: number;
  }[];
  const all = JSON.parse((await run('check', 'examples', '--format', 'json')).out) as { code: string }[];
  assert.equal(
    json.reduce((n, r) => n + r.count, 0),
    all.length,
  );
  assert.equal(json.length, lines.length);
  assert.equal((await run('check', 'examples', '--statistics', '--format', 'sarif')).code, 2);
});

test('--output-file: the report in the file, nothing on stdout; an unwritable path is a usage error', async () => {
  const file = path.join(dir, 'report.sarif');
  const r = await run('check', 'test/fixtures/incidents/kpi/before', '--format', 'sarif', '--output-file', file);
  assert.deepEqual([r.code, r.out], [1, '']);
  const log = JSON.parse(fs.readFileSync(file, 'utf8')) as sarif.Log;
  assert.equal(log.runs[0]!.results!.length, 2);
  const bad = await run('check', '.', '--output-file', path.join(dir, 'no/such/dir/out.txt'));
  assert.equal(bad.code, 2);
  assert.match(bad.err[0]!, /--output-file .*out\.txt: ENOENT/);
});

test("crosstalk rule prints the rule's page, by code or by name", async () => {
  for (const rule of rules) {
    const page = fs.readFileSync(path.join(ROOT, rule.docsPath), 'utf8').replace(/\n+$/, '');
    assert.deepEqual(await run('rule', rule.id.toLowerCase()), { code: 0, out: page, err: [] });
  }
  assert.equal((await run('rule', 'shared-cache')).out.split('\n')[0], '# XT001 shared-cache');
  for (const args of [['rule'], ['rule', 'XT999'], ['rule', 'XT001', 'XT002']]) {
    const r = await run(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err[0]!, /^crosstalk: /);
  }
});

test('a file every rule is ignored for is not read: how a fixture kept undecodable on purpose stays out', async () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-ignored-'));
  fs.mkdirSync(path.join(project, 'tests/data'), { recursive: true });
  fs.writeFileSync(path.join(project, 'tests/test_hazard.py'), HAZARD);
  fs.writeFileSync(path.join(project, 'tests/data/test_bad_encoding.py'), Buffer.from([0x78, 0xff, 0x0a]));
  const config = path.join(project, 'pyproject.toml');
  try {
    const before = await run('check', project, '--config', config);
    assert.equal(before.err.length, 1, 'without the configuration it is refused');
    fs.writeFileSync(config, '[tool.crosstalk]\n\n[tool.crosstalk.per-file-ignores]\n"tests/data/**" = ["XT"]\n');
    const after = await run('check', project, '--config', config);
    assert.deepEqual([after.code, after.err], [1, []]);
    assert.match(after.out, /^Found 1 hazard in 1 file /m);
  } finally {
    fs.rmSync(project, { recursive: true });
  }
});
