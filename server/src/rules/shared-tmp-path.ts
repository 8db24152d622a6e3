import { Edit, Fix } from '../engine/fix';
import { addParameter } from '../engine/edits';
import { importModule } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext, type Listeners } from '../engine/rule';
import { bodyStatements, field, stringContentText, stringValue, walk } from '../syntax/nodes';

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
  [...PATH_CALLS, ...SHELL_CALLS].map(q => q.slice(q.lastIndexOf('.') + 1)).concat('open', ...PATH_METHODS),
);
const TMP_PATH = /^\/tmp(\/|$)/;
/** `/tmp` as a path token anywhere in a shell command */
const ARGUMENT_TYPES = new Set(['string', 'concatenated_string', 'identifier', 'lambda']);
const STRING = new Set(['string']);
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
    fix: "Unsafe: the test's own `tmp_path` in pytest functions; `tempfile.gettempdir()` for a bare `/tmp` elsewhere",
  },
  docs: {
    what:
      'A string literal naming `/tmp` or a path under it passed (directly, through `os.path.join`, an ' +
      'f-string or a variable assigned in the file) to `open`, `os.remove`, `shutil.rmtree`, `os.listdir`, ' +
      '`glob` and similar, used by a `pathlib.Path` method that touches the filesystem (`Path("/tmp/x").mkdir()`), ' +
      'or inside a shell command run by `os.system` or `subprocess`. Building a `Path` alone (say, as the ' +
      'expected argument of a mock) is not flagged.',
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
      "Unsafe: in a pytest test function the path moves into the test's own `tmp_path` (the " +
      'parameter is added), which changes where files are; code under test that still writes to `/tmp` ' +
      'will no longer meet the test there. Elsewhere a bare `"/tmp"` becomes `tempfile.gettempdir()`, which ' +
      'honours TMPDIR but is still shared; other paths get no automatic fix.',
  },
  create(ctx): Listeners {
    if (!ctx.file.mentions('/tmp')) return {}; // every path it reports starts with /tmp
    const reported = new Set<number>();
    const report = (str: Node, call: Node, shell: boolean) => {
      if (reported.has(str.id)) return;
      reported.add(str.id);
      const callName = call.childForFieldName('function')?.text ?? 'this call';
      ctx.report({
        node: str,
        message: `${str.text} is one path for every xdist worker and every concurrent run: ${shell ? 'the shell command in ' : ''}${callName}() here races with other tests using it`,
        fix: tmpFix(ctx, str),
      });
    };
    return {
      call(call) {
        const fn = call.childForFieldName('function');
        if (!fn) return;
        if (!ctx.names.mayCall(fn, CALLEES)) return;
        // Path("/tmp/x").write_text(...): the path is the receiver's argument
        const receiver = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
        const viaPath =
          !!receiver &&
          receiver.type === 'call' &&
          PATH_METHODS.has(field(fn, 'attribute').text) &&
          ctx.names.is(receiver.childForFieldName('function'), ...PATH_CLASSES);
        const q = viaPath ? 'pathlib.Path' : ctx.names.isBuiltin(fn, 'open') ? 'io.open' : ctx.names.resolve(fn);
        if (q === undefined) return;
        const shell = SHELL_CALLS.has(q);
        if (!shell && !PATH_CALLS.has(q) && !viaPath) return;
        const args = (viaPath ? receiver : call).childForFieldName('arguments');
        if (!args) return;
        const pattern = shell ? TMP_IN_SHELL : TMP_PATH;
        walk(
          args,
          n => {
            // "/tmp" "/x": one path, which only its first piece starts (a shell command: any piece)
            if (n.type === 'concatenated_string' && !shell) {
              const first = n.firstNamedChild;
              if (first?.type === 'string' && pattern.test(leadingText(first))) report(first, call, shell);
              return false;
            }
            if (n.type === 'string') {
              if (pattern.test(leadingText(n))) report(n, call, shell);
              return false;
            }
            if (n.type === 'identifier')
              for (const s of assignedStrings(ctx, n)) if (pattern.test(leadingText(s))) report(s, call, shell);
            return n.type !== 'lambda';
          },
          ARGUMENT_TYPES,
        );
      },
    };
  },
});

/** A string's content up to its first interpolation (the part we can read statically). */
function leadingText(str: Node): string {
  return stringValue(str) ?? stringContentText(str).split('{')[0];
}

/** String literals assigned to `name`'s identifier in its function, else at module level. */
function assignedStrings(ctx: RuleContext, id: Node): Node[] {
  const fn = ctx.defs.enclosingFunction(id);
  const moduleStatements = ctx.file.topLevel.filter(c => c.kind === 'other' && c.node.isNamed).map(c => c.node);
  for (const statements of fn ? [bodyStatements(fn), moduleStatements] : [moduleStatements]) {
    const found: Node[] = [];
    for (const stmt of statements) {
      const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
      if (assign?.type !== 'assignment' || assign.childForFieldName('left')?.text !== id.text) continue;
      const right = assign.childForFieldName('right');
      if (right)
        walk(
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

/** A pytest test function that can take the `tmp_path` fixture (not a unittest method). */
function pytestTest(ctx: RuleContext, str: Node): Node | null {
  const fn = ctx.defs.enclosingFunction(str);
  if (!fn || !ctx.testing.isTestFunction(fn) || ctx.defs.enclosingFunction(fn)) return null;
  const cls = ctx.defs.methodClass(fn);
  if (cls && ctx.testing.baseExpressions(cls).some(b => b.text !== 'object')) return null;
  return fn;
}

function tmpFix(ctx: RuleContext, str: Node): Fix | null {
  const open = str.firstChild?.text ?? '';
  const prefix = open.replace(/['"]+$/, '').toLowerCase();
  if (open.length - prefix.length !== 1 || (prefix !== '' && prefix !== 'f')) return null; // raw, bytes, triple-quoted: leave to a person
  const quote = open.slice(-1);
  const content = stringContentText(str);
  const test = pytestTest(ctx, str);
  if (test) {
    const edits = addParameter(ctx, test, 'tmp_path');
    let replacement: string;
    const path = TMP_PATH.exec(content);
    // a piece of "a" "b" must stay a string literal: an f-string, never an expression
    const piece = str.parent?.type === 'concatenated_string';
    if (prefix === '' && path && content.startsWith('/tmp') && !content.includes('\\') && !piece) {
      const rest = content.slice(path[0].length);
      replacement = rest ? `str(tmp_path / ${quote}${rest}${quote})` : 'str(tmp_path)';
    } else {
      const escaped = prefix === 'f' ? content : content.replace(/[{}]/g, c => c + c);
      replacement = `f${quote}${escaped.replace(/(^|[\s'"=:;(])\/tmp(?=\/|$|[\s'";)])/g, '$1{tmp_path}')}${quote}`;
    }
    return Fix.unsafe("Use the test's own tmp_path", [
      ...edits,
      Edit.replace(str.startIndex, str.endIndex, replacement),
    ]);
  }
  if (prefix === '' && /^\/tmp\/?$/.test(content) && str.parent?.type !== 'concatenated_string') {
    const { expr, edits } = importModule(ctx, 'tempfile');
    return Fix.unsafe('Use tempfile.gettempdir()', [
      ...edits,
      Edit.replace(str.startIndex, str.endIndex, `${expr}.gettempdir()`),
    ]);
  }
  return null;
}
