// Runs inside the VS Code extension host (extensionTestsPath). Deliberately tiny: a list of async
// tests, polled (never fixed sleeps: diagnostics and code actions arrive asynchronously).
const assert = require('assert');
const vscode = require('vscode');

const sleep = ms => new Promise(r => setTimeout(r, ms));
async function poll(what, fn, timeoutMs = 30000) {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const codeOf = d => (typeof d.code === 'object' ? d.code.value : d.code);
const diagnostics = (uri, code) =>
  vscode.languages.getDiagnostics(uri).filter(d => d.source === 'crosstalk' && codeOf(d) === code);

async function open(relative) {
  const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, relative);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  return { uri, doc };
}

/** Waits for `code` on `uri`, applies the quick fix whose title starts with `title`, waits for it to go. */
async function applyQuickFix(uri, code, title) {
  const [diag] = await poll(`${code} on ${uri.path}`, () => {
    const d = diagnostics(uri, code);
    return d.length && d;
  });
  const action = await poll(`the "${title}" quick fix`, async () => {
    const actions = await vscode.commands.executeCommand(
      'vscode.executeCodeActionProvider',
      uri,
      diag.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    return actions.find(a => a.title.startsWith(title));
  });
  assert.ok(await vscode.workspace.applyEdit(action.edit), 'the edit applies');
  await poll(`${code} to disappear after the fix`, () => diagnostics(uri, code).length === 0);
  return diag;
}

/** A read-only file system in memory, standing in for a virtual workspace's provider (GitHub's vscode-vfs). */
class MemoryFs {
  constructor(files) {
    this.files = files;
    this.onDidChangeFile = new vscode.EventEmitter().event;
  }
  watch() {
    return new vscode.Disposable(() => {});
  }
  stat(uri) {
    const file = this.files.get(uri.path);
    if (file) return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: file.length };
    if ([...this.files.keys()].some(p => p.startsWith(`${uri.path.replace(/\/$/, '')}/`)))
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    throw vscode.FileSystemError.FileNotFound(uri);
  }
  readDirectory() {
    return [];
  }
  readFile(uri) {
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file;
  }
  createDirectory() {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
  writeFile() {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
  delete() {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
  rename() {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
}
let virtualFs;

const tests = {
  async 'XT001 on a DRF throttling test, fixed with @override_settings(CACHES=...)'() {
    const { uri, doc } = await open('tests/test_throttling.py');
    const diag = await applyQuickFix(uri, 'XT001', 'Crosstalk (XT001): Give LoginThrottleTests its own LocMem cache');
    assert.equal(diag.range.start.line, 4);
    assert.match(diag.message, /DRF throttling/);
    const text = doc.getText();
    assert.match(text, /^from django\.test import TestCase, override_settings$/m, 'import merged');
    assert.match(
      text,
      /^@override_settings\(\n {4}CACHES=\{\n {8}"default": \{\n {12}"BACKEND": "django\.core\.cache\.backends\.locmem\.LocMemCache",\n {12}"LOCATION": "tests\.test_throttling\.LoginThrottleTests",\n {8}\},\n {4}\},\n\)\nclass LoginThrottleTests\(TestCase\):$/m,
    );
  },

  async 'XT010 on an inline model, fixed with @isolate_apps'() {
    const { uri, doc } = await open('tests/test_models.py');
    const diag = await applyQuickFix(
      uri,
      'XT010',
      // unsafe: the workspace has migration tests, which read the app registry
      'Crosstalk (XT010): Wrap test_verbose_name in @isolate_apps("analytics") (unsafe)',
    );
    assert.equal(diag.range.start.line, 6);
    const text = doc.getText();
    assert.match(text, /^from django\.test\.utils import isolate_apps$/m, 'import added');
    assert.match(text, /\n {4}@isolate_apps\("analytics"\)\n {4}def test_verbose_name\(self\):/);
  },

  async 'source.fixAll.crosstalk renames every removed xdist name'() {
    const { uri, doc } = await open('tests/test_cleanup.py');
    await poll('XT030 diagnostics', () => diagnostics(uri, 'XT030').length === 4);
    // The diagnostics can come from the workspace scan before the server has the document open, so
    // the first request may find nothing to fix: ask until it is offered, as applyQuickFix does.
    let offered = [];
    const fixAll = await poll('the fix-all action', async () => {
      const actions = await vscode.commands.executeCommand(
        'vscode.executeCodeActionProvider',
        uri,
        new vscode.Range(0, 0, doc.lineCount, 0),
        'source.fixAll.crosstalk',
      );
      offered = actions.map(a => a.title);
      return actions.find(a => a.kind && a.kind.value === 'source.fixAll.crosstalk');
    }).catch(e => assert.fail(`${e.message} (last offered: ${offered.join(', ') || 'nothing'})`));
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit));
    assert.doesNotMatch(doc.getText(), /slave/);
    assert.match(doc.getText(), /config\.workerinput\["workerid"\]/);
    await poll('XT030 to disappear', () => diagnostics(uri, 'XT030').length === 0);
  },

  async 'a base class in another file that isolates the cache makes the squiggle go away'() {
    const { uri, doc } = await open('tests/test_inherit.py');
    const [diag] = await poll('XT001 on ProfileTests', () => {
      const d = diagnostics(uri, 'XT001');
      return d.length && d;
    });
    assert.match(diag.message, /the default cache is django_redis\.cache\.RedisCache/, 'the settings were read');
    const edit = new vscode.WorkspaceEdit();
    for (const m of doc.getText().matchAll(/PlainTestCase/g)) {
      edit.replace(
        uri,
        new vscode.Range(doc.positionAt(m.index), doc.positionAt(m.index + m[0].length)),
        'IsolatedTestCase',
      );
    }
    assert.ok(await vscode.workspace.applyEdit(edit));
    await poll(
      'XT001 to disappear once the base (tests/base.py) isolates the cache',
      () => diagnostics(uri, 'XT001').length === 0,
    );
  },

  async 'a virtual document (vscode-vfs://, a repository opened without a clone) is analysed from its text'() {
    const uri = vscode.Uri.parse('vscode-vfs://crosstalk-e2e/tests/test_virtual.py');
    virtualFs ??= vscode.workspace.registerFileSystemProvider(
      'vscode-vfs',
      new MemoryFs(
        new Map([[uri.path, Buffer.from('import os\n\n\ndef test_listing():\n    assert os.listdir("/tmp") == []\n')]]),
      ),
      { isCaseSensitive: true },
    );
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'python');
    const [diag] = await poll('XT020 on the virtual document', () => {
      const d = diagnostics(uri, 'XT020');
      return d.length && d;
    });
    assert.equal(diag.range.start.line, 4);
  },

  async 'XT003: one autouse fixture in conftest.py isolates every test of the project'() {
    const { uri } = await open('tests/test_reports.py');
    const [diag] = await poll('XT003', () => {
      const d = diagnostics(uri, 'XT003');
      return d.length && d;
    });
    assert.equal(diagnostics(uri, 'XT001').length, 1, 'the test itself is flagged too');
    const action = await poll('the project-wide quick fix', async () => {
      const actions = await vscode.commands.executeCommand(
        'vscode.executeCodeActionProvider',
        uri,
        diag.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      return actions.find(a => a.title.startsWith('Crosstalk (XT003)'));
    });
    // The edit creates conftest.py and asks for confirmation (a preview). Nobody can click here, so the
    // same changes are applied without the confirmation step, then saved for the server to read.
    const entries = action.edit.entries();
    const conftest = vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'conftest.py');
    assert.deepEqual(
      entries.map(([u]) => u.path),
      [conftest.path],
    );
    const plain = new vscode.WorkspaceEdit();
    plain.createFile(conftest, { ignoreIfExists: true });
    for (const [u, edits] of entries) for (const e of edits) plain.insert(u, e.range.start, e.newText);
    assert.ok(await vscode.workspace.applyEdit(plain));
    const conftestDoc = await vscode.workspace.openTextDocument(conftest);
    assert.ok(await conftestDoc.save(), 'conftest.py saved, for the server to read from disk');
    const text = conftestDoc.getText();
    assert.match(text, /^import pytest\n/);
    assert.match(text, /@pytest\.fixture\(autouse=True\)\ndef _crosstalk_isolated_cache\(settings, request\):/);
    await poll(
      'XT001 and XT003 to disappear everywhere',
      () => diagnostics(uri, 'XT003').length === 0 && diagnostics(uri, 'XT001').length === 0,
      60000,
    );
  },

  async 'the commands are in the palette; Restart server brings the diagnostics back'() {
    const commands = await vscode.commands.getCommands(true);
    const wanted = [
      'crosstalk.scanWorkspace',
      'crosstalk.fixAllInFile',
      'crosstalk.showOutput',
      'crosstalk.restartServer',
      'crosstalk.isolateCacheForEveryTest',
    ];
    assert.deepEqual(
      wanted.filter(c => !commands.includes(c)),
      [],
      'registered',
    );
    const contributed = vscode.extensions
      .getExtension('crosstalk.crosstalk')
      .packageJSON.contributes.commands.map(c => c.command);
    assert.deepEqual(
      wanted.filter(c => !contributed.includes(c)),
      [],
      'contributed to the palette',
    );
    await vscode.commands.executeCommand('crosstalk.restartServer');
    const { uri } = await open('tests/test_cleanup.py');
    await poll('XT030 after the restart', () => diagnostics(uri, 'XT030').length === 4);
  },

  async "crosstalk.severity turns XT030 errors into information; the hover shows the rule's docs"() {
    const { uri } = await open('tests/test_cleanup.py');
    const [first] = await poll('XT030 errors', () => {
      const d = diagnostics(uri, 'XT030');
      return d.length === 4 && d;
    });
    assert.equal(first.severity, vscode.DiagnosticSeverity.Error, "the rule's default");
    const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, first.range.start);
    const text = hovers
      .flatMap(h => h.contents)
      .map(c => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(text, /\*\*XT030 xdist-legacy-api\*\*/);
    assert.match(text, /pytest-dev\/pytest-xdist\/issues\/579/, 'the incident link');
    const config = vscode.workspace.getConfiguration('crosstalk');
    await config.update('severity', { XT030: 'info' }, vscode.ConfigurationTarget.Workspace);
    try {
      await poll(
        'XT030 as information',
        () =>
          diagnostics(uri, 'XT030').length === 4 &&
          diagnostics(uri, 'XT030').every(d => d.severity === vscode.DiagnosticSeverity.Information),
      );
    } finally {
      await config.update('severity', undefined, vscode.ConfigurationTarget.Workspace);
    }
  },

  async 'Crosstalk: Fix all in file applies the safe fixes to the active editor'() {
    const { uri, doc } = await open('tests/test_cleanup.py');
    await poll('XT030 diagnostics', () => diagnostics(uri, 'XT030').length === 4);
    await vscode.commands.executeCommand('crosstalk.fixAllInFile');
    await poll('the renames', () => !/slave/.test(doc.getText()));
    await poll('XT030 to disappear', () => diagnostics(uri, 'XT030').length === 0);
  },
};

exports.run = async function run() {
  let passed = 0,
    failed = 0;
  for (const [name, test] of Object.entries(tests)) {
    const start = Date.now();
    try {
      await test();
      passed++;
      console.log(`  ✔ ${name} (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      console.log(`  ✖ ${name}\n${(e && e.stack) || e}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert').then(undefined, () => {});
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  }
  console.log(`VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} workbench`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  if (failed) throw new Error(`${failed} end-to-end test(s) failed`);
};
