// Who visibly reads what a setup hook leaves behind: the later test a leak is reported for.
import type { Node } from '../../syntax/parser';
import type { RuleContext } from '../../engine/rule';
import { defName } from '../../syntax/nodes';
import { escapeRegExp } from '../../syntax/text';

/** one RegExp object per question: the engine remembers file-wide answers by pattern */
const patterns = new Map<string, RegExp>();

/**
 * Whether a value `hook` (a setup hook: setUp, setUpClass, ...) writes to `name` reaches a test that
 * reads it: a test function or class of this module, other than the hook's class and classes deriving
 * from it, whose text names `name` (or `holder`, the object it is an attribute of: `Exporter` for
 * `Exporter.batch_size`, used by the test) and never sets it (an assignment, a keyword such as
 * `override_settings(NAME=...)`, the name as a string: `setattr`, a dict key).
 *
 * A setup hook's write is its class's configuration, given again before each of its tests; after the
 * class it stays for later tests of other classes, which matters only where one of them reads it without
 * setting it. Tests in other modules, or code under test reading it, cannot be seen from here: then the
 * rules say nothing. A module-level hook (setup_function, setUpModule) runs before every test of the
 * module, so none of them is a reader it reaches. A base class's hook (the class has no tests) is not one
 * class's configuration but many classes', in other modules too: its write is taken to reach readers.
 */
export function setupWriteReachesReaders(ctx: RuleContext, hook: Node, name: string, holder?: string): boolean {
  const cls = ctx.defs.methodClass(hook);
  if (!cls || !/^\w+$/.test(name)) return false;
  // a base class with no tests of its own: its hook runs before the tests of every class deriving
  // from it, wherever they are, and what it leaves is there for the rest of the process (readthedocs)
  if (ctx.testing.testsOf(cls).length === 0) return true;
  const n = escapeRegExp(name);
  const read = holder && /^\w+$/.test(holder) ? `(?:${n}|${escapeRegExp(holder)})` : n;
  const sets = `\\b${n}\\b\\s*(?:\\[[^\\]\\n]*\\]\\s*)*=(?!=)|["']${n}["']`;
  const subclass = `(?:@.*\\n)*class\\s+\\w+\\s*\\([^)]*\\b${escapeRegExp(defName(cls))}\\b`;
  const source = `^(?!${subclass})(?![\\s\\S]*(?:${sets}))(?=[\\s\\S]*\\b${read}\\b)[\\s\\S]*\\bdef\\s+test`;
  let pattern = patterns.get(source);
  if (!pattern) patterns.set(source, (pattern = new RegExp(source)));
  return ctx.file.anyUnit(pattern);
}
