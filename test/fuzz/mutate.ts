// A deterministic mutator of real test files, for the fuzz suite: the same seed and index always
// give the same bytes. Byte-level damage (truncation, noise, NUL, invalid UTF-8), line-level damage
// (CRLF, lone CR, mixed indentation, duplicated and deleted lines), size and depth (3 MB files,
// 5,000-deep nesting of every kind), and rewrites that keep the code valid but unusual (statements
// joined by semicolons, one-line bodies, comments and blank lines among decorators, tabs).

import { random } from '../bench/generate';

export type Random = () => number;
export { random };

const int = (rnd: Random, n: number) => Math.floor(rnd() * n);
const pick = <T>(rnd: Random, list: readonly T[]): T => list[int(rnd, list.length)]!;

const lines = (b: Buffer) => b.toString('latin1').split('\n');
const join = (ls: string[]) => Buffer.from(ls.join('\n'), 'latin1');

/**
 * 5,000-deep constructs, each inside a test that uses the cache, so the rules look at them. Nested
 * blocks indent one column more each: 5,000 of them make a 12 MB file, refused for its size (with its
 * reason); defs, classes and withs nest 1,000 deep (500 KB), which is analysed.
 */
export const DEEP: Record<string, () => string> = {
  parens: () => `x = ${'('.repeat(5000)}cache.get(1)${')'.repeat(5000)}`,
  brackets: () => `x = ${'['.repeat(5000)}${']'.repeat(5000)}`,
  braces: () => `x = ${'{'.repeat(5000)}${'}'.repeat(5000)}`,
  calls: () => `x = ${'f('.repeat(5000)}cache${')'.repeat(5000)}`,
  attributes: () => `cache${'.a'.repeat(5000)}.clear()`,
  subscripts: () => `settings.CACHES${'[0]'.repeat(5000)} = 1`,
  binary: () => `x = ${Array.from({ length: 5000 }, () => 'cache.get(1)').join(' + ')}`,
  unary: () => `x = ${'not '.repeat(5000)}cache`,
  lambdas: () => `x = ${'lambda: '.repeat(5000)}cache.clear()`,
  strings: () => `open(${Array.from({ length: 5000 }, () => '"/tmp/x"').join(' ')}, "w")`,
  blocks: () =>
    Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}if x:`).join('\n') + `\n${' '.repeat(5000)}cache.clear()`,
  defs: () =>
    Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}def test_${i}(self):`).join('\n') +
    `\n${' '.repeat(1000)}os.environ["X"] = "1"`,
  classes: () =>
    Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}class T${i}(TestCase):`).join('\n') +
    `\n${' '.repeat(1000)}def test_x(self): cache.clear()`,
  decorators: () => `${'@override_settings(DEBUG=True)\n'.repeat(5000)}def test_decorated():\n    cache.clear()`,
  withs: () =>
    Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}with mock.patch("a.b"):`).join('\n') +
    `\n${' '.repeat(1000)}settings.DEBUG = True`,
  fstrings: () => `x = ${'f"{'.repeat(200)}cache${'}"'.repeat(200)}`,
};

/** Each mutation: a name and what it does to the bytes. */
export const MUTATIONS: Record<string, (b: Buffer, rnd: Random) => Buffer> = {
  truncate: (b, rnd) => b.subarray(0, int(rnd, b.length + 1)),
  noise: (b, rnd) => {
    const out = Buffer.from(b);
    for (let i = 0, n = 1 + int(rnd, 16); i < n && out.length; i++) out[int(rnd, out.length)] = int(rnd, 256);
    return out;
  },
  nul: (b, rnd) => {
    const at = int(rnd, b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.alloc(1 + int(rnd, 4)), b.subarray(at)]);
  },
  'invalid-utf8': (b, rnd) => {
    const bad = pick(rnd, [
      [0xff],
      [0xc3],
      [0xe2, 0x82],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0x80],
    ]);
    const at = int(rnd, b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(bad), b.subarray(at)]);
  },
  crlf: b => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'),
  'lone-cr': (b, rnd) =>
    Buffer.from(
      b.toString('latin1').replace(/\n/g, () => (rnd() < 0.2 ? '\r' : '\n')),
      'latin1',
    ),
  'mixed-indent': (b, rnd) =>
    join(
      lines(b).map(l =>
        rnd() < 0.3 ? l.replace(/^( {4})+/, m => (rnd() < 0.5 ? '\t'.repeat(m.length / 4) : `\t${m.slice(4)}`)) : l,
      ),
    ),
  'duplicate-lines': (b, rnd) => {
    const ls = lines(b);
    const at = int(rnd, ls.length),
      n = 1 + int(rnd, 8);
    ls.splice(at, 0, ...ls.slice(at, at + n));
    return join(ls);
  },
  'delete-lines': (b, rnd) => {
    const ls = lines(b);
    ls.splice(int(rnd, ls.length), 1 + int(rnd, 8));
    return join(ls);
  },
  /** statements at the same indentation joined with `;` (valid Python) */
  semicolons: (b, rnd) => {
    const ls = lines(b);
    for (let i = ls.length - 2; i >= 0; i--) {
      const a = ls[i]!,
        next = ls[i + 1]!;
      const ia = /^[ \t]*/.exec(a)![0];
      if (
        rnd() < 0.3 &&
        a.trim() &&
        next.startsWith(ia) &&
        /^\S/.test(next.slice(ia.length)) &&
        !/[:,\\([{#]\s*$/.test(a) &&
        !/^\s*(@|def |class |if |elif |else|for |while |try|except|finally|with |async |return\b|#|"|')/.test(a) &&
        !/^(@|def |class |if |elif |else|for |while |try|except|finally|with |async |#|\)|]|})/.test(next.trim())
      ) {
        ls.splice(i, 2, `${a}; ${next.trim()}`);
      }
    }
    return join(ls);
  },
  /** a one-statement body moved onto its `def`/`if`/`with` line (valid Python) */
  'one-line-bodies': b => {
    const ls = lines(b);
    for (let i = ls.length - 2; i >= 0; i--) {
      const head = ls[i]!,
        body = ls[i + 1]!,
        after = ls[i + 2] ?? '';
      const indent = /^[ \t]*/.exec(head)![0].length,
        bodyIndent = /^[ \t]*/.exec(body)![0].length;
      const afterIndent = after.trim() ? /^[ \t]*/.exec(after)![0].length : 0;
      if (
        /^\s*(def|if|with|for|while)\b.*:\s*$/.test(head) &&
        bodyIndent > indent &&
        afterIndent <= indent &&
        !/^\s*(def|class|if|for|while|with|try|@|#|"""|''')/.test(body) &&
        !/[:,\\([{]\s*$/.test(body)
      ) {
        ls.splice(i, 2, `${head.trimEnd()} ${body.trim()}`);
      }
    }
    return join(ls);
  },
  /** comment and blank lines among decorators and before definitions */
  comments: (b, rnd) =>
    join(
      lines(b).flatMap(l =>
        /^\s*(@|def |class )/.test(l) && rnd() < 0.5
          ? [`${/^\s*/.exec(l)![0]}# fuzz: a comment`, ...(rnd() < 0.5 ? [''] : []), l]
          : [l],
      ),
    ),
  tabs: b => join(lines(b).map(l => l.replace(/^( {4})+/, m => '\t'.repeat(m.length / 4)))),
  /** the file repeated to 3 MB */
  huge: b => {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < 3_000_000 && b.length) {
      parts.push(b, Buffer.from('\n'));
      size += b.length + 1;
    }
    return Buffer.concat(parts);
  },
};

/** Mutations cheap enough to stack and to use often; `huge` and `deep` cost seconds each. */
const COMMON = Object.keys(MUTATIONS).filter(k => k !== 'huge' && k !== 'deep');
/**
 * The first mutants of a run: 5,000-deep constructs and a 3 MB file. Each costs seconds, so a run
 * takes four of the deep kinds (which four turns with the seed) and one huge file; `all` takes them all.
 */
export function fixedKinds(runSeed: number, all: boolean): string[] {
  const deep = Object.keys(DEEP);
  const some = all ? deep : Array.from({ length: 4 }, (_, i) => deep[(runSeed * 4 + i) % deep.length]!);
  return [...some.map(k => `deep:${k}`), ...(all ? ['huge', 'huge'] : ['huge'])];
}

export interface Mutant {
  bytes: Buffer;
  kinds: string[];
}

/**
 * The `index`-th mutant of a run: one to three mutations of `seed` (in a long run, now and then a huge or deep one).
 */
export function mutant(
  seed: Buffer,
  runSeed: number,
  index: number,
  opts: { only?: string[]; long?: boolean } = {},
): Mutant {
  const rnd = random(runSeed * 1_000_003 + index);
  const roll = rnd();
  const fixed = fixedKinds(runSeed, !!opts.long);
  const kinds = opts.only
    ? Array.from({ length: 1 + int(rnd, 2) }, () => pick(rnd, opts.only!))
    : index < fixed.length
      ? [fixed[index]!]
      : opts.long && roll < 0.002
        ? ['huge']
        : opts.long && roll < 0.02
          ? ['deep']
          : Array.from({ length: 1 + int(rnd, 3) }, () => pick(rnd, COMMON));
  let bytes = seed;
  for (const [i, k] of kinds.entries()) {
    if (k.startsWith('deep')) {
      const kind = k.split(':')[1] ?? pick(rnd, Object.keys(DEEP));
      bytes = deepened(bytes, kind);
      kinds[i] = `deep:${kind}`;
    } else {
      bytes = MUTATIONS[k]!(bytes, rnd);
    }
  }
  return { bytes, kinds };
}

/** `bytes` with a 5,000-deep construct of `kind` in a test function at the end. */
function deepened(bytes: Buffer, kind: string): Buffer {
  const body = DEEP[kind]!()
    .split('\n')
    .map(l => `    ${l}`)
    .join('\n');
  return Buffer.concat([bytes, Buffer.from(`\n\ndef test_deep_${kind}(settings):\n${body}\n`)]);
}
