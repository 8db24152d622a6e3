import { nodesOfTypes, type Node } from '../syntax/parser';
import { createRule, type RuleContext } from '../engine/rule';
import { field, keywordArgument, stringValue, walk } from '../syntax/nodes';

const LOOKUPS = new Set([
  'get',
  'filter',
  'exclude',
  'get_or_create',
  'update_or_create',
  'in_bulk',
  'get_object_or_404',
  'get_list_or_404',
]);
const KEY = /^(pk|id|[a-z_]+_id|[a-z_]+__pk|[a-z_]+__id)$/;
const REQUESTS = /^(get|post|put|patch|delete|head|options)$/;
/** literal pks this small are what a fresh sequence hands out; larger ones are usually deliberate "missing" ids */
const MAX_PK = 999;
/** lookups that create the row they look up when it is missing */
const CREATES_IF_MISSING = new Set(['get_or_create', 'update_or_create']);
/** models whose rows with small ids come from migrations, the same in every test database */
const FIXED_ROWS = new Set(['Site', 'ContentType', 'Permission']);

export default createRule({
  id: 'XT080',
  name: 'hardcoded-pk',
  severity: 'info',
  fix: 'none',
  optIn:
    'Read on suites nobody had tuned it on, none of its 16 findings was a real hazard: a literal id is most ' +
    'often one the test gave its rows itself, or one that exists in no test on purpose. Select it to audit a ' +
    'suite by hand.',
  summary: 'A test looks up, links to or posts a literal primary key that depends on database sequences',
  table: {
    finds:
      'Literal primary keys in lookups, URLs and payloads (`pk=1`, `reverse(..., args=[1])`, `"/api/items/1/"`): ids depend on test order and worker',
    fix: 'None (information)',
  },
  docs: {
    what:
      'Literal primary keys in tests that create their objects through the database sequence: lookups ' +
      '(`.get(pk=1)`, `.filter(author_id=2)`, `get_object_or_404(M, id=1)`), URLs (`reverse(..., args=[1])`, ' +
      '`kwargs={"pk": 1}`, `"/api/items/1/"`) and request payloads (`{"order_id": 1}`). Not when the module ' +
      'creates objects with those ids explicitly, or the class loads JSON `fixtures` (they carry their own pks), ' +
      'nor on SQLite in a test that rolls back (a `TestCase`, the `db` fixture): SQLite keeps its id counters in ' +
      'a table the rollback puts back, so every such test starts from the same ids.',
    why:
      'Which id a row gets depends on the database sequence: on test order, on which tests share an xdist ' +
      "worker's database, and on TransactionTestCase (which does not reset sequences). `pk=1` is the first " +
      'object only in a fresh database.',
    incident:
      "Django's own suite: a queries test compared primary keys that differed with the order the tests ran " +
      "in, and failed about one run in five under `--parallel 2`. (kpi's `200 != 429` also turned on every " +
      "worker's first user having pk=1.)",
    incidentUrl: 'https://github.com/django/django/pull/7845',
    example: [
      'def test_detail(client, book):',
      '    response = client.get("/api/books/1/")      # XT080',
      '',
      '# fixed',
      'def test_detail(client, book):',
      '    response = client.get(f"/api/books/{book.pk}/")',
    ].join('\n'),
    fixSafety: "No automatic fix: the right object to take the pk from is the test's to say. Information severity.",
  },
  create(ctx) {
    const explicit = new Map<number, Set<string>>();
    const seenPayloads = new Set<number>();
    /** ids the test's class (or the test, at module level) makes or points at explicitly */
    const explicitIds = (fn: Node) => {
      const scope = ctx.defs.methodClass(fn) ?? fn;
      let ids = explicit.get(scope.id);
      if (!ids) explicit.set(scope.id, (ids = explicitlyAssignedIds(scope)));
      return ids;
    };
    const report = (node: Node, how: string, model?: string, literal = node.text) => {
      const owner = ctx.testing.owner(node);
      if (!owner || explicitIds(owner.fn).has(literal) || !dependsOnSequence(ctx, owner.fn, model)) return;
      // SQLite keeps AUTOINCREMENT counters in a table (sqlite_sequence) that a rolled-back test puts
      // back with its rows: every such test starts from the same ids, whatever ran before it
      if (/sqlite3$/.test(ctx.project?.settings.databaseEngine ?? '') && ctx.testing.rollsBack(owner.fn)) return;
      ctx.report({
        node,
        message: `${how} the literal primary key ${node.text}: ids come from the database sequence, which differs by test order, by xdist worker and after TransactionTestCase`,
      });
    };
    return {
      call(call) {
        const fn = field(call, 'function');
        const method = fn.type === 'attribute' ? field(fn, 'attribute').text : fn.text;
        const args = call.childForFieldName('arguments');
        if (!args) return;
        const isRequest = REQUESTS.test(method) && fn.type === 'attribute' && /client/i.test(field(fn, 'object').text);
        if (isRequest) {
          const [url, data] = args.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment');
          const path = url && stringValue(url);
          const m = path ? /\/(\d{1,3})(\/|$|\?)/.exec(path) : null;
          if (url && m && Number(m[1]) >= 1) report(url, `Requests ${JSON.stringify(path)} with`, undefined, m[1]);
          const payload = data?.type === 'keyword_argument' ? data.childForFieldName('value') : data;
          if (payload) payloadInts(payload, v => report(v, 'Sends'));
          // a payload setUp built (`self.data = {"model_id": 1}`), sent here
          if (payload?.type === 'attribute' && /^self\.\w+$/.test(payload.text)) {
            for (const dict of setUpValues(ctx, call, payload.text))
              if (!seenPayloads.has(dict.id)) {
                seenPayloads.add(dict.id);
                payloadInts(dict, v => report(v, 'Sends'));
              }
          }
        } else if (LOOKUPS.has(method)) {
          const model = modelOf(fn, call);
          // get_or_create(pk=1) makes row 1 when it is missing: its id is the test's own choice
          if (CREATES_IF_MISSING.has(method) || (model && FIXED_ROWS.has(model))) return;
          for (const a of args.namedChildren) {
            if (a?.type !== 'keyword_argument') continue;
            const name = field(a, 'name').text;
            // the default site (SITE_ID) is made by the sites app's migration with id 1, in every database
            if (KEY.test(name) && !/^site(_id|__pk|__id)$/.test(name) && isSmallInt(a.childForFieldName('value'))) {
              report(field(a, 'value'), 'Looks up', model);
            }
          }
        } else if (method === 'reverse' || method === 'reverse_lazy') {
          const rargs = keywordArgument(call, 'args');
          for (const v of rargs?.namedChildren ?? []) if (isSmallInt(v)) report(v, 'Builds a URL with');
          const rkwargs = keywordArgument(call, 'kwargs');
          if (rkwargs) payloadInts(rkwargs, v => report(v, 'Builds a URL with'));
        }
      },
    };
  },
});

/** `Book` in `Book.objects.get(...)` or `get_object_or_404(Book, ...)`; undefined otherwise. */
function modelOf(fn: Node, call: Node): string | undefined {
  if (/^get_(object|list)_or_404$/.test(fn.text)) {
    const first = call.childForFieldName('arguments')?.namedChildren.find(a => a?.type === 'identifier');
    return first?.text;
  }
  return /^(\w+)\.objects\.\w+$/.exec(fn.text)?.[1];
}

/**
 * Whether the test's ids come from a database sequence: objects are created without explicit ids
 * (of `model`, when known) by the test itself or, for lookups, by its class's setUp / setUpTestData;
 * the class loads no JSON `fixtures` (they carry their own pks) and nothing resets sequences. Rows
 * made by migrations have the same ids in every run, and a test that creates nothing looks up those.
 */
/** The dict literals a test's class setUp assigns to `target` (`self.data = {...}`). */
function setUpValues(ctx: RuleContext, node: Node, target: string): Node[] {
  const fn = ctx.defs.enclosingFunction(node);
  const cls = fn && ctx.defs.methodClass(fn);
  if (!cls) return [];
  const out: Node[] = [];
  for (const hook of ctx.testing.setupHooksOf(cls)) {
    for (const a of nodesOfTypes(hook, ['assignment'])) {
      const value = a.childForFieldName('right');
      if (a.childForFieldName('left')?.text === target && value?.type === 'dictionary') out.push(value);
    }
  }
  return out;
}

function dependsOnSequence(ctx: RuleContext, fn: Node, model: string | undefined): boolean {
  if (ctx.file.mentions('reset_sequences')) return false;
  const cls = ctx.defs.methodClass(fn);
  if (cls && classLoadsFixtures(ctx, cls, new Set())) return false;
  // URLs and payloads: the test makes objects, and never reads an object's own pk (one that does uses
  // its literal ids deliberately, as "missing" ids)
  if (!model) return CREATES_ANY.test(fn.text) && !/\.(pk|id)\b/.test(fn.text);
  const creates = new RegExp(
    `\\b${model}\\.objects\\.(create|bulk_create|get_or_create)\\(|\\b${model}Factory(\\.(create|create_batch))?\\(|(make|blend|make_recipe)\\(\\s*["']?[\\w.]*${model}\\b`,
  );
  const setups = cls ? ctx.testing.setupHooksOf(cls).map(h => h.text) : [];
  return [fn.text, ...setups].some(t => creates.test(t));
}
const CREATES_ANY =
  /\.objects\.(create|bulk_create|get_or_create)\(|\.create_user\(|Factory(\.(create|create_batch))?\(|(baker|mommy|mixer)\.(make|blend)\(/;

function classLoadsFixtures(ctx: RuleContext, cls: Node, seen: Set<number>): boolean {
  if (seen.has(cls.id)) return false;
  seen.add(cls.id);
  const own = field(cls, 'body').namedChildren.some(
    s => s?.type === 'expression_statement' && /^fixtures\s*=/.test(s.text),
  );
  return (
    own ||
    ctx.testing.baseExpressions(cls).some(b => {
      const local = ctx.testing.inFileClass(b);
      return !!local && classLoadsFixtures(ctx, local, seen);
    })
  );
}

function isSmallInt(node: Node | null | undefined): node is Node {
  if (node?.type !== 'integer') return false;
  const n = Number(node.text);
  return n >= 1 && n <= MAX_PK;
}

/** Integer values under id-like keys in a dict literal (`{"pk": 1}`, `{"order_id": 2}`), nested too. */
function payloadInts(dict: Node, found: (value: Node) => void): void {
  walk(
    dict,
    n => {
      if (n.type === 'pair') {
        const key = n.childForFieldName('key'),
          value = n.childForFieldName('value');
        const k = key ? stringValue(key) : null;
        if (k && KEY.test(k) && isSmallInt(value)) found(value);
      }
      return true;
    },
    PAIRS,
  );
}
const PAIRS = new Set(['pair', 'dictionary', 'list', 'tuple']);

/**
 * Ids a class or test assigns explicitly (`create(id=1)`, `Book(pk=2)`, factories): lookups by those are deliberate.
 */
function explicitlyAssignedIds(scope: Node): Set<string> {
  const ids = new Set<string>();
  for (const call of nodesOfTypes(scope, ['call'])) {
    const fn = call.childForFieldName('function');
    const method = fn?.type === 'attribute' ? field(fn, 'attribute').text : (fn?.text ?? '');
    if (LOOKUPS.has(method)) continue;
    // `id=1` makes a row with that id; `page_id=2` points at a row that exists with that id anyway
    for (const arg of call.childForFieldName('arguments')?.namedChildren ?? []) {
      if (arg?.type !== 'keyword_argument') continue;
      const value = arg.childForFieldName('value');
      if (value?.type === 'integer' && KEY.test(field(arg, 'name').text)) ids.add(value.text);
    }
  }
  return ids;
}
