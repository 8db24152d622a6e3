// `crosstalk check [PATH...]`: the language server's engine over files and directories.
// Exit 0: no findings; 1: findings; 2: usage error, or a file that could not be read or analysed.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { defaultConfig, formatProblem, parseConfig, ResolvedConfig } from '../config';
import { applyFileEdits, isLocal } from '../fix';
import { decodeSource, encodeSource, moduleName, walkTestFiles } from '../files';
import { fixAll, lint, type Finding } from '../lint';
import { getParser, parse } from '../parser';
import { findProjectRoot, Project, viewFor } from '../project';
import { rules as allRules } from '../rules';
import { formatJson, formatSarif, formatText, type FileResult } from './format';

const USAGE = `Usage: crosstalk check [PATH...] [options]

Finds test-isolation hazards in Python test suites (Django, DRF, pytest, pytest-xdist).
Directories are walked for test modules; files named here are always analysed.

Options:
  --format text|json|sarif   output format (default: text)
  --select CODES             only these rules (comma-separated codes or prefixes: XT001,XT01)
  --ignore CODES             not these rules (added to the configuration's)
  --config FILE              a pyproject.toml ([tool.crosstalk]) or crosstalk.toml; default: the
                             nearest pyproject.toml with [tool.crosstalk], from here upward
  --fix                      apply safe fixes in place, then report what remains
  --unsafe-fixes             with --fix, apply unsafe fixes too
  -h, --help                 this text
  --version                  the version

  crosstalk rules            list the rules`;

class UsageError extends Error {}

/** Per file and pass: a pathological file is reported in one line and skipped, never hangs the run. */
const FILE_BUDGET_MS = 60_000;

export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        format: { type: 'string', default: 'text' }, select: { type: 'string' }, ignore: { type: 'string' }, config: { type: 'string' },
        fix: { type: 'boolean', default: false }, 'unsafe-fixes': { type: 'boolean', default: false },
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
    if (!['text', 'json', 'sarif'].includes(values.format!)) throw new UsageError(`unknown format "${values.format}" (text, json or sarif)`);
    const codes = (s: string | undefined) => (s ?? '').split(',').map(c => c.trim().toUpperCase()).filter(Boolean);
    const select = codes(values.select), ignore = codes(values.ignore);
    for (const code of [...select, ...ignore]) {
      if (!allRules.some(r => r.id.startsWith(code))) throw new UsageError(`unknown rule code "${code}" (see: crosstalk rules)`);
    }
    const config = loadConfig(values.config, err);
    return await check(paths.length ? paths : ['.'], {
      config, select, ignore, format: values.format as 'text' | 'json' | 'sarif', fix: values.fix!, unsafe: values['unsafe-fixes']!, out, err,
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
  format: 'text' | 'json' | 'sarif'; fix: boolean; unsafe: boolean;
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
    else if (stat.isFile()) files.push(path.resolve(p));
    else problem(path.resolve(p), 'not a regular file'); // a FIFO or a device would block the read forever
  }
  const parser = await getParser();
  // the project around each file: settings, base classes, conftest fixtures (read, never imported)
  const projects = new Map<string, Project>();
  const projectFor = (file: string) => {
    const root = findProjectRoot(file, readIfExists, opts.config.config.root);
    let p = projects.get(root);
    if (!p) projects.set(root, p = new Project(root, parser, readIfExists, opts.config.config.settingsModule));
    return p;
  };
  const results: FileResult[] = [];
  let fixed = 0;
  for (const file of [...new Set(files)]) {
    const display = path.relative(cwd, file) || file;
    let decoded;
    try {
      decoded = decodeSource(fs.readFileSync(file));
    } catch (e) {
      problem(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      continue;
    }
    const project = projectFor(file);
    const options = {
      rules: opts.config.rulesFor(file, { select: opts.select, ignore: opts.ignore }), severity: opts.config.config.severity,
      moduleName: moduleName(file, project.root), budgetMs: FILE_BUDGET_MS, project: viewFor(project, file),
    };
    let findings: Finding[];
    try {
      if (opts.fix) {
        const result = fixAll(parser, decoded.text, { ...options, unsafe: opts.unsafe });
        if (result.text !== decoded.text) {
          const bytes = encodeSource(result.text, decoded);
          if (!bytes) { problem(file, `cannot write fixes back in encoding ${decoded.encoding}`); continue; }
          fs.writeFileSync(file, bytes);
          fixed += result.fixed;
        }
        findings = result.remaining;
      } else {
        const tree = parse(parser, decoded.text);
        try { findings = lint(tree, decoded.text, options); } finally { tree.delete(); }
      }
    } catch (e) {
      problem(file, (e as Error).message);
      continue;
    }
    results.push({ file: display, text: decoded.text, findings });
  }
  for (const p of projects.values()) p.dispose();
  return { results, failed, fixed };
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
