import { addDecorator } from '../engine/edits';
import { Fix } from '../engine/fix';
import { importName } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import { escapeRegExp } from '../syntax/text';
import {
  BLOCK_TYPES,
  bodyStatements,
  defName,
  field,
  keywordArgument,
  positionalArguments,
  stringValue,
  walk,
} from '../syntax/nodes';

const ISOLATE_APPS = 'django.test.utils.isolate_apps';
const UNREGISTER_TYPES = new Set(['delete_statement', 'call', 'assignment']);
/** statements that can hold a class definition (where a `with` may wrap it) */
export default createRule({
  id: 'XT010',
  name: 'inline-model',
  severity: 'warning',
  fix: 'sometimes',
  optIn:
    'Read on suites nobody had tuned it on (rounds 20 to 36 of docs/accuracy.md, 201 suites), 4 of its 60 ' +
    'findings were a hazard a test could see: the model stays in the registry, but almost always nothing ' +
    'that runs later reads it there (no `makemigrations --check`, no migration test, no `get_models()`), or ' +
    "its label is no installed app's; and of the two inline-model incidents of the corpus it flags neither. " +
    'Select it where the suite runs migration checks or tests that walk the app registry.',
  summary: 'A Django model defined inside a test registers in the global app registry for the whole process',
  table: {
    finds:
      'A `models.Model` subclass defined inside a test function without `@isolate_apps`: it stays in the global app registry for the rest of the worker',
    fix: '`@isolate_apps("<labels>")` with the labels from `Meta.app_label`; unsafe where something reads the registry',
  },
  docs: {
    what:
      "A class deriving from Django's `Model` (through any import form, or from another model class in the " +
      'file) defined inside a function or method of a test module, without `@isolate_apps` on the function ' +
      'or its class. Quiet when its literal `Meta.app_label` is the label of no installed app and the ' +
      "settings' INSTALLED_APPS were read in full, or, where they cannot be (apps named in the environment: " +
      "baserow's `ADDITIONAL_APPS`), a label no app of the project could have (no package of that name with a " +
      '`models.py` or `apps.py`, no AppConfig declaring it): such a model is kept in `apps.all_models` only, which ' +
      '`get_models()`, migrations and makemigrations never read. Quiet too under an autouse fixture (of the ' +
      'module, or a conftest.py above it) that puts `apps.all_models` back after each test, or where the ' +
      "test's class or fixture takes its models out of `apps.all_models` or puts a new one in. And quiet when " +
      'nothing can see the model: it is registered once, or defined again only with Django\'s "Model was ' +
      'already registered" warning in a run where warnings are not errors (a parametrised test, fixture, ' +
      "per-test hook, helper or loop runs its definition again: reported where pytest's `filterwarnings`, " +
      '`-W` in addopts or `PYTHONWARNINGS` makes that warning an error; another test of the module defining a model ' +
      'of that name is the same warning; one in another module of the same app always is reported, a conflict Django ' +
      'refuses), it relates to ' +
      "no model but those the same test defines (no concrete parent, no foreign key to the project's models: " +
      'their deletes would cascade to its missing table; a plain mixin base is no parent), ' +
      'and no test of the project reads the registry (`makemigrations` or `dumpdata` through `call_command`, migration tests, ' +
      "`apps.get_models()`; not a method of the project's own named so; the project's own code calls " +
      "`get_models()` at start-up or in commands, and CI's " +
      '`makemigrations --check` runs in a process of its own).',
    why:
      'Defining a model class registers it in `django.apps.apps`, the registry every later test in the same ' +
      'process (the same xdist worker) sees. Later, `makemigrations --check` lists the stray model, ' +
      'migration tests create its table twice (`DuplicateTable`), and a second definition with the same name ' +
      'warns "Model was already registered". Whether it breaks depends on which tests share the worker.',
    incident:
      'Flagsmith: `models.Model` subclasses defined inside parametrised router tests stayed in the apps ' +
      'registry of the worker; when xdist put a migration test on the same worker, `makemigrations --check` ' +
      'listed the phantom models and migration tests failed with `DuplicateTable`.',
    incidentUrl: 'https://github.com/Flagsmith/flagsmith/issues/7368',
    example: [
      '@pytest.mark.parametrize("app_label", ["app_analytics", "features"])',
      'def test_router(app_label):',
      '    class AnalyticsModel(models.Model):     # XT010',
      '        class Meta:',
      '            app_label = app_label',
      '',
      '# fixed',
      '@pytest.mark.parametrize("app_label", ["app_analytics", "features"])',
      '@isolate_apps("app_analytics", "features")',
      'def test_router(app_label):',
      '    ...',
    ].join('\n'),
    fixSafety:
      '`@isolate_apps(...)` (django.test.utils) with the apps of the labels from `Meta.app_label` (a literal, ' +
      'or the values `@pytest.mark.parametrize` gives it), named as INSTALLED_APPS names them ' +
      '(`shop.apps.ShopConfig`), registers the models in a throwaway registry for the ' +
      'duration of the test; for a model defined in setUp, on the test class. Safe only where nothing looks ' +
      'the model up in the global registry: unsafe when the test calls a management command, `get_model()` or ' +
      '`get_models()` or names the model as `"app.Model"`, or the project reads the registry anywhere ' +
      '(makemigrations, migration tests), since ' +
      'that code no longer finds the model. No fix when the label cannot be read statically, or when the ' +
      'model is defined in a fixture or in setUpClass (isolate the tests that use it instead).',
  },
  create(ctx): Listeners {
    if (!ctx.file.mentions('django')) return {}; // a model derives, in the end, from one imported from django
    const models = new ModelClasses(ctx);
    return {
      class_definition(cls) {
        const fns = [...ctx.defs.around(cls)].filter(d => d.type === 'function_definition').map(d => d.node);
        if (fns.length === 0 || !models.isModel(cls) || isAbstract(cls)) return;
        if (isIsolated(ctx, cls)) return;
        // a label no installed app has: the model lands in apps.all_models only, which neither
        // get_models() nor makemigrations reads
        const label = metaValue(cls, 'app_label');
        const literal = label ? stringValue(label) : null;
        const settings = ctx.project?.settings;
        if (literal !== null && settings && !settings.appNames.has(literal)) {
          // INSTALLED_APPS read in full; or partly (names from the environment, plugin folders), where no
          // app of the project could have the label
          if (settings.appsComplete || (settings.file !== null && ctx.project?.appCouldHaveLabel(literal) === false))
            return;
        }
        const test = fns[fns.length - 1]; // the outermost function: the test (or hook) that runs the code
        // a model registered once, in a suite where nothing reads the registry afterwards, changes nothing
        if (!registryObserved(ctx, cls, fns)) return;
        // isolate_apps() takes installed apps as INSTALLED_APPS names them, not labels
        const entries = ctx.project?.settings.appEntries;
        const labels = (ctx.testing.isFixture(test) ? [] : appLabels(ctx, test, models)).map(l => entries?.get(l) ?? l);
        const target = isolationTarget(ctx, test);
        const fix =
          labels.length === 0 || !target
            ? null
            : (() => {
                const { expr, edits } = importName(ctx, 'django.test.utils', 'isolate_apps');
                const args = labels.map(l => JSON.stringify(l)).join(', ');
                // code that looks the model up in the global registry (a management command, get_model,
                // makemigrations) no longer finds it there
                // ("someapp.SomeModel" in the test: a lookup by name, which the throwaway registry fails)
                const byName = new RegExp(`["'][\\w.]+\\.${escapeRegExp(defName(cls))}["']`);
                const safe =
                  registryReaders(ctx) === 0 && !REGISTRY_LOOKUP.test(target.text) && !byName.test(target.text);
                return (safe ? Fix.safe : Fix.unsafe)(`Wrap ${defName(target)} in @isolate_apps(${args})`, [
                  ...edits,
                  addDecorator(ctx, target, `${expr}(${args})`),
                ]);
              })();
        ctx.report({
          node: cls.childForFieldName('name') ?? cls,
          message: `Model ${defName(cls)} is defined inside ${defName(test)} without @isolate_apps: it stays in the global app registry for every later test in this process (this xdist worker), where makemigrations --check and migration tests see it`,
          fix,
        });
      },
    };
  },
});

/** What reads the app registry after a test: makemigrations, migration tests, a walk over every model. */
const REGISTRY_READERS = [
  'makemigrations',
  'MigrationExecutor',
  'MigrationLoader',
  'migrator',
  'MigratorTestCase',
  // dumpdata walks every model of the apps it dumps
  'dumpdata',
  // the registry's (`apps.get_models()`, `app_config.get_models()`), not a method of the project's own
  // named so (mizdb's `view._get_models(...)`)
  '.get_models(',
];
/** a test that looks models up in the global registry, itself or through a command */
const REGISTRY_LOOKUP = /\b(call_command|get_models?|get_app_config|makemigrations|migrate)\s*\(/;

/**
 * How many times the project's files (or its test files only) name a registry reader; null when they
 * cannot be listed.
 */
function registryReaders(ctx: RuleContext, testsOnly = false): number | null {
  let readers = 0;
  for (const reader of REGISTRY_READERS) {
    const n = testsOnly ? ctx.project?.occurrencesInTests(reader) : ctx.project?.occurrences(reader);
    if (n === null || n === undefined) return null;
    readers += n;
  }
  return readers;
}

/**
 * What `@isolate_apps` goes on: the test, or for a model defined in setUp, its unittest class (the class
 * decorator enables the registry around setUp and the test); nothing for setUpClass and other hooks,
 * which run outside any one test.
 */
function isolationTarget(ctx: RuleContext, test: Node): Node | null {
  if (ctx.testing.isTestFunction(test)) return test;
  const cls = defName(test) === 'setUp' ? ctx.defs.methodClass(test) : null;
  return cls && ctx.testing.classKind(cls) !== 'other' ? cls : null;
}
/** fields that relate a model to another one, so that the other's deletes reach it */
const RELATION_FIELDS = 'ForeignKey|OneToOneField|ManyToManyField|GenericRelation';
const RELATION = new RegExp(`\\b(${RELATION_FIELDS})\\s*\\(`);
/** the callee of a relation field: `ForeignKey`, `models.ForeignKey` */
const RELATION_CALLEE = new RegExp(`(?:^|\\.)(${RELATION_FIELDS})$`);

/** The class of this file a base names (`class Club(BaseClub)`), other than `cls` itself. */
function localClass(ctx: RuleContext, base: Node, cls: Node): Node | null {
  const local = ctx.testing.inFileClass(base);
  return local && local.id !== cls.id ? local : null;
}

/** A base that is an abstract model (in this file, or a project model read as abstract): no table to cascade to. */
function abstractBase(ctx: RuleContext, base: Node, cls: Node): boolean {
  const local = localClass(ctx, base, cls);
  if (local) return isAbstract(local);
  const q = ctx.names.resolve(base);
  return !!q && !!ctx.project?.classInfo(q)?.model?.abstract;
}

/** A base that is a plain class (a mixin: no model among its bases), in this file or the project: no table either. */
function plainBase(ctx: RuleContext, base: Node, cls: Node, depth = 0): boolean {
  if (base.text === 'object') return true;
  const local = localClass(ctx, base, cls);
  if (local) return depth < 8 && ctx.testing.baseExpressions(local).every(b => plainBase(ctx, b, local, depth + 1));
  const q = ctx.names.resolve(base);
  return !!q && !!ctx.project?.classInfo(q)?.plain;
}

/** decorators that run a test more than once: pytest's parametrize, ddt, parameterized */
const REPEATED = /parametrize|\bddt\b|@data\(|\bdata\(|parameterized|\bexpand\(/;

/**
 * Whether the model's registration can reach a result: its definition runs more than once in a process
 * (a parametrised test, a fixture, a per-test hook or a helper, a loop; or another test defines a model
 * of the same name), which Django answers with "Model was already registered" or a conflict error; or
 * something in the project reads the registry (makemigrations, migration tests, `get_models()`).
 * Unknown (the project's files cannot be listed): observed.
 */
function registryObserved(ctx: RuleContext, cls: Node, fns: Node[]): boolean {
  // run again, the definition replaces the model of its name with a warning ("Model was already
  // registered"), which fails the test only where warnings are errors; unknown project: they may be
  if (ctx.project?.warningsAreErrors ?? true) {
    for (const fn of fns) {
      const owner = ctx.defs.methodClass(fn);
      const marks = [...ctx.defs.decorators(fn), ...(owner ? ctx.defs.decorators(owner) : [])];
      if (marks.some(d => REPEATED.test(d.text))) return true;
      if (ctx.testing.isFixture(fn) || !ctx.testing.isTestFunction(fn)) {
        if (!/^(setUpClass|setUpTestData|setup_class|setup_module|setUpModule)$/.test(defName(fn))) return true;
      }
    }
    for (let n = cls.parent; n && n.id !== fns[fns.length - 1]?.id; n = n.parent)
      if (n.type === 'for_statement' || n.type === 'while_statement') return true;
  }
  // related to the project's models (a concrete parent, a foreign key): deleting their rows later
  // cascades to this model's table, which no test database has. Not relations among the models the
  // same test defines (mizdb's `Fan`, `BaseClub`, `Club(BaseClub)`): no real row reaches them
  const inline = inlineModelNames(fns[fns.length - 1]);
  if (relatesOutside(cls, inline)) return true;
  if (
    ctx.testing
      .baseExpressions(cls)
      .some(
        b =>
          !ctx.names.is(b, 'django.db.models.Model') &&
          !abstractBase(ctx, b, cls) &&
          !plainBase(ctx, b, cls) &&
          !inline.has(b.text),
      )
  )
    return true;
  const project = ctx.project;
  if (!project) return true;
  // another model of its name: from another module, a conflict Django refuses ("Conflicting models");
  // from this one, the same "already registered" warning as a definition run twice
  const definition = `class ${defName(cls)}(`;
  const here = ctx.file.text.split(definition).length - 1;
  if (conflictElsewhere(ctx, cls, definition) || (here > 1 && project.warningsAreErrors)) return true;
  // read in the test process: by a test (a migration test, makemigrations through call_command, get_models);
  // the project's own get_models() runs at start-up or in commands, and CI's `makemigrations --check` in
  // a process of its own
  return (registryReaders(ctx, true) ?? 1) > 0;
}

/**
 * Whether a model of the same name defined in another module of the project lands in the same app: Django
 * refuses the second ("Conflicting models in application"). Models of one name in different apps live
 * side by side (graphene-django's `tests.Event` and the filter tests' `graphene_django.Event`). Unknown
 * (the files cannot be listed, an app that cannot be told, another file naming its own `app_label`): a conflict.
 */
function conflictElsewhere(ctx: RuleContext, cls: Node, definition: string): boolean {
  const others = ctx.project?.elsewhere(definition);
  if (!others) return others === null;
  if (others.length === 0) return false;
  const settings = ctx.project?.settings;
  const literal = metaValue(cls, 'app_label');
  const label = literal ? stringValue(literal) : settings && containingApp(settings.appNames, ctx.file.moduleName);
  if (!label || !settings?.appsComplete) return true;
  return others.some(o => {
    const theirs = containingApp(settings.appNames, o.module);
    return theirs === null || theirs === label || /\bapp_label\b/.test(o.text);
  });
}

/** The label of the installed app whose package holds `module` (the longest name that prefixes it). */
function containingApp(apps: ReadonlyMap<string, string>, module: string): string | null {
  let best: [string, string] | null = null;
  for (const [label, name] of apps)
    if ((module === name || module.startsWith(name + '.')) && (!best || name.length > best[1].length))
      best = [label, name];
  return best?.[0] ?? null;
}

/** The names of the classes `fn` defines (at any depth): the models a test makes for itself. */
function inlineModelNames(fn: Node | undefined): Set<string> {
  const out = new Set<string>();
  if (fn) walk(fn, n => (n.type === 'class_definition' ? (out.add(defName(n)), true) : true), CLASSES);
  return out;
}
const CLASSES = new Set(['class_definition']);

/**
 * Whether a relation field of `cls` points at a model other than those its test defines (`inline`) or
 * itself: `ForeignKey(Author, ...)`, `ManyToManyField("shop.Product")`. One whose target cannot be
 * read counts.
 */
function relatesOutside(cls: Node, inline: ReadonlySet<string>): boolean {
  const body = field(cls, 'body');
  if (!RELATION.test(body.text)) return false;
  let outside = false;
  walk(
    body,
    call => {
      const fn = call.childForFieldName('function');
      if (outside || !fn || !RELATION_CALLEE.test(fn.text)) return !outside;
      const target = positionalArguments(call)[0] ?? keywordArgument(call, 'to');
      const name = target ? (stringValue(target) ?? target.text) : null;
      outside = !name || !(name === 'self' || inline.has(name));
      return !outside;
    },
    CALL_NODES,
  );
  return outside;
}
const CALL_NODES = new Set(['call']);

/** Which classes in the file are Django models: from `Model` itself, or from another model class here. */
class ModelClasses {
  private readonly memo = new Map<number, boolean>();
  constructor(private readonly ctx: RuleContext) {}

  isModel(cls: Node): boolean {
    const known = this.memo.get(cls.id);
    if (known !== undefined) return known;
    this.memo.set(cls.id, false); // cycle guard
    const result = this.ctx.testing.baseExpressions(cls).some(
      base =>
        this.ctx.names.is(base, 'django.db.models.Model') ||
        (base.type === 'identifier' &&
          this.ctx.defs.classesNamed(base.text, cls).some(c => c.id !== cls.id && this.isModel(c))) ||
        // a model of the project's own, concrete or abstract, imported from its module
        this.projectModel(base),
    );
    this.memo.set(cls.id, result);
    return result;
  }

  private projectModel(base: Node): boolean {
    const q = this.ctx.project && this.ctx.names.resolve(base);
    return !!q && !!this.ctx.project?.classInfo(q)?.model;
  }

  /** Inline model classes defined in `fn` (at any depth). */
  inlineModelsIn(fn: Node): Node[] {
    return this.ctx.defs.classesIn(fn).filter(cls => this.isModel(cls));
  }
}

function meta(cls: Node): Node | undefined {
  return bodyStatements(cls).find(s => s.type === 'class_definition' && defName(s) === 'Meta');
}

/** `Meta.<name> = value`: the value node. */
function metaValue(cls: Node, name: string): Node | null {
  const m = meta(cls);
  for (const stmt of m ? bodyStatements(m) : []) {
    const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    if (assign?.type === 'assignment' && assign.childForFieldName('left')?.text === name)
      return assign.childForFieldName('right');
  }
  return null;
}

function isAbstract(cls: Node): boolean {
  return metaValue(cls, 'abstract')?.text === 'True';
}

function isIsolatingCall(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  const target = node.type === 'call' ? node.childForFieldName('function') : node;
  return ctx.names.is(target, ISOLATE_APPS);
}

/**
 * `@isolate_apps` on an enclosing function or class (or an in-file base of that class), or an enclosing `with
 * isolate_apps(...)`.
 */
function isIsolated(ctx: RuleContext, cls: Node): boolean {
  // an autouse fixture that puts apps.all_models back after every test (Flagsmith's own fix)
  if (ctx.testing.autouseRestoresApps() || ctx.project?.autouseRestoresApps) return true;
  for (const d of ctx.defs.around(cls)) {
    if (classOrBasesIsolated(ctx, d.node, new Set())) return true;
    if (unregistersModels(d.node)) return true;
  }
  // `with isolate_apps(...):` around the class, inside the function that defines it
  const fn = ctx.defs.enclosingFunction(cls);
  let isolatedByWith = false;
  if (fn)
    walk(
      fn,
      n => {
        if (isolatedByWith || n.startIndex > cls.startIndex || n.endIndex < cls.startIndex) return false;
        if (n.type === 'with_statement') {
          for (const item of n.descendantsOfType('with_item')) {
            let value = item?.childForFieldName('value') ?? null;
            if (value?.type === 'as_pattern') value = value.namedChildren[0] ?? null;
            if (isIsolatingCall(ctx, value)) isolatedByWith = true;
          }
        }
        return true;
      },
      BLOCK_TYPES,
    );
  return isolatedByWith;
}

/**
 * A test class that deletes its models from `apps.all_models` (in tearDown, say), or a fixture that puts a
 * new `all_models` in after its test (graphene-django's `PetModel`), restores the registry itself.
 */
function unregistersModels(def: Node): boolean {
  let found = false;
  walk(
    def,
    n => {
      if (found) return false;
      if (
        n.text.includes('all_models') &&
        (n.type === 'delete_statement' ||
          (n.type === 'call' && /\.pop$/.test(n.childForFieldName('function')?.text ?? '')) ||
          (n.type === 'assignment' && /\ball_models$/.test(n.childForFieldName('left')?.text ?? '')))
      )
        found = true;
      return !found;
    },
    UNREGISTER_TYPES,
  );
  return found;
}

function classOrBasesIsolated(ctx: RuleContext, def: Node, seen: Set<number>): boolean {
  if (seen.has(def.id)) return false;
  seen.add(def.id);
  if (ctx.defs.decorators(def).some(d => isIsolatingCall(ctx, d))) return true;
  if (def.type !== 'class_definition') return false;
  return ctx.testing.baseExpressions(def).some(b => {
    const local = ctx.testing.inFileClass(b);
    return !!local && classOrBasesIsolated(ctx, local, seen);
  });
}

/** The app labels of every inline model in `test`: literal `Meta.app_label`s and parametrised values. */
function appLabels(ctx: RuleContext, test: Node, models: ModelClasses): string[] {
  const labels: string[] = [];
  const add = (l: string | null) => {
    if (l && !labels.includes(l)) labels.push(l);
  };
  for (const model of models.inlineModelsIn(test)) {
    if (isAbstract(model)) continue;
    const value = metaValue(model, 'app_label');
    if (!value) continue;
    const literal = stringValue(value);
    if (literal !== null) add(literal);
    else if (value.type === 'identifier') for (const v of parametrizedValues(ctx, test, value.text)) add(v);
  }
  return labels;
}

/** The string values `@pytest.mark.parametrize` gives the argument `name` of `test`. */
function parametrizedValues(ctx: RuleContext, test: Node, name: string): string[] {
  const out: string[] = [];
  for (const d of ctx.defs.decorators(test)) {
    if (d.type !== 'call' || ctx.names.resolve(field(d, 'function')) !== 'pytest.mark.parametrize') continue;
    const [namesArg, valuesArg] = [
      ...positionalArguments(d),
      keywordArgument(d, 'argnames'),
      keywordArgument(d, 'argvalues'),
    ].filter((x): x is Node => !!x);
    if (!namesArg || !valuesArg) continue;
    const argnames =
      stringValue(namesArg)
        ?.split(',')
        .map(s => s.trim()) ?? namesArg.namedChildren.map(c => (c ? stringValue(c) : null) ?? '');
    const index = argnames.indexOf(name);
    if (index < 0 || (valuesArg.type !== 'list' && valuesArg.type !== 'tuple')) continue;
    for (const row of valuesArg.namedChildren) {
      if (!row || row.type === 'comment') continue;
      // a row is a value (one argname), a tuple of values, or pytest.param(value, ..., id=...)
      const isParam = row.type === 'call' && ctx.names.resolve(field(row, 'function')) === 'pytest.param';
      const cells = isParam
        ? positionalArguments(row)
        : argnames.length === 1
          ? [row]
          : row.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
      const cell = cells[argnames.length === 1 ? 0 : index];
      const v = cell ? stringValue(cell) : null;
      if (v !== null) out.push(v);
    }
  }
  return out;
}
