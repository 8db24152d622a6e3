// `npm run test:props`: the fix properties (test/props/properties.ts) over real test code: the
// repository's fixtures, CPython's test package, Debian's Django and DRF; `--corpus DIR` adds more
// (each project under DIR, its test modules). Each file with a fix is checked again as CRLF and as
// tab-indented. Prints one line per violation and a summary; exits 1 on any violation or crash.
//   node test/out/props/run.js [--corpus DIR]... [--only-fixtures] [--no-cpython] [--no-django] [--jobs N] [--limit N]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { moduleName } from '../../server/src/project/files';
import { decodeSource } from '../../server/src/syntax/source';
import type { LintOptions } from '../../server/src/engine/lint';
import { getParser, ParseError } from '../../server/src/syntax/parser';
import { findProjectRoot, Project, viewFor } from '../../server/src/project/project';
import { cpythonTests, debianDjango, extraCorpus, optionValues, repoFixtures, ROOT, type Source } from './corpus';
import { runPool, serveTasks } from './pool';
import { PropertyChecker, toTabs, type ProjectContext, type Violation } from './properties';
import { rules } from '../../server/src/rules';

interface Task {
  file: string;
  root: string;
}
interface Result {
  skipped?: string;
  findings: number;
  fixesTried: number;
  variants: number;
  violations: (Violation & { variant: string })[];
}

const WASM = path.join(__dirname, '../unit');
const read = (f: string) => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return null;
  }
};

/** per worker: the project around each root (settings, base classes, conftest), read once */
const projects = new Map<string, Project>();

async function checkTask(task: number, tasks: Task[]): Promise<Result> {
  const parser = await getParser(WASM);
  const checker = new PropertyChecker(parser);
  const { file, root } = tasks[task]!;
  let text: string;
  try {
    text = decodeSource(fs.readFileSync(file)).text;
  } catch (e) {
    return { skipped: (e as Error).message, findings: 0, fixesTried: 0, variants: 0, violations: [] };
  }
  // a rule fixture may pose as a test module of one of the fixture projects (as rules.test.ts does)
  const posing = /^# project: ([\w-]+)/m.exec(text)?.[1];
  const projectRoot = posing ? path.join(ROOT, 'test/fixtures/projects', posing) : findProjectRoot(file, read, root);
  const asFile = posing ? path.join(projectRoot, 'tests', 'test_fixture.py') : file;
  let project = projects.get(projectRoot);
  if (!project) projects.set(projectRoot, (project = new Project(projectRoot, parser, read)));
  const context: ProjectContext = {
    read,
    view: viewFor(project, asFile),
    overlay(r) {
      const p = new Project(projectRoot, parser, r);
      return { view: viewFor(p, asFile), dispose: () => p.dispose() };
    },
  };
  const options: LintOptions = {
    rules,
    moduleName: /^# module: ([\w.]+)/.exec(text)?.[1] ?? moduleName(asFile, projectRoot),
  };
  const violations: Result['violations'] = [];
  let variants = 0;
  try {
    const base = checker.check(text, options, context);
    violations.push(...base.violations.map(v => ({ ...v, variant: '' })));
    if (base.addsLines) {
      // the same file as CRLF, and tab-indented: fixes that add lines must keep both (the rules that fix are enough)
      for (const [variant, changed] of [
        ['crlf', text.replace(/\r?\n/g, '\r\n')],
        ['tabs', toTabs(text)],
      ] as const) {
        if (changed === text) continue;
        variants++;
        violations.push(
          ...checker
            .check(changed, { ...options, rules: base.fixingRules }, context, { layoutOnly: true })
            .violations.map(v => ({ ...v, variant })),
        );
      }
    }
    return { findings: base.findings, fixesTried: base.fixesTried, variants, violations };
  } catch (e) {
    // a ParseError (time or size bound) is a skip with its reason; anything else is a crash (rethrown)
    if (e instanceof ParseError)
      return { skipped: (e as Error).message, findings: 0, fixesTried: 0, variants, violations };
    throw e;
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const limit = Number(optionValues(argv, '--limit')[0] ?? Infinity);
  const jobs = Number(optionValues(argv, '--jobs')[0] ?? Math.min(2, os.availableParallelism()));
  const sources: Source[] = [repoFixtures()];
  if (!argv.includes('--only-fixtures')) {
    const cpython = argv.includes('--no-cpython') ? null : cpythonTests();
    if (cpython) sources.push(cpython);
    if (!argv.includes('--no-django')) sources.push(...debianDjango());
  }
  for (const dir of optionValues(argv, '--corpus')) sources.push(...extraCorpus(dir));
  const tasks: Task[] = sources.flatMap(s => s.files.slice(0, limit).map(file => ({ file, root: s.root })));
  const started = Date.now();
  let findings = 0,
    fixes = 0,
    variants = 0,
    withFixes = 0,
    failures = 0;
  const skipped: string[] = [];
  const lines: string[] = [];
  await runPool<Result>({
    script: __filename,
    data: tasks,
    tasks: tasks.length,
    jobs,
    timeoutMs: 120_000,
    onOutcome(i, outcome) {
      const rel = path.relative(ROOT, tasks[i]!.file).startsWith('..')
        ? tasks[i]!.file
        : path.relative(ROOT, tasks[i]!.file);
      if (outcome.kind !== 'done') {
        failures++;
        lines.push(`${rel}: ${outcome.kind === 'hang' ? `HANG (over ${outcome.ms} ms)` : `CRASH ${outcome.error}`}`);
        return;
      }
      const r = outcome.result;
      if (r.skipped) skipped.push(`${rel}: ${r.skipped}`);
      findings += r.findings;
      fixes += r.fixesTried;
      variants += r.variants;
      if (r.fixesTried) withFixes++;
      for (const v of r.violations) {
        failures++;
        lines.push(`${rel}:${v.line}: ${v.rule} ${v.property}${v.variant ? ` (${v.variant})` : ''}: ${v.detail}`);
      }
    },
  });
  for (const l of lines.sort()) console.log(l);
  for (const s of skipped) console.log(`skipped ${s}`);
  const summary = sources.map(s => `${s.name} ${Math.min(s.files.length, limit)}`).join(', ');
  console.log(
    `props: ${tasks.length} files (${summary}); ${findings} findings; ${fixes} fixes applied one at a time in ${withFixes} files, ` +
      `plus ${variants} CRLF/tab variants; ${skipped.length} skipped; ${failures} failures; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return failures ? 1 : 0;
}

if (!serveTasks<Task[], Result>(checkTask)) {
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
