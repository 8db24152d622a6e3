import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { declaresOrder, isDjangoManager, managerMethodUnordered, QUERYSET_METHODS } from '../analysis/django';
import type { ClassLookup } from '../analysis/projectView';
import { isPython2 } from './lib/python2';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import { assignedValues, field, keywordArgument, positionalArguments } from '../syntax/nodes';

const ORDERED_ASSERTS = new Set(['assertEqual', 'assertEquals', 'assertListEqual', 'assertSequenceEqual']);
/** Django's: in order unless `ordered=False`; it raises on an unordered queryset, but cannot tell `list(qs)` is one */
const QUERYSET_ASSERTS = new Set(['assertQuerysetEqual', 'assertQuerySetEqual']);
const ORDERING = /\.(order_by|reverse|latest|earliest|first|last)\(|\bsorted\(/;

export default createRule({
  id: 'XT100',
  name: 'unordered-queryset-assert',
  severity: 'warning',
  fix: 'always',
  summary: 'A queryset without order_by is compared with an ordered list',
  table: {
    finds: 'A queryset without `order_by` compared with an ordered list of two or more items',
    fix: 'Safe: `assertCountEqual` or `ordered=False`; unsafe: set comparison for `assert ==`',
  },
  docs: {
    what:
      'A queryset (`Model.objects.all()`, `.filter()`, `.values_list()`) compared as an ordered list with two or ' +
      "more items (`assertEqual(list(qs), [a, b])`, `assert list(qs) == [a, b]`, Django's " +
      '`assertQuerysetEqual(list(qs), [a, b])` without `ordered=False` (on the queryset itself Django raises ' +
      'for an unordered one; on a list it cannot tell), the queryset bound to a name first too, or a comprehension over such ' +
      "a list or over a factory's batch of two or more: `[b.id for b in BasketFactory.create_batch(3)]`, the " +
      'batch bound to a name first too) with no `order_by` in the chain, ' +
      "on a model without `Meta.ordering` (its own or a base's): one defined in the same file, or a model of " +
      "another module of the project read so (not one deriving from a library's model, which may bring an " +
      "order: treebeard's and MPTT's nodes come back in tree order; nor one Crosstalk cannot find). A " +
      'manager of its own (`objects = ShelfManager()`, `LoanQuerySet.as_manager()`, ' +
      '`M.from_queryset(QS)()`) keeps the model unordered only where Crosstalk reads every class it names ' +
      "(Django's `Manager` and `QuerySet`, the project's own classes and their bases) and none says " +
      "`order_by` in its `get_queryset`; a library's manager may order. A method of that manager " +
      '(`Run.objects.for_project(p)`, also before `values_list(...)` and the like) counts as a queryset ' +
      'where each of its `return`s is a chain on `self` ending in `filter`, `all`, `exclude` and the like, ' +
      'with no `order_by`, and starting with no method of the manager that orders ' +
      "(`self.published().filter(...)` keeps the order `published` gives). So does an instance's " +
      'many-to-many field (`list(case.tags.all()) == [t1, t2]`) where every `ManyToManyField` of that name in ' +
      'the project leads to a model of the project read as unordered (`Tag`, `"Tag"`, `"self"`; not one named ' +
      "by its app label, and not a library's relation such as `user.groups`).",
    why:
      'Without ORDER BY the database returns rows in whatever order is convenient: insertion order on an idle ' +
      'SQLite, something else on PostgreSQL after updates, vacuum or a different plan, and differently across ' +
      'xdist workers whose databases saw different histories. The test passes until it does not.',
    incident:
      'commcare-hq: a test compared a PostgreSQL query with an ordered list and failed with `Lists differ: ' +
      '[902, 903, 901] != [901, 902, 903]`: without `order_by` the database returns rows in any order. The ' +
      'fix compared them without order.',
    incidentUrl: 'https://github.com/dimagi/commcare-hq/pull/28940',
    example: [
      'self.assertEqual(list(book.tags.all()), [python, django])        # XT100',
      '',
      '# fixed',
      'self.assertCountEqual(list(book.tags.all()), [python, django])',
    ].join('\n'),
    fixSafety:
      '`assertEqual` → `assertCountEqual` is safe (same elements, any order; `assertItemsEqual`, its Python 2 ' +
      'name, in a module of Python 2 code: a `print` statement, or a call of `unicode`, `xrange` and the ' +
      'like that the module does not define), and so is `ordered=False` added to ' +
      '`assertQuerysetEqual`. For a bare `assert ... == [...]` ' +
      'the comparison becomes a set comparison, which is unsafe when rows can repeat (`values_list` without ' +
      '`distinct`).',
  },
  create(ctx): Listeners {
    // a queryset here is Model.objects..., or a many-to-many field's (`case.tags.all()`)
    if (!ctx.file.mentions('.objects') && !ctx.file.mentions('.all()')) return {};
    const report = (node: Node, qs: Node, fix: Fix) =>
      ctx.report({
        node,
        message: `${qs.text} has no order_by, so the database may return its rows in any order, and differently per xdist worker: comparing it with an ordered list is a coin toss`,
        fix,
      });
    return {
      call(call) {
        const fn = call.childForFieldName('function');
        const name = fn?.type === 'attribute' ? field(fn, 'attribute') : null;
        if (!name) return;
        const [a, b] = positionalArguments(call);
        if (!a || !b) return;
        if (QUERYSET_ASSERTS.has(name.text)) {
          const qs = isList(a) ? unorderedQueryset(ctx, a) : null;
          const args = field(call, 'arguments');
          if (!qs || !isMultiList(ctx, b) || keywordArgument(call, 'ordered') || positionalArguments(call).length > 3)
            return;
          // after the last argument, before any trailing comma
          const last = args.namedChildren.filter(c => c?.type !== 'comment').at(-1) ?? b;
          report(
            call,
            qs,
            Fix.safe('Compare in any order with ordered=False', [Edit.insert(last.endIndex, ', ordered=False')]),
          );
          return;
        }
        if (!ORDERED_ASSERTS.has(name.text)) return;
        const qs = unorderedQueryset(ctx, a) ?? unorderedQueryset(ctx, b);
        const list = isMultiList(ctx, a) ? a : isMultiList(ctx, b) ? b : null;
        if (!qs || !list) return;
        // Python 2's unittest calls it assertItemsEqual (moztrap)
        const inAnyOrder = isPython2(ctx) ? 'assertItemsEqual' : 'assertCountEqual';
        report(
          call,
          qs,
          Fix.safe(`Compare in any order with ${inAnyOrder}`, [
            Edit.replace(name.startIndex, name.endIndex, inAnyOrder),
          ]),
        );
      },
      comparison_operator(cmp) {
        const operands = cmp.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
        if (operands.length !== 2 || !cmp.children.some(c => c?.type === '==')) return;
        const [a, b] = operands as [Node, Node];
        const [qsSide, qs] = [a, b].map(side => [side, unorderedQueryset(ctx, side)] as const).find(([, q]) => q) ?? [];
        const listSide = isMultiList(ctx, a) ? a : isMultiList(ctx, b) ? b : null;
        if (!qsSide || !qs || !listSide) return;
        const asSet =
          qsSide.type === 'call' && qsSide.childForFieldName('function')?.text === 'list'
            ? `set(${qs.text})`
            : `set(${qsSide.text})`;
        report(
          cmp,
          qs,
          Fix.unsafe('Compare as sets', [
            Edit.replace(qsSide.startIndex, qsSide.endIndex, asSet),
            Edit.replace(listSide.startIndex, listSide.endIndex, `{${listSide.text.slice(1, -1)}}`),
          ]),
        );
      },
    };
  },
});

/** `list(...)` */
function isList(node: Node): boolean {
  return node.type === 'call' && node.childForFieldName('function')?.text === 'list';
}

/**
 * A list of two items or more, in order: a literal, or a comprehension over one, or over a name the
 * test bound to one or to a factory's batch (`[b.id for b in baskets]` after
 * `baskets = BasketFactory.create_batch(3)`, mitxpro).
 */
function isMultiList(ctx: RuleContext, node: Node): boolean {
  if (node.type === 'list_comprehension') {
    const over = node.namedChildren.find(c => c?.type === 'for_in_clause')?.childForFieldName('right');
    if (!over) return false;
    if (over.type !== 'identifier') return isMultiList(ctx, over);
    const fn = ctx.defs.enclosingFunction(node);
    const bound = fn ? assignedValues(fn, over.text) : [];
    return bound.length === 1 && bound.every(v => isMultiList(ctx, v) || batchOfSeveral(v));
  }
  return (
    (node.type === 'list' || node.type === 'tuple') &&
    node.namedChildren.filter(c => c?.type !== 'comment').length >= 2 &&
    !node.namedChildren.some(c => c?.type === 'list_splat')
  );
}

/** `XFactory.create_batch(3)` (factory_boy): a list of that many rows, in the order made. */
function batchOfSeveral(node: Node): boolean {
  const fn = node.type === 'call' ? node.childForFieldName('function') : null;
  if (fn?.type !== 'attribute' || !/^(create|build)_batch$/.test(field(fn, 'attribute').text)) return false;
  const [size] = positionalArguments(node);
  return !!size && /^\d+$/.test(size.text) && Number(size.text) >= 2;
}

/**
 * `list(<qs>)` or `<qs>` where qs is `Model.objects...` with no ordering in the chain, on a model this
 * file defines without `Meta.ordering` or a custom `objects` manager, or a model of the project that the
 * project model read so. A model Crosstalk cannot read may be ordered by its Meta or its manager
 * (wagtail's Site, netbox's Group).
 */
function unorderedQueryset(ctx: RuleContext, node: Node): Node | null {
  let inner: Node | undefined = isList(node) ? positionalArguments(node)[0] : node;
  // a name the test bound to a queryset (`cr_objects = ClassroomResource.objects.all()`), the last time before
  if (inner?.type === 'identifier') {
    const fn = ctx.defs.enclosingFunction(node);
    inner = fn ? assignedValues(fn, inner.text, node).at(-1) : undefined;
  }
  if (inner?.type !== 'call') return null;
  const fn = inner.childForFieldName('function');
  if (fn?.type !== 'attribute' || ORDERING.test(inner.text)) return null;
  const model = /^(\w+)\.objects\./.exec(inner.text)?.[1];
  if (!model) return relatedUnordered(ctx, inner) ? inner : null;
  const cls = ctx.defs.classesNamed(model, node)[0];
  // a method of the model's own manager that hands back an unordered queryset (`Run.objects.for_project(p)`),
  // wherever it is in the chain (`Release.objects.supported().values_list(...)`: djangoproject.com's
  // `supported` orders, and so does what it is filtered into)
  const own = chainMethods(inner).filter(m => !QUERYSET_METHODS.has(m));
  if (own.length) {
    const found = cls ? { node: cls, lookup: lookupNear(ctx) } : projectClass(ctx, inner, model);
    if (!found || found === 'django' || !own.every(m => managerMethodUnordered(found.node, found.lookup, m)))
      return null;
  }
  // a model of another module of the project: what the project model read of its Meta and managers
  if (!cls) return !projectModelOrdered(ctx, inner, model) ? inner : null;
  if (declaresOrder(cls, lookupNear(ctx))) return null;
  return inner;
}

/** The methods a `Model.objects....` chain calls after `objects`, in order: `["supported", "values_list"]`. */
function chainMethods(chain: Node): string[] {
  const out: string[] = [];
  for (let n: Node | null = chain; n;) {
    if (n.type === 'call') n = n.childForFieldName('function');
    else if (n.type === 'attribute') {
      const name = field(n, 'attribute').text;
      if (name === 'objects') break;
      out.unshift(name);
      n = n.childForFieldName('object');
    } else if (n.type === 'subscript') n = n.childForFieldName('value');
    else break;
  }
  return out;
}

/**
 * `case.tags.all()` (or `.filter(...)`): the rows a many-to-many field of an instance leads to, where
 * every such field of the project leads to a model without an order (moztrap's tags).
 */
function relatedUnordered(ctx: RuleContext, chain: Node): boolean {
  const fn = field(chain, 'function');
  const manager = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
  if (manager?.type !== 'attribute' || !QUERYSET_METHODS.has(field(fn, 'attribute').text)) return false;
  // an instance's field (`case.tags`), not a module's or a class's attribute
  const owner = field(manager, 'object');
  if (owner.type !== 'identifier' && owner.type !== 'attribute') return false;
  const name = field(manager, 'attribute').text;
  if (/^[A-Z]/.test(owner.text.split('.').pop() ?? '') || name === 'objects') return false;
  return ctx.project?.relatedUnordered(name) ?? false;
}

/**
 * Whether `model` (the name before `.objects` in `chain`) is a model of the project whose querysets may
 * come back in an order (ClassFacts.model.ordered); true (quiet) when it is none Crosstalk can read.
 */
function projectModelOrdered(ctx: RuleContext, chain: Node, model: string): boolean {
  const q = qualifiedModel(ctx, chain, model);
  const facts = q ? ctx.project?.classInfo(q)?.model : null;
  return !facts || facts.ordered;
}

/** The project's class `model` (the name before `.objects` in `chain`) names, to read it. */
function projectClass(ctx: RuleContext, chain: Node, model: string): ReturnType<ClassLookup> {
  const q = qualifiedModel(ctx, chain, model);
  return q && ctx.project ? ctx.project.classNamed(q) : null;
}

function qualifiedModel(ctx: RuleContext, chain: Node, model: string): string | undefined {
  let n: Node | null = chain;
  while (n && !(n.type === 'identifier' && n.text === model))
    n =
      n.type === 'call'
        ? n.childForFieldName('function')
        : n.type === 'attribute'
          ? n.childForFieldName('object')
          : null;
  return n ? ctx.names.resolve(n) : undefined;
}

/** What a name in the test module stands for: a class of the module, Django's manager, a project class. */
function lookupNear(ctx: RuleContext): ClassLookup {
  const lookup: ClassLookup = name => {
    const local = name.type === 'identifier' ? ctx.defs.classesNamed(name.text, name)[0] : undefined;
    if (local) return { node: local, lookup };
    const q = ctx.names.resolve(name);
    if (!q) return null;
    return ctx.project ? ctx.project.classNamed(q) : isDjangoManager(q) ? 'django' : null;
  };
  return lookup;
}
