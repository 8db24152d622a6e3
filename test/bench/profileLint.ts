// node --cpu-prof test/out/bench/profileLint.js: lints a generated 2,000-line module 50 times (what each
// keystroke costs in the editor today), for a CPU profile.
import * as path from 'node:path';
import { lint } from '../../server/src/lint';
import { getParser, parse } from '../../server/src/parser';
import { random, testModule } from './generate';

(async () => {
  const parser = await getParser(path.join(__dirname, '../unit'));
  const text = testModule(random(7), 2000, 99);
  const tree = parse(parser, text);
  const t0 = Date.now();
  for (let i = 0; i < 50; i++) lint(tree, text, { moduleName: 'tests.test_big' });
  console.log(`lint of a 2,000-line module: ${((Date.now() - t0) / 50).toFixed(1)} ms each`);
  tree.delete();
})();
