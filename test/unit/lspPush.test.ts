// A client that cannot pull diagnostics (Neovim before 0.10, Sublime LSP, eglot, `crosstalk server` in any
// editor that does not declare textDocument.diagnostic) gets its open documents' diagnostics pushed: after
// open, after a pause in its edits, after settings or files change. A client that pulls gets none pushed
// for an open document: never both.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver';
import { KPI, ROOT } from './helpers';
import { startClient, type TestClient } from './lspClient';

let dir: string;
let push: TestClient, noSettings: TestClient, pull: TestClient;
const uriOf = (rel: string) => pathToFileURL(path.join(dir, rel)).href;
const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(check(), what);
};
const pushesFor = (client: TestClient, uri: string): PublishDiagnosticsParams[] =>
  client.pushes.filter(p => p.uri === uri);
const codes = (p: PublishDiagnosticsParams | undefined) => p?.diagnostics.map(d => d.code);

async function open(client: TestClient, uri: string, text: string, version = 1) {
  await client.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version, text },
  });
}
async function replace(client: TestClient, uri: string, text: string, version: number) {
  await client.rpc.sendNotification('textDocument/didChange', {
    textDocument: { uri, version },
    contentChanges: [{ text }],
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-push-'));
  fs.mkdirSync(path.join(dir, 'tests'));
  const root = pathToFileURL(dir).href;
  push = await startClient(root, __dirname, { severity: { XT001: 'error' } }, { pullDiagnostics: false });
  noSettings = await startClient(
    root,
    __dirname,
    { severity: { XT001: 'error' } },
    { pullDiagnostics: false, configuration: false },
  );
  pull = await startClient(root, __dirname);
});

after(async () => {
  await Promise.all([push.close(), noSettings.close(), pull.close()]);
  fs.rmSync(dir, { recursive: true });
});

test('pull diagnostics are offered only to a client that declares it can pull', () => {
  assert.equal(push.capabilities.diagnosticProvider, undefined);
  assert.deepEqual(pull.capabilities.diagnosticProvider, { interFileDependencies: false, workspaceDiagnostics: false });
});

test('an opened document gets its diagnostics pushed, with its version and the settings the client gives', async () => {
  const uri = uriOf('tests/test_open.py');
  await open(push, uri, KPI, 3);
  await until('pushed on open', () => pushesFor(push, uri).length > 0);
  const [first] = pushesFor(push, uri);
  assert.equal(first!.version, 3);
  assert.deepEqual(
    first!.diagnostics.map(d => [d.code, d.severity, d.range.start.line]),
    [
      ['XT001', 1, 4],
      ['XT002', 2, 6],
    ],
    'crosstalk.severity from workspace/configuration: XT001 an error',
  );
  assert.ok(first!.diagnostics[0]!.data, 'with the data its code actions are made from');
  assert.ok(push.configurationRequests > 0);
});

test('a client without workspace/configuration is not asked: the defaults apply', async () => {
  const uri = uriOf('tests/test_defaults.py');
  await open(noSettings, uri, KPI);
  await until('pushed on open', () => pushesFor(noSettings, uri).length > 0);
  assert.deepEqual(
    pushesFor(noSettings, uri)[0]!.diagnostics.map(d => [d.code, d.severity]),
    [
      ['XT001', 2],
      ['XT002', 2],
    ],
  );
  assert.equal(noSettings.configurationRequests, 0);
});

test('a burst of edits is analysed once, after it pauses; the push names the last version', async () => {
  const uri = uriOf('tests/test_typing.py');
  await open(push, uri, 'def test_x():\n    pass\n');
  // a clean document: nothing shown, so nothing is pushed
  const hazard = 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n';
  for (let v = 2; v <= 6; v++) await replace(push, uri, hazard.slice(0, hazard.length - 6 + v), v);
  await until('pushed after the burst', () => pushesFor(push, uri).length > 0);
  const pushes = pushesFor(push, uri);
  assert.deepEqual(
    pushes.map(p => [p.version, codes(p)]),
    [[6, ['XT020']]],
  );
  // the fix typed in: the diagnostic is cleared by a push with none
  await replace(push, uri, hazard.replace('"/tmp"', 'str(tmp_path)'), 7);
  await until('cleared', () => pushesFor(push, uri).length === 2);
  assert.deepEqual(pushesFor(push, uri)[1], { uri, version: 7, diagnostics: [] });
});

test('a settings change pushes every open document again under the new settings', async () => {
  const uri = uriOf('tests/test_settings.py');
  await open(push, uri, KPI);
  await until('pushed on open', () => pushesFor(push, uri).length === 1);
  push.settings = { ignore: ['XT002'] };
  await push.rpc.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  await until('pushed again', () => pushesFor(push, uri).length === 2);
  assert.deepEqual(codes(pushesFor(push, uri)[1]), ['XT001']);
  push.settings = { severity: { XT001: 'error' } };
  await push.rpc.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  await until('and back', () => pushesFor(push, uri).length === 3);
});

test('files changed on disk push open documents again (a conftest fixture now isolates the cache)', async () => {
  const uri = uriOf('tests/test_watched.py');
  await open(push, uri, KPI);
  await until('pushed on open', () => pushesFor(push, uri).length === 1);
  assert.deepEqual(codes(pushesFor(push, uri)[0]), ['XT001', 'XT002']);
  fs.writeFileSync(
    path.join(dir, 'conftest.py'),
    'import pytest\nfrom django.test import override_settings\n\n\n@pytest.fixture(autouse=True)\ndef _own_cache(request):\n    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}}):\n        yield\n',
  );
  try {
    await push.rpc.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: uriOf('conftest.py'), type: 1 }],
    });
    await until('pushed again', () => pushesFor(push, uri).length === 2);
    assert.deepEqual(codes(pushesFor(push, uri)[1]), [], 'the autouse fixture isolates every test');
  } finally {
    fs.rmSync(path.join(dir, 'conftest.py'));
    await push.rpc.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: uriOf('conftest.py'), type: 3 }],
    });
  }
});

test('closing a document clears what was pushed for it; a change after close pushes nothing', async () => {
  const uri = uriOf('tests/test_close.py');
  await open(push, uri, KPI);
  await until('pushed on open', () => pushesFor(push, uri).length === 1);
  await replace(push, uri, KPI + '\n', 2); // its push is pending when the document closes
  await push.rpc.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await until('cleared', () => pushesFor(push, uri).length === 2);
  assert.deepEqual(pushesFor(push, uri)[1], { uri, diagnostics: [] });
  // an absence needs a bound: twice the pause a push waits for
  await new Promise(r => setTimeout(r, 300));
  assert.equal(pushesFor(push, uri).length, 2);
});

test('a client that pulls gets nothing pushed for an open document', async () => {
  const uri = uriOf('tests/test_pulled.py');
  await open(pull, uri, KPI);
  assert.deepEqual(
    (await pull.pull(uri)).map(d => d.code),
    ['XT001', 'XT002'],
  );
  await replace(pull, uri, KPI + '\n', 2);
  await pull.pull(uri);
  await new Promise(r => setTimeout(r, 300)); // an absence needs a bound: twice a push client's pause
  assert.deepEqual(pushesFor(pull, uri), []);
});

test('`crosstalk server` is the language server over stdio: it pushes diagnostics to a client that cannot pull', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/crosstalk.js'), 'server'], { cwd: dir });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const pushed: PublishDiagnosticsParams[] = [];
  rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    pushed.push(p);
  });
  rpc.listen();
  try {
    const init = (await rpc.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      capabilities: {},
    })) as { serverInfo: { name: string } };
    assert.equal(init.serverInfo.name, 'crosstalk');
    await rpc.sendNotification('initialized', {});
    const uri = uriOf('tests/test_stdio.py');
    await rpc.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: KPI },
    });
    await until('pushed over stdout', () => pushed.some(p => p.uri === uri));
    assert.deepEqual(codes(pushed.find(p => p.uri === uri)), ['XT001', 'XT002']);
    await rpc.sendRequest('shutdown');
    await rpc.sendNotification('exit');
    const code = await new Promise(resolve => child.on('exit', resolve));
    assert.equal(code, 0, 'exit after shutdown ends the process cleanly');
  } finally {
    rpc.dispose();
    child.kill();
  }
});
