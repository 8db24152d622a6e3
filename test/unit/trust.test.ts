// Workspace trust: Crosstalk needs none. It never runs, imports or spawns anything from the workspace
// (nothing in the engine can), and in a virtual workspace (vscode-vfs://, a GitHub repository opened
// without a clone) documents are analysed from their text alone: a local directory at the same path
// holds a configuration, settings and a conftest.py that would each change the findings, and the
// server must not read any of it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { KPI, ROOT } from './helpers';
import { startClient, type TestClient } from './lspClient';

let dir: string;
let lsp: TestClient;
const touched = new Set<string>();
const restore: (() => void)[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-virtual-'));
  // on disk, at the virtual workspace's path: each of these would change what is reported
  fs.mkdirSync(path.join(dir, 'tests'));
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.crosstalk]\nselect = ["XT020"]\n');
  fs.writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\nDJANGO_SETTINGS_MODULE = shop.settings\n');
  fs.mkdirSync(path.join(dir, 'shop'));
  fs.writeFileSync(
    path.join(dir, 'shop', 'settings.py'),
    'CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}\n',
  );
  fs.writeFileSync(
    path.join(dir, 'tests', 'test_on_disk.py'),
    'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n',
  );
  // every read of the disk under that directory is recorded (on the module object the server's bundle reads through)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeFs: Record<string, (...args: unknown[]) => unknown> = require('fs');
  for (const name of ['readFileSync', 'readdirSync', 'statSync', 'lstatSync', 'existsSync', 'openSync']) {
    const original = nodeFs[name]!;
    nodeFs[name] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith(dir)) touched.add(`${name} ${args[0]}`);
      return original.apply(nodeFs, args);
    };
    restore.push(() => {
      nodeFs[name] = original;
    });
  }
  lsp = await startClient(`vscode-vfs://github${dir}`, __dirname, { scope: 'workspace' });
});

after(async () => {
  await lsp.close();
  for (const r of restore) r();
  fs.rmSync(dir, { recursive: true });
});

test('a vscode-vfs document is analysed from its text, with every rule and no project on disk', async () => {
  const uri = `vscode-vfs://github${dir}/tests/test_kpi.py`;
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text: KPI },
  });
  const items = await lsp.pull(uri);
  // not narrowed to XT020 by the pyproject.toml on disk, not silenced by its DummyCache settings
  assert.deepEqual(
    items.map(d => d.code),
    ['XT001', 'XT002'],
  );
  assert.doesNotMatch(items[0]!.message as string, /DummyCache|shop\.settings/);
  const [fix] = (await lsp.rpc.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: items[0]!.range,
    context: { diagnostics: items },
  })) as { edit?: { changes?: Record<string, unknown> } }[];
  assert.ok(fix?.edit?.changes?.[uri], 'the fix edits the virtual document');
});

test('nothing under the local directory of the same path was read, listed or scanned', async () => {
  await lsp.rpc.sendRequest('workspace/executeCommand', { command: 'crosstalk.scanWorkspace', arguments: [] });
  await lsp.rpc.sendRequest('workspace/executeCommand', {
    command: 'crosstalk.isolateCacheForEveryTest',
    arguments: [],
  });
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', {
    changes: [{ uri: `vscode-vfs://github${dir}/tests/test_on_disk.py`, type: 2 }],
  });
  await lsp.pull(`vscode-vfs://github${dir}/tests/test_kpi.py`);
  assert.deepEqual([...touched], []);
  assert.deepEqual(
    [...lsp.published.keys()].filter(u => u.includes(path.basename(dir))),
    [],
    'no diagnostics pushed for files on disk',
  );
});

test('the manifest declares both: untrusted and virtual workspaces are supported', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, true);
  assert.equal(manifest.capabilities.virtualWorkspaces.supported, true);
});

test('nothing in the server or the CLI can run code: no child processes, no vm, no eval (worker threads run our own bundle)', () => {
  const sources: string[] = [];
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) visit(path.join(d, e.name));
      else if (e.name.endsWith('.ts')) sources.push(path.join(d, e.name));
    }
  };
  visit(path.join(ROOT, 'server/src'));
  assert.ok(sources.length > 30);
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /['"](node:)?(child_process|vm)['"]|\beval\(|new Function\(/, path.relative(ROOT, file));
  }
});
