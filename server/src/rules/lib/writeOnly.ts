// A file a test writes and nothing reads: a debug dump (`open("debug_response.html", "w")`). Two
// workers writing it at once change no result, since nothing looks at what they wrote.
import type { RuleContext } from '../../engine/rule';
import type { Node } from '../../syntax/parser';
import { field, keywordArgument, positionalArguments, stringValue } from '../../syntax/nodes';

/** open() modes that only write (no `+`: a read-back would be a use) */
const WRITE_MODE = /^[wa]b?t?$|^[wa]t?b?$/;

/**
 * Whether a call only writes the file `path` names (open() in a write mode, Path's write_text or
 * write_bytes, a library's save) and the file's name occurs once in the whole project, there: nothing
 * else reads it. Unknown (no project, files not listed): false.
 */
export function writtenOnly(ctx: RuleContext, path: Node, plainWrite: boolean): boolean {
  if (!plainWrite) return false;
  const name = (stringValue(path) ?? '').split('/').pop() ?? '';
  if (!/\.\w+$/.test(name)) return false; // a directory, or a name too vague to search for
  return ctx.project?.occurrences(name) === 1 && path.text.includes(name);
}

/** Path's methods that write a file's content */
export const PATH_CONTENT_WRITES: ReadonlySet<string> = new Set(['write_text', 'write_bytes']);

/**
 * A call that writes a file's content and reads nothing back (not a directory made, not a copy, not a
 * file touched): `open(x, "w")`, `open(x, mode="a")`, or a method of `methods` (Path's `write_text` and
 * `write_bytes` unless told otherwise, a library's `save`).
 */
export function writesContent(ctx: RuleContext, call: Node, methods = PATH_CONTENT_WRITES): boolean {
  const fn = field(call, 'function');
  if (ctx.names.isBuiltin(fn, 'open') || ctx.names.is(fn, 'io.open')) {
    const mode = positionalArguments(call)[1] ?? keywordArgument(call, 'mode');
    const m = mode ? stringValue(mode) : null;
    return !!m && WRITE_MODE.test(m);
  }
  return fn.type === 'attribute' && methods.has(field(fn, 'attribute').text);
}
