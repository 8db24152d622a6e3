// `crosstalk check [PATH...]`: the language server's engine over files and directories.
// Exit 0: no findings; 1: findings; 2: usage error, or a file that could not be read or analysed.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as os from 'os';
import { applyFileEdits, isLocal } from '../engine/fix';
import { nodeFiles } from '../host/nodeFiles';
import { defaultConfig, formatProblem, parseConfig, ResolvedConfig } from '../project/config';
import { rules as allRules } from '../rules';
import { formatGithub, formatJson, formatSarif, formatText, type FileResult } from './format';
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
  --jobs N                   analyse in N threads (default: one per CPU core)
  --fix                      apply safe fixes in place, then report what remains
  --unsafe-fixes             with --fix, apply unsafe fixes too
  -h, --help                 this text
  --version                  the version

  crosstalk rules            list the rules
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
        jobs: { type: 'string' },
        'test-files-only': { type: 'boolean', default: false },
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
    if (command !== 'check') throw new UsageError(`unknown command "${command}" (try: crosstalk check .)`);
    if (!FORMATS.includes(values.format as Format))
      throw new UsageError(`unknown format "${values.format}" (${FORMATS.join(', ')})`);
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
    return await check(paths.length ? paths : ['.'], {
      config,
      select,
      ignore,
      format: values.format as Format,
      fix: values.fix,
      unsafe: values['unsafe-fixes'],
      testFilesOnly: values['test-files-only'],
      jobs,
      out,
      err,
    });
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

interface CheckOptions {
  config: ResolvedConfig;
  select: string[];
  ignore: string[];
  format: Format;
  fix: boolean;
  unsafe: boolean;
  testFilesOnly: boolean;
  jobs: number;
  out: (s: string) => void;
  err: (s: string) => void;
}

async function check(paths: string[], opts: CheckOptions): Promise<number> {
  let projectWide = 0;
  // Project-wide fixes (XT003's conftest.py fixture) are unsafe; they go first, once per file, so that one
  // fixture isolates every test instead of a decorator on each class.
  if (opts.fix && opts.unsafe) {
    const scan = await analyse(paths, { ...opts, fix: false, err: () => undefined });
    const elsewhere = scan.results.flatMap(r => r.findings).flatMap(f => (f.fix && !isLocal(f.fix) ? f.fix.edits : []));
    const changed = applyFileEdits(elsewhere, f => nodeFiles.readText(f));
    for (const [file, text] of changed) fs.writeFileSync(file, text);
    projectWide = changed.size;
  }
  const { results, failed, fixed } = await analyse(paths, opts);
  const report =
    opts.format === 'json'
      ? formatJson(results)
      : opts.format === 'sarif'
        ? formatSarif(results, allRules, version())
        : opts.format === 'github'
          ? formatGithub(results)
          : formatText(results, { fixed: fixed + projectWide, fixMode: opts.fix, unsafe: opts.unsafe });
  if (report) opts.out(report);
  if (failed) return 2;
  return results.some(r => r.findings.length) ? 1 : 0;
}

async function analyse(
  paths: string[],
  opts: CheckOptions,
): Promise<{ results: FileResult[]; failed: number; fixed: number }> {
  const cwd = process.cwd();
  let failed = 0;
  const problem = (file: string, reason: string) => {
    failed++;
    opts.err(`crosstalk: ${path.relative(cwd, file) || file}: ${reason}`);
  };
  const files: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch (e) {
      throw new UsageError(
        `${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
      );
    }
    if (stat.isDirectory())
      files.push(...nodeFiles.walkTestFiles(path.resolve(p), f => opts.config.isTestFile(f), problem));
    else if (!stat.isFile())
      problem(path.resolve(p), 'not a regular file'); // a FIFO or a device would block the read forever
    else if (!opts.testFilesOnly || opts.config.isTestFile(path.resolve(p))) files.push(path.resolve(p));
  }
  const unique = [...new Set(files)];
  const task: Task = {
    config: opts.config.config,
    select: opts.select,
    ignore: opts.ignore,
    fix: opts.fix,
    unsafe: opts.unsafe,
    cwd,
  };
  const outcomes = await analyseAll(unique, task, opts.jobs);
  const results: FileResult[] = [];
  let fixed = 0;
  outcomes.forEach((o, i) => {
    if (o.problem !== undefined) problem(unique[i], o.problem);
    if (o.result) results.push(o.result);
    fixed += o.fixed;
  });
  return { results, failed, fixed };
}

function listRules(): string {
  return allRules
    .map(r => `${r.id}  ${r.name.padEnd(20)} ${r.severity.padEnd(8)} fix: ${r.fix.padEnd(10)} ${r.summary}`)
    .join('\n');
}

function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
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
