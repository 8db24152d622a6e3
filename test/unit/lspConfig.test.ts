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
const HAZARD = 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n    os.environ["A"] = "1"\n';
const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(check(), what);
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-lsp-config-'));
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.crosstalk]\nignore = ["XT050"]\nselect = "XT020"\n\n[tool.crosstalk.severity]\nXT020 = "error"\n');
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
  await lsp.rpc.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: HAZARD } });
  assert.deepEqual((await lsp.pull(uri)).map(d => [d.code, d.severity]), [['XT020', 1]], 'XT050 ignored, XT020 an error');
});

test('a changed pyproject.toml is read again', async () => {
  const pyproject = path.join(dir, 'pyproject.toml');
  fs.writeFileSync(pyproject, '[tool.crosstalk]\nignore = ["XT020"]\n');
  await lsp.rpc.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(pyproject).href, type: 2 }] });
  const uri = pathToFileURL(path.join(dir, 'tests/test_a.py')).href;
  assert.deepEqual((await lsp.pull(uri)).map(d => d.code), ['XT050']);
  await until('problems cleared', () => lsp.published.get(pathToFileURL(pyproject).href)?.length === 0);
});
