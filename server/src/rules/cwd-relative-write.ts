import { addParameter } from '../engine/edits';
import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext } from '../engine/rule';
import { PATH_CONTENT_WRITES, writesContent, writtenOnly } from './lib/writeOnly';
import { field, keywordArgument, positionalArguments, stringContentText, stringValue, walk } from '../syntax/nodes';

/** calls that create or write the path in their first argument */
const WRITERS = new Set(['os.makedirs', 'os.mkdir', 'shutil.copytree', 'shutil.make_archive']);
/** calls whose second argument is a destination */
const COPIES = new Set(['shutil.copy', 'shutil.copy2', 'shutil.copyfile', 'shutil.move', 'os.rename', 'os.replace']);
/** `Path(...).<method>()` that writes */
const PATH_WRITES = new Set(['write_text', 'write_bytes', 'touch', 'mkdir']);
const PATHS = new Set(['pathlib.Path', 'pathlib.PurePath', 'pathlib.PosixPath']);

/**
 * Methods of libraries' objects that write the file named by their first argument: an image's or a
 * workbook's `save("x.png")`, a figure's `savefig`, a data frame's `to_csv`. (A model's `save()` takes
 * no file name; Django's storages, and a file field's `save(name, content)`, write under MEDIA_ROOT, not the
 * working directory.)
 */
const LIBRARY_WRITES = new Set([
  'save',
  'savefig',
  'to_csv',
  'to_excel',
  'to_json',
  'to_parquet',
  'to_pickle',
  'to_html',
  'write_image',
]);
/** the methods that write a file's content: Path's and the libraries' */
const CONTENT_WRITES = new Set([...PATH_CONTENT_WRITES, ...LIBRARY_WRITES]);
/** a file name: a name with an extension (so `save("draft")`, a mode or a key, is not one) */
const FILE_NAME = /^[\w.\-/ ]*\.[A-Za-z0-9]{1,5}$/;
const CALL = new Set(['call']);
const STRING = new Set(['string']);

/** the last names of every call it looks into (`makedirs`, `copy`, `open`, Path's `write_text`) */
const CALLEES = new Set(
  [...WRITERS, ...COPIES].map(q => q.slice(q.lastIndexOf('.') + 1)).concat('open', ...PATH_WRITES, ...LIBRARY_WRITES),
);

export default createRule({
  id: 'XT021',
  name: 'cwd-relative-write',
  optIn:
    'Read on suites nobody had tuned it on (rounds 5 to 19 of docs/accuracy.md), 2 of its 15 findings ' +
    'were a hazard a test could see: a file written to the working directory is most often written and ' +
    'read by one test only, or by none. Select it to audit a suite by hand.',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A test writes a file relative to the working directory, which every xdist worker shares',
  table: {
    finds:
      'A file written relative to the working directory (`open("out.json", "w")`, `Path(".cache").mkdir()`) in a test or fixture: every worker shares the cwd',
    fix: "Unsafe: the test's own `tmp_path`, for the write and every use of the same name",
  },
  docs: {
    what:
      'Files written or directories created relative to the working directory in a test, setUp hook or ' +
      'fixture: `open("out.json", "w")`, `Path(".cache").write_text(...)`, `os.makedirs("./.cache_x")`, ' +
      '`shutil.copy(src, "report.csv")`. Not when the test first moves into its own directory ' +
      '(`monkeypatch.chdir`, `tmpdir.as_cwd()`, `isolated_filesystem()`), nor a Django storage or a file ' +
      'field\'s `save(name, content)`, which write under MEDIA_ROOT; nor a file only written (`open(x, "w")`, ' +
      '`write_text`, a save) whose name appears nowhere else in the project, a debug dump nothing reads.',
    why:
      'pytest-xdist workers all start in the same working directory (the project root, usually). Two ' +
      "tests writing `out.json` there overwrite each other's file mid-test, and the files stay behind in " +
      'the checkout for the next run to find.',
    incident:
      'PyRIT: three unit tests wrote `test.png` and `sample_file.png` relative to the working directory; ' +
      'under `pytest -n auto` the workers shared it and raced, and two tests in different files used the ' +
      'same name. The fix: `tmp_path`.',
    incidentUrl: 'https://github.com/microsoft/PyRIT/pull/1797',
    example: [
      'def test_export():',
      '    with open("export.json", "w") as fh:      # XT021',
      '        ...',
      '',
      '# fixed',
      'def test_export(tmp_path):',
      '    with open(tmp_path / "export.json", "w") as fh:',
      '        ...',
    ].join('\n'),
    fixSafety:
      'Unsafe: in pytest tests and function-scoped fixtures every file the function writes moves under ' +
      '`tmp_path` (the parameter is added), and so does every other use of the same name there, so that the ' +
      'write and the reads agree: the read after the write, the path a fixture returns (a call argument ' +
      'becomes `tmp_path / "x"`, any other use `str(tmp_path / "x")`). Code elsewhere that looks for the ' +
      'file in the working directory (the code under test, a test naming the file its fixture wrote) will ' +
      'not find it there. No fix when a use cannot be rewritten in place (a piece of an implicit ' +
      'concatenation, a raw string), when the name is already used under `tmp_path` (the source of a copy), ' +
      'in unittest classes, or outside tests and fixtures.',
  },
  create(ctx) {
    const fixes = new Map<number, Fix | null>(); // one per test or fixture: it moves all its files at once
    return {
      call(call) {
        const target = writtenPath(ctx, call);
        if (!target) return;
        const owner = ctx.testing.owner(call);
        if (!owner || /\bchdir\b|as_cwd|isolated_filesystem/.test(owner.fn.text)) return;
        if (target.type !== 'string') {
          ctx.report({
            node: target,
            message: `${target.text} is written next to the test module (__file__), which every xdist worker and every concurrent run shares: concurrent tests overwrite it`,
          });
          return;
        }
        // a dump nothing reads (`open("debug_response.html", "w")`): overwriting it changes no result
        if (writtenOnly(ctx, target, writesContent(ctx, call, CONTENT_WRITES))) return;
        if (!fixes.has(owner.fn.id)) fixes.set(owner.fn.id, tmpPathFix(ctx, owner.fn));
        ctx.report({
          node: target,
          message: `${target.text} is written relative to the working directory, which every xdist worker shares: concurrent tests overwrite it, and it stays behind in the checkout`,
          fix: fixes.get(owner.fn.id),
        });
      },
    };
  },
});

/**
 * Moves every file `fn` (a pytest test or function-scoped fixture) writes under its `tmp_path`, and
 * every other use of the same names in it (the read after the write, the path a fixture returns), so
 * that they still agree. None when one of them cannot be rewritten in place.
 */
function tmpPathFix(ctx: RuleContext, fn: Node): Fix | null {
  if (!ctx.testing.takesFixtures(fn)) return null;
  const written = new Set<string>();
  let plain = true;
  walk(
    fn,
    call => {
      const target = writtenPath(ctx, call);
      if (target?.type !== 'string') return;
      plain &&= stringValue(target) !== null && !/^[rRbBuU]/.test(target.text);
      written.add(relativeName(target));
    },
    CALL,
  );
  if (!plain) return null;
  const uses: Node[] = [];
  walk(
    fn,
    str => {
      if (stringValue(str) !== null && written.has(relativeName(str))) uses.push(str);
      return false;
    },
    STRING,
  );
  const edits: Edit[] = [];
  for (const str of uses) {
    const name = str.text.replace(/^(['"])\.\//, '$1');
    // a piece of "a" "b" must stay a literal; a name already under tmp_path (a copy's source) would
    // become the destination too
    if (str.parent?.type === 'concatenated_string') return null;
    if (fn.text.includes(`tmp_path / ${name}`)) return null;
    // an argument stays a path (open, Path, os.* take one); elsewhere (a fixture's return) a string
    const argument = str.parent?.type === 'argument_list' || str.parent?.type === 'keyword_argument';
    edits.push(Edit.replace(str.startIndex, str.endIndex, argument ? `tmp_path / ${name}` : `str(tmp_path / ${name})`));
  }
  return Fix.unsafe("Write it under the test's own tmp_path", [...addParameter(ctx, fn, 'tmp_path'), ...edits]);
}

/** A relative path literal's value without a leading `./`: "out.json" and "./out.json" name one file. */
function relativeName(str: Node): string {
  return (stringValue(str) ?? '').replace(/^\.\//, '');
}

/**
 * The path a call writes to, if it is a write at all: a relative path literal, or an expression that
 * builds a path next to the test module from __file__.
 */
function writtenPath(ctx: RuleContext, call: Node): Node | null {
  if (!/['"]/.test(call.text)) return null; // the path it reports is a string literal in the call
  const fn = call.childForFieldName('function');
  if (!fn || !ctx.names.mayCall(fn, CALLEES)) return null;
  const target = writtenArgument(ctx, call, fn);
  if (!target) return null;
  if (target.type !== 'string') return besideTheModule(target) ? target : null;
  return isRelative(target) ? target : null;
}

/** The argument a call writes to (a string literal, or an expression built from __file__). */
function writtenArgument(ctx: RuleContext, call: Node, fn: Node): Node | null {
  const args = positionalArguments(call);
  if (ctx.names.isBuiltin(fn, 'open') || ctx.names.is(fn, 'io.open')) {
    const mode = args[1] ?? keywordArgument(call, 'mode');
    const m = mode ? stringValue(mode) : null;
    return m && /[wax+]/.test(m) ? pathArgument(args[0]) : null;
  }
  const q = ctx.names.resolve(fn);
  if (q && WRITERS.has(q)) return pathArgument(args[0]);
  if (q && COPIES.has(q)) return pathArgument(args[1]);
  // image.save("photo.jpg"), figure.savefig("plot.png"), frame.to_csv("out.csv")
  if (fn.type === 'attribute' && LIBRARY_WRITES.has(field(fn, 'attribute').text)) {
    const receiver = field(fn, 'object').text;
    const path = literal(args[0]);
    const name = path ? stringValue(path) : null;
    if (!path || !name || !FILE_NAME.test(name) || /storage/i.test(receiver)) return null;
    // a model file field's save(name, content): the storage writes it under MEDIA_ROOT, not the cwd
    // (PIL's image.save("x.jpg", "JPEG") takes a format string second)
    const content = positionalArguments(call)[1] ?? keywordArgument(call, 'content');
    if (field(fn, 'attribute').text === 'save' && content && content.type !== 'string') return null;
    return path;
  }
  // Path("x").write_text(...), Path("x").open("w")
  if (fn.type === 'attribute') {
    const method = field(fn, 'attribute').text;
    const receiver = field(fn, 'object');
    if (receiver.type !== 'call' || !ctx.names.is(receiver.childForFieldName('function'), ...PATHS)) return null;
    const path = literal(positionalArguments(receiver)[0]);
    if (PATH_WRITES.has(method)) return path;
    if (method === 'open') {
      const m = args[0] ? stringValue(args[0]) : null;
      return m && /[wax+]/.test(m) ? path : null;
    }
  }
  return null;
}

function literal(node: Node | undefined): Node | null {
  return node?.type === 'string' ? node : null;
}

/** A string literal, or a path built from `__file__` (`os.path.join(os.path.dirname(__file__), "x")`). */
function pathArgument(node: Node | undefined): Node | null {
  if (!node) return null;
  return node.type === 'string' ? node : /\b__file__\b/.test(node.text) && /['"]/.test(node.text) ? node : null;
}

/**
 * A path next to the test module: built from `__file__` and a fixed name, with nothing that makes it
 * differ per process or run (a temporary name, a pid, a worker id, a uuid).
 */
function besideTheModule(node: Node): boolean {
  return (
    /\b__file__\b/.test(node.text) &&
    !/\b(tempfile|mkdtemp|mkstemp|gettempdir|tmp_path|tmpdir|uuid\w*|getpid|worker\w*|random|token_hex)\b/i.test(
      node.text,
    )
  );
}

/** A relative path: not absolute, not home, not a URL, not a file descriptor or special name. */
function isRelative(str: Node): boolean {
  const text = stringValue(str) ?? stringContentText(str).split('{')[0];
  if (!text || text.startsWith('/') || text.startsWith('~') || text.startsWith('\\') || /^[a-zA-Z]:[\\/]/.test(text))
    return false;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text === '-') return false;
  return stringValue(str) !== null || !stringContentText(str).startsWith('{'); // f"{tmp_path}/x" is not relative
}
