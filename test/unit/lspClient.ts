// An in-process language server and a JSON-RPC client talking to it over a pair of streams.
import { PassThrough } from 'node:stream';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import { createConnection } from 'vscode-languageserver/node';
import { nodeFiles } from '../../server/src/host/nodeFiles';
import { startServer } from '../../server/src/lsp/server';

export interface TestClient {
  rpc: MessageConnection;
  /** the configuration the client answers `workspace/configuration` with */
  settings: Record<string, unknown>;
  /** the latest pushed diagnostics per URI (pyproject.toml problems) */
  published: Map<string, Diagnostic[]>;
  pull(uri: string): Promise<Diagnostic[]>;
  close(): Promise<void>;
}

export async function startClient(
  rootUri: string,
  wasmDir: string,
  settings: Record<string, unknown> = {},
): Promise<TestClient> {
  const up = new PassThrough(),
    down = new PassThrough();
  startServer(createConnection(new StreamMessageReader(up), new StreamMessageWriter(down)), {
    wasmDir,
    files: nodeFiles,
  });
  const rpc = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const client: TestClient = {
    rpc,
    settings,
    published: new Map(),
    async pull(uri) {
      return ((await rpc.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] })
        .items;
    },
    async close() {
      await rpc.sendRequest('shutdown');
      rpc.dispose();
    },
  };
  rpc.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => client.settings));
  rpc.onRequest('workspace/diagnostic/refresh', () => null);
  rpc.onRequest('client/registerCapability', () => null);
  rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    client.published.set(p.uri, p.diagnostics);
  });
  rpc.listen();
  await rpc.sendRequest('initialize', {
    processId: null,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    capabilities: {
      workspace: {
        configuration: true,
        diagnostics: { refreshSupport: true },
        didChangeWatchedFiles: { dynamicRegistration: true },
      },
      textDocument: { diagnostic: {} },
    },
  });
  await rpc.sendNotification('initialized', {});
  return client;
}
