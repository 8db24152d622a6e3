// node --cpu-prof test/out/bench/profileLint.js [--edits]: lints a generated 2,000-line module 50
// times from scratch (a didOpen), or with --edits re-parses and re-lints it after each of 300 typing
// edits as the server does (forest + memo: what a keystroke costs the engine, without the protocol).
import * as path from 'node:path';
import { Forest } from '../../server/src/syntax/forest';
import { lint } from '../../server/src/engine/lint';
import { getParser, parse } from '../../server/src/syntax/parser';
import { LintMemo } from '../../server/src/engine/units';
import { random, testModule, typingEdits } from './generate';
import { rules } from '../../server/src/rules';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((p / 100) * xs.length)]!;

(async () => {
  const parser = await getParser(path.join(__dirname, '../unit'));
  let text = testModule(random(7), 2000, 99);
  if (!process.argv.includes('--edits')) {
    const tree = parse(parser, text);
    const t0 = cpuMs();
    for (let i = 0; i < 50; i++) lint(tree, text, { rules, moduleName: 'tests.test_big' });
    console.log(`lint of a 2,000-line module: ${((cpuMs() - t0) / 50).toFixed(1)} ms CPU each`);
    tree.delete();
    return;
  }
  const memo = new LintMemo();
  const forest = Forest.parse(parser, text);
  lint(forest, text, { rules, moduleName: 'tests.test_big', memo });
  const times: number[] = [],
    parseTimes: number[] = [],
    analysed: number[] = [];
  for (const edit of typingEdits(text, 300)) {
    text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    const pointAt = (offset: number) => {
      let lo = 0,
        hi = lineStarts.length;
      while (lo + 1 < hi) {
        const mid = (lo + hi) >> 1;
        if (lineStarts[mid]! <= offset) lo = mid;
        else hi = mid;
      }
      return { row: lo, column: offset - lineStarts[lo]! };
    };
    const t0 = cpuMs();
    forest.edit(parser, text, edit.tree, pointAt);
    parseTimes.push(cpuMs() - t0);
    lint(forest, text, { rules, moduleName: 'tests.test_big', memo });
    times.push(cpuMs() - t0);
    analysed.push(memo.analysed);
  }
  forest.dispose();
  console.log(
    `300 edits, CPU time: parse+lint p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms (parse p50 ${pct(parseTimes, 50).toFixed(1)}, p95 ${pct(parseTimes, 95).toFixed(1)}); units analysed p50 ${pct(analysed, 50)}, p95 ${pct(analysed, 95)}, max ${Math.max(...analysed)}`,
  );
})();
