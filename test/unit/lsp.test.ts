// The language server in-process, over a pair of streams: what an editor sees.
import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { lintText } from './helpers';
import { startClient, type TestClient } from './lspClient';

const KPI = `from django.core.cache import cache
from django.test import TestCase
from rest_framework.test import APIClient


class AliceApiTests(TestCase):
    def setUp(self):
        cache.clear()
        self.client = APIClient()

    def test_throttled(self):
        codes = [self.client.get("/api/ping/").status_code for _ in range(6)]
        self.assertEqual(codes[-1], 429)
`;

let lsp: TestClient;
let client: MessageConnection;
const docs = new Map<string, TextDocument>();
const setSettings = (s: Record<string, unknown>) => {
  lsp.settings = s;
};

before(async () => {
  lsp = await startClient('file:///proj', __dirname);
  client = lsp.rpc;
});

after(async () => {
  await lsp.close();
});

async function open(uri: string, text: string) {
  docs.set(uri, TextDocument.create(uri, 'python', 1, text));
  await client.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
}

/** Applies edits the way an editor does: as incremental changes, sent in one didChange. */
async function edit(uri: string, edits: TextEdit[]) {
  const doc = docs.get(uri)!;
  // send in reverse document order so each range is still valid when applied
  const changes = [...edits]
    .sort((a, b) => doc.offsetAt(b.range.start) - doc.offsetAt(a.range.start))
    .map(e => ({ range: e.range, text: e.newText }));
  const next = TextDocument.update(doc, changes, doc.version + 1);
  docs.set(uri, next);
  await client.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: next.version },
    contentChanges: changes,
  });
}

const pull = (uri: string): Promise<Diagnostic[]> => lsp.pull(uri);

async function actions(uri: string, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
  return client.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics, only },
  }) as Promise<CodeAction[]>;
}

test('pull diagnostics: code, source, message, docs link and fix data', async () => {
  const uri = 'file:///proj/app/tests/test_kpi.py';
  await open(uri, KPI);
  const items = await pull(uri);
  assert.deepEqual(
    items.map(d => [d.code, d.range.start.line]),
    [
      ['XT001', 5],
      ['XT002', 7],
    ],
  );
  const [xt001] = items;
  assert.equal(xt001!.source, 'crosstalk');
  assert.match(xt001!.message as string, /every xdist worker's first user has pk=1/);
  assert.match(xt001!.codeDescription!.href, /^file:\/\/.*\/docs\/rules\/shared-cache\.md$/);
  assert.equal(xt001!.relatedInformation![0]!.location.range.start.line, 12, 'points at the 429 assertion');
});

test("hover on a finding shows its rule's short docs with the page link; elsewhere nothing", async () => {
  const uri = 'file:///proj/app/tests/test_kpi.py';
  const hover = (line: number, character: number) =>
    client.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } }) as Promise<{
      contents: { kind: string; value: string };
      range: { start: { line: number } };
    } | null>;
  const onClear = await hover(7, 12); // cache.clear() in setUp: XT002
  assert.equal(onClear!.contents.kind, 'markdown');
  assert.match(onClear!.contents.value, /^\*\*XT002 shared-cache-clear\*\* \(warning; fixable in some cases\)/);
  assert.match(onClear!.contents.value, /\n\*Fix:\* The same fix as XT001[^\n]*\.\n/);
  assert.match(onClear!.contents.value, /\[Documentation\]\(file:\/\/[^)]*\/docs\/rules\/shared-cache-clear\.md\)/);
  assert.match(
    onClear!.contents.value,
    /incident: \[mozilla\/treeherder\]\(https:\/\/github\.com\/mozilla\/treeherder\/pull\/9665\)/,
  );
  assert.equal(onClear!.range.start.line, 7);
  assert.equal(await hover(1, 3), null, 'an import line has no finding');
});

test('quick fix, then the diagnostics go away; the LOCATION names the module and class', async () => {
  const uri = 'file:///proj/app/tests/test_kpi.py';
  const items = await pull(uri);
  const xt001 = items.filter(d => d.code === 'XT001');
  const fixes = await actions(uri, xt001);
  const fix = fixes.find(a => a.title.startsWith('Crosstalk (XT001): Give AliceApiTests'))!;
  assert.ok(fix.isPreferred);
  assert.ok(fixes.some(a => a.title === 'Disable XT001 for this line'));
  await edit(uri, fix.edit!.changes![uri]!);
  const text = docs.get(uri)!.getText();
  assert.match(text, /from django\.test import TestCase, override_settings\n/);
  assert.match(text, /"LOCATION": "app\.tests\.test_kpi\.AliceApiTests"/);
  assert.deepEqual(await pull(uri), [], 'both XT001 and XT002 are resolved by the isolation');
  // the incrementally edited tree gives what a fresh parse gives
  assert.deepEqual(await lintText(text, { moduleName: 'app.tests.test_kpi' }), []);
});

test('a stale diagnostic gets no code action', async () => {
  const uri = 'file:///proj/tests/test_stale.py';
  await open(uri, KPI);
  const items = await pull(uri);
  await edit(uri, [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '# moved\n' },
  ]);
  assert.deepEqual(await actions(uri, items), []);
});

test('"Disable for this line" merges into an existing noqa and silences only that code', async () => {
  const uri = 'file:///proj/tests/test_noqa.py';
  await open(uri, 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")  # noqa: E501\n');
  const [d] = await pull(uri);
  assert.equal(d!.code, 'XT020');
  const noqa = (await actions(uri, [d!])).find(a => a.title === 'Disable XT020 for this line')!;
  await edit(uri, noqa.edit!.changes![uri]!);
  assert.equal(docs.get(uri)!.getText().split('\n')[4], '    os.listdir("/tmp")  # noqa: E501, XT020');
  assert.deepEqual(await pull(uri), []);
});

test('"Disable for this line" lands on the finding\'s own line in a file whose lines end in a lone CR', async () => {
  const uri = 'file:///proj/tests/test_lone_cr.py';
  // a lone \r ends a line for Python and for the editor: the comment goes on line 4, not at the end of the file
  await open(uri, 'import os\r\r\rdef test_x():\r    os.listdir("/tmp")\r    x = 1\r');
  const [d] = await pull(uri);
  assert.equal(d!.range.start.line, 4);
  const noqa = (await actions(uri, [d!])).find(a => a.title === 'Disable XT020 for this line')!;
  await edit(uri, noqa.edit!.changes![uri]!);
  assert.deepEqual(docs.get(uri)!.getText().split('\r').slice(4, 6), [
    '    os.listdir("/tmp")  # noqa: XT020',
    '    x = 1',
  ]);
  assert.deepEqual(await pull(uri), []);
});

test('source.fixAll.crosstalk applies safe fixes only, until stable', async () => {
  const uri = 'file:///proj/tests/conftest.py';
  const text =
    'import os\n\n\ndef pytest_configure(config):\n    if hasattr(config, "slaveinput"):\n        os.environ["DB"] = config.slaveinput["slaveid"]\n\n\ndef test_tmp():\n    os.listdir("/tmp")\n';
  await open(uri, text);
  assert.equal((await pull(uri)).length, 4);
  const [fixAll] = await actions(uri, [], ['source.fixAll.crosstalk']);
  assert.equal(fixAll!.kind, 'source.fixAll.crosstalk');
  await edit(uri, fixAll!.edit!.changes![uri]!);
  assert.match(docs.get(uri)!.getText(), /hasattr\(config, "workerinput"\)/);
  const left = await pull(uri);
  assert.deepEqual(
    left.map(d => d.code),
    ['XT020'],
    'the unsafe /tmp fix is not applied by fix-all',
  );
});

test('settings: crosstalk.ignore and crosstalk.enable are honoured after a configuration change', async () => {
  const uri = 'file:///proj/tests/test_settings.py';
  await open(uri, KPI);
  setSettings({ ignore: ['XT002'] });
  await client.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.deepEqual(
    (await pull(uri)).map(d => d.code),
    ['XT001'],
  );
  setSettings({ enable: false });
  await client.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.deepEqual(await pull(uri), []);
  setSettings({});
  await client.sendNotification('workspace/didChangeConfiguration', { settings: {} });
});

test('settings: crosstalk.severity and crosstalk.testFiles take effect; bad values are dropped', async () => {
  const uri = 'file:///proj/app/checks/cache_checks.py'; // not a test module by the built-in patterns
  await open(uri, KPI);
  assert.deepEqual(await pull(uri), []);
  setSettings({
    testFiles: ['app/checks/*.py'],
    severity: { XT001: 'error', xt002: 'info', XT999: 'error', XT010: 'fatal' },
  });
  await client.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.deepEqual(
    (await pull(uri)).map(d => [d.code, d.severity]),
    [
      ['XT001', 1],
      ['XT002', 3],
    ],
    'error and information; the unknown code and level ignored',
  );
  setSettings({ testFiles: 'app/checks/*.py', severity: ['XT001'] });
  await client.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.deepEqual(await pull(uri), [], 'values of the wrong shape fall back to the defaults');
  setSettings({});
  await client.sendNotification('workspace/didChangeConfiguration', { settings: {} });
});

test('only test modules are analysed', async () => {
  const uri = 'file:///proj/app/views.py';
  await open(uri, KPI);
  assert.deepEqual(await pull(uri), []);
});

test('hostile input: unknown documents, half-typed code, NUL, lone surrogates, deep nesting', async () => {
  assert.deepEqual(await pull('file:///proj/tests/test_never_opened.py'), []);
  await client.sendNotification('textDocument/didChange', {
    textDocument: { uri: 'file:///proj/tests/test_nope.py', version: 2 },
    contentChanges: [{ text: 'x' }],
  });
  const uri = 'file:///proj/tests/test_garbage.py';
  await open(uri, 'class T(TestCase):\n    def test_x(self):\n        cache.set(\0"\uD800", (((\n');
  await pull(uri);
  await edit(uri, [
    {
      range: { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } },
      newText: `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`,
    },
  ]);
  assert.deepEqual(await pull(uri), []);
  // typing character by character keeps the server answering with what a fresh parse finds
  const typed = 'file:///proj/tests/test_typed.py';
  await open(typed, '');
  for (const ch of KPI) {
    const doc = docs.get(typed)!;
    const end = doc.positionAt(doc.getText().length);
    await edit(typed, [{ range: { start: end, end }, newText: ch }]);
    if (ch === '\n') await pull(typed);
  }
  assert.deepEqual(
    (await pull(typed)).map(d => d.code),
    (await lintText(KPI, {})).map(f => f.rule.id),
  );
});
