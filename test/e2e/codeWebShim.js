#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
// No desktop VS Code can be downloaded here, so this takes the arguments test-electron passes
// (--extensionDevelopmentPath=, --extensionTestsPath=, [folder]) and runs the tests in a real VS Code:
// code-server's server and web workbench (Node extension host), opened in Debian's headless chromium.
// Its exit code is the tests' result. See shared/reference/vscode-e2e/README.md for the pitfalls.
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const { launch } = require('./codeServer');

const argv = process.argv.slice(2);
const option = name => argv.filter(a => a.startsWith(`--${name}=`)).map(a => a.slice(name.length + 3));
const folder = path.resolve(argv.filter(a => !a.startsWith('--'))[0] || process.cwd());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-vscode-'));
// Workbench logs that arrive on the same console channel as the extension host's output.
const NOISE =
  /^\[|^(Resolving|Resolved) connection token|^Creating a socket|^Updating additional builtin|ENOTFOUND|authentication provider|An unknown error occurred|^Ignoring fetching additional builtin/;

(async () => {
  let vscodeWeb,
    code = 1,
    output = Promise.resolve();
  try {
    vscodeWeb = await launch({ folder, tmp });
    const page = await vscodeWeb.browser.newPage();
    const exited = new Promise(resolve => page.exposeFunction('codeAutomationExit', c => resolve(c)));
    await page.exposeFunction('codeAutomationLog', () => {});
    page.on('console', message => {
      output = output.then(async () => {
        const level = /^%c\s*(INFO|WARN|ERR|TRACE|DEBUG)\s+color: #\w+\s*/.exec(message.text());
        if (!level) return; // browser-level messages
        // arguments are ['%c LEVEL', 'color: ...', format, ...rest]: re-apply printf formatting
        const args = await Promise.all(message.args().map(a => a.jsonValue().catch(() => '?')));
        const text = args.length > 2 ? util.format(...args.slice(2)) : message.text().slice(level[0].length);
        if (process.env.SHIM_VERBOSE || ((level[1] === 'INFO' || level[1] === 'ERR') && !NOISE.test(text)))
          process.stdout.write(text + '\n');
      });
    });
    const payload = [
      ...option('extensionDevelopmentPath').map(p => ['extensionDevelopmentPath', p]),
      ['skipWelcome', 'true'],
    ];
    const tests = option('extensionTestsPath')[0];
    if (tests) payload.push(['extensionTestsPath', tests]);
    await page.goto(vscodeWeb.url(payload));
    const timeoutMs = Number(process.env.SHIM_TIMEOUT_MS || 180000);
    code = await Promise.race([exited, new Promise(r => setTimeout(() => r('timeout'), timeoutMs))]);
    if (code === 'timeout') {
      console.error(`codeWebShim: tests did not finish in ${timeoutMs} ms (server log: ${tmp}/server.log)`);
      code = 1;
    }
  } catch (e) {
    console.error('codeWebShim:', (e && e.stack) || e);
    code = 1;
  } finally {
    await output;
    if (vscodeWeb) await vscodeWeb.close();
    if (code === 0) fs.rmSync(tmp, { recursive: true, force: true });
    else console.error(`codeWebShim: logs kept in ${tmp}`);
  }
  process.exit(code);
})();
