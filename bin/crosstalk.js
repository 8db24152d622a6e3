#!/usr/bin/env node
// The CLI runs the language server's engine, bundled into server/out/cli.js (`npm run build`).
// `crosstalk server` is the language server itself: the bundle VS Code starts (server/out/server.js),
// here over stdio for any other editor. It is loaded in this process, not spawned: nothing to find
// on PATH, and the server's transport comes from argv as vscode-languageserver reads it.
if (process.argv[2] === 'server') {
  const transport = /^--(stdio|node-ipc|socket|pipe)\b/;
  const rest = process.argv.slice(3);
  process.argv.splice(2, Infinity, ...rest, ...(rest.some(a => transport.test(a)) ? [] : ['--stdio']));
  require('../server/out/server.js');
} else {
  require('../server/out/cli.js').run();
}
