// `crosstalk server` in a real second editor: Debian's Neovim, headless, with the minimal Lua
// configuration beside this file (Neovim's own LSP client, no plugin, no mock). Against a copy of the kpi
// incident it waits for XT001, takes the fix from the code actions, and reports what it saw; this
// script checks it: the diagnostics pushed (Neovim 0.7 cannot pull), the settings asked for only if the
// client lets the server ask, the buffer's text equal to what `crosstalk check --fix` writes for the
// same finding, and the diagnostic gone after the edit.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const KPI = path.join(ROOT, 'test/fixtures/incidents/kpi/before/test_throttling.py');
const BIN = path.join(ROOT, 'bin/crosstalk.js');
/** for the whole Neovim run; it takes about a second */
const DEADLINE_MS = 60_000;
const started = Date.now();
let passed = 0,
  failed = 0;
const check = (ok, what, detail = '') => {
  console.log(`  ${ok ? '✔' : '✖'} ${what}`);
  if (ok) passed++;
  else {
    failed++;
    if (detail) console.log(String(detail).replace(/^/gm, '    '));
  }
};

if (spawnSync('nvim', ['--version']).status !== 0) {
  console.error('test:nvim: no nvim; run: npm run setup (apt-get install neovim)');
  process.exit(2);
}
if (!fs.existsSync(path.join(ROOT, 'server/out/server.js'))) {
  console.error('test:nvim: the server is not built; run: npm run build');
  process.exit(2);
}

/** Runs Neovim on `file` in `root` with test/nvim/init.lua; resolves with its report (or why there is none). */
function neovim(root, file, tmp) {
  const out = path.join(tmp, 'report.json');
  const home = path.join(tmp, 'home'); // no user configuration, plugins, shada or logs of this machine's
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: home,
    XDG_DATA_HOME: home,
    XDG_STATE_HOME: home,
    XDG_CACHE_HOME: home,
    CROSSTALK_OUT: out,
    CROSSTALK_ROOT: root,
    CROSSTALK_FILE: file,
    // what a user's configuration says: `crosstalk server` (here the repository's bin, run by this Node)
    CROSSTALK_CMD: JSON.stringify([process.execPath, BIN, 'server']),
    CROSSTALK_TIMEOUT_MS: '20000',
  };
  const args = ['--headless', '-n', '-i', 'NONE', '--noplugin', '-u', path.join(__dirname, 'init.lua')];
  return new Promise(resolve => {
    const child = spawn('nvim', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', d => (output += d));
    child.stderr.on('data', d => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      let report = null;
      try {
        report = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        /* judged below */
      }
      resolve({ status, signal, output, report });
    });
  });
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-nvim-'));
  const root = path.join(tmp, 'workspace');
  fs.mkdirSync(root);
  const file = path.join(root, 'test_throttling.py');
  fs.copyFileSync(KPI, file);

  // the oracle: the CLI's fix for the same finding, on another copy
  const expected = path.join(tmp, 'expected');
  fs.mkdirSync(expected);
  fs.copyFileSync(KPI, path.join(expected, 'test_throttling.py'));
  spawnSync(process.execPath, [BIN, 'check', '.', '--select', 'XT001', '--fix'], { cwd: expected });
  const fixed = fs.readFileSync(path.join(expected, 'test_throttling.py'), 'utf8');

  const run = await neovim(root, file, tmp);
  const r = run.report;
  console.log(
    `Neovim ${r?.nvim ? `${r.nvim.major}.${r.nvim.minor}.${r.nvim.patch}` : '?'} (headless) with crosstalk server:`,
  );
  check(
    run.status === 0 && r && !r.error,
    `nvim ran the script to the end (exit ${run.status ?? run.signal})`,
    (r?.error ?? '') + run.output,
  );
  if (r?.before) {
    const xt001 = r.before.find(d => d.code === 'XT001');
    check(
      xt001?.source === 'crosstalk' && xt001.lnum === 7 && xt001.col === 6 && /pk=1/.test(xt001.message),
      'XT001 on the class line (8:7), from source crosstalk, with the kpi message',
      JSON.stringify(r.before, null, 2),
    );
    check(
      JSON.stringify(r.before.map(d => d.code)) === '["XT001","XT002"]',
      'the two kpi findings and nothing else: XT001 and XT002',
      JSON.stringify(r.before.map(d => d.code)),
    );
    // vim.diagnostic.severity: 1 error, 2 warning. A client that declares workspace/configuration is
    // asked, and its settings raise XT001 to an error; one that does not gets the defaults.
    check(
      xt001?.severity === (r.configuration ? 1 : 2),
      r.configuration
        ? 'the client declares workspace/configuration: its crosstalk.severity (XT001 = error) applies'
        : 'the client does not declare workspace/configuration: not asked, the defaults apply (XT001 a warning)',
      JSON.stringify(xt001),
    );
    check(r.diagnosticProvider === false, 'pull diagnostics are not offered to a client that cannot pull');
  }
  if (r?.actions) {
    check(
      r.actions.some(t => /^Crosstalk \(XT001\): Give SubmissionThrottlingTests its own LocMem cache/.test(t)) &&
        r.actions.includes('Disable XT001 for this line'),
      'the code actions at the finding: its fix and Disable XT001 for this line',
      JSON.stringify(r.actions),
    );
  }
  if (r?.text !== undefined) {
    check(
      r.text === fixed && /^@override_settings\(\s*CACHES=/m.test(r.text) && r.text !== fs.readFileSync(KPI, 'utf8'),
      'the buffer after the fix is the text `crosstalk check --select XT001 --fix` writes',
      `buffer:\n${r.text}\ncli:\n${fixed}`,
    );
  }
  if (r?.after) {
    // the class's own LocMemCache isolates its cache.clear() too: XT002 goes with XT001
    check(
      r.after.length === 0,
      'after the edit the server pushed again: XT001 gone, and XT002 with it',
      JSON.stringify(r.after),
    );
  }
  if (r?.steps) console.log(`  (${r.steps.map(s => `${s.name} at ${s.ms} ms`).join(', ')})`);
  if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`nvim: files kept in ${tmp}`);
  console.log(`nvim: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(failed || !passed ? 1 : 0);
})();
