// `crosstalk check [PATH...]`: the language server's engine over files and directories.
// Exit 0: no findings; 1: findings, or a file that could not be read or analysed (as ruff's E902 and
// ESLint's fatal parse errors: the scan finished, its result is not clean); 2: a usage error or a crash.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as os from 'os';
import { applyFileEdits, isLocal } from '../engine/fix';
import { readSource, settingsModuleToCheck } from '../host/analyse';
import { nodeFiles, writeFileWhole } from '../host/nodeFiles';
import { ProjectRegistry } from '../host/projects';
import { defaultConfig, formatProblem, parseConfig, ResolvedConfig } from '../project/config';
import { rules as allRules } from '../rules';
import { getParser } from '../syntax/parser';
import { formatProjectText } from '../host/projectModel';
import { groupByCause } from './causes';
import { unifiedDiff } from './diff';
import {
  formatGithub,
  formatJson,
  formatSarif,
  formatStatistics,
  formatText,
  type FileResult,
  type Problem,
} from './format';
import { projectCommand } from './project';
import { ruleCommand } from './rule';
import { analyseAll, type Task } from './workers';

const USAGE = `Usage: crosstalk check [PATH...] [options]

Finds test-isolation hazards in Python test suites (Django, DRF, pytest, pytest-xdist).
Directories are walked for test modules; files named here are always analysed.

Options:
  --format text|json|sarif|github
                             output format (default: text); github: workflow-command
                             annotations for GitHub Actions
  --select CODES             only these rules (comma-separated codes or prefixes: XT001,XT01)
  --ignore CODES             not these rules (added to the configuration's)
  --config FILE              a pyproject.toml ([tool.crosstalk]) or crosstalk.toml; default: the
                             nearest pyproject.toml with [tool.crosstalk], from here upward
  --test-files-only          check a file named here only if it is a test module (for
                             pre-commit, which names every staged Python file)
  --no-group                 report each test's finding even where many rest on one cause
                             elsewhere (by default told once, at the cause: the test
                             settings' cache every worker shares, the language tests
                             leave changed)
  --jobs N                   analyse in N threads (default: one per CPU core)
  --fix                      apply safe fixes in place, then report what remains
  --unsafe-fixes             with --fix or --diff, apply unsafe fixes too
  --diff                     print the fixes as a unified diff, write nothing; exit 1 when there is
                             something to fix
  --statistics               a count of findings per rule (text or json)
  --exit-zero                exit 0 even with findings or files that could not be analysed
  --output-file FILE         write the report to FILE instead of standard output
  -h, --help                 this text
  --version                  the version

Exit status: 0 clean; 1 findings, or a file that could not be read or analysed (one line each on
stderr, the other files still checked); 2 a usage error.

  crosstalk rules            list the rules
  crosstalk rule CODE        a rule's page (XT001, or its name: shared-cache)
  crosstalk project [PATH] [--format text|json]
                             what Crosstalk reads of the project around PATH (a test
                             module or a directory): runner, settings module and where
                             it was chosen, caches and how far each is shared, DRF
                             throttling, what resets state for every test, app labels
  crosstalk server           the language server, over stdio (for editors other than VS Code)`;

class UsageError extends Error {}

const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
type Format = (typeof FORMATS)[number];

export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', default: 'text' },
        select: { type: 'string' },
        ignore: { type: 'string' },
        config: { type: 'string' },
        fix: { type: 'boolean', default: false },
        'unsafe-fixes': { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        statistics: { type: 'boolean', default: false },
        'exit-zero': { type: 'boolean', default: false },
        'output-file': { type: 'string' },
        jobs: { type: 'string' },
        'test-files-only': { type: 'boolean', default: false },
        'no-group': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    err(`crosstalk: ${(e as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    out(version());
    return 0;
  }
  const [command, ...paths] = positionals;
  if (values.help || !command) {
    (values.help ? out : err)(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    if (command === 'rules') {
      out(listRules());
      return 0;
    }
    if (command === 'project') {
      if (paths.length > 1) throw new UsageError('crosstalk project takes one path (a test module or a directory)');
      if (values.format !== 'text' && values.format !== 'json')
        throw new UsageError(`crosstalk project prints text or json, not "${values.format}"`);
      let model;
      try {
        model = await projectCommand(paths[0] ?? '.', loadConfig(values.config, err), process.cwd());
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      out(values.format === 'json' ? JSON.stringify(model, null, 2) : formatProjectText(model));
      return 0;
    }
    if (command === 'rule') {
      out(ruleCommand(paths, allRules, message => new UsageError(message)));
      return 0;
    }
    if (command !== 'check') throw new UsageError(`unknown command "${command}" (try: crosstalk check .)`);
    if (!FORMATS.includes(values.format as Format))
      throw new UsageError(`unknown format "${values.format}" (${FORMATS.join(', ')})`);
    if (values.diff && (values.fix || values.statistics || values.format !== 'text'))
      throw new UsageError('--diff prints the fixes as a diff: not with --fix, --statistics or --format');
    if (values.statistics && values.format !== 'text' && values.format !== 'json')
      throw new UsageError('--statistics is printed as text or json');
    const codes = (s: string | undefined) =>
      (s ?? '')
        .split(',')
        .map(c => c.trim().toUpperCase())
        .filter(Boolean);
    const select = codes(values.select),
      ignore = codes(values.ignore);
    for (const code of [...select, ...ignore]) {
      if (!allRules.some(r => r.id.startsWith(code)))
        throw new UsageError(`unknown rule code "${code}" (see: crosstalk rules)`);
    }
    const jobs = values.jobs === undefined ? os.availableParallelism() : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new UsageError(`--jobs wants a whole number of threads, not "${values.jobs}"`);
    const config = loadConfig(values.config, err);
    const outputFile = values['output-file'];
    // opened before the run: a path it cannot write fails at once, not after --fix has written files
    const output = outputFile === undefined ? undefined : openReport(outputFile);
    const report: string[] = [];
    const code = await check(paths.length ? paths : ['.'], {
      config,
      select,
      ignore,
      format: values.format as Format,
      fix: values.fix,
      diff: values.diff,
      statistics: values.statistics,
      unsafe: values['unsafe-fixes'],
      testFilesOnly: values['test-files-only'],
      group: !values['no-group'],
      jobs,
      out: s => report.push(s),
      err,
    });
    if (output === undefined) report.forEach(out);
    else {
      fs.writeSync(output, report.map(s => s + '\n').join(''));
      fs.closeSync(output);
    }
    return values['exit-zero'] ? 0 : code;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`crosstalk: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** The configuration: `--config FILE`, else the nearest pyproject.toml with [tool.crosstalk] from the cwd up. */
function loadConfig(explicit: string | undefined, err: (s: string) => void): ResolvedConfig {
  const cwd = process.cwd();
  let file = explicit ? path.resolve(explicit) : undefined;
  if (file && !fs.existsSync(file)) throw new UsageError(`${explicit}: no such configuration file`);
  for (let dir = cwd; !file; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'pyproject.toml');
    if (fs.existsSync(candidate) && /^\s*\[tool\.crosstalk[\].]/m.test(nodeFiles.readText(candidate) ?? ''))
      file = candidate;
    if (path.dirname(dir) === dir) break;
  }
  if (!file) return new ResolvedConfig(defaultConfig(cwd));
  const { config, problems } = parseConfig(nodeFiles.readText(file) ?? '', file);
  for (const p of problems) err(`crosstalk: ${formatProblem(p, cwd)}`);
  return new ResolvedConfig(config ?? defaultConfig(path.dirname(file)));
}

/** --output-file: where the report goes instead of standard output (its folder must exist). */
function openReport(file: string): number {
  try {
    return fs.openSync(file, 'w');
  } catch (e) {
    throw new UsageError(`--output-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface CheckOptions {
  config: ResolvedConfig;
  select: string[];
  ignore: string[];
  format: Format;
  fix: boolean;
  /** compute the fixes as --fix does, print them as a diff, write nothing */
  diff: boolean;
  statistics: boolean;
  unsafe: boolean;
  testFilesOnly: boolean;
  /** findings that rest on one place elsewhere told once, there (not --no-group) */
  group: boolean;
  jobs: number;
  out: (s: string) => void;
  err: (s: string) => void;
}

async function check(paths: string[], opts: CheckOptions): Promise<number> {
  const cwd = process.cwd();
  const fixing = opts.fix || opts.diff;
  let projectWide = new Map<string, string>();
  // Project-wide fixes (XT003's conftest.py fixture) are unsafe; they go first, once per file, so that one
  // fixture isolates every test instead of a decorator on each class. --diff only pretends to write them:
  // the analysis then reads them from the overlay, as --fix would read them from disk.
  if (fixing && opts.unsafe) {
    const scan = await analyse(paths, { ...opts, fix: false, diff: false, err: () => undefined });
    const elsewhere = scan.results.flatMap(r => r.findings).flatMap(f => (f.fix && !isLocal(f.fix) ? f.fix.edits : []));
    projectWide = applyFileEdits(elsewhere, f => nodeFiles.readText(f));
    if (opts.fix) for (const [file, text] of projectWide) writeFileWhole(file, text);
  }
  const { results, problems, fixed } = await analyse(
    paths,
    opts,
    opts.diff ? Object.fromEntries(projectWide) : undefined,
  );
  let code = problems.length || results.some(r => r.findings.length) ? 1 : 0;
  // the findings that rest on one place elsewhere (the test settings' shared cache) are told once, there
  const shown = opts.group ? groupByCause(results, cwd) : results;
  let report: string;
  if (opts.diff) {
    const changed = diffTargets(results, projectWide, cwd);
    report = unifiedDiff(changed);
    const would = fixed + projectWide.size;
    if (changed.length)
      opts.err(
        `Would fix ${would} hazard${would === 1 ? '' : 's'} in ${changed.length} file${changed.length === 1 ? '' : 's'}.`,
      );
    code = changed.length || problems.length ? 1 : 0;
  } else if (opts.statistics) report = formatStatistics(shown, opts.format === 'json' ? 'json' : 'text');
  else if (opts.format === 'json') report = formatJson(shown);
  else if (opts.format === 'sarif') {
    const { version, repository } = packageInfo();
    report = formatSarif(shown, allRules, {
      version,
      repository,
      problems,
      exitCode: code,
      read: f => nodeFiles.readText(f),
    });
  } else if (opts.format === 'github') report = formatGithub(shown, problems);
  else
    report = formatText(shown, {
      fixed: fixed + projectWide.size,
      fixMode: opts.fix,
      unsafe: opts.unsafe,
      problems,
    });
  if (report) opts.out(report);
  return code;
}

/** What --diff shows: each file whose text the fixes change, before (as on disk) and after. */
function diffTargets(
  results: FileResult[],
  projectWide: Map<string, string>,
  cwd: string,
): { file: string; before: string; after: string }[] {
  const disk = (file: string) => {
    try {
      return readSource(nodeFiles, file).text;
    } catch {
      return ''; // a file a project-wide fix creates
    }
  };
  const targets = new Map<string, string>();
  for (const [file, text] of projectWide) targets.set(file, text);
  for (const r of results) targets.set(path.resolve(cwd, r.file), r.text);
  return [...targets]
    .map(([file, after]) => ({ file: path.relative(cwd, file) || file, before: disk(file), after }))
    .filter(t => t.before !== t.after)
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

async function analyse(
  paths: string[],
  opts: CheckOptions,
  overlay?: Record<string, string>,
): Promise<{ results: FileResult[]; problems: Problem[]; fixed: number }> {
  const cwd = process.cwd();
  const problems: Problem[] = [];
  const problem = (file: string, reason: string) => {
    problems.push({ file: path.relative(cwd, file) || file, reason });
    opts.err(`crosstalk: ${path.relative(cwd, file) || file}: ${reason}`);
  };
  const files: string[] = [];
  const walked: { dir: string; tests: string[] }[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch (e) {
      throw new UsageError(
        `${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
      );
    }
    if (stat.isDirectory()) {
      const dir = path.resolve(p);
      const tests = nodeFiles.walkTestFiles(dir, f => opts.config.isTestFile(f), problem);
      files.push(...tests);
      walked.push({ dir, tests });
    } else if (!stat.isFile())
      problem(path.resolve(p), 'not a regular file'); // a FIFO or a device would block the read forever
    else if (!opts.testFilesOnly || opts.config.isTestFile(path.resolve(p))) files.push(path.resolve(p));
  }
  const chosen = new Set(files);
  // a settings module named on the command line is checked whole, as any file named there
  const settingsModules = (await settingsModulesOf(walked, opts)).filter(f => !chosen.has(f));
  const unique = [...chosen, ...settingsModules];
  const task: Task = {
    config: opts.config.config,
    select: opts.select,
    ignore: opts.ignore,
    fix: opts.fix || opts.diff,
    write: !opts.diff,
    overlay,
    unsafe: opts.unsafe,
    cwd,
    settingsModules,
  };
  const outcomes = await analyseAll(unique, task, opts.jobs);
  const results: FileResult[] = [];
  let fixed = 0;
  outcomes.forEach((o, i) => {
    if (o.problem !== undefined) problem(unique[i], o.problem);
    if (o.result) results.push(o.result);
    fixed += o.fixed;
  });
  return { results, problems, fixed };
}

/**
 * The settings modules the test runs of the walked directories load, each inside its directory and no test
 * module: checked too, for the rules about test configuration (XT031). Only each project's run configuration
 * (ini files, conftest.py, manage.py) is read, once per project.
 */
async function settingsModulesOf(walked: { dir: string; tests: string[] }[], opts: CheckOptions): Promise<string[]> {
  const { config } = opts;
  if (!walked.some(w => w.tests.length)) return [];
  const registry = new ProjectRegistry(await getParser(), nodeFiles);
  try {
    const found = new Set<string>();
    for (const { dir, tests } of walked) {
      const projects = new Set(
        tests.map(f =>
          registry.projectFor(f, { fallback: config.config.root, settingsModule: config.config.settingsModule }),
        ),
      );
      for (const project of projects) {
        let file: string | null;
        try {
          file = settingsModuleToCheck(project, dir, f => config.isTestFile(f));
        } catch {
          continue; // a project Crosstalk cannot read: each of its files says why, one line each
        }
        if (file && config.rulesFor(file, { select: opts.select, ignore: opts.ignore }).some(r => r.settingsModule))
          found.add(file);
      }
    }
    return [...found];
  } finally {
    registry.dispose();
  }
}

function listRules(): string {
  return allRules
    .map(
      r =>
        `${r.id}  ${r.name.padEnd(20)} ${r.severity.padEnd(8)} fix: ${r.fix.padEnd(10)} ${r.summary}${r.optIn ? ' (off by default)' : ''}`,
    )
    .join('\n');
}

/**
 * This package's version and repository (where its rule pages are published), from its package.json: two
 * levels above the bundle (server/out/cli.js), or above the tests that bundle this module.
 */
function packageInfo(): { version: string; repository: string | null } {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    let pkg;
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (pkg.name !== 'crosstalk') continue;
    const url: unknown = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    return {
      version: pkg.version,
      repository: typeof url === 'string' ? url.replace(/^git\+/, '').replace(/\.git$/, '') : null,
    };
  }
  return { version: 'unknown', repository: null };
}

function version(): string {
  return packageInfo().version;
}

/** The process entry point, called by bin/crosstalk.js. */
export function run(): void {
  main(
    process.argv.slice(2),
    s => process.stdout.write(s + '\n'),
    s => process.stderr.write(s + '\n'),
  ).then(
    code => {
      process.exitCode = code;
    },
    e => {
      process.stderr.write(`crosstalk: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
