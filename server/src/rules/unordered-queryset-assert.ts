import { Edit, Fix } from '../fix';
import type { Node } from '../parser';
import { createRule } from '../rule';
import { positionalArguments } from '../syntax';

const ORDERED_ASSERTS = new Set(['assertEqual', 'assertEquals', 'assertListEqual', 'assertSequenceEqual']);
/** the last call of a chain that makes it a queryset (on a manager or related manager) */
const QUERYSET_METHODS = new Set(['all', 'filter', 'exclude', 'values', 'values_list', 'select_related', 'prefetch_related', 'distinct', 'only', 'defer', 'annotate', 'using']);
const ORDERING = /\.(order_by|reverse|latest|earliest|first|last)\(|\bsorted\(/;

export default createRule({
  id: 'XT100',
  name: 'unordered-queryset-assert',
  severity: 'warning',
  fix: 'always',
  summary: 'A queryset without order_by is compared with an ordered list',
  docs: {
    what: 'A queryset or related manager (`.all()`, `.filter()`, an M2M manager) compared as an ordered list with '
      + 'two or more items (`assertEqual(list(qs), [a, b])`, `assert list(x.tags.all()) == [a, b]`) with no '
      + '`order_by` in the chain.',
    why: 'Without ORDER BY the database returns rows in whatever order is convenient: insertion order on an idle '
      + 'SQLite, something else on PostgreSQL after updates, vacuum or a different plan, and differently across '
      + 'xdist workers whose databases saw different histories. The test passes until it does not.',
    incident: 'A perennial Django flake: `assertEqual(list(Book.objects.filter(...)), [b1, b2])` passes locally on '
      + 'SQLite and fails on CI\'s PostgreSQL, or only under `--parallel`.',
    example: [
      'self.assertEqual(list(book.tags.all()), [python, django])        # XT100',
      '',
      '# fixed',
      'self.assertCountEqual(list(book.tags.all()), [python, django])',
    ].join('\n'),
    fixSafety: '`assertEqual` → `assertCountEqual` is safe (same elements, any order). For a bare `assert ... == [...]` '
      + 'the comparison becomes a set comparison, which is unsafe when rows can repeat (`values_list` without '
      + '`distinct`).',
  },
  create(ctx) {
    const report = (node: Node, qs: Node, fix: Fix) => ctx.report({
      node,
      message: `${qs.text} has no order_by, so the database may return its rows in any order, and differently per xdist worker: comparing it with an ordered list is a coin toss`,
      fix,
    });
    return {
      call(call) {
        const fn = call.childForFieldName('function');
        const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')!.text : '';
        if (!ORDERED_ASSERTS.has(method)) return;
        const [a, b] = positionalArguments(call);
        if (!a || !b) return;
        const qs = unorderedQueryset(a) ?? unorderedQueryset(b);
        const list = isMultiList(a) ? a : isMultiList(b) ? b : null;
        if (!qs || !list) return;
        const name = fn!.childForFieldName('attribute')!;
        report(call, qs, Fix.safe('Compare in any order with assertCountEqual', [Edit.replace(name.startIndex, name.endIndex, 'assertCountEqual')]));
      },
      comparison_operator(cmp) {
        const operands = cmp.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
        if (operands.length !== 2 || !cmp.children.some(c => c?.type === '==')) return;
        const [a, b] = operands as [Node, Node];
        const qsSide = unorderedQueryset(a) ? a : unorderedQueryset(b) ? b : null;
        const listSide = isMultiList(a) ? a : isMultiList(b) ? b : null;
        if (!qsSide || !listSide) return;
        const qs = unorderedQueryset(qsSide)!;
        const asSet = qsSide.type === 'call' && qsSide.childForFieldName('function')?.text === 'list'
          ? `set(${qs.text})` : `set(${qsSide.text})`;
        report(cmp, qs, Fix.unsafe('Compare as sets', [
          Edit.replace(qsSide.startIndex, qsSide.endIndex, asSet),
          Edit.replace(listSide.startIndex, listSide.endIndex, `{${listSide.text.slice(1, -1)}}`),
        ]));
      },
    };
  },
});

function isMultiList(node: Node): boolean {
  return (node.type === 'list' || node.type === 'tuple') && node.namedChildren.filter(c => c?.type !== 'comment').length >= 2
    && !node.namedChildren.some(c => c?.type === 'list_splat');
}

/** `list(<qs>)` or `<qs>` where qs is a manager chain with no ordering: the queryset node. */
function unorderedQueryset(node: Node): Node | null {
  const inner = node.type === 'call' && node.childForFieldName('function')?.text === 'list' ? positionalArguments(node)[0] : node;
  if (inner?.type !== 'call') return null;
  const fn = inner.childForFieldName('function');
  if (fn?.type !== 'attribute' || !QUERYSET_METHODS.has(fn.childForFieldName('attribute')!.text)) return null;
  const text = inner.text;
  if (ORDERING.test(text)) return null;
  // a manager: `.objects.` (or a custom manager under it), or a related manager's `.all()`/`.filter()`
  const method = fn.childForFieldName('attribute')!.text;
  const onManager = /\.objects\b/.test(text) || ((method === 'all' || method === 'filter' || method === 'exclude') && fn.childForFieldName('object')!.type === 'attribute');
  return onManager ? inner : null;
}
