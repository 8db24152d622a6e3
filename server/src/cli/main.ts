// `crosstalk check [PATH...]`: the language server's engine over files and directories.
// Exit 0: no findings; 1: findings; 2: usage error, or a file that could not be read or analysed.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { defaultConfig, formatProblem, parseConfig, ResolvedConfig, type Config } from '../project/config';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import * as os from 'os';
import type { Parser } from 'web-tree-sitter';
import { applyFileEdits, isLocal } from '../engine/fix';
import { moduleName, walkTestFiles } from '../project/files';
import { decodeSource, encodeSource } from '../syntax/source';
import { fixAll, lint } from '../engine/lint';
import { type Finding } from '../engine/finding';
import { getParser, parse } from '../syntax/parser';
import { findProjectRoot, Project, viewFor } from '../project/project';
import { rules as allRules } from '../rules';
import { formatGithub, formatJson, formatSarif, formatText, type FileResult } from './format';

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

  crosstalk rules            list the rules`;

class UsageError extends Error {}

const FORMATS = ['text', 'json', 'sarif', 'github'] as const;
type Format = (typeof FORMATS)[number];

/** Per file and pass: a pathological file is reported in one line and skipped, never hangs the run. */
const FILE_BUDGET_MS = 60_000;

export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        format: { type: 'string', default: 'text' }, select: { type: 'string' }, ignore: { type: 'string' }, config: { type: 'string' },
        fix: { type: 'boolean', default: false }, 'unsafe-fixes': { type: 'boolean', default: false }, jobs: { type: 'string' },
        'test-files-only': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }, version: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    err(`crosstalk: ${(e as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) { out(version()); return 0; }
  const [command, ...paths] = positionals;
  if (values.help || !command) { (values.help ? out : err)(USAGE); return values.help ? 0 : 2; }
  try {
    if (command === 'rules') { out(listRules()); return 0; }
    if (command !== 'check') throw new UsageError(`unknown command "${command}" (try: crosstalk check .)`);
    if (!FORMATS.includes(values.format as Format)) throw new UsageError(`unknown format "${values.format}" (${FORMATS.join(', ')})`);
    const codes = (s: string | undefined) => (s ?? '').split(',').map(c => c.trim().toUpperCase()).filter(Boolean);
    const select = codes(values.select), ignore = codes(values.ignore);
    for (const code of [...select, ...ignore]) {
      if (!allRules.some(r => r.id.startsWith(code))) throw new UsageError(`unknown rule code "${code}" (see: crosstalk rules)`);
    }
    const jobs = values.jobs === undefined ? os.availableParallelism() : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs wants a whole number of threads, not "${values.jobs}"`);
    const config = loadConfig(values.config, err);
    return await check(paths.length ? paths : ['.'], {
      config, select, ignore, format: values.format as Format, fix: values.fix!, unsafe: values['unsafe-fixes']!, testFilesOnly: values['test-files-only']!, jobs, out, err,
    });
  } catch (e) {
    if (e instanceof UsageError) { err(`crosstalk: ${e.message}`); return 2; }
    throw e;
  }
}

/** The configuration: `--config FILE`, else the nearest pyproject.toml with [tool.crosstalk] from the cwd up. */
function loadConfig(explicit: string | undefined, err: (s: string) => void): ResolvedConfig {
  const cwd = process.cwd();
  let file = explicit ? path.resolve(explicit) : undefined;
  if (explicit && !fs.existsSync(file!)) throw new UsageError(`${explicit}: no such configuration file`);
  for (let dir = cwd; !file; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'pyproject.toml');
    if (fs.existsSync(candidate) && /^\s*\[tool\.crosstalk[\].]/m.test((readIfExists(candidate) ?? ''))) file = candidate;
    if (path.dirname(dir) === dir) break;
  }
  if (!file) return new ResolvedConfig(defaultConfig(cwd));
  const { config, problems } = parseConfig(readIfExists(file) ?? '', file);
  for (const p of problems) err(`crosstalk: ${formatProblem(p, cwd)}`);
  return new ResolvedConfig(config ?? defaultConfig(path.dirname(file)));
}

function readIfExists(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}

interface CheckOptions {
  config: ResolvedConfig; select: string[]; ignore: string[];
  format: Format; fix: boolean; unsafe: boolean; testFilesOnly: boolean; jobs: number;
  out: (s: string) => void; err: (s: string) => void;
}

async function check(paths: string[], opts: CheckOptions): Promise<number> {
  let projectWide = 0;
  // Project-wide fixes (XT003's conftest.py fixture) are unsafe; they go first, once per file, so that one
  // fixture isolates every test instead of a decorator on each class.
  if (opts.fix && opts.unsafe) {
    const scan = await analyse(paths, { ...opts, fix: false, err: () => undefined });
    const elsewhere = scan.results.flatMap(r => r.findings).flatMap(f => (f.fix && !isLocal(f.fix) ? f.fix.edits : []));
    const changed = applyFileEdits(elsewhere, readIfExists);
    for (const [file, text] of changed) fs.writeFileSync(file, text);
    projectWide = changed.size;
  }
  const { results, failed, fixed } = await analyse(paths, opts);
  const report = opts.format === 'json' ? formatJson(results)
    : opts.format === 'sarif' ? formatSarif(results, allRules, version())
      : opts.format === 'github' ? formatGithub(results)
      : formatText(results, { fixed: fixed + projectWide, fixMode: opts.fix, unsafe: opts.unsafe });
  if (report) opts.out(report);
  if (failed) return 2;
  return results.some(r => r.findings.length) ? 1 : 0;
}

async function analyse(paths: string[], opts: CheckOptions): Promise<{ results: FileResult[]; failed: number; fixed: number }> {
  const cwd = process.cwd();
  let failed = 0;
  const problem = (file: string, reason: string) => { failed++; opts.err(`crosstalk: ${path.relative(cwd, file) || file}: ${reason}`); };
  const files: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try { stat = fs.statSync(p); } catch (e) { throw new UsageError(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`); }
    if (stat.isDirectory()) files.push(...walkTestFiles(path.resolve(p), problem, f => opts.config.isTestFile(f)));
    else if (!stat.isFile()) problem(path.resolve(p), 'not a regular file'); // a FIFO or a device would block the read forever
    else if (!opts.testFilesOnly || opts.config.isTestFile(path.resolve(p))) files.push(path.resolve(p));
  }
  const unique = [...new Set(files)];
  const task: Task = { config: opts.config.config, select: opts.select, ignore: opts.ignore, fix: opts.fix, unsafe: opts.unsafe, cwd };
  const jobs = Math.min(opts.jobs, Math.ceil(unique.length / FILES_PER_WORKER));
  const outcomes = jobs > 1 ? await inWorkers(unique, task, jobs) : await inThisThread(unique, task);
  const results: FileResult[] = [];
  let fixed = 0;
  outcomes.forEach((o, i) => {
    if (o.problem !== undefined) problem(unique[i]!, o.problem);
    if (o.result) results.push(o.result);
    fixed += o.fixed;
  });
  return { results, failed, fixed };
}

/** What a thread needs to analyse files as the command line asks (plain data: it crosses to workers). */
interface Task { config: Config; select: string[]; ignore: string[]; fix: boolean; unsafe: boolean; cwd: string }
/** One file's result, or the one-line reason it was skipped. */
interface Outcome { result?: FileResult; problem?: string; fixed: number }
/** a worker pays for itself past this many files (its start, its own parser and project reading) */
const FILES_PER_WORKER = 16;

/** Analyses files one by one with this thread's parser and the projects they belong to. */
class Analyser {
  private readonly config: ResolvedConfig;
  private readonly projects = new Map<string, Project>();
  /** per directory, its project root: probing marker files up the tree is disk work, once per directory */
  private readonly roots = new Map<string, string>();

  constructor(private readonly parser: Parser, private readonly task: Task) {
    this.config = new ResolvedConfig(task.config);
  }

  /** the project around a file: settings, base classes, conftest fixtures (read, never imported) */
  private projectFor(file: string): Project {
    const dir = path.dirname(file);
    let root = this.roots.get(dir);
    if (root === undefined) this.roots.set(dir, root = findProjectRoot(file, readIfExists, this.config.config.root));
    let p = this.projects.get(root);
    if (!p) this.projects.set(root, p = new Project(root, this.parser, readIfExists, this.config.config.settingsModule));
    return p;
  }

  analyse(file: string): Outcome {
    const { task, parser } = this;
    let decoded;
    try {
      decoded = decodeSource(fs.readFileSync(file));
    } catch (e) {
      return { problem: (e as NodeJS.ErrnoException).code ?? (e as Error).message, fixed: 0 };
    }
    const project = this.projectFor(file);
    const options = {
      rules: this.config.rulesFor(file, { select: task.select, ignore: task.ignore }), severity: this.config.config.severity,
      moduleName: moduleName(file, project.root), budgetMs: FILE_BUDGET_MS, project: viewFor(project, file),
    };
    let findings: Finding[], fixed = 0;
    try {
      if (task.fix) {
        const result = fixAll(parser, decoded.text, { ...options, unsafe: task.unsafe });
        if (result.text !== decoded.text) {
          const bytes = encodeSource(result.text, decoded);
          if (!bytes) return { problem: `cannot write fixes back in encoding ${decoded.encoding}`, fixed: 0 };
          fs.writeFileSync(file, bytes);
          fixed = result.fixed;
        }
        findings = result.remaining;
      } else {
        const tree = parse(parser, decoded.text);
        try { findings = lint(tree, decoded.text, options); } finally { tree.delete(); }
      }
    } catch (e) {
      return { problem: (e as Error).message, fixed: 0 };
    }
    return { result: { file: path.relative(task.cwd, file) || file, text: decoded.text, findings }, fixed };
  }

  dispose(): void {
    for (const p of this.projects.values()) p.dispose();
  }
}

async function inThisThread(files: string[], task: Task): Promise<Outcome[]> {
  const analyser = new Analyser(await getParser(), task);
  try { return files.map(f => analyser.analyse(f)); } finally { analyser.dispose(); }
}

/**
 * Analyses files in `jobs` worker threads, each with its own parser, handing the next file to
 * whichever worker is free (files differ a hundredfold in size). Outcomes come back in file order.
 */
async function inWorkers(files: string[], task: Task, jobs: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(files.length);
  const byId = new Map(allRules.map(r => [r.id, r]));
  let next = 0;
  await Promise.all(Array.from({ length: jobs }, () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(workerScript(), { workerData: { crosstalkCheck: task } });
    let current = -1;
    const feed = () => {
      if (next >= files.length) { void worker.terminate(); resolve(); return; }
      current = next++;
      worker.postMessage(files[current]);
    };
    worker.on('message', (o: WireOutcome) => {
      outcomes[current] = { ...o, result: o.result && { ...o.result, findings: o.result.findings.map(f => ({ ...f, rule: byId.get(f.rule)! })) } };
      feed();
    });
    worker.on('error', reject);
    worker.on('exit', code => { if (current >= 0 && !outcomes[current] && next <= files.length) reject(new Error(`a worker stopped (exit ${code}) on ${files[current]}`)); });
    feed();
  })));
  return outcomes;
}

/** The CLI bundle, which a worker runs: this file, or (bundled into a test) the package's build of it. */
function workerScript(): string {
  if (path.basename(__filename) === 'cli.js') return __filename;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'server', 'out', 'cli.js');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('the CLI bundle server/out/cli.js is not built (npm run build)');
  }
}

/** An outcome as it crosses threads: a finding names its rule by id (a rule holds functions). */
type WireOutcome = Omit<Outcome, 'result'> & { result?: Omit<FileResult, 'findings'> & { findings: (Omit<Finding, 'rule'> & { rule: string })[] } };

/** A worker's side: analyse each file the main thread sends, answer with its outcome. */
async function serveFiles(task: Task): Promise<void> {
  const analyser = new Analyser(await getParser(), task);
  parentPort!.on('message', (file: string) => {
    const o = analyser.analyse(file);
    const wire: WireOutcome = { ...o, result: o.result && { ...o.result, findings: o.result.findings.map(f => ({ ...f, rule: f.rule.id })) } };
    parentPort!.postMessage(wire);
  });
}

if (!isMainThread && (workerData as { crosstalkCheck?: Task } | null)?.crosstalkCheck) {
  void serveFiles((workerData as { crosstalkCheck: Task }).crosstalkCheck);
}

function listRules(): string {
  return allRules.map(r => `${r.id}  ${r.name.padEnd(20)} ${r.severity.padEnd(8)} fix: ${r.fix.padEnd(10)} ${r.summary}`).join('\n');
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
  main(process.argv.slice(2), s => process.stdout.write(s + '\n'), s => process.stderr.write(s + '\n')).then(
    code => { process.exitCode = code; },
    e => { process.stderr.write(`crosstalk: internal error: ${(e as Error).stack ?? e}\n`); process.exitCode = 2; },
  );
}
