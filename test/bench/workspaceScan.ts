// Measures a workspace-scope scan through the in-process language server, as an editor would run it:
//   node test/out/bench/workspaceScan.js <folder>
// Prints the files checked, the findings, the wall time and the server's resident memory after the scan.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startClient } from '../unit/lspClient';

(async () => {
  const folder = path.resolve(process.argv[2] ?? '.');
  const lsp = await startClient(pathToFileURL(folder).href, path.join(__dirname, '../unit'), { scope: 'openFiles' });
  const result = await lsp.rpc.sendRequest('workspace/executeCommand', { command: 'crosstalk.scanWorkspace', arguments: [] }) as { files: number; findings: number; ms: number };
  global.gc?.();
  const rss = process.memoryUsage().rss / 1024 / 1024;
  console.log(`workspace scan: ${result.files} test files, ${result.findings} findings, ${(result.ms / 1000).toFixed(1)} s, RSS after ${rss.toFixed(0)} MB (${folder})`);
  await lsp.close();
})();
