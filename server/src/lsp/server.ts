// The language server: wiring only. Each feature registers its handlers on the connection over one
// state object (state.ts); node/main.ts hands over the connection and this machine's files.
import { CodeActionKind, TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver';
import type { FileAccess } from '../host/files';
import { registerCodeActions, FIX_ALL_KIND } from './codeActions';
import { COMMANDS, registerCommands } from './commands';
import { clearPushedOpen, refreshDiagnostics, registerDiagnostics, schedulePush } from './diagnostics';
import { registerHover } from './hover';
import { ServerState } from './state';
import { isFileUri, uriPath } from './toProto';
import { registerWorkspace, scanIfWorkspaceScope } from './workspace';

export interface ServerOptions {
  /** how the server reads files: this machine's (node/main.ts), or another (tests) */
  files: FileAccess;
  /** the directory holding the parser's .wasm files; default: next to the bundle */
  wasmDir?: string;
}

export function startServer(connection: Connection, options: ServerOptions): void {
  const state = new ServerState(connection, options.files, options.wasmDir);

  connection.onInitialize((params): InitializeResult => {
    const { workspace, window, textDocument } = params.capabilities;
    state.client = {
      configuration: !!workspace?.configuration,
      watchFiles: !!workspace?.didChangeWatchedFiles?.dynamicRegistration,
      progress: !!window?.workDoneProgress,
      pullDiagnostics: !!textDocument?.diagnostic,
    };
    const folders = params.workspaceFolders?.map(f => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    // only file: folders are on this disk: a virtual one (vscode-vfs://) is known by its open documents alone
    state.workspaceRoots = folders
      .filter(isFileUri)
      .map(uriPath)
      .filter((p): p is string => p !== null);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        // offered only to a client that pulls: any other gets them pushed (diagnostics.ts)
        ...(state.client.pullDiagnostics && {
          diagnosticProvider: { interFileDependencies: false, workspaceDiagnostics: false },
        }),
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        executeCommandProvider: { commands: COMMANDS },
        hoverProvider: true,
      },
      serverInfo: { name: 'crosstalk' },
    };
  });

  connection.onDidOpenTextDocument(({ textDocument: d }) => {
    state.documents.didOpen(d.uri, d.languageId, d.version, d.text);
    const scanned = state.pushed.delete(d.uri);
    // the open document's own diagnostics replace those a scan pushed from disk: pushed over them, or
    // (pulled) dropped so that they are not shown twice
    if (!state.client.pullDiagnostics) schedulePush(state, d.uri, 0);
    else if (scanned) void connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
  });
  connection.onDidChangeTextDocument(({ textDocument: d, contentChanges }) => {
    state.documents.didChange(d.uri, d.version, contentChanges);
    if (!state.client.pullDiagnostics) schedulePush(state, d.uri);
  });
  connection.onDidCloseTextDocument(({ textDocument: { uri } }) => {
    state.documents.didClose(uri);
    state.invalidate({ kind: 'closed', uri });
    clearPushedOpen(state, uri);
    const file = uriPath(uri);
    // back on disk: pushed again in workspace scope
    if (file && isFileUri(uri)) void scanIfWorkspaceScope(state, [file]);
  });
  connection.onDidChangeConfiguration(() => {
    state.invalidate({ kind: 'settings' });
    refreshDiagnostics(state);
    void scanIfWorkspaceScope(state);
  });

  registerWorkspace(state);
  registerDiagnostics(state);
  registerHover(state);
  registerCodeActions(state);
  registerCommands(state);

  connection.onShutdown(() => state.dispose());
  connection.listen();
}
