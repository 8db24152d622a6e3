// Loads web-tree-sitter and the Python grammar once per process, and parses with a time bound.
import * as path from 'path';
import type * as TS from 'web-tree-sitter';
import { renewParser, unparsableReason } from './parseGuard';

// require(), not import: esbuild would bundle the ESM build, which crashes at run time (STYLE.md §8).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const treeSitter: typeof TS = require('web-tree-sitter');

export type Tree = TS.Tree;
export type Node = TS.Node;

/** Tells a tree about a text change, so the next parse can reuse it (incremental parsing). */
export function editTree(tree: Tree, edit: ConstructorParameters<typeof TS.Edit>[0]): void {
  tree.edit(new treeSitter.Edit(edit));
}

/** Files larger than this are not parsed: a test module this big is generated, not written. */
export const MAX_FILE_CHARS = 5_000_000;
/** A parse that takes longer than this is abandoned (pathological input must not hang the server). */
export const PARSE_TIMEOUT_MS = 3_000;

let ready: Promise<TS.Parser> | undefined;

/** The one parser of this process (or worker). `wasmDir` holds both .wasm files; default: next to the bundle. */
export function getParser(wasmDir: string = __dirname): Promise<TS.Parser> {
  ready ??= (async () => {
    await treeSitter.Parser.init({ locateFile: (name: string) => path.join(wasmDir, name) });
    const python = await treeSitter.Language.load(path.join(wasmDir, 'tree-sitter-python.wasm'));
    const parser = new treeSitter.Parser();
    parser.setLanguage(python);
    return parser;
  })();
  return ready;
}

export class ParseError extends Error {}

/**
 * A text that changes. A tree parsed from it reads its nodes' text from it as it is now, so a tree
 * shifted by `tree.edit` (not parsed again) still gives each node's text right.
 */
export interface LiveText {
  text: string;
}

const LONE_CR = /\r(?!\n)/,
  LONE_CR_ALL = /\r(?!\n)/g;

const queries = new Map<string, TS.Query>();

/**
 * Every node of the given types under `root`, in document order. tree-sitter's query engine finds
 * them in WASM, far faster than stepping a cursor from JavaScript; each query is compiled once.
 */
export function nodesOfTypes(root: Node, types: readonly string[]): Node[] {
  const key = [...new Set(types)].sort().join(' ');
  let query = queries.get(key);
  if (!query) {
    query = new treeSitter.Query(
      root.tree.language,
      `[${key
        .split(' ')
        .map(t => `(${t})`)
        .join(' ')}] @node`,
    );
    queries.set(key, query);
  }
  return query.captures(root).map(c => c.node);
}

/**
 * Parses `text` (only `includedRanges` of it, when given), reusing `oldTree` (already `edit`ed) when
 * given. Throws ParseError with a one-line
 * reason when the input is too large or the parse runs out of time; never returns a partial tree.
 */
export function parse(
  parser: TS.Parser,
  text: string | LiveText,
  oldTree?: Tree | null,
  includedRanges?: TS.Range[],
  timeoutMs = PARSE_TIMEOUT_MS,
): Tree {
  const length = typeof text === 'string' ? text.length : text.text.length;
  if (length > MAX_FILE_CHARS) {
    throw new ParseError(`file too large to analyse (${length} characters, limit ${MAX_FILE_CHARS})`);
  }
  // only what is parsed: a region of an edited document (its indentation is the scanner's depth)
  const whole = typeof text === 'string' ? text : text.text;
  const refused = unparsableReason(
    includedRanges ? includedRanges.map(r => whole.slice(r.startIndex, r.endIndex)).join('\n') : whole,
  );
  if (refused) throw new ParseError(refused);
  const deadline = Date.now() + timeoutMs;
  let tree: Tree | null;
  try {
    // a lone \r ends a line for Python (and for the editor's line numbers) but not for the grammar: it
    // sees \n in its place, which keeps every offset
    const input =
      typeof text === 'string'
        ? LONE_CR.test(text)
          ? text.replace(LONE_CR_ALL, '\n')
          : text
        : (index: number) => {
            const rest = text.text.slice(index);
            return LONE_CR.test(rest) ? rest.replace(LONE_CR_ALL, '\n') : rest;
          };
    tree = parser.parse(input, oldTree ?? null, { progressCallback: () => Date.now() > deadline, includedRanges });
  } catch (e) {
    if ((e as Error)?.name !== 'RuntimeError') throw e; // a WASM trap
    renewParser(parser);
    throw new ParseError(`the Python parser failed on this input (${(e as Error).message})`);
  }
  if (!tree) {
    // a cancelled parse is resumed by the parser's next call, whatever text that is given: start afresh
    parser.reset();
    throw new ParseError(`parse gave up after ${timeoutMs} ms`);
  }
  return tree;
}
