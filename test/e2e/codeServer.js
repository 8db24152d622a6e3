// A real VS Code for scripts: code-server's server and web workbench (Node extension host) from the
// offline install (vscode.js), opened in Debian's headless chromium through playwright-core. Used by
// the e2e shim (codeWebShim.js) and by `npm run screenshots`. See shared/reference/vscode-e2e/README.md.
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { chromium } = require('playwright-core');
const vscode = require('./vscode');

// No AI features (they add their own "Fix" code actions), no network, no auto-save (edits stay in memory).
const SETTINGS = {
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.startupEditor': 'none',
  'files.autoSave': 'off',
  'git.enabled': false,
  'github.gitAuthentication': false,
};
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

const freePort = () =>
  new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * Starts code-server on `folder` with everything it writes under `tmp` (code-server and chromium
 * would otherwise write config, caches and crash dumps into $HOME), and chromium. Returns the server,
 * the browser, the XDG environment and `url(payload)`, the workbench address with a payload such as
 * [['extensionDevelopmentPath', dir]] (paths are made vscode-remote URIs).
 */
async function launch({ folder, tmp, settings = {} }) {
  const XDG = {
    XDG_CONFIG_HOME: `${tmp}/xdg-config`,
    XDG_DATA_HOME: `${tmp}/xdg-data`,
    XDG_CACHE_HOME: `${tmp}/xdg-cache`,
  };
  const port = await freePort();
  const userData = `${tmp}/user-data`;
  fs.mkdirSync(`${userData}/User`, { recursive: true });
  fs.writeFileSync(`${userData}/User/settings.json`, JSON.stringify({ ...SETTINGS, ...settings }, null, 2));
  const server = spawn(
    vscode.node24(),
    [
      vscode.codeServer(),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      userData,
      '--extensions-dir',
      `${tmp}/extensions`,
      '--config',
      `${tmp}/config.yaml`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      // without the smoke-test driver the extension development and test paths are silently ignored
      '--ignore-last-opened',
      '--vscode-option',
      'enable-smoke-test-driver',
      folder,
    ],
    { env: { ...process.env, ...XDG, EXTENSIONS_GALLERY: '{}' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = fs.createWriteStream(`${tmp}/server.log`);
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  await new Promise((resolve, reject) => {
    let out = '';
    const onData = d => {
      out += d;
      if (/HTTP server listening/.test(out)) resolve();
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', code => reject(new Error(`code-server exited ${code}\n${out}`)));
    setTimeout(() => reject(new Error('code-server did not start in 60 s')), 60000);
  });
  const browser = await chromium
    .launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      env: { ...process.env, ...XDG },
      args: CHROMIUM_ARGS,
    })
    .catch(e => {
      server.kill('SIGTERM');
      throw e;
    });
  const host = `127.0.0.1:${port}`;
  const url = payload => {
    const remote = payload.map(([k, v]) => [k, /Path$/.test(k) ? `vscode-remote://${host}${path.resolve(v)}` : v]);
    return `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(remote))}`;
  };
  const close = async () => {
    await browser.close().catch(() => {});
    server.kill('SIGTERM');
    await new Promise(r => {
      server.once('exit', r);
      setTimeout(r, 5000);
    });
  };
  return { server, browser, url, close };
}

module.exports = { launch };
