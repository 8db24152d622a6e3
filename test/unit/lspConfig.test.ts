// The server reads the workspace's [tool.crosstalk]: problems become diagnostics on pyproject.toml,
// the configuration applies to open test modules, and a changed file is picked up.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startClient, type TestClient } from './lspClient';

let dir: string;
let lsp: TestClient;
const HAZARD =
  'import os\nimport sys\n\n\ndef test_x():\n    os.listdir("/tmp")\n    sys.path.insert(0, "/opt/plugins")\n';
const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(check(), what);
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-lsp-config-'));
  fs.writeFileSync(
    path.join(dir, 'pyproject.toml'),
    '[tool.crosstalk]\nignore = ["XT070"]\nselect = "XT020"\n\n[tool.crosstalk.severity]\nXT020 = "error"\n',
  );
  fs.mkdirSync(path.join(dir, 'app'));
  lsp = await startClient(pathToFileURL(dir).href, __dirname);
});

after(async () => {
  await lsp.close();
  fs.rmSync(dir, { recursive: true });
});

test('configuration problems are diagnostics on the pyproject.toml line; the rest applies', async () => {
  const pyproject = pathToFileURL(path.join(dir, 'pyproject.toml')).href;
  await until('pyproject diagnostics published', () => lsp.published.has(pyproject));
  const [problem] = lsp.published.get(pyproject)!;
  assert.equal(problem!.range.start.line, 2);
  assert.match(problem!.message as string, /^tool\.crosstalk\.select: expected a list of rule codes/);
  const uri = pathToFileURL(path.join(dir, 'tests/test_a.py')).href;
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text: HAZARD },
  });
  assert.deepEqual(
    (await lsp.pull(uri)).map(d => [d.code, d.severity]),
    [['XT020', 1]],
    'XT070 ignored, XT020 an error',
  );
});

test('a changed pyproject.toml is read again', async () => {
  const pyproject = path.join(dir, 'pyproject.toml');
  fs.writeFileSync(pyproject, '[tool.crosstalk]\nignore = ["XT020"]\n');
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: pathToFileURL(pyproject).href, type: 2 }],
  });
  const uri = pathToFileURL(path.join(dir, 'tests/test_a.py')).href;
  assert.deepEqual(
    (await lsp.pull(uri)).map(d => d.code),
    ['XT070'],
  );
  await until('problems cleared', () => lsp.published.get(pathToFileURL(pyproject).href)?.length === 0);
});

test('XT003: the quick fix and the command are a confirmed WorkspaceEdit creating conftest.py', async () => {
  fs.writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\nDJANGO_SETTINGS_MODULE = app.settings\n');
  fs.mkdirSync(path.join(dir, 'app'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'app/settings.py'),
    'CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache"}}\n',
  );
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: pathToFileURL(path.join(dir, 'pytest.ini')).href, type: 1 }],
  });
  const uri = pathToFileURL(path.join(dir, 'tests/test_cache.py')).href;
  const text = 'from django.core.cache import cache\n\n\ndef test_x():\n    cache.set("k", 1)\n';
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  const xt003 = (await lsp.pull(uri)).filter(d => d.code === 'XT003');
  assert.equal(xt003.length, 1);
  const actions = (await lsp.rpc.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: xt003[0]!.range,
    context: { diagnostics: xt003 },
  })) as {
    title: string;
    edit: {
      documentChanges: { kind?: string; uri?: string; textDocument?: { uri: string } }[];
      changeAnnotations: Record<string, { needsConfirmation: boolean }>;
    };
  }[];
  const fix = actions.find(a => a.title.startsWith('Crosstalk (XT003)'))!;
  const conftest = pathToFileURL(path.join(dir, 'conftest.py')).href;
  assert.deepEqual(
    fix.edit.documentChanges.map(c => c.kind ?? 'edit'),
    ['create', 'edit'],
  );
  assert.equal(fix.edit.documentChanges[0]!.uri, conftest);
  assert.ok(Object.values(fix.edit.changeAnnotations).every(a => a.needsConfirmation));
  // the command builds the same edit and asks the client to apply it
  let applied: { edit: { documentChanges: unknown[] } } | undefined;
  lsp.rpc.onRequest('workspace/applyEdit', (params: { edit: { documentChanges: unknown[] } }) => {
    applied = params;
    return { applied: true };
  });
  await lsp.rpc.sendRequest('workspace/executeCommand', {
    command: 'crosstalk.isolateCacheForEveryTest',
    arguments: [],
  });
  assert.equal(applied?.edit.documentChanges.length, 2);
});
