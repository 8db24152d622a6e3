// Measures a workspace scan by the language server running as its own process, as an editor runs it:
//   node test/out/bench/workspaceScan.js <folder>
// Prints the files checked, the findings, the wall time and the server process's resident memory
// (VmRSS) after the scan: the client here (and the diagnostics it receives) is not counted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const SERVER = path.resolve(__dirname, '../../../server/out/server.js'); // from test/out/bench

(async () => {
  const folder = path.resolve(process.argv[2] ?? '.');
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('exit', code => {
    if (code) {
      console.error(`workspace scan: the server exited ${code}`);
      process.exit(1);
    }
  });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  rpc.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
    params.items.map(() => ({ scope: 'openFiles' })),
  );
  rpc.onRequest('client/registerCapability', () => null);
  rpc.onRequest('workspace/diagnostic/refresh', () => null);
  let received = 0;
  rpc.onNotification('textDocument/publishDiagnostics', () => {
    received++;
  });
  rpc.listen();
  const rootUri = pathToFileURL(folder).href;
  await rpc.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'bench' }],
    capabilities: { workspace: { configuration: true } },
  });
  await rpc.sendNotification('initialized', {});
  const result = (await rpc.sendRequest('workspace/executeCommand', {
    command: 'crosstalk.scanWorkspace',
    arguments: [],
  })) as { files: number; findings: number; ms: number };
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  console.log(
    `workspace scan: ${result.files} test files, ${result.findings} findings, ${(result.ms / 1000).toFixed(1)} s, RSS after ${rss.toFixed(0)} MB (server process; ${received} files' diagnostics pushed) (${folder})`,
  );
  await rpc.sendRequest('shutdown');
  await rpc.sendNotification('exit');
  rpc.dispose();
  child.kill();
})();
