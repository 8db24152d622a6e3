#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
// No desktop VS Code can be downloaded here, so this takes the arguments test-electron passes
// (--extensionDevelopmentPath=, --extensionTestsPath=, [folder]) and runs the tests in a real VS Code:
// code-server's server and web workbench (Node extension host), opened in Debian's headless chromium.
// Its exit code is the tests' result. See shared/reference/vscode-e2e/README.md for the pitfalls.
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const util = require('util');
const { chromium } = require('playwright-core');
const vscode = require('./vscode');

const argv = process.argv.slice(2);
const option = name => argv.filter(a => a.startsWith(`--${name}=`)).map(a => a.slice(name.length + 3));
const folder = path.resolve(argv.filter(a => !a.startsWith('--'))[0] || process.cwd());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-vscode-'));
// code-server and chromium would otherwise write config, caches and crash dumps into $HOME
const XDG = { XDG_CONFIG_HOME: `${tmp}/xdg-config`, XDG_DATA_HOME: `${tmp}/xdg-data`, XDG_CACHE_HOME: `${tmp}/xdg-cache` };
// No AI features (they add their own "Fix" code actions), no network, no auto-save (edits stay in memory).
const SETTINGS = {
  'chat.disableAIFeatures': true, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'workbench.startupEditor': 'none',
  'files.autoSave': 'off', 'git.enabled': false, 'github.gitAuthentication': false,
};
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
// Workbench logs that arrive on the same console channel as the extension host's output.
const NOISE = /^\[|^(Resolving|Resolved) connection token|^Creating a socket|^Updating additional builtin|ENOTFOUND|authentication provider|An unknown error occurred|^Ignoring fetching additional builtin/;

const freePort = () => new Promise(resolve => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function startCodeServer(port) {
  const userData = `${tmp}/user-data`;
  fs.mkdirSync(`${userData}/User`, { recursive: true });
  fs.writeFileSync(`${userData}/User/settings.json`, JSON.stringify(SETTINGS, null, 2));
  const server = spawn(vscode.node24(), [vscode.codeServer(), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userData, '--extensions-dir', `${tmp}/extensions`, '--config', `${tmp}/config.yaml`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    // without the smoke-test driver the extension development and test paths are silently ignored
    '--ignore-last-opened', '--vscode-option', 'enable-smoke-test-driver', folder],
  { env: { ...process.env, ...XDG, EXTENSIONS_GALLERY: '{}' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(`${tmp}/server.log`);
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  await new Promise((resolve, reject) => {
    let out = '';
    const onData = d => { out += d; if (/HTTP server listening/.test(out)) resolve(); };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', code => reject(new Error(`code-server exited ${code}\n${out}`)));
    setTimeout(() => reject(new Error('code-server did not start in 60 s')), 60000);
  });
  return server;
}

(async () => {
  let server, browser, code = 1, output = Promise.resolve();
  try {
    const port = await freePort();
    server = await startCodeServer(port);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, env: { ...process.env, ...XDG }, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const exited = new Promise(resolve => page.exposeFunction('codeAutomationExit', c => resolve(c)));
    await page.exposeFunction('codeAutomationLog', () => {});
    page.on('console', message => {
      output = output.then(async () => {
        const level = /^%c\s*(INFO|WARN|ERR|TRACE|DEBUG)\s+color: #\w+\s*/.exec(message.text());
        if (!level) return; // browser-level messages
        // arguments are ['%c LEVEL', 'color: ...', format, ...rest]: re-apply printf formatting
        const args = await Promise.all(message.args().map(a => a.jsonValue().catch(() => '?')));
        const text = args.length > 2 ? util.format(...args.slice(2)) : message.text().slice(level[0].length);
        if (process.env.SHIM_VERBOSE || ((level[1] === 'INFO' || level[1] === 'ERR') && !NOISE.test(text))) process.stdout.write(text + '\n');
      });
    });
    const host = `127.0.0.1:${port}`;
    const remote = p => `vscode-remote://${host}${path.resolve(p)}`;
    const payload = [...option('extensionDevelopmentPath').map(p => ['extensionDevelopmentPath', remote(p)]), ['skipWelcome', 'true']];
    const tests = option('extensionTestsPath')[0];
    if (tests) payload.push(['extensionTestsPath', remote(tests)]);
    await page.goto(`http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeoutMs = Number(process.env.SHIM_TIMEOUT_MS || 180000);
    code = await Promise.race([exited, new Promise(r => setTimeout(() => r('timeout'), timeoutMs))]);
    if (code === 'timeout') { console.error(`codeWebShim: tests did not finish in ${timeoutMs} ms (server log: ${tmp}/server.log)`); code = 1; }
  } catch (e) {
    console.error('codeWebShim:', (e && e.stack) || e);
    code = 1;
  } finally {
    await output;
    if (browser) await browser.close().catch(() => {});
    if (server) { server.kill('SIGTERM'); await new Promise(r => { server.once('exit', r); setTimeout(r, 5000); }); }
    if (code === 0) fs.rmSync(tmp, { recursive: true, force: true });
    else console.error(`codeWebShim: logs kept in ${tmp}`);
  }
  process.exit(code);
})();
