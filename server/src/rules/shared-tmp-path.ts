import { escapeRegExp } from '../syntax/text';
import { Edit, Fix } from '../engine/fix';
import { addParameter, insertBefore } from '../engine/edits';
import { importModule, reachedName, type Imported } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import {
  assignedValues,
  isConstant,
  bodyStatements,
  defName,
  field,
  keywordArgument,
  parameterNames,
  stringContentText,
  stringValue,
  walk,
} from '../syntax/nodes';
import { indentOf } from '../syntax/text';
import { writesContent, writtenOnly } from './lib/writeOnly';
import { moduleValues } from './lib/constants';

const PATH_CALLS = new Set([
  'io.open',
  'os.open',
  'os.remove',
  'os.unlink',
  'os.rmdir',
  'os.removedirs',
  'os.listdir',
  'os.scandir',
  'os.walk',
  'os.makedirs',
  'os.mkdir',
  'os.rename',
  'os.renames',
  'os.replace',
  'os.chmod',
  'os.symlink',
  'os.link',
  'os.stat',
  'os.lstat',
  'os.truncate',
  'os.path.exists',
  'os.path.isfile',
  'os.path.isdir',
  'os.path.getsize',
  'os.path.getmtime',
  'shutil.rmtree',
  'shutil.copy',
  'shutil.copy2',
  'shutil.copyfile',
  'shutil.copytree',
  'shutil.move',
  'shutil.make_archive',
  'glob.glob',
  'glob.iglob',
  'zipfile.ZipFile',
  'tarfile.open',
  'sqlite3.connect',
]);
/** `Path(...)` only builds a path (often an expectation for a mock); these methods touch the filesystem */
const PATH_CLASSES = new Set(['pathlib.Path', 'pathlib.PosixPath']);
const PATH_METHODS = new Set([
  'open',
  'read_text',
  'read_bytes',
  'write_text',
  'write_bytes',
  'touch',
  'mkdir',
  'rmdir',
  'unlink',
  'iterdir',
  'glob',
  'rglob',
  'exists',
  'is_file',
  'is_dir',
  'stat',
  'rename',
  'replace',
  'symlink_to',
]);
const SHELL_CALLS = new Set([
  'os.system',
  'os.popen',
  'subprocess.run',
  'subprocess.call',
  'subprocess.check_call',
  'subprocess.check_output',
  'subprocess.Popen',
  'subprocess.getoutput',
  'subprocess.getstatusoutput',
]);
/** `/tmp` or a path under it, at the start of a path argument */
/** the last names of every call it looks into (`rmtree` for shutil.rmtree) and of Path's methods */
const CALLEES = new Set(
  [...PATH_CALLS, ...SHELL_CALLS].map(q => q.slice(q.lastIndexOf('.') + 1)).concat('open', 'file', ...PATH_METHODS),
);
const TMP_PATH = /^\/tmp(\/|$)/;
/** what makes a value one of its own: `uuid.uuid4()`, `os.getpid()`, `worker_id`, `mkdtemp()` */
const UNIQUE_WORDS = 'uuid|getpid|worker|mkdtemp|mkstemp|token_hex|token_urlsafe|randint|random';
/** an f-string part that makes the path one of its own: `{uuid.uuid4()}`, `{os.getpid()}`, `{worker_id}` */
const UNIQUE_PART = new RegExp(`\\{[^}]*(${UNIQUE_WORDS})`, 'i');
/** a value made so: `str(uuid4())[:8]` */
const UNIQUE_VALUE = new RegExp(UNIQUE_WORDS, 'i');
/** `/tmp` as a path token anywhere in a shell command */
const ARGUMENT_TYPES = new Set(['string', 'concatenated_string', 'identifier', 'attribute', 'subscript', 'lambda']);
const STRING = new Set(['string']);
const CALL = new Set(['call']);
const IDENTIFIER = new Set(['identifier']);
const TMP_IN_SHELL = /(^|[\s'"=:;(])\/tmp(?=\/|$|[\s'";)])/;

export default createRule({
  id: 'XT020',
  name: 'shared-tmp-path',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A test reads, writes or deletes a fixed path under /tmp that every worker shares',
  table: {
    finds:
      'A fixed path under `/tmp` passed to `open`, `os.remove`, `shutil.rmtree`, `os.listdir`, `glob`, `Path`, or in a shell command: every worker and every run shares it',
    fix: "Unsafe: a directory of the test's own for every `/tmp` path it uses: `tmp_path` in pytest tests, `tempfile.mkdtemp()` removed by `addCleanup` in unittest test methods",
  },
  docs: {
    what:
      'A string literal naming `/tmp` or a path under it passed (directly, through `os.path.join`, an ' +
      'f-string, a variable assigned in the file or an item of a module\'s dict, `PATHS["export"]`, unless the ' +
      "test gives that item a value of its own first) to `open` (Python 2's `file` too), `os.remove`, `shutil.rmtree`, `os.listdir`, " +
      '`glob` and similar, used by a `pathlib.Path` method that touches the filesystem (`Path("/tmp/x").mkdir()`), ' +
      'or inside a shell command run by `os.system` or `subprocess`. Also `/tmp` passed to a function of the ' +
      'project that opens a file of a name it does not make unique in the directory it is given ' +
      '(`dit_file_generator("/tmp", 230001)` opening `/tmp/DIT230001.xml`), where the same call, with the same ' +
      'constants, is made elsewhere in the project too. `tempfile.gettempdir()` is the same `/tmp` for every ' +
      'worker: a fixed name joined to it (`os.path.join(tempfile.gettempdir(), "x")`; the name may be a ' +
      'setting the settings give a string, `settings.SCREENCAPS_DIR_NAME`, named wherever the project names the ' +
      'setting) counts as `/tmp/x` does, and `gettempdir()` by itself where it is listed or deleted ' +
      '(`os.listdir(tempfile.gettempdir())`). Building a `Path` alone (say, as the ' +
      'expected argument of a mock) is not flagged, nor an f-string made unique by what it interpolates ' +
      '(`f"/tmp/{uuid.uuid4()}.json"`, `{os.getpid()}`, `{worker_id}`, or a name the function made so first: ' +
      '`tag = str(uuid4())[:8]`, `f"/tmp/ee_{tag}"`), nor a named path (not `/tmp` itself, not a glob; ' +
      'in `os.path.join("/tmp", name)`, the name joined to `/tmp`, not the same word elsewhere, and in ' +
      '`"x.pdf" in os.listdir("/tmp")` or `assertIn("x.pdf", ' +
      'os.listdir("/tmp"))`, the name) that only one test names in the whole project, or ' +
      "under Django's runner, which gives each worker whole " +
      'test classes, only one class (not a base class others derive from: its methods run in each of them): ' +
      'no test running beside it meets it, only another run of the same ' +
      'suite at the same moment; nor `"/tmp/" + fake.md5()` (a name ' +
      'a call computes, also inside a shell command built with `+`), nor a file only written ' +
      '(`open("/tmp/x.html", "w")`) whose name appears nowhere else in the project, a dump nothing reads, nor ' +
      'a directory made if missing (`os.makedirs("/tmp/x", exist_ok=True)`) that no other file of the project ' +
      'deletes or lists by name: making it races with nothing, and what the file does with it is flagged where ' +
      'it does it; nor `/tmp` given to a function whose value is then used ' +
      '(`os.path.exists(write_rows(rows, "/tmp"))`): the path is what the function made of it; nor ' +
      '`os.path.join("/tmp", name)` where the name is not one fixed name (made unique, computed by a call, ' +
      'handed to the function): nothing says two tests get the same path.',
    why:
      '`/tmp` is one directory for every pytest-xdist worker, every parallel CI job on the machine and ' +
      'every developer run. A fixed name there is written, listed and deleted by several tests at once: ' +
      'one worker\'s `rm -rf /tmp/x_*` deletes another\'s files, and `os.listdir("/tmp")` sees them.',
    incident:
      'HolisticTraceAnalysis: a `setUp` wrote the hard-coded `/tmp/test_config.json`; concurrent runs on ' +
      "one CI host overwrote each other's file mid-test, a test flaky one run in ten that was disabled. The " +
      "fix gave each run a unique temporary directory. (codecov's `rm -rf /tmp/bundle_analysis_*` racing " +
      'other workers is the same hazard.)',
    incidentUrl: 'https://github.com/facebookresearch/HolisticTraceAnalysis/pull/346',
    example: [
      'def test_cleanup():',
      '    shutil.rmtree("/tmp/bundle_analysis")    # XT020',
      '',
      '# fixed (pytest)',
      'def test_cleanup(tmp_path):',
      '    shutil.rmtree(str(tmp_path / "bundle_analysis"))',
    ].join('\n'),
    fixSafety:
      'Unsafe: the fix moves the whole test off `/tmp`: every `/tmp` path it uses, and every other use of ' +
      "the same literals in it, goes into a directory of the test's own, so that what it writes and what it " +
      'reads back still agree. In a pytest test function that is `tmp_path` (the parameter is added; a path ' +
      'becomes `str(tmp_path / "x")`, a command line an f-string). In a unittest or Django test method it is ' +
      'a directory made at the start of the method, `tmp = tempfile.mkdtemp()` with ' +
      '`self.addCleanup(shutil.rmtree, tmp, True)` (another name if the method uses `tmp`; a path becomes ' +
      '`os.path.join(tmp, "x")`). Code under test that still writes to `/tmp` will no longer meet the test ' +
      'there, and a fixture handing the test a `/tmp` path does not move with it. No fix where the test ' +
      "shares a path with code the fix cannot move with it (a module-level constant, a `/tmp` path its class's " +
      '`setUp` prepares), for raw, bytes and triple-quoted literals, or outside test functions (`setUp`, ' +
      'fixtures, helpers, module level): `tempfile.gettempdir()` there would still be the one `/tmp` every ' +
      'worker shares.',
  },
  create(ctx): Listeners {
    // every path it reports starts with /tmp, as a literal or as `tempfile.gettempdir()`
    if (!ctx.file.mentions('/tmp') && !ctx.file.mentions('gettempdir')) return {};
    const reported = new Set<number>();
    const fixes = new Map<number, Fix | null>(); // one per test: it moves all its /tmp paths at once
    return {
      call(call) {
        passedToWriter(ctx, call);
        for (const { str, shell } of tmpStrings(ctx, call)) {
          if (reported.has(str.id)) continue;
          reported.add(str.id);
          // a dump nothing reads (`open("/tmp/debug.html", "w")`): overwriting it changes no result
          if (!shell && writtenOnly(ctx, str, writesContent(ctx, call))) continue;
          // a directory made if missing (`exist_ok=True`) races with nothing by itself; it matters where
          // another file deletes or lists it (another that only makes it too, tomorrownow's collector, races
          // with nothing either)
          if (!shell && madeIfMissing(call) && !emptiedElsewhere(ctx, leadingText(str))) continue;
          const fn = ctx.defs.enclosingFunction(str);
          if (!shell && fn && ownedBy(ctx, str, fn)) continue;
          if (fn && !fixes.has(fn.id)) fixes.set(fn.id, tmpFix(ctx, fn));
          const callName = call.childForFieldName('function')?.text ?? 'this call';
          ctx.report({
            node: str,
            message: `${shownPath(str)} is one path for every xdist worker and every concurrent run: ${shell ? 'the shell command in ' : ''}${callName}() here races with other tests using it`,
            fix: fn ? fixes.get(fn.id) : null,
          });
        }
      },
    };
  },
});

/** The string literals naming /tmp that `call` passes to a filesystem call or runs in a shell command. */
function tmpStrings(ctx: RuleContext, call: Node): { str: Node; shell: boolean }[] {
  const fn = call.childForFieldName('function');
  if (!fn || !ctx.names.mayCall(fn, CALLEES)) return [];
  // Path("/tmp/x").write_text(...): the path is the receiver's argument
  const receiver = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
  const viaPath =
    !!receiver &&
    receiver.type === 'call' &&
    PATH_METHODS.has(field(fn, 'attribute').text) &&
    ctx.names.is(receiver.childForFieldName('function'), ...PATH_CLASSES);
  // Python 2's `file(name, mode)` builtin opens as `open` does (zeus)
  const q = viaPath
    ? 'pathlib.Path'
    : ctx.names.isBuiltin(fn, 'open') || ctx.names.isBuiltin(fn, 'file')
      ? 'io.open'
      : ctx.names.resolve(fn);
  if (q === undefined) return [];
  const shell = SHELL_CALLS.has(q);
  if (!shell && !PATH_CALLS.has(q) && !viaPath) return [];
  const args = (viaPath ? receiver : call).childForFieldName('arguments');
  if (!args) return [];
  const pattern = shell ? TMP_IN_SHELL : TMP_PATH;
  const found: { str: Node; shell: boolean }[] = [];
  const add = (str: Node) => {
    if (!pattern.test(leadingText(str)) || UNIQUE_PART.test(str.text) || nameComputed(str) || uniqueByName(ctx, str))
      return;
    const joined = joinedFixed(ctx, str);
    if (joined === false) return; // os.path.join("/tmp", name): the name is not one fixed name
    // `gettempdir()` by itself is only a hazard listed or deleted (`os.listdir(tempfile.gettempdir())`)
    if (str.type === 'call' && joined === undefined && !(str.parent?.id === args.id && WHOLE_DIRECTORY.has(q))) return;
    found.push({ str, shell });
  };
  walkPath(
    ctx,
    args,
    n => {
      // "/tmp" "/x": one path, which only its first piece starts (a shell command: any piece)
      if (n.type === 'concatenated_string' && !shell) {
        const first = n.firstNamedChild;
        if (first?.type === 'string') add(first);
        return false;
      }
      if (n.type === 'string' || n.type === 'call') {
        add(n);
        return false;
      }
      // `PATHS["settings"]["DOWNLOAD_PATH"]`: the item, not every string of the dict; none where the
      // function gives that item a value of its own first (bk-nodeman's `mk_and_return_tmpdir()`)
      if (n.type === 'subscript') {
        const item = dictItem(ctx, n, call);
        if (item === undefined) return true;
        if (item) walkPath(ctx, item, s => void add(s), STRING);
        return false;
      }
      if (n.type === 'identifier') assignedStrings(ctx, n).forEach(add);
      // `self.command.path = "/tmp/foo.bak"` earlier in the function (django-dbbackup)
      if (n.type === 'attribute') {
        if (/^[\w.]+$/.test(n.text)) assignedStrings(ctx, n).forEach(add);
        return false;
      }
      return n.type !== 'lambda';
    },
    ARGUMENT_TYPES,
  );
  return found;
}

/**
 * The value `node` (`NAME["a"]["b"]`, string keys into a dict literal the module assigns NAME) stands for
 * at `at`: the last value the function gives that item before `at`, else the module's; null where the
 * item is not there; undefined where it cannot be read so (any other subscript: looked into as before).
 */
function dictItem(ctx: RuleContext, node: Node, at: Node): Node | null | undefined {
  const keys: string[] = [];
  let base: Node | null = node;
  while (base?.type === 'subscript') {
    const key = base.childForFieldName('subscript');
    const text = key && stringValue(key);
    if (text == null) return undefined;
    keys.unshift(text);
    base = base.childForFieldName('value');
  }
  if (base?.type !== 'identifier') return undefined;
  const fn = ctx.defs.enclosingFunction(at);
  const own = fn ? assignedValues(fn, node.text, at) : [];
  if (own.length) return own.at(-1) ?? null;
  const values = moduleValues(ctx, base.text);
  let value: Node | null = values.length === 1 ? (values[0] ?? null) : null;
  for (const key of keys) {
    if (value?.type !== 'dictionary') return undefined;
    const pair: Node | undefined = value.namedChildren.find(
      (p): p is Node => p?.type === 'pair' && stringValue(p.childForFieldName('key') ?? p) === key,
    );
    value = pair?.childForFieldName('value') ?? null;
    if (!value) return null;
  }
  return value;
}

/** What lists or deletes a whole directory: `/tmp` itself is a hazard there */
const WHOLE_DIRECTORY = new Set(['os.listdir', 'os.scandir', 'os.walk', 'shutil.rmtree']);

/**
 * For the first argument of `os.path.join`: whether every other piece is one fixed name (a literal, a
 * constant, a setting the settings give a string, a name assigned only such values, not a unique one).
 * Not a join's first argument: undefined.
 */
function joinedFixed(ctx: RuleContext, str: Node): boolean | undefined {
  const pieces = joinedPieces(ctx, str);
  if (!pieces) return undefined;
  const fn = ctx.defs.enclosingFunction(str);
  return pieces.every(piece => fixedPiece(ctx, piece, fn));
}

/** What `os.path.join` joins to `str`, where `str` is its first argument; else null. */
function joinedPieces(ctx: RuleContext, str: Node): Node[] | null {
  const args = str.parent;
  const call = args?.type === 'argument_list' ? args.parent : null;
  if (
    !call ||
    args?.namedChildren[0]?.id !== str.id ||
    !ctx.names.is(call.childForFieldName('function'), 'os.path.join')
  )
    return null;
  return args.namedChildren.slice(1).filter((c): c is Node => !!c && c.type !== 'comment');
}

function fixedPiece(ctx: RuleContext, piece: Node, fn: Node | null): boolean {
  if (piece.type === 'string') return !UNIQUE_PART.test(piece.text) && !uniqueByName(ctx, piece);
  if (isConstant(piece)) return true;
  if (piece.type === 'attribute') return settingConstant(ctx, piece) !== undefined;
  if (piece.type !== 'identifier') return false;
  // a name assigned in the function, else at module level (a constant), and only fixed values
  const values = (fn ? assignedValues(fn, piece.text) : []).filter(v => v.id !== piece.id);
  const found = values.length ? values : moduleValues(ctx, piece.text);
  return found.length > 0 && found.every(v => !UNIQUE_VALUE.test(v.text) && (isConstant(v) || v.type === 'string'));
}

/** Calls whose value is a path built from their arguments (or receiver): `os.path.join`, `str`, `"…".format`. */
const PATH_BUILDERS = new Set([
  'os.path.join',
  'os.path.abspath',
  'os.path.normpath',
  'os.path.realpath',
  'os.path.expanduser',
  'os.path.expandvars',
  'os.fspath',
  'pathlib.Path',
  'pathlib.PosixPath',
  'pathlib.PurePath',
]);
const BUILDING_METHODS = new Set(['join', 'joinpath', 'format', 'resolve', 'absolute', 'with_name', 'with_suffix']);

/**
 * Walks the path expression `root` as `walk` does, into the arguments of calls that build a path from
 * theirs and not into other calls' arguments: `os.path.exists(write_plumber_data(rows, "/tmp"))` looks at
 * what the function returns (tomorrownow's: a `uuid4` name in it), not at `/tmp`.
 */
function walkPath(ctx: RuleContext, root: Node, enter: (n: Node) => boolean | void, only: ReadonlySet<string>) {
  const types = new Set([...only, 'call']);
  const visit = (from: Node) =>
    walk(
      from,
      n => {
        if (n.type !== 'call') return enter(n);
        const fn = n.childForFieldName('function');
        if (isTempDir(ctx, n)) return enter(n);
        if (fn && buildsPath(ctx, fn)) return true;
        if (fn) visit(fn); // `"/tmp/{}".format(x)`'s receiver is still the path
        return false;
      },
      types,
    );
  visit(root);
}

function buildsPath(ctx: RuleContext, fn: Node): boolean {
  if (fn.type === 'attribute' && BUILDING_METHODS.has(field(fn, 'attribute').text)) return true;
  if (ctx.names.isBuiltin(fn, 'str')) return true;
  const q = ctx.names.resolve(fn);
  return q !== undefined && PATH_BUILDERS.has(q);
}

/** `os.makedirs(p, exist_ok=True)`, `Path(p).mkdir(parents=True, exist_ok=True)`: idempotent, no race of its own. */
function madeIfMissing(call: Node): boolean {
  return (
    /(^|\.)(makedirs|mkdir)$/.test(field(call, 'function').text) && keywordArgument(call, 'exist_ok')?.text === 'True'
  );
}

/** A line naming `path` that deletes or lists it. */
const EMPTIES = /\b(rmtree|remove|unlink|rmdir|removedirs|listdir|scandir|walk|i?glob|iterdir|rm)\b/;

/**
 * Whether another file of the project deletes or lists `path` on a line naming it; also when that cannot
 * be told (no project, files not listed).
 */
function emptiedElsewhere(ctx: RuleContext, path: string): boolean {
  const others = ctx.project?.elsewhere(path);
  if (!others) return true;
  return others.some(({ text }) => text.split('\n').some(line => line.includes(path) && EMPTIES.test(line)));
}

/**
 * `"/tmp/" + fake.md5()`: only the directory is literal, the name is what a call returns at run time;
 * nothing says two tests get the same one.
 */
/**
 * An f-string that interpolates a local name its function made unique (awx: `rand_str = str(uuid4())[:8]`,
 * then `f"/tmp/ee_{rand_str}_src"`).
 */
function uniqueByName(ctx: RuleContext, str: Node): boolean {
  const fn = ctx.defs.enclosingFunction(str);
  if (!fn) return false;
  const names = new Set(
    str.namedChildren.flatMap(part =>
      part?.type === 'interpolation' && part.namedChildren[0]?.type === 'identifier'
        ? [part.namedChildren[0].text]
        : [],
    ),
  );
  return [...names].some(name => assignedValues(fn, name).some(v => UNIQUE_VALUE.test(v.text)));
}

function nameComputed(str: Node): boolean {
  if (!/\/tmp\/?$/.test(stringValue(str) ?? '')) return false;
  // what follows the string in a `+` chain: its right sibling, or (as a chain's right operand, as in
  // `"cp " + f + " " + "/tmp/" + str(pk)`) the right operand of the `+` above
  const parent = str.parent;
  if (parent?.type !== 'binary_operator') return false;
  const isLeft = parent.childForFieldName('left')?.id === str.id;
  const above = parent.parent;
  const next = isLeft
    ? parent.childForFieldName('right')
    : above?.type === 'binary_operator' && above.childForFieldName('left')?.id === parent.id
      ? above.childForFieldName('right')
      : null;
  return next?.type === 'call';
}

/** A string's content up to its first interpolation (the part we can read statically). */
/**
 * A named path (`/tmp/x.zip`, not `/tmp` itself or a glob) that only this test names in the whole
 * project, or, under Django's runner, which hands each worker whole test classes, only its class: no
 * test running at the same time meets it, only another run of the same suite at the same moment
 * (iaso's zips, written and read by one class's tests; sawps' `/tmp/test.pid`).
 */
function ownedBy(ctx: RuleContext, str: Node, fn: Node): boolean {
  const lead = leadingText(str);
  // `os.path.join("/tmp", "plumber_test.R")`: the name joined to it is the one to look for
  // `"x.pdf" in os.listdir("/tmp")`, `assertIn("x.pdf", os.listdir("/tmp"))`: the name looked for
  const joined = /^\/tmp\/?$/.test(lead) ? (joinedName(ctx, str) ?? listedName(ctx, str)) : undefined;
  // `f"/tmp/{NAME}.zip"`: the literal as written is the name to look for
  const path =
    joined ?? (/^\/tmp\/?$/.test(lead) && str.text.includes('{') ? str.text.replace(/^[a-zA-Z]+/, '') : lead);
  if (!(joined || /^["']?\/tmp\/[\w.{-]{2,}/.test(path)) || path.includes('*')) return false;
  const cls = ctx.defs.methodClass(fn);
  const owner = cls && ctx.project?.settings.runner === 'django' ? cls : ctx.testing.isTestFunction(fn) ? fn : null;
  if (!owner) return false;
  // a base class's method runs in every class deriving from it, each a worker's whole class (zeus'
  // ElectionBase.get_voters_file): not one class's path
  if (owner.type === 'class_definition' && derivedFrom(ctx, owner)) return false;
  if (joined) return joinedOnlyIn(ctx, joined, owner);
  const everywhere = ctx.project?.occurrences(path);
  if (everywhere === null || everywhere === undefined) return false;
  return everywhere <= owner.text.split(path).length - 1;
}

/** Whether another class derives from `cls`: in this file, or (its name named there) in another of the project. */
function derivedFrom(ctx: RuleContext, cls: Node): boolean {
  const name = defName(cls);
  const source = String.raw`(?:^|\n)[ \t]*class\s+\w+\s*\([^)]*\b${escapeRegExp(name)}\b`;
  let pattern = UNIT_PATTERNS.get(source);
  if (!pattern) UNIT_PATTERNS.set(source, (pattern = new RegExp(source)));
  return ctx.file.anyUnit(pattern) || !!ctx.project?.mentionedElsewhere(name);
}

/**
 * Whether `/tmp/<name>` is named only inside `owner`: no line elsewhere in the project, nor in this file
 * outside `owner`, joins the name to `/tmp` (or `gettempdir()`) or writes the path out. The name alone
 * says nothing: OnlineJudge's `"test_case"` is also its settings' data folder and a dict key.
 */
function joinedOnlyIn(ctx: RuleContext, name: string, owner: Node): boolean {
  const n = escapeRegExp(name);
  const tmp = String.raw`(?:/tmp\b|gettempdir)`;
  const quoted = `["']${n}["']`;
  // or the setting that gives the name (`settings.SCREENCAPTURES_TEMP_DIRECTORY_NAME`), named anywhere:
  // the project's own code makes the folder there too
  const line = String.raw`(?:/tmp/${n}\b|settings\.${n}\b|[^\n]*${quoted}[^\n]*${tmp}|[^\n]*${tmp}[^\n]*${quoted})`;
  const others = ctx.project?.elsewhere(name);
  if (!others || others.some(({ text }) => new RegExp(line).test(text))) return false;
  // in this file, a top-level unit other than the one holding `owner` (asked of the units, so an edit to
  // one of them is seen)
  let top = owner;
  while (top.parent && top.parent.type !== 'module') top = top.parent;
  const head = escapeRegExp(top.text.split('\n')[0] ?? '');
  const source = `^(?!${head})[\\s\\S]*?${line}`;
  // one RegExp per question: the engine remembers each pattern's answer between edits by its identity
  let pattern = UNIT_PATTERNS.get(source);
  if (!pattern) UNIT_PATTERNS.set(source, (pattern = new RegExp(source)));
  return !ctx.file.anyUnit(pattern);
}
const UNIT_PATTERNS = new Map<string, RegExp>();
/** `"plumber_test.R"` for the `"/tmp"` of `os.path.join("/tmp", "plumber_test.R")`: a name of 2 characters or more */
function joinedName(ctx: RuleContext, str: Node): string | undefined {
  const second = joinedPieces(ctx, str)?.[0];
  const name = second && (stringValue(second) ?? settingConstant(ctx, second));
  return name && /^[\w.-]{2,}$/.test(name) ? name : undefined;
}

/**
 * The string the settings the test run loads give `settings.X` (django.conf's), for a name joined to
 * `/tmp`: a fixed name, as a literal would be. Searched for in the project by its setting's name.
 */
function settingConstant(ctx: RuleContext, node: Node): string | undefined {
  if (node.type !== 'attribute') return undefined;
  const q = ctx.names.resolve(node);
  const setting = q?.startsWith('django.conf.settings.') ? q.slice('django.conf.settings.'.length) : undefined;
  const value = setting && ctx.project?.settings.constants.get(setting);
  return value && /^["'][\w.-]{2,}["']$/.test(value) ? setting : undefined;
}

/**
 * `"x.pdf"` for the `"/tmp"` of `os.listdir("/tmp")` where the listing only asks whether that name is in it
 * (`"x.pdf" in os.listdir("/tmp")`, `self.assertIn("x.pdf", os.listdir("/tmp"))`): as `os.path.exists` of
 * that one path would
 */
function listedName(ctx: RuleContext, str: Node): string | undefined {
  const args = str.parent;
  const listing = args?.type === 'argument_list' && args.namedChildCount === 1 ? args.parent : null;
  if (!listing || !ctx.names.is(listing.childForFieldName('function'), 'os.listdir')) return undefined;
  const around = listing.parent;
  let name: Node | null | undefined;
  if (
    around?.type === 'comparison_operator' &&
    around.namedChildCount === 2 &&
    around.namedChildren[1]?.id === listing.id
  ) {
    const left = around.namedChildren[0];
    const operator = left
      ? around.text.slice(left.endIndex - around.startIndex, listing.startIndex - around.startIndex)
      : '';
    if (/^\s*(not\s+)?in\s*$/.test(operator)) name = left;
  } else if (around?.type === 'argument_list' && around.namedChildren[1]?.id === listing.id) {
    const assertion = around.parent?.childForFieldName('function');
    if (assertion && /\.assert(Not)?In$/.test(assertion.text)) name = around.namedChildren[0];
  }
  const value = name ? stringValue(name) : null;
  return value && /^[\w.-]{2,}$/.test(value) ? value : undefined;
}

function leadingText(str: Node): string {
  if (str.type === 'call') return '/tmp'; // tempfile.gettempdir(), as isTempDir saw
  return stringValue(str) ?? stringContentText(str).split('{')[0];
}

/**
 * `tempfile.gettempdir()`: the same `/tmp` for every process of the machine (no `TMPDIR` is set per
 * worker), reported as the literal is, in the paths it builds (airmozilla's screencaps folder,
 * `os.path.join(tempfile.gettempdir(), settings.SCREENCAPTURES_TEMP_DIRECTORY_NAME)`).
 */
function isTempDir(ctx: RuleContext, call: Node): boolean {
  return (
    call.childForFieldName('arguments')?.namedChildCount === 0 &&
    ctx.names.is(call.childForFieldName('function'), 'tempfile.gettempdir')
  );
}

/** The path as the message shows it: the literal, or the join a `gettempdir()` is the start of. */
function shownPath(str: Node): string {
  if (str.type !== 'call') return str.text;
  const join = str.parent?.type === 'argument_list' ? str.parent.parent : null;
  if (join?.type !== 'call') return str.text;
  const text = join.text
    .replace(/\(\s+/g, '(')
    .replace(/,?\s+\)/g, ')')
    .replace(/\s+/g, ' ');
  return text.length <= 120 ? text : str.text;
}

/**
 * String literals assigned to `name`'s identifier in its function (in a loop or branch too: zeus'
 * `fname = '/tmp/random_voters%s.csv' % counter` in a `for`), else at module level.
 */
function assignedStrings(ctx: RuleContext, id: Node): Node[] {
  const fn = ctx.defs.enclosingFunction(id);
  const atModule = () => moduleValues(ctx, id.text);
  for (const values of fn ? [assignedValues(fn, id.text), atModule()] : [atModule()]) {
    const found: Node[] = [];
    for (const right of values) {
      if (right)
        walkPath(
          ctx,
          right,
          n => {
            found.push(n);
            return false;
          },
          STRING,
        );
    }
    if (found.length) return found;
  }
  return [];
}

/** A directory of the test's own that replaces /tmp in its paths. */
interface OwnDirectory {
  /** the name that holds it (`tmp_path`, or the variable the test assigns mkdtemp() to) */
  name: string;
  /** an expression for the directory itself, as a string */
  whole: string;
  /** an expression for `rest` (a string literal) under it, as a string */
  join(rest: string): string;
  /** the edits that make it (and, once `join` was used, import what it calls) */
  edits(): Edit[];
}

/**
 * Moves test `fn` off /tmp: every /tmp path it uses (and every other use of the same literals in it)
 * goes into a directory of its own: `tmp_path` in a pytest test, a `mkdtemp()` removed by `addCleanup`
 * in a unittest test method. None where the test shares a path with code it cannot move with it.
 */
function tmpFix(ctx: RuleContext, fn: Node): Fix | null {
  const dir = pytestTest(ctx, fn)
    ? pytestDirectory(ctx, fn)
    : ctx.testing.isTestFunction(fn) && ctx.testing.unittestClassOf(fn)
      ? unittestDirectory(ctx, fn)
      : null;
  if (!dir) return null;
  const flagged: { str: Node; shell: boolean }[] = [];
  walk(fn, call => void flagged.push(...tmpStrings(ctx, call)), CALL);
  // a path assigned outside the test (a module constant) stays in /tmp for the other tests using it;
  // `gettempdir()` is no literal to rewrite: left to a person
  if (flagged.some(({ str }) => str.type !== 'string' || str.startIndex < fn.startIndex || str.endIndex > fn.endIndex))
    return null;
  // a /tmp path setUp prepares for the test would no longer be where the test looks
  const cls = ctx.defs.methodClass(fn);
  const setups = cls ? ctx.testing.setupHooksOf(cls).filter(h => !/tear/i.test(defName(h))) : [];
  if (setups.some(h => usesTmp(ctx, h))) return null;
  // the literals to rewrite, each with whether it is (also) a shell command
  const literals = new Map<string, boolean>();
  for (const { str, shell } of flagged) literals.set(str.text, shell || !!literals.get(str.text));
  // and every other use of them (not the later piece of "/var" "/tmp/x", which only looks like one)
  const ids = new Set(flagged.map(({ str }) => str.id));
  const laterPiece = (s: Node) => s.parent?.type === 'concatenated_string' && s.parent.firstNamedChild?.id !== s.id;
  const uses: Node[] = [];
  walk(
    fn,
    s => {
      if (literals.has(s.text) && (ids.has(s.id) || !laterPiece(s))) uses.push(s);
      return false;
    },
    STRING,
  );
  // raw, bytes, triple-quoted: leave to a person
  if (uses.some(s => !/^f?["']$/i.test(s.firstChild?.text ?? ''))) return null;
  const edits = uses.map(s => Edit.replace(s.startIndex, s.endIndex, underDirectory(s, !!literals.get(s.text), dir)));
  return Fix.unsafe(
    dir.name === 'tmp_path' ? "Use the test's own tmp_path" : "Use a directory of the test's own (tempfile.mkdtemp)",
    [...dir.edits(), ...edits],
  );
}

function usesTmp(ctx: RuleContext, fn: Node): boolean {
  let found = false;
  walk(fn, call => void (found ||= tmpStrings(ctx, call).length > 0), CALL);
  return found;
}

/** A pytest test function that can take the `tmp_path` fixture (not a unittest method). */
function pytestTest(ctx: RuleContext, fn: Node): boolean {
  if (!ctx.testing.isTestFunction(fn) || ctx.defs.enclosingFunction(fn)) return false;
  const cls = ctx.defs.methodClass(fn);
  return !cls || ctx.testing.baseExpressions(cls).every(b => b.text === 'object');
}

function pytestDirectory(ctx: RuleContext, fn: Node): OwnDirectory {
  return {
    name: 'tmp_path',
    whole: 'str(tmp_path)',
    join: rest => `str(tmp_path / ${rest})`,
    edits: () => addParameter(ctx, fn, 'tmp_path'),
  };
}

/**
 * `tmp = tempfile.mkdtemp()` and `self.addCleanup(shutil.rmtree, tmp, True)` at the start of a
 * unittest method (after its docstring), under a name the method does not use; or the directory it
 * already makes that way.
 */
function unittestDirectory(ctx: RuleContext, fn: Node): OwnDirectory | null {
  const self = parameterNames(fn)[0];
  const body = bodyStatements(fn);
  if (!self || !body.length) return null;
  const join = reach(ctx, 'os', 'path.join');
  let joined = false;
  const directory = (name: string, edits: Edit[]): OwnDirectory => ({
    name,
    whole: name,
    join: rest => {
      joined = true;
      return `${join.expr}(${name}, ${rest})`;
    },
    edits: () => (joined ? [...join.edits, ...edits] : edits),
  });
  for (const stmt of body) {
    const made = /^(\w+) = [\w.]*mkdtemp\(\)$/.exec(stmt.text)?.[1];
    if (made && body.some(s => new RegExp(`addCleanup\\([\\w.]*rmtree, ${made}\\b`).test(s.text)))
      return directory(made, []);
  }
  const taken = new Set<string>();
  walk(fn, id => void taken.add(id.text), IDENTIFIER);
  let name = 'tmp';
  for (let i = 2; taken.has(name); i++) name = `tmp${i}`;
  const rmtree = reach(ctx, 'shutil', 'rmtree');
  const mkdtemp = reach(ctx, 'tempfile', 'mkdtemp');
  const docstring = body[0].type === 'expression_statement' && body[0].firstNamedChild?.type === 'string';
  const first = docstring ? body[1] : body[0];
  if (!first) return null;
  const indent = indentOf(ctx.file.text, first.startIndex);
  const lines = `${name} = ${mkdtemp.expr}()${ctx.file.eol}${indent}${self}.addCleanup(${rmtree.expr}, ${name}, True)`;
  return directory(name, [...rmtree.edits, ...mkdtemp.edits, insertBefore(ctx, first, lines)]);
}

/** `module.name` as the file reaches it, importing the module when it does not. */
function reach(ctx: RuleContext, module: string, name: string): Imported {
  const existing = reachedName(ctx, module, `${module}.${name}`);
  if (existing) return { expr: existing, edits: [] };
  const { expr, edits } = importModule(ctx, module);
  return { expr: `${expr}.${name}`, edits };
}

/** String literal `str` (a path, or a `shell` command) with its /tmp replaced by `dir`. */
function underDirectory(str: Node, shell: boolean, dir: OwnDirectory): string {
  const open = str.firstChild?.text ?? '';
  const quote = open.slice(-1);
  const content = stringContentText(str);
  // a piece of "a" "b" must stay a string literal: an f-string, never an expression
  const piece = str.parent?.type === 'concatenated_string';
  // a whole path becomes an expression; a command line ("/tmp/run.sh -v"), an f-string
  if (open.length === 1 && !piece && !content.includes('\\') && !(shell && /\s/.test(content))) {
    if (content === '/tmp') return dir.whole;
    const rest = /^\/tmp\/([^/].*)$/s.exec(content)?.[1];
    if (rest) return dir.join(`${quote}${rest}${quote}`);
  }
  const escaped = open.length === 2 ? content : content.replace(/[{}]/g, c => c + c);
  return `f${quote}${escaped.replace(/(^|[\s'"=:;(])\/tmp(?=\/|$|[\s'";)])/g, `$1{${dir.name}}`)}${quote}`;
}

/**
 * `/tmp` (or a directory under it) passed to a function of the project that opens a file of a name it
 * does not make unique in the directory it is given (tamato: `dit_file_generator("/tmp", 230001)` opens
 * `/tmp/DIT230001.xml`), from a test, where another place in the project passes it the same: one level
 * into the project's own code, as a test calls it.
 */
function passedToWriter(ctx: RuleContext, call: Node): void {
  const callee = call.childForFieldName('function');
  if (callee?.type !== 'identifier' && callee?.type !== 'attribute') return;
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  const index = args.findIndex(a => a?.type === 'string' && TMP_PATH.test(stringValue(a) ?? ''));
  const str = args[index];
  if (!str || index < 0 || args.slice(0, index).some(a => a?.type !== 'string' && a?.type !== 'identifier')) return;
  if (!ctx.testing.owner(call)) return;
  const q = ctx.names.resolve(callee);
  const opened = q && ctx.project?.parameterOpened(q, index);
  if (!opened) return;
  // the same call, with the same directory and the same constants after it (they may name the file),
  // somewhere else too: another test (or module) writes the same file
  let last = index;
  for (let next = args[last + 1]; next && isConstant(next); next = args[last + 1]) last++;
  const shown = args.slice(0, last + 1).map(a => a?.text);
  const written = `${callee.text.slice(callee.text.lastIndexOf('.') + 1)}(${shown.join(', ')}`;
  if ((ctx.project?.occurrences(written) ?? 0) < 2) return;
  ctx.report({
    node: str,
    message: `${str.text} is one directory for every xdist worker and every concurrent run: ${callee.text}() opens a file of a fixed name in it, and other tests call it with the same`,
    related: [{ at: opened, message: `${callee.text}() opens the file here` }],
    fix: null,
  });
}
