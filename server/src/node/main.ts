// The only module that touches the Node transport. VS Code's client starts this over IPC; `crosstalk
// server` (bin/crosstalk.js) loads it with --stdio for every other editor. The transport is read from argv.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { nodeFiles } from '../host/nodeFiles';
import { startServer } from '../lsp/server';

const connection = createConnection(ProposedFeatures.all);
// Node ends the process on an unhandled rejection, and the editor would lose its server for a
// notification that failed: log it instead (the tests run the server in-process, where it still fails them)
process.on('unhandledRejection', e =>
  connection.console.error(`crosstalk: unexpected: ${(e as Error)?.stack ?? String(e)}`),
);
startServer(connection, { files: nodeFiles });
