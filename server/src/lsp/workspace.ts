// The workspace on disk: files that change under the editor, and the scan that pushes diagnostics for
// closed test files (in workspace scope, or for files that carry pushed diagnostics already).
import { pathToFileURL } from 'url';
import { DidChangeWatchedFilesNotification, FileChangeType } from 'vscode-languageserver';
import { settingsModuleToCheck } from '../host/analyse';
import { projectOf, pushDiagnostics, refreshDiagnostics } from './diagnostics';
import { configFor, configWith, loadConfigs, rootOf, settingsFor } from './settings';
import type { ServerState } from './state';
import { isFileUri, uriPath } from './toProto';

/** files analysed between progress reports during a scan */
const SCAN_SLICE = 16;
/**
 * The longest a scan runs before it yields to the event loop, so requests are served in between:
 * each message takes one turn of the loop, and 16 files can take a second on a busy machine.
 */
const SCAN_SLICE_MS = 25;

export function registerWorkspace(state: ServerState): void {
  const { connection } = state;
  connection.onInitialized(() => {
    loadConfigs(state);
    void scanIfWorkspaceScope(state);
    if (!state.client.watchFiles) return;
    // configuration, and any Python file: settings, base classes and conftest.py shape the analysis
    connection.client
      .register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/{pyproject.toml,pytest.ini,setup.cfg,tox.ini}' }, { globPattern: '**/*.py' }],
      })
      .catch(() => undefined);
  });
  connection.onDidChangeWatchedFiles(({ changes }) => {
    if (changes.some(c => c.uri.endsWith('/pyproject.toml'))) loadConfigs(state);
    state.invalidate({ kind: 'files' });
    refreshDiagnostics(state);
    // closed files: a changed test module is analysed again; a deleted one loses its diagnostics; a
    // change anywhere else (settings, a base class, conftest.py, configuration) can affect them all
    const files = changes
      .filter(c => isFileUri(c.uri))
      .map(c => ({ file: uriPath(c.uri), deleted: c.type === FileChangeType.Deleted }));
    for (const { file, deleted } of files) {
      const uri = file && pathToFileURL(file).href;
      if (deleted && uri && state.pushed.delete(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
    }
    const tests = files.flatMap(({ file, deleted }) =>
      file?.endsWith('.py') && !file.endsWith('conftest.py') && configFor(state, file).isTestFile(file)
        ? [{ file, deleted }]
        : [],
    );
    void scanIfWorkspaceScope(
      state,
      tests.length === files.length ? tests.filter(f => !f.deleted).map(f => f.file) : undefined,
    );
  });
}

/** In workspace scope (or when files already carry pushed diagnostics), analyse closed test files and push. */
export async function scanIfWorkspaceScope(state: ServerState, only?: string[]): Promise<void> {
  const scoped = await Promise.all(state.workspaceRoots.map(r => settingsFor(state, pathToFileURL(r).href)));
  if (scoped.some(s => s.scope === 'workspace')) await scanWorkspace(state, 'Checking test files', only);
  else if (only)
    await scanWorkspace(
      state,
      'Checking test files',
      only.filter(f => state.pushed.has(pathToFileURL(f).href)),
    );
  else clearPushed(state);
}

function clearPushed(state: ServerState): void {
  for (const uri of state.pushed) void state.connection.sendDiagnostics({ uri, diagnostics: [] });
  state.pushed.clear();
}

/**
 * Analyses every closed test file of the workspace (or `only` those), one at a time: read, parse,
 * lint, free the tree, push the diagnostics. Yields to the event loop between slices so the editor's
 * requests are answered during a scan; a newer scan, or the user cancelling the progress, stops it.
 */
export async function scanWorkspace(
  state: ServerState,
  title: string,
  only?: string[],
): Promise<{ files: number; findings: number; ms: number }> {
  const { connection } = state;
  const generation = ++state.scanGeneration;
  const started = Date.now();
  const { projects } = await state.ready();
  const rootSettings = await Promise.all(
    state.workspaceRoots.map(root => settingsFor(state, pathToFileURL(root).href)),
  );
  const files =
    only ??
    state.workspaceRoots.flatMap((root, i) => {
      const isTestFile = (f: string) => configWith(state, f, rootSettings[i]).isTestFile(f);
      const tests = state.files.walkTestFiles(root, isTestFile, () => undefined);
      // and the settings module each project's test run loads, for the rules about test configuration
      const settings = new Set(
        [...new Set(tests.map(f => projectOf(state, projects, f)))].map(
          p => p && settingsModuleToCheck(p, root, isTestFile),
        ),
      );
      return [...tests, ...[...settings].filter((f): f is string => !!f)];
    });
  const progress =
    state.client.progress && files.length > 1
      ? await connection.window.createWorkDoneProgress().catch(() => null)
      : null;
  progress?.begin('Crosstalk', 0, title, true);
  let findings = 0,
    done = 0,
    slice = Date.now();
  try {
    for (const file of files) {
      if (generation !== state.scanGeneration || progress?.token.isCancellationRequested) break;
      const uri = pathToFileURL(file).href;
      if (!state.documents.get(uri)) {
        findings += await pushDiagnostics(
          state,
          file,
          uri,
          await settingsFor(state, pathToFileURL(rootOf(state, file) ?? file).href),
        );
      }
      if (++done % SCAN_SLICE === 0)
        progress?.report(Math.round((100 * done) / files.length), `${done} of ${files.length} test files`);
      if (Date.now() - slice >= SCAN_SLICE_MS) {
        await new Promise(resolve => setImmediate(resolve));
        slice = Date.now();
      }
    }
  } finally {
    progress?.done();
  }
  if (!only)
    connection.console.info(
      `${title}: ${done} of ${files.length} test files analysed, ${findings} findings, ${Date.now() - started} ms`,
    );
  return { files: done, findings, ms: Date.now() - started };
}
