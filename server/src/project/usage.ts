// Who uses a name across the project's files: whether code reads an environment variable while the tests
// run, whether anything requests a fixture. A text search picks the files; the syntax tree decides.
import { escapeRegExp } from '../syntax/text';
import { stringValue, walk } from '../syntax/nodes';
import type { Node } from '../syntax/parser';

/** a call that sets or removes the variable named by its first argument */
const SETS_NAMED = /(^|\.)(setenv|delenv|putenv|unsetenv|pop|setdefault)$/;

/** Whether `text` holds `name` as a whole string literal ("NAME" or 'NAME'), the cheap test before parsing. */
export function mentionsString(text: string, name: string): boolean {
  return new RegExp(`(["'])${escapeRegExp(name)}\\1`).test(text);
}

/**
 * Whether the module `root` reads the environment variable `name` while tests run: the name as a string
 * in a function body (a module's or class's top level runs once, at import, before any test), other than
 * as the key a statement sets (`os.environ[name] = ...`, `del`, `setenv(name, ...)`, a dict key of
 * `patch.dict` or `update`), and in a function that does not set it itself (it reads its own value).
 */
export function readsEnvironAtRuntime(root: Node, name: string): boolean {
  let found = false;
  walk(
    root,
    node => {
      if (found) return false;
      if (node.type !== 'string' || stringValue(node) !== name) return;
      const fn = enclosingFunction(node);
      if (!fn || setsVariable(node)) return false;
      if (!functionSets(fn, name)) found = true;
      return false;
    },
    STRINGS,
  );
  return found;
}

function enclosingFunction(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition' || n.type === 'lambda') return n;
  return null;
}

/** The string is the key a statement sets or removes. */
function setsVariable(str: Node): boolean {
  const parent = str.parent;
  if (!parent) return false;
  if (parent.type === 'pair' && parent.childForFieldName('key')?.id === str.id) return true;
  if (parent.type === 'subscript') {
    let target: Node = parent;
    while (target.parent?.type === 'pattern_list' || target.parent?.type === 'expression_list') target = target.parent;
    const holder = target.parent;
    if (holder?.type === 'delete_statement') return true;
    return (
      (holder?.type === 'assignment' || holder?.type === 'augmented_assignment') &&
      holder.childForFieldName('left')?.id === target.id
    );
  }
  if (parent.type === 'argument_list' && parent.namedChildren[0]?.id === str.id) {
    const fn = parent.parent?.childForFieldName('function');
    return !!fn && SETS_NAMED.test(fn.text);
  }
  return false;
}

function functionSets(fn: Node, name: string): boolean {
  let sets = false;
  walk(
    fn,
    node => {
      if (sets) return false;
      if (stringValue(node) === name && setsVariable(node)) sets = true;
      return !sets;
    },
    STRINGS,
  );
  return sets;
}

const STRINGS = new Set(['string']);

/**
 * How many times `name` appears as a word in `text` outside its own definition (`def name(`): a fixture
 * is requested by a parameter, `usefixtures("name")` or `getfixturevalue("name")`, all of them the word.
 */
export function usesOfWord(text: string, name: string): number {
  let uses = 0;
  for (const m of text.matchAll(new RegExp(`(?<![\\w.])${escapeRegExp(name)}(?!\\w)`, 'g'))) {
    const before = text.slice(Math.max(0, (m.index ?? 0) - 10), m.index);
    if (!/\bdef\s+$/.test(before)) uses++;
  }
  return uses;
}
