// `npm run test:fuzz`: mutated real test files (test/fuzz/mutate.ts) through the analyser, the
// language server (in-process) and the CLI (in-process, and once as a process): zero crashes, zero
// hangs (a per-file time bound, kept by a watchdog that terminates the worker), a one-line reason
// for every file skipped, and the fix properties on what the fixes do to mutated files.
//   node test/out/fuzz/run.js [--seed N] [--count N] [--long] [--corpus DIR]... [--kinds a,b] [--only I] [--jobs N]
// A failure prints the mutant's index and saves its bytes under test/out/fuzz/failures/; rerun it
// with `--seed S --only I`. `--long` is 3,000 mutants over every seed file (add --corpus /work/corpora).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getParser } from '../../server/src/syntax/parser';
import { Project, viewFor } from '../../server/src/project/project';
import { cpythonTests, debianDjango, extraCorpus, optionValues, repoFixtures, ROOT } from '../props/corpus';
import { runPool, serveTasks } from '../props/pool';
import { fixedKinds, mutant, random } from './mutate';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { analyse, checkWithCli, describe, ServerTarget, type Report } from './targets';

interface Config {
  seed: number;
  count: number;
  kinds?: string[];
  long: boolean;
  cliBatch: number;
  tasks: number[];
  /** the fixtures, then real code from `realSeeds` on */
  seeds: string[];
  realSeeds: number;
}
/** What happened to one mutant, or to one CLI batch of them. */
interface Outcome extends Report {
  kinds: string[];
  analyses: number;
}

const WASM = __dirname;

const made = new Map<number, ReturnType<typeof makeMutant>>();
const mutantOf = (config: Config, index: number) =>
  made.get(index) ?? made.set(index, makeMutant(config, index)).get(index)!;

function makeMutant(config: Config, index: number) {
  const rnd = random(config.seed ^ Math.imul(index + 1, 2654435761));
  // the 3 MB file of a short run is real code (CPython's, Django's), not a fixture packed with hazards:
  // its fixes would cost minutes, and the hazards are the fixtures' business
  const huge =
    !config.long && fixedKinds(config.seed, false)[index] === 'huge' && config.realSeeds < config.seeds.length;
  const from = huge ? config.realSeeds : 0;
  const seedFile = config.seeds[from + Math.floor(rnd() * (config.seeds.length - from))]!;
  return {
    seedFile,
    ...mutant(fs.readFileSync(seedFile), config.seed, index, { only: config.kinds, long: config.long }),
  };
}

/** Mutants over 1 MB go through the CLI one at a time (a check and one --fix), the rest in batches. */
const HUGE = 1_000_000;

/**
 * Tasks: one per mutant (analyser and server), one per CLI batch of the smaller mutants, one per huge
 * mutant through the CLI, then the CLI as a process and the server as a process.
 */
function layout(config: Config) {
  const sizes = Array.from({ length: config.count }, (_, i) => mutantOf(config, i).bytes.length);
  const small = sizes.flatMap((n, i) => (n < HUGE ? [i] : [])),
    huge = sizes.flatMap((n, i) => (n >= HUGE ? [i] : []));
  const batches = Array.from({ length: Math.ceil(small.length / config.cliBatch) }, (_, b) =>
    small.slice(b * config.cliBatch, (b + 1) * config.cliBatch),
  );
  const cli = [...batches.map(ids => ({ ids, huge: false })), ...huge.map(i => ({ ids: [i], huge: true }))];
  return { mutants: config.count, cli, total: config.count + cli.length + 2, huge: new Set(huge) };
}

/** The CLI as a process, once, over the first batch: it exits 0, 1 or 2 in time, one line per skipped file. */
function cliProcess(config: Config, ids: number[]): Outcome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-fuzz-bin-'));
  const report: Outcome = { kinds: [], skipped: [], problems: [], analyses: 0 };
  try {
    for (const i of ids) fs.writeFileSync(path.join(dir, `test_${i}.py`), mutantOf(config, i).bytes);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/crosstalk.js'), 'check', dir, '--format', 'json'], {
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 1 << 28,
    });
    if (r.error || r.status === null)
      report.problems.push(`cli process: ${r.error?.message ?? `killed by ${r.signal}`}`);
    // 2 is a usage error or a crash: a file it cannot analyse is 1, as a finding
    else if (![0, 1].includes(r.status))
      report.problems.push(`cli process: exit ${r.status}: ${r.stderr.slice(0, 300)}`);
    for (const line of (r.stderr ?? '').split('\n').filter(Boolean)) {
      if (/^crosstalk: [^\n]*test_\d+\.py: /.test(line) && !/internal error/.test(line))
        report.skipped.push(`cli process: ${line.replace(/^.*test_\d+\.py: /, '')}`);
      else report.problems.push(`cli process stderr: ${line.slice(0, 300)}`);
    }
    report.analyses = ids.length;
    return report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The language server as a process (server/out/server.js over stdio), once, over the first batch:
 * each mutant opened, pulled, given its quick fixes and closed; then shutdown and exit, with code 0.
 */
async function serverProcess(config: Config, ids: number[]): Promise<Outcome> {
  const report: Outcome = { kinds: [], skipped: [], problems: [], analyses: 0 };
  const child = spawn(process.execPath, [path.join(ROOT, 'server/out/server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  let stderr = '';
  child.stderr.on('data', d => {
    stderr += d;
  });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  rpc.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  rpc.onNotification('window/logMessage', (m: { type: number; message: string }) => {
    if (m.type === 1) report.problems.push(`server process logged: ${m.message.split('\n')[0]}`);
  });
  rpc.listen();
  const root = 'file:///nonexistent-crosstalk-fuzz';
  try {
    await rpc.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root,
      capabilities: { workspace: { configuration: true } },
    });
    await rpc.sendNotification('initialized', {});
    for (const i of ids) {
      const uri = `${root}/tests/test_${i}.py`;
      await rpc.sendNotification('textDocument/didOpen', {
        textDocument: {
          uri,
          languageId: 'python',
          version: 1,
          text: new TextDecoder().decode(mutantOf(config, i).bytes),
        },
      });
      const { items } = (await rpc.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as {
        items: unknown[];
      };
      await rpc.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: 1e6, character: 0 } },
        context: { diagnostics: items },
      });
      await rpc.sendNotification('textDocument/didClose', { textDocument: { uri } });
      report.analyses++;
    }
    await rpc.sendRequest('shutdown');
    await rpc.sendNotification('exit');
  } catch (e) {
    report.problems.push(`server process: ${describe(e)}${stderr ? ` (stderr: ${stderr.slice(0, 300)})` : ''}`);
  }
  const code = await Promise.race([exited, new Promise(r => setTimeout(() => r('still running'), 10_000))]);
  if (code !== 0) {
    report.problems.push(`server process: exit ${code}${stderr ? ` (stderr: ${stderr.slice(0, 300)})` : ''}`);
    child.kill();
  }
  rpc.dispose();
  return report;
}

let server: ServerTarget | undefined;
let project: Project | undefined;

let plan: ReturnType<typeof layout> | undefined;

async function runTask(index: number, config: Config): Promise<Outcome> {
  const task = config.tasks[index]!;
  plan ??= layout(config);
  const { mutants, cli } = plan;
  if (task === mutants + cli.length) return cliProcess(config, cli[0]?.ids ?? []);
  if (task > mutants + cli.length) return serverProcess(config, cli[0]?.ids ?? []);
  if (task >= mutants) {
    const { ids, huge } = cli[task - mutants]!;
    const files = new Map(ids.map(i => [`test_${i}.py`, mutantOf(config, i).bytes]));
    // the smaller mutants in batches, each batch in one format; a huge one alone, checked and fixed once
    const formats = huge ? ['json'] : [['text', 'json', 'sarif'][(task - mutants) % 3]!];
    return {
      kinds: [],
      analyses: files.size,
      ...(await checkWithCli(WASM, files, { formats, fixRuns: huge ? 1 : 2 })),
    };
  }
  const { bytes, kinds } = mutantOf(config, task);
  // every other mutant is a test module of a fixture project with a Redis cache (project-aware rules)
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return null;
    }
  };
  project ??= new Project(path.join(ROOT, 'test/fixtures/projects/redis'), await getParser(WASM), read);
  const view = task % 2 ? viewFor(project, path.join(project.root, 'tests', 'test_fuzz.py')) : undefined;
  const a = await analyse(WASM, bytes, { moduleName: `tests.test_fuzz_${task}`, project: view });
  server ??= await ServerTarget.start(WASM);
  const l = await server.exercise(bytes, `test_fuzz_${task}`, config.seed + task);
  return { kinds, analyses: 1, skipped: [...a.skipped, ...l.skipped], problems: [...a.problems, ...l.problems] };
}

/**
 * The seed files: every fixture (full of hazards, so fixes run), the rule fixtures twice, then real test code of modest
 * size.
 */
function seedFiles(argv: string[], long: boolean): { seeds: string[]; realSeeds: number } {
  const fixtures = repoFixtures().files;
  const rules = fixtures.filter(f => f.includes(`${path.sep}rules${path.sep}`));
  const real = [cpythonTests(), ...debianDjango(), ...optionValues(argv, '--corpus').flatMap(extraCorpus)].flatMap(
    s => s?.files ?? [],
  );
  const small = long ? real : real.filter(f => fs.statSync(f).size < 40_000);
  const every = Math.max(1, Math.round(small.length / fixtures.length));
  const seeds = [...fixtures, ...rules];
  return { seeds: [...seeds, ...small.filter((_, i) => long || i % every === 0)], realSeeds: seeds.length };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const long = argv.includes('--long');
  const seed = Number(optionValues(argv, '--seed')[0] ?? 7);
  const only = optionValues(argv, '--only')[0];
  const kinds = optionValues(argv, '--kinds')[0]?.split(',');
  const jobs = Number(optionValues(argv, '--jobs')[0] ?? Math.min(2, os.availableParallelism()));
  const count = Number(optionValues(argv, '--count')[0] ?? (long ? 3000 : 120));
  const config: Config = { seed, count, ...seedFiles(argv, long), kinds, long, cliBatch: 40, tasks: [] };
  const { mutants, total, cli, huge } = layout(config);
  const tasks = (config.tasks = only !== undefined ? [Number(only)] : Array.from({ length: total }, (_, i) => i));
  const failuresDir = path.join(ROOT, 'test/out/fuzz/failures');
  const started = Date.now();
  const kindCounts = new Map<string, number>(),
    reasons = new Map<string, number>();
  const failures: string[] = [];
  let analyses = 0,
    hangs = 0,
    crashes = 0,
    failed = 0;
  const slowest: [number, string][] = [];
  await runPool<Outcome>({
    script: __filename,
    data: config,
    tasks: tasks.length,
    jobs,
    // per file: a minute (a 3 MB file five); a CLI batch: every file of it, four runs
    timeoutMs: i => (tasks[i]! >= mutants ? 1_200_000 : huge.has(tasks[i]!) ? 300_000 : 60_000),
    onOutcome(i, outcome) {
      const task = tasks[i]!;
      let what =
          task > mutants + cli.length
            ? 'server process'
            : task === mutants + cli.length
              ? 'CLI process'
              : task >= mutants
                ? `CLI on ${cli[task - mutants]!.ids.map(i => `#${i}`).join(' ')}`
                : '',
        saved = '';
      if (task < mutants) {
        const m = mutantOf(config, task);
        what = `#${task} [${m.kinds.join('+')}] of ${path.relative(ROOT, m.seedFile)}`;
        if (outcome.kind !== 'done' || outcome.result.problems.length) {
          fs.mkdirSync(failuresDir, { recursive: true });
          const file = path.join(failuresDir, `seed${seed}-${task}.py`);
          fs.writeFileSync(file, m.bytes);
          saved = ` (saved as ${path.relative(ROOT, file)}; rerun: --seed ${seed} --only ${task})`;
        }
      }
      if (outcome.kind === 'hang') {
        hangs++;
        failures.push(`HANG ${what}: no answer in ${outcome.ms} ms${saved}`);
        return;
      }
      if (outcome.kind === 'crash') {
        crashes++;
        failures.push(`CRASH ${what}: ${outcome.error}${saved}`);
        return;
      }
      const r = outcome.result;
      slowest.push([outcome.ms, what]);
      analyses += r.analyses;
      for (const k of r.kinds) kindCounts.set(k.split(':')[0]!, (kindCounts.get(k.split(':')[0]!) ?? 0) + 1);
      for (const s of r.skipped) {
        const key = s.replace(/\d+/g, 'N');
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      if (r.problems.length) {
        failed++;
        failures.push(`FAIL ${what}: ${r.problems.join('; ')}${saved}`);
      }
    },
  });
  for (const f of failures.sort()) console.log(f);
  console.log(
    `fuzz: slowest: ${slowest
      .sort((a, b) => b[0] - a[0])
      .slice(0, 6)
      .map(([ms, w]) => `${(ms / 1000).toFixed(1)} s ${w}`)
      .join('; ')}`,
  );
  console.log(
    `fuzz: skipped, with their reasons: ${
      [...reasons]
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${n}× ${r}`)
        .join('; ') || 'none'
    }`,
  );
  console.log(
    `fuzz: seed ${seed}, ${only === undefined ? count : 1} mutants of ${config.seeds.length} seed files ` +
      `(${[...kindCounts]
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}); ${analyses} file runs through the analyser, the server and the CLI; ` +
      `${crashes} crashes, ${hangs} hangs, ${failed} failed checks; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return failures.length ? 1 : 0;
}

if (!serveTasks<Config, Outcome>(runTask)) {
  main().then(
    code => {
      process.exitCode = code;
    },
    e => {
      console.error(e);
      process.exitCode = 2;
    },
  );
}
