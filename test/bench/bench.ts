// `npm run bench`: Crosstalk's costs on this machine, against the floor (reading and parsing).
//   floor  read + tree-sitter parse of every file, one thread, the same parser build
//   scan   the CLI's whole analysis of the same files, every rule on (project model included)
//   editor didOpen→diagnostics of a 2,000-line test module (warm server), didChange→diagnostics p50/p95
//          over 300 one-character typing edits spread through it (generate.ts typingEdits), server RSS
//          after a workspace-scope scan
// Prints a table, then `BENCH {json}`. `--smoke` uses small corpora (CI runs it so it never rots).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { decodeSource } from '../../server/src/syntax/source';
import { getParser, parse } from '../../server/src/syntax/parser';
import { startClient } from '../unit/lspClient';
import { generateWorkspace, random, testModule, typingEdits } from './generate';

const WASM = path.join(__dirname, '../unit');
const CLI = path.join(__dirname, '../../../bin/crosstalk.js');
const smoke = process.argv.includes('--smoke');
/** `--only editor` (or scan, workspace): one part, while working on it */
const only = process.argv[process.argv.indexOf('--only') + 1] ?? '';
const runs = (part: string) => !process.argv.includes('--only') || only === part;

function pyFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== '__pycache__') visit(p);
      else if (e.isFile() && e.name.endsWith('.py')) out.push(p);
    }
  };
  visit(dir);
  return out.sort();
}

/** CPython's test package: of the python3 on PATH, else Debian's (libpython3.x-testsuite, which setup installs). */
function cpythonTests(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const found = spawnSync(python, ['-c', 'import test, os; print(os.path.dirname(test.__file__))'], {
      encoding: 'utf8',
    }).stdout?.trim();
    if (found && fs.existsSync(path.join(found, 'test_os.py'))) return found;
  }
  return null;
}

interface CorpusResult {
  name: string;
  files: number;
  mb: number;
  floorMs: number;
  scanMs: number;
  ratio: number;
  findings: number;
  skipped: number;
}

async function corpus(name: string, dir: string, limit?: number): Promise<CorpusResult> {
  const parser = await getParser(WASM);
  const files = pyFiles(dir).slice(0, limit);
  const texts = files.map(f => {
    try {
      return decodeSource(fs.readFileSync(f)).text;
    } catch {
      return null;
    }
  });
  const bytes = texts.reduce((n, t) => n + (t?.length ?? 0), 0);
  // floor: read + parse, nothing else
  let t0 = performance.now();
  for (const f of files) {
    try {
      const tree = parse(parser, decodeSource(fs.readFileSync(f)).text);
      tree.delete();
    } catch {
      /* counted as skipped in the scan */
    }
  }
  const floorMs = performance.now() - t0;
  // scan: the CLI's whole run over the same files, named on its command line so that each is analysed
  // ("treated as test code"), every rule on, the project model included, its worker threads as shipped
  t0 = performance.now();
  const run = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', ...files], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const scanMs = performance.now() - t0;
  if (run.status !== 0 && run.status !== 1 && !run.stdout.startsWith('['))
    throw new Error(`crosstalk check failed on ${name}:\n${run.stderr}`);
  const findings = (JSON.parse(run.stdout) as unknown[]).length;
  const skipped = run.stderr.split('\n').filter(l => l.startsWith('crosstalk: ')).length;
  return { name, files: files.length, mb: bytes / 1e6, floorMs, scanMs, ratio: scanMs / floorMs, findings, skipped };
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function editor(dir: string): Promise<{ openMs: number; p50: number; p95: number; edits: number }> {
  const big = path.join(dir, 'app0', 'tests', 'test_big_module.py');
  const text = testModule(random(7), 2000, 99);
  fs.writeFileSync(big, text);
  const lsp = await startClient(pathToFileURL(dir).href, WASM, {});
  const warm = pathToFileURL(path.join(dir, 'app0', 'tests', 'test_module_0.py')).href;
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: {
      uri: warm,
      languageId: 'python',
      version: 1,
      text: fs.readFileSync(path.join(dir, 'app0/tests/test_module_0.py'), 'utf8'),
    },
  });
  await lsp.pull(warm);
  const uri = pathToFileURL(big).href;
  let t0 = performance.now();
  await lsp.rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  await lsp.pull(uri);
  const openMs = performance.now() - t0;
  const times: number[] = [];
  const edits = smoke ? 30 : 300;
  for (const [i, edit] of typingEdits(text, edits).entries()) {
    t0 = performance.now();
    await lsp.rpc.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: i + 2 },
      contentChanges: [edit.lsp],
    });
    await lsp.pull(uri);
    times.push(performance.now() - t0);
  }
  await lsp.close();
  return { openMs, p50: percentile(times, 50), p95: percentile(times, 95), edits };
}

/** A workspace-scope scan in a process of its own, for a clean RSS figure. */
function workspaceRss(dir: string): { ms: number; rssMb: number; files: number } {
  const run = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'workspaceScan.js'), dir], {
    encoding: 'utf8',
  });
  const m = /workspace scan: (\d+) test files, \d+ findings, ([\d.]+) s, RSS after (\d+) MB/.exec(run.stdout);
  if (!m) throw new Error(`workspace scan failed:\n${run.stdout}\n${run.stderr}`);
  return { files: Number(m[1]), ms: Number(m[2]) * 1000, rssMb: Number(m[3]) };
}

(async () => {
  const generated = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-bench-'));
  const count = smoke ? 200 : 10_000;
  try {
    generateWorkspace(generated, count);
    const corpora: CorpusResult[] = [];
    const cpython = cpythonTests();
    if (runs('scan')) {
      if (cpython) corpora.push(await corpus('CPython Lib/test', cpython, smoke ? 40 : undefined));
      for (const [name, dir] of [
        ['Django (Debian)', '/usr/lib/python3/dist-packages/django'],
        ['DRF (Debian)', '/usr/lib/python3/dist-packages/rest_framework'],
      ] as const) {
        if (fs.existsSync(dir)) corpora.push(await corpus(name, dir, smoke ? 40 : undefined));
      }
      corpora.push(await corpus(`generated (${count} files)`, generated));
    }
    const ed = runs('editor') ? await editor(generated) : { openMs: NaN, p50: NaN, p95: NaN, edits: 0 };
    const ws = runs('workspace') ? workspaceRss(generated) : { files: 0, ms: NaN, rssMb: NaN };
    const rows = corpora.map(
      c =>
        `| ${c.name} | ${c.files} | ${c.mb.toFixed(1)} | ${(c.floorMs / 1000).toFixed(2)} | ${(c.scanMs / 1000).toFixed(2)} | ${c.ratio.toFixed(2)}x | ${c.findings} | ${c.skipped} |`,
    );
    console.log(
      [
        '| corpus | files | MB | floor s | scan s | scan/floor | findings | skipped |',
        '|---|---|---|---|---|---|---|---|',
        ...rows,
      ].join('\n'),
    );
    console.log(
      `\neditor: didOpen→diagnostics ${ed.openMs.toFixed(0)} ms (2,000-line module, warm server); didChange→diagnostics over ${ed.edits} edits: p50 ${ed.p50.toFixed(1)} ms, p95 ${ed.p95.toFixed(1)} ms`,
    );
    console.log(
      `workspace scope: ${ws.files} files scanned in ${(ws.ms / 1000).toFixed(1)} s, server RSS after ${ws.rssMb} MB`,
    );
    console.log(
      `BENCH ${JSON.stringify({ smoke, corpora, editor: ed, workspace: ws, cpus: os.cpus().length, node: process.version })}`,
    );
  } finally {
    fs.rmSync(generated, { recursive: true, force: true });
  }
})().catch(e => {
  console.error(e.stack || e);
  process.exit(1);
});
