// crosstalk.scope = "workspace": every test module gets diagnostics, pushed for closed files (pulled
// for open ones, never both), kept current as files change; "Scan workspace" reports what it did.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startClient, type TestClient } from './lspClient';

let dir: string;
let lsp: TestClient;
const HAZARD = 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n';
const uriOf = (rel: string) => pathToFileURL(path.join(dir, rel)).href;
const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(check(), what);
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-workspace-'));
  fs.mkdirSync(path.join(dir, 'app/tests'), { recursive: true });
  for (const name of ['test_a.py', 'test_b.py', 'test_clean.py'])
    fs.writeFileSync(
      path.join(dir, 'app/tests', name),
      name === 'test_clean.py' ? 'def test_ok():\n    pass\n' : HAZARD,
    );
  fs.writeFileSync(path.join(dir, 'app/views.py'), HAZARD); // not a test module
  lsp = await startClient(pathToFileURL(dir).href, __dirname, { scope: 'workspace' });
});

after(async () => {
  await lsp.close();
  fs.rmSync(dir, { recursive: true });
});

test('closed test modules get pushed diagnostics; other modules none', async () => {
  await until(
    'both hazards pushed',
    () =>
      lsp.published.get(uriOf('app/tests/test_a.py'))?.length === 1 &&
      lsp.published.get(uriOf('app/tests/test_b.py'))?.length === 1,
  );
  assert.equal(lsp.published.has(uriOf('app/views.py')), false);
  assert.equal(lsp.published.get(uriOf('app/tests/test_clean.py'))?.length ?? 0, 0);
});

test('opening a file moves it to pull diagnostics; closing it pushes again', async () => {
  const uri = uriOf('app/tests/test_a.py');
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text: HAZARD },
  });
  await until('pushed diagnostics cleared', () => lsp.published.get(uri)?.length === 0);
  assert.equal((await lsp.pull(uri)).length, 1);
  await lsp.rpc.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await until('pushed again', () => lsp.published.get(uri)?.length === 1);
});

test('a changed file is analysed again, a deleted one loses its diagnostics', async () => {
  const b = path.join(dir, 'app/tests/test_b.py');
  fs.writeFileSync(b, 'def test_x():\n    pass\n');
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: pathToFileURL(b).href, type: 2 }],
  });
  await until('fixed file cleared', () => lsp.published.get(uriOf('app/tests/test_b.py'))?.length === 0);
  fs.writeFileSync(path.join(dir, 'app/tests/test_new.py'), HAZARD);
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: uriOf('app/tests/test_new.py'), type: 1 }],
  });
  await until('new file analysed', () => lsp.published.get(uriOf('app/tests/test_new.py'))?.length === 1);
  fs.rmSync(path.join(dir, 'app/tests/test_new.py'));
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: uriOf('app/tests/test_new.py'), type: 3 }],
  });
  await until('deleted file cleared', () => lsp.published.get(uriOf('app/tests/test_new.py'))?.length === 0);
});

test('"Scan workspace" reports the files it checked and what it found', async () => {
  const result = (await lsp.rpc.sendRequest('workspace/executeCommand', {
    command: 'crosstalk.scanWorkspace',
    arguments: [],
  })) as { files: number; findings: number };
  assert.deepEqual({ files: result.files, findings: result.findings }, { files: 3, findings: 1 });
});

test('"Show project model": the model around a document, as the CLI prints it', async () => {
  fs.writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\nDJANGO_SETTINGS_MODULE = app.settings\n');
  fs.writeFileSync(
    path.join(dir, 'app/settings.py'),
    'CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache"}}\n',
  );
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: uriOf('pytest.ini'), type: 1 }],
  });
  const { text, model } = (await lsp.rpc.sendRequest('workspace/executeCommand', {
    command: 'crosstalk.projectModel',
    arguments: [uriOf('app/tests/test_a.py')],
  })) as {
    text: string;
    model: { settings: { module: string; source: string }; caches: Record<string, { scope: string }> };
  };
  assert.equal(model.settings.module, 'app.settings');
  assert.equal(model.settings.source, 'pytest.ini:2 DJANGO_SETTINGS_MODULE ini key');
  assert.equal(model.caches.default?.scope, 'cross-process');
  assert.match(text, /^cache default: django_redis\.cache\.RedisCache, cross-process$/m);
});

test('the settings module the test run loads is checked for XT031, though no test-file pattern matches it', async () => {
  fs.writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\nDJANGO_SETTINGS_MODULE = app.testsettings\n');
  const prefixed = 'CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "KEY_PREFIX": "app"}}\n';
  fs.writeFileSync(path.join(dir, 'app/testsettings.py'), prefixed);
  fs.writeFileSync(path.join(dir, 'app/settings.py'), prefixed); // no longer the run's
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: uriOf('pytest.ini'), type: 2 }],
  });
  await until('the settings module analysed', () => lsp.published.get(uriOf('app/testsettings.py'))?.length === 1);
  assert.equal(lsp.published.get(uriOf('app/testsettings.py'))![0]!.code, 'XT031');
  assert.equal(lsp.published.has(uriOf('app/settings.py')), false);
  const uri = uriOf('app/testsettings.py');
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text: prefixed },
  });
  assert.deepEqual(
    (await lsp.pull(uri)).map(d => d.code),
    ['XT031'],
  );
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri: uriOf('app/settings.py'), languageId: 'python', version: 1, text: prefixed },
  });
  assert.deepEqual(await lsp.pull(uriOf('app/settings.py')), []);
});
