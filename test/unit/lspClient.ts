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
  /** the latest pushed diagnostics per URI (pyproject.toml problems; open documents for a client that cannot pull) */
  published: Map<string, Diagnostic[]>;
  /** every publishDiagnostics received, in order */
  pushes: PublishDiagnosticsParams[];
  /** how many workspace/configuration requests the server sent */
  configurationRequests: number;
  /** the server's answer to initialize */
  capabilities: Record<string, unknown>;
  pull(uri: string): Promise<Diagnostic[]>;
  close(): Promise<void>;
}

/** What the client declares; by default, what VS Code does that matters here: it pulls, it has settings. */
export interface ClientOptions {
  pullDiagnostics?: boolean;
  configuration?: boolean;
}

export async function startClient(
  rootUri: string,
  wasmDir: string,
  settings: Record<string, unknown> = {},
  { pullDiagnostics = true, configuration = true }: ClientOptions = {},
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
    pushes: [],
    configurationRequests: 0,
    capabilities: {},
    async pull(uri) {
      return ((await rpc.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] })
        .items;
    },
    async close() {
      await rpc.sendRequest('shutdown');
      rpc.dispose();
    },
  };
  rpc.onRequest('workspace/configuration', (params: { items: unknown[] }) => {
    client.configurationRequests++;
    return params.items.map(() => client.settings);
  });
  rpc.onRequest('workspace/diagnostic/refresh', () => null);
  rpc.onRequest('client/registerCapability', () => null);
  rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    client.published.set(p.uri, p.diagnostics);
    client.pushes.push(p);
  });
  rpc.listen();
  const initialized = (await rpc.sendRequest('initialize', {
    processId: null,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    capabilities: {
      workspace: {
        configuration,
        diagnostics: { refreshSupport: pullDiagnostics },
        didChangeWatchedFiles: { dynamicRegistration: true },
      },
      textDocument: pullDiagnostics ? { diagnostic: {} } : {},
    },
  })) as { capabilities: Record<string, unknown> };
  client.capabilities = initialized.capabilities;
  await rpc.sendNotification('initialized', {});
  return client;
}
