// Hostile and unlucky protocol traffic: requests for documents never opened, ranges out of bounds or
// reversed, changes to documents never opened, overlapping edits in one notification, cancellation,
// a burst of 1,000 edits, a close while an analysis waits, malformed parameters, and shutdown in the
// middle of a workspace scan. The server answers or errors cleanly, and keeps serving.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import type { CodeAction, Diagnostic } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Documents } from '../../server/src/lsp/documents';
import { parse } from '../../server/src/syntax/parser';
import { KPI, lintText, parser, ROOT } from './helpers';
import { startClient, type TestClient } from './lspClient';

let lsp: TestClient;
const errors: string[] = [];
const docs = new Map<string, TextDocument>();

before(async () => {
  lsp = await startClient('file:///proj', __dirname);
  lsp.rpc.onNotification('window/logMessage', (m: { type: number; message: string }) => {
    if (m.type === 1) errors.push(m.message);
  });
});

after(async () => {
  await lsp.close();
});

async function open(uri: string, text: string) {
  docs.set(uri, TextDocument.create(uri, 'python', 1, text));
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
}

/** Sends `changes` in one didChange, and applies them to our copy the way the LSP says (in order). */
async function change(
  uri: string,
  changes: {
    range?: { start: { line: number; character: number }; end: { line: number; character: number } };
    text: string;
  }[],
) {
  const doc = TextDocument.update(
    docs.get(uri)!,
    changes as Parameters<typeof TextDocument.update>[1],
    docs.get(uri)!.version + 1,
  );
  docs.set(uri, doc);
  await lsp.rpc.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: doc.version },
    contentChanges: changes,
  });
}

const codes = (items: Diagnostic[]) => items.map(d => `${d.range.start.line}:${d.code}`);
/** What a fresh analysis of our copy of the document finds. */
const fresh = async (uri: string) =>
  (await lintText(docs.get(uri)!.getText(), { moduleName: 'tests.x' })).map(f => `${f.startPos.line}:${f.rule.id}`);

/** The server still works: a new document gets its diagnostics, and nothing was logged as an error. */
async function healthy() {
  const uri = `file:///proj/tests/test_healthy_${Math.random().toString(36).slice(2)}.py`;
  await open(uri, KPI);
  assert.deepEqual(codes(await lsp.pull(uri)), ['4:XT001', '6:XT002']);
  await lsp.rpc.sendNotification('textDocument/didClose', { textDocument: { uri } });
  assert.deepEqual(errors, [], 'nothing logged as an error');
}

test('requests about documents never opened answer empty; changes and closes for them are ignored', async () => {
  const uri = 'file:///proj/tests/test_never.py';
  assert.deepEqual(await lsp.pull(uri), []);
  assert.deepEqual(
    await lsp.rpc.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    }),
    [],
  );
  await lsp.rpc.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 5, character: 0 }, end: { line: 6, character: 0 } }, text: 'x' }],
  });
  await lsp.rpc.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await healthy();
});

test('ranges past the end, reversed, and overlapping edits in one notification edit what the protocol says', async () => {
  const uri = 'file:///proj/tests/test_ranges.py';
  await open(uri, KPI);
  await lsp.pull(uri); // a tree exists, so the edits below are incremental
  await change(uri, [
    {
      range: { start: { line: 999, character: 0 }, end: { line: 1200, character: 5 } },
      text: '\n\ndef test_tmp():\n    open("/tmp/x")\n',
    },
  ]);
  assert.deepEqual(codes(await lsp.pull(uri)), await fresh(uri));
  // reversed: the client meant the same text the other way round (setUp and its cache.clear() go)
  await change(uri, [{ range: { start: { line: 8, character: 4 }, end: { line: 5, character: 4 } }, text: '' }]);
  assert.doesNotMatch(docs.get(uri)!.getText(), /setUp/);
  assert.deepEqual(codes(await lsp.pull(uri)), await fresh(uri));
  // overlapping: each change applies to the text the previous one left
  await change(uri, [
    {
      range: { start: { line: 5, character: 0 }, end: { line: 7, character: 0 } },
      text: '    def setUp(self):\n        cache.clear()\n        cache.clear()\n',
    },
    { range: { start: { line: 6, character: 4 }, end: { line: 7, character: 12 } }, text: '' },
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'import os\n' },
  ]);
  assert.deepEqual(codes(await lsp.pull(uri)), await fresh(uri));
  // a code action for a range far outside the document
  const actions = (await lsp.rpc.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line: 5000, character: 0 }, end: { line: 9000, character: 3 } },
    context: { diagnostics: await lsp.pull(uri) },
  })) as CodeAction[];
  assert.ok(actions.length > 0);
  await healthy();
});

test('a reversed range edits the syntax tree as it edits the text (found by the fuzz suite)', async () => {
  const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/rules/inline-model.py'), 'utf8');
  const documents = new Documents();
  const uri = 'file:///proj/tests/test_reversed.py';
  documents.didOpen(uri, 'python', 1, text);
  const p = await parser();
  documents.parser = p;
  documents.syntax(p, documents.get(uri)!);
  // from the middle of line 2 back to its start: `from django.db` goes
  documents.didChange(uri, 2, [
    { range: { start: { line: 2, character: 14 }, end: { line: 2, character: 0 } }, text: '' },
  ]);
  const entry = documents.get(uri)!;
  assert.match(entry.doc.getText(), /^\.models import Model as DjangoModel$/m);
  const tree = parse(p, entry.doc.getText());
  assert.deepEqual(
    documents
      .syntax(p, entry)
      .topLevel()
      .map(n => n.toString()),
    tree.rootNode.children.map(n => n!.toString()),
  );
  tree.delete();
  documents.dispose();
});

test('an entry held across its close gets no trees, never the freed ones', async () => {
  const documents = new Documents();
  const uri = 'file:///proj/tests/test_held.py';
  documents.didOpen(uri, 'python', 1, KPI);
  const entry = documents.get(uri)!,
    p = await parser();
  assert.equal(documents.syntax(p, entry).topLevel().length, 3);
  documents.didClose(uri);
  assert.equal(entry.forest, null, 'the closed entry still holds trees');
  assert.throws(() => documents.syntax(p, entry), /closed/);
});

test('a burst of 1,000 edits, then a pull, gives what a fresh parse gives', async () => {
  const uri = 'file:///proj/tests/test_burst.py';
  await open(uri, '');
  await lsp.pull(uri);
  const started = Date.now();
  let i = 0;
  for (const ch of KPI.repeat(3).slice(0, 900)) {
    const doc = docs.get(uri)!;
    const end = doc.positionAt(doc.getText().length);
    await change(uri, [{ range: { start: end, end }, text: ch }]);
    i++;
  }
  // and 100 edits in the middle: deletions and re-insertions
  for (; i < 1000; i++) {
    const doc = docs.get(uri)!;
    const at = doc.positionAt((i * 37) % doc.getText().length);
    await change(
      uri,
      i % 2
        ? [{ range: { start: at, end: doc.positionAt(doc.offsetAt(at) + 1) }, text: '' }]
        : [{ range: { start: at, end: at }, text: 'x' }],
    );
  }
  assert.deepEqual(codes(await lsp.pull(uri)), await fresh(uri));
  assert.ok(Date.now() - started < 20_000, `1,000 edits took ${Date.now() - started} ms`);
  await healthy();
});

test('cancelled requests settle (answered or cancelled), and the server goes on', async () => {
  const uri = 'file:///proj/tests/test_cancel.py';
  await open(
    uri,
    KPI.repeat(20).replace(/AliceApiTests/g, () => `T${Math.random().toString(36).slice(2, 8)}`),
  );
  const settled = await Promise.allSettled(
    Array.from({ length: 20 }, () => {
      const source = new CancellationTokenSource();
      const pending = lsp.rpc.sendRequest('textDocument/diagnostic', { textDocument: { uri } }, source.token);
      source.cancel();
      return pending;
    }),
  );
  for (const s of settled) {
    if (s.status === 'rejected')
      assert.ok(s.reason instanceof ResponseError && s.reason.code === -32800, String(s.reason));
    else assert.ok(Array.isArray((s.value as { items: unknown[] }).items));
  }
  await healthy();
});

test('a document closed and reopened while its analysis waits for settings is analysed as it is now', async () => {
  const uri = 'file:///proj/tests/test_race.py';
  await open(uri, KPI);
  assert.equal((await lsp.pull(uri)).length, 2); // parsed: the document has a syntax tree
  let release!: () => void;
  const gate = new Promise<void>(r => {
    release = r;
  });
  lsp.rpc.onRequest('workspace/configuration', async (params: { items: unknown[] }) => {
    await gate;
    return params.items.map(() => lsp.settings);
  });
  try {
    await lsp.rpc.sendNotification('workspace/didChangeConfiguration', { settings: {} }); // settings asked again
    const pending = lsp.pull(uri); // waits for the client's settings
    await new Promise(r => setTimeout(r, 50));
    await lsp.rpc.sendNotification('textDocument/didClose', { textDocument: { uri } }); // frees the tree
    await open(uri, 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n');
    release();
    // about a document no longer open as it was: whatever it says, it must not read a freed tree
    assert.ok(Array.isArray(await pending));
    assert.deepEqual(codes(await lsp.pull(uri)), ['4:XT020']);
  } finally {
    lsp.rpc.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
      params.items.map(() => lsp.settings),
    );
  }
  await healthy();
});

test('malformed parameters get an error or an empty answer, never a dead server', async () => {
  const uri = 'file:///proj/tests/test_malformed.py';
  await open(uri, KPI);
  const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
  const version = docs.get(uri)!.version;
  const bad: [string, unknown][] = [
    ['textDocument/diagnostic', {}],
    ['textDocument/diagnostic', { textDocument: { uri: 42 } }],
    ['textDocument/codeAction', { textDocument: { uri }, range }],
    [
      'textDocument/codeAction',
      {
        textDocument: { uri },
        range,
        context: { diagnostics: [{ range, message: 'x', source: 'crosstalk', code: 'XT001', data: 'garbage' }] },
      },
    ],
    [
      'textDocument/codeAction',
      {
        textDocument: { uri },
        range,
        context: {
          diagnostics: [
            {
              range,
              message: 'x',
              source: 'crosstalk',
              code: 'XT001',
              data: { version, fix: { title: 't', edits: 'not a list', elsewhere: 5 }, noqa: 7 },
            },
          ],
        },
      },
    ],
    [
      'textDocument/codeAction',
      { textDocument: { uri }, range, context: { only: 'source.fixAll.crosstalk', diagnostics: [] } },
    ],
    ['workspace/executeCommand', { command: 'crosstalk.unknown', arguments: [1, 2] }],
    ['textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } }],
  ];
  for (const [method, params] of bad) {
    const outcome = await lsp.rpc.sendRequest(method, params).then(
      () => 'answered',
      (e: unknown) => (e instanceof ResponseError ? 'error' : `threw ${e}`),
    );
    assert.ok(outcome === 'answered' || outcome === 'error', `${method}: ${outcome}`);
  }
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri: 'file:///proj/tests/test_no_text.py', languageId: 'python', version: 1 },
  });
  await lsp.rpc.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 9 },
    contentChanges: [{ range: { start: { line: -5, character: -1 }, end: { line: 2, character: 1e9 } }, text: '' }],
  });
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: 'not a uri', type: 3 }] });
  await healthy();
});

test('shutdown in the middle of a workspace scan answers at once and stops the scan', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-shutdown-'));
  fs.mkdirSync(path.join(dir, 'tests'));
  // clean modules: nothing to publish, so the in-process client reads the answers as they come
  const clean = Array.from(
    { length: 150 },
    (_, i) => `def test_${i}(client):\n    assert client.get("/${i}").status_code == 200\n`,
  ).join('\n');
  for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(dir, 'tests', `test_${i}.py`), clean);
  const server = await startClient(pathToFileURL(dir).href, __dirname);
  try {
    const scan = server.rpc.sendRequest('workspace/executeCommand', {
      command: 'crosstalk.scanWorkspace',
      arguments: [],
    }) as Promise<{ files: number }>;
    await new Promise(r => setTimeout(r, 300));
    let started = Date.now();
    assert.deepEqual(
      await server.pull('file:///elsewhere/tests/test_x.py'),
      [],
      'a request during the scan is answered',
    );
    assert.ok(Date.now() - started < 3000, `a pull during the scan took ${Date.now() - started} ms`);
    started = Date.now();
    await server.rpc.sendRequest('shutdown');
    const { files } = await scan;
    assert.ok(Date.now() - started < 3000, `shutdown and the end of the scan took ${Date.now() - started} ms`);
    assert.ok(files < 400, `the scan stopped (${files} of 400 files)`);
  } finally {
    server.rpc.dispose();
    fs.rmSync(dir, { recursive: true });
  }
});
