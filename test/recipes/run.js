// The README's CI recipes, run as written against a snapshot of this working tree (tracked and
// untracked files, as git sees them), with the repository URL pointed at that snapshot:
// - GitHub Actions: each `run:` step of the workflow, in bash, in a copy of examples/, with
//   RUNNER_TEMP and GITHUB_PATH as Actions sets them and npm's global prefix in a temporary folder
//   (on PATH, as actions/setup-node's is);
// - pre-commit: Debian's pre-commit validates .pre-commit-hooks.yaml, then installs the hook from the
//   README's .pre-commit-config.yaml (language: node) and runs it on examples/ and on a clean suite.
// Both also run on a repository holding a file no tool can decode, kept on purpose (as encoding tests
// keep such fixtures): it is named, the other files are still checked, and the recipes still work.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const { version } = require('../../package.json');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const URL_IN_README = 'https://github.com/OWNER/crosstalk';
const started = Date.now();
const failures = [];
let passed = 0;
const check = (ok, what, detail = '') => {
  console.log(`  ${ok ? '✔' : '✖'} ${what}`);
  if (ok) passed++;
  else {
    failures.push(what);
    if (detail) console.log(detail);
  }
};
const run = (cmd, args, cwd, env = {}) =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
/** `run` without blocking: the two recipes install at the same time (each an npm install of this repo). */
const runAsync = (cmd, args, cwd, env = {}) =>
  new Promise(resolve => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', d => {
      stdout += d;
    });
    child.stderr.on('data', d => {
      stderr += d;
    });
    child.on('close', status => resolve({ status, stdout, stderr }));
  });

if (spawnSync('pre-commit', ['--version']).status !== 0) {
  console.error('test:recipes: no pre-commit; run: npm run setup (apt-get install pre-commit)');
  process.exit(2);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-recipes-'));

function git(args, cwd) {
  const r = run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], cwd);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr}`);
  return r.stdout;
}

/** A one-commit git repository of `files` copied from `from`. */
function repository(name, from, files) {
  const repo = path.join(tmp, name);
  for (const f of files) fs.cpSync(path.join(from, f), path.join(repo, f), { recursive: true });
  git(['init', '-q'], repo);
  git(['add', '-A'], repo);
  git(['commit', '-qm', name], repo);
  return repo;
}

/** The ```yaml block after `heading` in the README. */
function yamlAfter(heading) {
  const at = README.indexOf(heading);
  const m = at < 0 ? null : /```yaml\n([\s\S]*?)```/.exec(README.slice(at));
  if (!m) throw new Error(`README: no yaml block after "${heading}"`);
  return m[1];
}

/** `run:` steps of a workflow, as [name, script] (a `run: |` block is the lines indented below it). */
function runSteps(workflow) {
  const lines = workflow.split('\n');
  const steps = [];
  let name = '';
  for (let i = 0; i < lines.length; i++) {
    const named = /^\s*- name: (.*)$/.exec(lines[i]);
    if (named) name = named[1];
    const m = /^(\s*)(?:- )?run: (.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '|') {
      steps.push([name, m[2]]);
      continue;
    }
    const body = [];
    while (i + 1 < lines.length && (lines[i + 1].match(/^\s*/)[0].length > m[1].length || lines[i + 1].trim() === ''))
      body.push(lines[++i].trim());
    steps.push([name, body.join('\n')]);
  }
  return steps;
}

// the hook's repository, tagged as the README's recipes expect
const listed = run('git', ['ls-files', '-co', '--exclude-standard', '-z'], ROOT)
  .stdout.split('\0')
  .filter(f => f && fs.existsSync(path.join(ROOT, f)));
const crosstalk = repository('crosstalk', ROOT, listed);
git(['tag', `v${version}`], crosstalk);
const local = text => text.split(URL_IN_README).join(`file://${crosstalk}`);
/** a test module in Latin-1 with no coding cookie: not valid UTF-8 (é, then a byte no UTF-8 sequence continues with) */
const UNDECODABLE = 'shop/tests/test_legacy_encoding.py';
const undecodable = Buffer.concat([
  Buffer.from('# caf'),
  Buffer.from([0xe9]),
  Buffer.from('\ndef test_x():\n    pass\n'),
]);
const NOT_ANALYSED = `::error file=${UNDECODABLE},title=Crosstalk%3A not analysed::not valid utf-8 (byte 6)`;

async function githubActions() {
  const checks = [];
  const check = (ok, what, detail = '') => checks.push([ok, what, detail]);
  const workflow = yamlAfter('### GitHub Actions');
  check(
    workflow.includes(`--branch v${version} ${URL_IN_README}`),
    `the workflow installs v${version}, this package's version`,
  );
  const runner = path.join(tmp, 'runner');
  const project = path.join(tmp, 'project');
  fs.mkdirSync(runner);
  fs.cpSync(path.join(ROOT, 'examples'), project, { recursive: true });
  fs.writeFileSync(path.join(project, UNDECODABLE), undecodable);
  const githubPath = path.join(tmp, 'github_path');
  fs.writeFileSync(githubPath, '');
  const npmGlobal = path.join(tmp, 'npm-global');
  const results = {};
  for (const [name, script] of runSteps(workflow)) {
    // Actions: each step's GITHUB_PATH additions are on PATH for the later steps
    const extra = fs.readFileSync(githubPath, 'utf8').split('\n').filter(Boolean);
    results[name] = await runAsync('bash', ['-e', '-c', local(script)], project, {
      RUNNER_TEMP: runner,
      GITHUB_PATH: githubPath,
      npm_config_prefix: npmGlobal,
      PATH: [...extra, path.join(npmGlobal, 'bin'), process.env.PATH].join(path.delimiter),
    });
  }
  const install = results['Install Crosstalk'],
    annotate = results['Annotate the pull request'],
    sarifStep = results['Write SARIF'];
  check(
    install && install.status === 0,
    'Install Crosstalk: clone, npm ci (which builds the CLI), npm install --global',
    install && install.stderr,
  );
  const lines = (annotate?.stdout ?? '').split('\n').filter(Boolean);
  const commands = lines.filter(l => l !== NOT_ANALYSED);
  check(
    annotate && lines.length === commands.length + 1,
    `Annotate the pull request: an error annotation on the undecodable ${UNDECODABLE}`,
    annotate && annotate.stdout + annotate.stderr,
  );
  check(
    annotate &&
      annotate.status === 1 &&
      commands.length > 0 &&
      commands.every(l =>
        /^::(error|warning|notice) file=shop\/[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=Crosstalk XT\d{3} \([a-z-]+\)::./.test(
          l,
        ),
      ),
    `Annotate the pull request: exit 1 and ${commands.length} workflow commands`,
    annotate && annotate.stdout + annotate.stderr,
  );
  let log = null;
  try {
    log = JSON.parse(fs.readFileSync(path.join(project, 'crosstalk.sarif'), 'utf8'));
  } catch {
    /* checked below */
  }
  check(
    sarifStep && sarifStep.status === 0 && log?.version === '2.1.0' && log.runs[0].results.length === commands.length,
    'Write SARIF: exit 0 with findings, a SARIF 2.1.0 log with the same findings',
    sarifStep && sarifStep.stderr,
  );
  const notes = log?.runs[0].invocations?.[0]?.toolExecutionNotifications ?? [];
  check(
    notes.length === 1 && notes[0].locations[0].physicalLocation.artifactLocation.uri === UNDECODABLE,
    `Write SARIF: the log names ${UNDECODABLE} among the files not analysed`,
    JSON.stringify(notes),
  );
  check(/sarif_file: crosstalk\.sarif\n/.test(workflow), 'the upload step reads the file the SARIF step writes');
  return checks;
}

async function preCommit() {
  const checks = [];
  const check = (ok, what, detail = '') => checks.push([ok, what, detail]);
  const manifest = run('pre-commit', ['validate-manifest', '.pre-commit-hooks.yaml'], ROOT);
  check(manifest.status === 0, '.pre-commit-hooks.yaml is a valid manifest', manifest.stdout + manifest.stderr);
  const config = yamlAfter('### pre-commit');
  check(config.includes(`rev: v${version}\n`), `the README's config pins v${version}`);
  // pre-commit keeps the hook's environment here: one install for both runs, none in $HOME
  const env = { PRE_COMMIT_HOME: path.join(tmp, 'pre-commit-home') };
  async function precommit(name, from, extra = {}) {
    const repo = repository(name, from, fs.readdirSync(from));
    fs.writeFileSync(path.join(repo, '.pre-commit-config.yaml'), local(config));
    for (const [file, content] of Object.entries(extra)) {
      fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      fs.writeFileSync(path.join(repo, file), content);
    }
    git(['add', '-A'], repo);
    return runAsync('pre-commit', ['run', '--all-files'], repo, env);
  }
  const examples = await precommit('examples', path.join(ROOT, 'examples'), { [UNDECODABLE]: undecodable });
  const out = examples.stdout + examples.stderr;
  check(
    examples.status === 1 && /crosstalk\.+Failed/.test(out),
    `examples/: the hook fails (exit ${examples.status})`,
    out,
  );
  check(
    /shop\/tests\/test_api\.py:\d+:\d+: XT001/.test(out) && /shop\/tests\/conftest\.py:\d+:\d+: XT030/.test(out),
    'examples/: findings in the test modules, as path:line:col: CODE',
  );
  check(
    out.includes(`crosstalk: ${UNDECODABLE}: not valid utf-8 (byte 6)`),
    `examples/: the undecodable ${UNDECODABLE} is named, and the other files still checked`,
    out,
  );
  check(!/shop\/settings\.py:/.test(out), 'examples/: settings.py, staged but no test module, is not checked');
  const kpi = path.join(ROOT, 'test/fixtures/incidents/kpi/after');
  const [clean, odd, ignored] = await Promise.all([
    precommit('clean', kpi),
    precommit('clean-undecodable', kpi, { [UNDECODABLE]: undecodable }),
    precommit('clean-ignored', kpi, {
      [UNDECODABLE]: undecodable,
      'pyproject.toml': `[tool.crosstalk.per-file-ignores]\n"${UNDECODABLE}" = ["XT"]\n`,
    }),
  ]);
  check(
    clean.status === 0 && /crosstalk\.+Passed/.test(clean.stdout),
    `a suite without hazards passes (exit ${clean.status})`,
    clean.stdout + clean.stderr,
  );
  check(
    odd.status === 1 && (odd.stdout + odd.stderr).includes(`crosstalk: ${UNDECODABLE}: not valid utf-8`),
    `the same suite with an undecodable test module fails, naming it (exit ${odd.status})`,
    odd.stdout + odd.stderr,
  );
  check(
    ignored.status === 0 && /crosstalk\.+Passed/.test(ignored.stdout),
    `... and passes once per-file-ignores turns every rule off for it, as the README says (exit ${ignored.status})`,
    ignored.stdout + ignored.stderr,
  );
  return checks;
}

(async () => {
  const [github, precommit] = await Promise.all([githubActions(), preCommit()]);
  for (const [title, checks] of [
    ['GitHub Actions (README):', github],
    ['pre-commit:', precommit],
  ]) {
    console.log(title);
    for (const [ok, what, detail] of checks) check(ok, what, detail);
  }
  if (!failures.length) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`recipes: files kept in ${tmp}`);
  console.log(`recipes: ${passed} passed, ${failures.length} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(failures.length ? 1 : 0);
})();
