// End-to-end: the built extension in a real VS Code (see codeWebShim.js), through
// @vscode/test-electron's runTests with vscodeExecutablePath pointing at the shim.
// With --vsix, the extension is the packaged one (`npm run package`), unpacked: what a user installs.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { runTests } = require('@vscode/test-electron');
const vscode = require('./vscode');

const ROOT = path.resolve(__dirname, '../..');
const { name, version } = require('../../package.json');

(async () => {
  if (!fs.existsSync(path.join(vscode.vscodeDir(), '.complete'))) {
    console.error(`test:e2e: no offline VS Code in ${vscode.vscodeDir()}; run: npm run setup`);
    process.exit(2);
  }
  let extension = ROOT,
    unpacked = null;
  if (process.argv.includes('--vsix')) {
    const vsix = path.join(ROOT, `${name}-${version}.vsix`);
    if (!fs.existsSync(vsix)) {
      console.error(`test:e2e: no ${path.basename(vsix)}; run: npm run package`);
      process.exit(2);
    }
    unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-e2e-vsix-'));
    // VS Code installs it as a user would (this checks the manifest and engines.vscode against 1.139)...
    const install = spawnSync(
      vscode.node24(),
      [
        vscode.codeServer(),
        '--extensions-dir',
        `${unpacked}/installed`,
        '--user-data-dir',
        `${unpacked}/user-data`,
        '--config',
        `${unpacked}/config.yaml`,
        '--install-extension',
        vsix,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, XDG_CONFIG_HOME: `${unpacked}/xdg`, XDG_DATA_HOME: `${unpacked}/xdg` },
      },
    );
    if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
      console.error(`test:e2e: VS Code did not install ${path.basename(vsix)}:\n${install.stdout}${install.stderr}`);
      process.exit(1);
    }
    // ...and the tests run the unpacked .vsix as the extension under development
    await require('../../scripts/package.js').unzip(vsix, unpacked);
    extension = path.join(unpacked, 'extension');
    console.log(`e2e: the packaged extension, ${path.basename(vsix)}, installed by VS Code and run from its contents`);
  }
  if (!fs.existsSync(path.join(extension, 'server/out/server.js'))) {
    console.error('test:e2e: the extension is not built; run: npm run build');
    process.exit(2);
  }
  // a fresh copy per run: the tests edit files (and code-server may save them)
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-e2e-ws-'));
  fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true });
  const started = Date.now();
  try {
    await runTests({
      vscodeExecutablePath: path.join(__dirname, 'codeWebShim.js'),
      extensionDevelopmentPath: extension,
      extensionTestsPath: path.join(__dirname, 'suite/index.js'),
      launchArgs: [workspace],
    });
    console.log(`e2e: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    fs.rmSync(workspace, { recursive: true, force: true });
    if (unpacked) fs.rmSync(unpacked, { recursive: true, force: true });
  } catch (e) {
    console.error(
      `e2e: failed after ${((Date.now() - started) / 1000).toFixed(1)} s: ${e.message || e} (workspace kept in ${workspace})`,
    );
    process.exit(1);
  }
})();
