#!/usr/bin/env node
// The CLI runs the language server's engine, bundled into server/out/cli.js (`npm run build`).
require('../server/out/cli.js').run();
