// Python 2 code: a fix must not reach for what only Python 3 has (`assertCountEqual`, `unittest.mock`).
import type { RuleContext } from '../../engine/rule';
import { walk } from '../../syntax/nodes';

/** builtins Python 3 dropped: calling one (the module binding none of them) is Python 2 code */
const PYTHON2_BUILTINS = new Set(['unicode', 'basestring', 'xrange', 'unichr', 'raw_input', 'execfile']);
const SEARCHED = /\b(?:unicode|basestring|xrange|unichr|raw_input|execfile)\s*\(|^[ \t]*(?:print|exec)[ \t]+[^\s(=]/m;
const TYPES = new Set(['call', 'print_statement', 'exec_statement']);

/**
 * Whether the module is Python 2 code: a `print` or `exec` statement, or a call of a builtin Python 3
 * dropped (`unicode(x)`: moztrap's tests), not one the module defines or imports itself.
 */
export function isPython2(ctx: RuleContext): boolean {
  return ctx.file.memo(isPython2, () => {
    if (!ctx.file.mentions(SEARCHED)) return false;
    ctx.file.readsEveryUnit(); // the statement may be in any unit of the module
    let found = false;
    for (const { node } of ctx.file.topLevel) {
      walk(
        node,
        n => {
          if (found) return false;
          if (n.type !== 'call') {
            found = true;
            return false;
          }
          const fn = n.childForFieldName('function');
          found = fn?.type === 'identifier' && PYTHON2_BUILTINS.has(fn.text) && ctx.names.isBuiltin(fn, fn.text);
          return !found;
        },
        TYPES,
      );
      if (found) break;
    }
    return found;
  });
}
