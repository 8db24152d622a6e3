// node --cpu-prof test/out/bench/profileScan.js <dir>: analyses every .py file under <dir> once, in
// one thread, for a CPU profile of the scan (what dominates beyond the parse).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeSource } from '../../server/src/syntax/source';
import { lint } from '../../server/src/engine/lint';
import { getParser, parse } from '../../server/src/syntax/parser';
import { rules } from '../../server/src/rules';

function pyFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) pyFiles(p, out);
    else if (e.name.endsWith('.py')) out.push(p);
  }
  return out;
}

(async () => {
  const parser = await getParser(path.join(__dirname, '../unit'));
  const texts = pyFiles(process.argv[2]!).flatMap(f => {
    try {
      return [decodeSource(fs.readFileSync(f)).text];
    } catch {
      return [];
    }
  });
  let parseMs = 0,
    lintMs = 0;
  for (const text of texts) {
    let t0 = performance.now();
    const tree = parse(parser, text);
    parseMs += performance.now() - t0;
    t0 = performance.now();
    try {
      lint(tree, text, { rules, moduleName: 'tests.test_x' });
    } catch {
      /* too slow: skipped */
    } finally {
      tree.delete();
    }
    lintMs += performance.now() - t0;
  }
  console.log(
    `${texts.length} files: parse ${parseMs.toFixed(0)} ms, lint ${lintMs.toFixed(0)} ms (${(lintMs / parseMs).toFixed(2)}x)`,
  );
})();
