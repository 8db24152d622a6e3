// What the fuzz suite feeds each file through, shared with the regression test of what it found
// (test/unit/fuzzRegressions.test.ts): the analyser, the language server and the CLI. Each returns
// the skip reasons it saw (each must be one line) and its problems: crashes, errors, broken properties.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { main as cli } from '../../server/src/cli/main';
import { decodeSource } from '../../server/src/syntax/source';
import { fixAll, lint, type LintOptions } from '../../server/src/engine/lint';
import { getParser, parse, ParseError } from '../../server/src/syntax/parser';
import { PropertyChecker, syntaxProblemCount } from '../props/properties';
import { startClient, type TestClient } from '../unit/lspClient';
import { random } from './mutate';
import { rules } from '../../server/src/rules';

export interface Report {
  skipped: string[];
  problems: string[];
}

/** The analysis budget the language server uses per document version (server.ts EDITOR_BUDGET_MS). */
export const BUDGET_MS = 2000;

const oneLine = (s: string) => !s.includes('\n') && s.length > 0;
export const describe = (e: unknown) =>
  String((e as Error)?.stack ?? e)
    .split('\n')
    .slice(0, 4)
    .map(s => s.trim())
    .join(' | ');

/** Decode, parse, lint, fix-all (unsafe included) and, on files of modest size, the fix properties. */
export async function analyse(
  wasmDir: string,
  bytes: Buffer,
  partial: Omit<LintOptions, 'rules'>,
  properties = true,
): Promise<Report> {
  const options: LintOptions = { rules, budgetMs: BUDGET_MS, ...partial };
  const parser = await getParser(wasmDir);
  const report: Report = { skipped: [], problems: [] };
  let text: string;
  try {
    text = decodeSource(bytes).text;
  } catch (e) {
    const reason = (e as Error).message;
    (oneLine(reason) ? report.skipped : report.problems).push(`analyser: ${reason}`);
    return report;
  }
  try {
    const tree = parse(parser, text);
    try {
      lint(tree, text, options);
    } finally {
      tree.delete();
    }
    fixAll(parser, text, { ...options, unsafe: true });
    if (properties && text.length < 150_000) {
      for (const v of new PropertyChecker(parser).check(text, options, undefined, { maxFixes: 12 }).violations) {
        report.problems.push(`property ${v.property}: ${v.rule} line ${v.line}: ${v.detail}`);
      }
    }
  } catch (e) {
    if (e instanceof ParseError && oneLine(e.message)) report.skipped.push(`analyser: ${e.message}`);
    else report.problems.push(`analyser crash: ${describe(e)}`);
  }
  return report;
}

/** An in-process language server and what it logs. */
export class ServerTarget {
  private readonly logs: { type: number; message: string }[] = [];
  private constructor(
    readonly client: TestClient,
    readonly root: string,
    private readonly wasmDir: string,
  ) {
    client.rpc.onNotification('window/logMessage', (m: { type: number; message: string }) => {
      this.logs.push(m);
    });
  }

  /** A server whose workspace folder `root` does not exist on disk (so nothing but the documents counts). */
  static async start(wasmDir: string, root = 'file:///nonexistent-crosstalk-fuzz'): Promise<ServerTarget> {
    return new ServerTarget(await startClient(root, wasmDir), root, wasmDir);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /**
   * Opens `bytes` (decoded leniently, as an editor shows them) as test module `name`, pulls
   * diagnostics, asks for every quick fix and fix-all and applies them, edits it incrementally at
   * random (overlapping, past the end), pulls again: each answer must come, and the last must agree
   * with a fresh analysis of the final text.
   */
  async exercise(bytes: Buffer, name: string, seed: number): Promise<Report> {
    const { rpc } = this.client;
    const report: Report = { skipped: [], problems: [] };
    const uri = `${this.root}/tests/${name}.py`;
    const rnd = random(seed);
    let doc = TextDocument.create(uri, 'python', 1, new TextDecoder('utf-8').decode(bytes));
    this.logs.length = 0;
    const request = async <T>(what: string, method: string, params: unknown): Promise<T | undefined> => {
      try {
        return (await rpc.sendRequest(method, params)) as T;
      } catch (e) {
        report.problems.push(`lsp ${what} failed: ${describe(e)}`);
        return undefined;
      }
    };
    const change = async (c: { range: TextEdit['range']; text: string }) => {
      doc = TextDocument.update(doc, [c], doc.version + 1);
      await rpc.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: doc.version },
        contentChanges: [c],
      });
    };
    const pull = async () =>
      (await request<{ items: Diagnostic[] }>('diagnostic', 'textDocument/diagnostic', { textDocument: { uri } }))
        ?.items ?? [];
    await rpc.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: doc.getText() },
    });
    try {
      const items = await pull();
      const whole = { start: { line: 0, character: 0 }, end: { line: doc.lineCount, character: 0 } };
      const actions =
        (await request<CodeAction[]>('code actions', 'textDocument/codeAction', {
          textDocument: { uri },
          range: whole,
          context: { diagnostics: items },
        })) ?? [];
      for (const a of actions) {
        try {
          TextDocument.applyEdits(doc, a.edit?.changes?.[uri] ?? []);
        } catch (e) {
          report.problems.push(`lsp: "${a.title}" does not apply: ${describe(e)}`);
        }
      }
      const fixAllActions = await request<CodeAction[]>('fix all', 'textDocument/codeAction', {
        textDocument: { uri },
        range: whole,
        context: { diagnostics: [], only: ['source.fixAll.crosstalk'] },
      });
      const fixEdit = fixAllActions?.[0]?.edit?.changes?.[uri]?.[0];
      if (fixEdit) await change({ range: fixEdit.range, text: fixEdit.newText });
      await pull();
      // random incremental edits, some past the end of the document
      for (let round = 0; round < 3; round++) {
        for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
          const line = Math.floor(rnd() * (doc.lineCount + 2)),
            character = Math.floor(rnd() * 20);
          const end = { line: line + Math.floor(rnd() * 3), character: Math.floor(rnd() * 20) };
          await change({
            range: { start: { line, character }, end },
            text: ['', 'x', '\n', '    cache.clear()\n', '(', '"""', '\t'][Math.floor(rnd() * 7)]!,
          });
        }
        await pull();
      }
      const final = await pull();
      // the incrementally edited tree must give what a fresh parse gives (unless the analysis gave up)
      const gaveUp = this.logs.some(l => l.message.includes(uri));
      if (!gaveUp && report.problems.length === 0) {
        const text = doc.getText();
        const tree = parse(await getParser(this.wasmDir), text);
        let fresh;
        try {
          // the rules the server runs with no configuration: an opt-in rule (XT080) is off there
          fresh = lint(tree, text, { rules: rules.filter(r => !r.optIn), moduleName: `tests.${name}` });
        } catch {
          fresh = null;
        } finally {
          tree.delete();
        }
        const got = final.map(d => `${d.range.start.line}:${d.code}`).join(' '),
          want = fresh?.map(f => `${f.startPos.line}:${f.rule.id}`).join(' ');
        if (fresh && got !== want)
          report.problems.push(`lsp: incremental diagnostics [${got}] differ from a fresh analysis [${want}]`);
      }
    } finally {
      await rpc.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
    for (const l of this.logs) {
      if (l.type === 1 || !oneLine(l.message))
        report.problems.push(`lsp logged: ${l.message.split('\n').slice(0, 3).join(' | ')}`);
      else if (l.message.includes(uri)) report.skipped.push(`lsp: ${l.message.replace(uri, '<doc>')}`);
    }
    return report;
  }
}

const hash = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map(f => [
        f,
        createHash('sha1')
          .update(fs.readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );

/**
 * `files` as test modules of a temporary project, through `crosstalk check` in each of `formats`
 * (nothing may be written), then `--fix --unsafe-fixes` (twice by default): no new syntax errors, and
 * the second run changes nothing. Every file that cannot be decoded must be reported, in one line.
 */
export async function checkWithCli(
  wasmDir: string,
  files: Map<string, Buffer>,
  opts: { formats?: string[]; fixRuns?: 1 | 2 } = {},
): Promise<Report> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-fuzz-'));
  const tests = path.join(dir, 'tests');
  fs.mkdirSync(tests);
  const report: Report = { skipped: [], problems: [] };
  const parser = await getParser(wasmDir);
  const problemsOf = (bytes: Buffer) => {
    try {
      const t = parse(parser, decodeSource(bytes).text);
      try {
        return syntaxProblemCount(t);
      } finally {
        t.delete();
      }
    } catch {
      return -1;
    }
  };
  const undecodable = new Set<string>();
  for (const [name, bytes] of files) {
    fs.writeFileSync(path.join(tests, name), bytes);
    try {
      decodeSource(bytes);
    } catch {
      undecodable.add(name);
    }
  }
  const run = async (...args: string[]) => {
    const out: string[] = [],
      err: string[] = [];
    const what = `cli ${args.join(' ')}`;
    let code: number;
    try {
      code = await cli(
        ['check', tests, ...args],
        s => out.push(s),
        s => err.push(...s.split('\n')),
      );
    } catch (e) {
      report.problems.push(`${what} crashed: ${describe(e)}`);
      return null;
    }
    // a file not analysed is reported on stderr and exits 1, as a finding does; 2 is for usage errors only
    if (![0, 1].includes(code) || (err.length > 0 && code !== 1))
      report.problems.push(`${what}: exit ${code} with ${err.length} stderr lines`);
    const named = new Set<string>();
    for (const line of err) {
      const m = /^crosstalk: .*[\\/]([^\\/]+\.py): (.+)$/.exec(line);
      if (!m) {
        report.problems.push(`${what}: stderr line not "crosstalk: FILE: reason": ${line.slice(0, 200)}`);
        continue;
      }
      named.add(m[1]!);
      report.skipped.push(`cli: ${m[2]}`);
    }
    for (const f of undecodable)
      if (!named.has(f)) report.problems.push(`${what}: ${f} cannot be decoded but was not reported`);
    return out.join('\n');
  };
  try {
    const before = hash(tests);
    for (const format of opts.formats ?? ['text', 'json', 'sarif']) {
      const out = await run('--format', format);
      if (out !== null && format !== 'text') {
        try {
          JSON.parse(out);
        } catch {
          report.problems.push(`cli --format ${format}: output is not JSON`);
        }
      }
    }
    const unchanged = hash(tests);
    for (const f of Object.keys(before))
      if (before[f] !== unchanged[f]) report.problems.push(`cli without --fix wrote ${f}`);
    report.skipped.length = 0; // each skip counted once, from the --fix run
    await run('--fix', '--unsafe-fixes');
    const fixed = hash(tests);
    for (const [f, bytes] of files) {
      if (before[f] === fixed[f]) continue;
      const was = problemsOf(bytes),
        now = problemsOf(fs.readFileSync(path.join(tests, f)));
      if (now > was) report.problems.push(`cli --fix: ${f} has ${now - was} new ERROR/MISSING node(s)`);
    }
    if (opts.fixRuns === 1) return report;
    const skips = report.skipped.length;
    await run('--fix', '--unsafe-fixes');
    report.skipped.length = skips;
    const again = hash(tests);
    for (const f of Object.keys(fixed))
      if (fixed[f] !== again[f]) report.problems.push(`cli --fix: a second run changed ${f} again`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
