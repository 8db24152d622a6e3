// Grammar tests: the noqa injection grammar (package.json contributes.grammars) over the Python grammar
// of the VS Code the e2e suite runs (code-server ships VS Code's built-in MagicPython grammar), through
// vscode-tmgrammar-test, on the `# SYNTAX TEST "source.python"` files in this folder.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const vscode = require('../e2e/vscode');

const syntaxes = path.join(vscode.vscodeDir(), 'cs/node_modules/code-server/lib/vscode/extensions/python/syntaxes');
const python = path.join(syntaxes, 'MagicPython.tmLanguage.json');
if (!fs.existsSync(python)) {
  console.error(`test:grammar: no Python grammar at ${python}; run: npm run setup (it installs the offline VS Code)`);
  process.exit(2);
}
const root = path.resolve(__dirname, '../..');
const cli = require.resolve('vscode-tmgrammar-test/dist/unit.js');
const { status } = spawnSync(
  process.execPath,
  [cli, '-g', python, '-g', path.join(syntaxes, 'MagicRegExp.tmLanguage.json'), 'test/grammar/*.py'],
  { cwd: root, stdio: 'inherit' },
);
process.exit(status ?? 1);
