// The CLI's analysis of many files: in this thread, or in worker threads with a parser each. Each
// thread has its own project registry; files go to whichever worker is free, outcomes come back in
// file order, so the output is the same whatever the number of threads.
import * as fs from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'worker_threads';
import type { Finding } from '../engine/finding';
import type { Rule } from '../engine/rule';
import { fixAll } from '../engine/lint';
import { analyseText, lintOptions, readSource } from '../host/analyse';
import type { FileAccess } from '../host/files';
import { nodeFiles, writeFileWhole } from '../host/nodeFiles';
import { ProjectRegistry } from '../host/projects';
import { ResolvedConfig, type Config } from '../project/config';
import { rules as allRules } from '../rules';
import { getParser } from '../syntax/parser';
import { encodeSource } from '../syntax/source';
import type { FileResult } from './format';

/** What a thread needs to analyse files as the command line asks (plain data: it crosses to workers). */
export interface Task {
  config: Config;
  select: string[];
  ignore: string[];
  fix: boolean;
  /** false for --diff: the fixed text is returned, the file left as it is */
  write: boolean;
  /** files as --diff pretends to have written them (a project-wide fix), by absolute path */
  overlay?: Record<string, string>;
  unsafe: boolean;
  cwd: string;
  /** settings modules the test runs load (no test modules): only the rules about test configuration run there */
  settingsModules: string[];
}
/** One file's result, or the one-line reason it was skipped. */
export interface Outcome {
  result?: FileResult;
  problem?: string;
  fixed: number;
}

/** a worker pays for itself past this many files (its start, its own parser and project reading) */
const FILES_PER_WORKER = 16;
/** Per file and pass: a pathological file is reported in one line and skipped, never hangs the run. */
const FILE_BUDGET_MS = 60_000;

/** Analyses `files` in up to `jobs` threads; outcomes in file order. */
export async function analyseAll(files: string[], task: Task, jobs: number): Promise<Outcome[]> {
  const threads = Math.min(jobs, Math.ceil(files.length / FILES_PER_WORKER));
  return threads > 1 ? inWorkers(files, task, threads) : inThisThread(files, task);
}

/** Analyses files one by one with this thread's parser and the projects they belong to. */
class Analyser {
  private readonly config: ResolvedConfig;
  private readonly projects: ProjectRegistry;
  private readonly files: FileAccess;
  private readonly settingsModules: Set<string>;

  constructor(
    private readonly parser: Parser,
    private readonly task: Task,
  ) {
    this.config = new ResolvedConfig(task.config);
    this.files = task.overlay ? withOverlay(nodeFiles, task.overlay) : nodeFiles;
    this.projects = new ProjectRegistry(parser, this.files);
    this.settingsModules = new Set(task.settingsModules);
  }

  analyse(file: string): Outcome {
    const { task, parser, config } = this;
    // A file every rule is off for (per-file-ignores = ["XT"]) is not even read: that is how a fixture kept
    // undecodable on purpose stays out of a run instead of failing it.
    if (config.rulesFor(file, { select: task.select, ignore: task.ignore }).length === 0) return { fixed: 0 };
    let source;
    try {
      source = readSource(this.files, file);
    } catch (e) {
      return { problem: (e as Error).message, fixed: 0 };
    }
    const project = this.projects.projectFor(file, {
      fallback: config.config.root,
      settingsModule: config.config.settingsModule,
    });
    const options = lintOptions(file, config, project, {
      select: task.select,
      ignore: task.ignore,
      budgetMs: FILE_BUDGET_MS,
      settingsModule: this.settingsModules.has(file),
    });
    let findings: Finding[],
      text = source.text,
      fixed = 0;
    try {
      if (task.fix) {
        const result = fixAll(parser, source.text, { ...options, unsafe: task.unsafe });
        if (result.text !== source.text) {
          const bytes = encodeSource(result.text, source);
          if (!bytes) return { problem: `cannot write fixes back in encoding ${source.encoding}`, fixed: 0 };
          if (task.write) writeFileWhole(file, bytes);
          fixed = result.fixed;
        }
        findings = result.remaining;
        text = result.text;
      } else {
        findings = analyseText(parser, source.text, options);
      }
    } catch (e) {
      return { problem: (e as Error).message, fixed: 0 };
    }
    return { result: { file: path.relative(task.cwd, file) || file, text, findings }, fixed };
  }

  dispose(): void {
    this.projects.dispose();
  }
}

/** The disk, with some files' text replaced (what --diff pretends to have written). */
function withOverlay(base: FileAccess, overlay: Record<string, string>): FileAccess {
  const text = (file: string) => (Object.hasOwn(overlay, file) ? overlay[file] : undefined);
  return {
    ...base, // everything else (walking directories) as on disk
    readText: file => text(file) ?? base.readText(file),
    readBytes: file => {
      const t = text(file);
      return t === undefined ? base.readBytes(file) : Buffer.from(t, 'utf8');
    },
  };
}

async function inThisThread(files: string[], task: Task): Promise<Outcome[]> {
  const analyser = new Analyser(await getParser(), task);
  try {
    return files.map(f => analyser.analyse(f));
  } finally {
    analyser.dispose();
  }
}

/**
 * Analyses files in `jobs` worker threads, each with its own parser, handing the next file to
 * whichever worker is free (files differ a hundredfold in size). Outcomes come back in file order.
 */
async function inWorkers(files: string[], task: Task, jobs: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(files.length);
  let next = 0;
  await Promise.all(
    Array.from(
      { length: jobs },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(workerScript(), { workerData: { crosstalkCheck: task } });
          let current = -1;
          const feed = () => {
            if (next >= files.length) {
              void worker.terminate();
              resolve();
              return;
            }
            current = next++;
            worker.postMessage(files[current]);
          };
          worker.on('message', (o: WireOutcome) => {
            outcomes[current] = {
              ...o,
              result: o.result && {
                ...o.result,
                findings: o.result.findings.map(f => ({ ...f, rule: ruleById(f.rule) })),
              },
            };
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', code => {
            if (current >= 0 && !outcomes[current] && next <= files.length)
              reject(new Error(`a worker stopped (exit ${code}) on ${files[current]}`));
          });
          feed();
        }),
    ),
  );
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
type WireOutcome = Omit<Outcome, 'result'> & {
  result?: Omit<FileResult, 'findings'> & { findings: (Omit<Finding, 'rule'> & { rule: string })[] };
};

/** A rule by its id, as findings name it when they cross threads. */
function ruleById(id: string): Rule {
  const rule = allRules.find(r => r.id === id);
  if (!rule) throw new Error(`a worker reported an unknown rule ${id}`);
  return rule;
}

/** A worker's side: analyse each file the main thread sends, answer with its outcome. */
async function serveFiles(task: Task, port: MessagePort): Promise<void> {
  const analyser = new Analyser(await getParser(), task);
  port.on('message', (file: string) => {
    const o = analyser.analyse(file);
    const wire: WireOutcome = {
      ...o,
      result: o.result && { ...o.result, findings: o.result.findings.map(f => ({ ...f, rule: f.rule.id })) },
    };
    port.postMessage(wire);
  });
}

const workerTask = isMainThread ? undefined : (workerData as { crosstalkCheck?: Task } | null)?.crosstalkCheck;
if (workerTask && parentPort) void serveFiles(workerTask, parentPort);
