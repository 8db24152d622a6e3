// How the project's tests are run, read the way pytest, pytest-django, pytest-env, tox and Django read
// it: which runner, which settings module (and where that was decided), which environment variables
// the run sets, which modules pytest loads as plugins, and where modules are imported from.
import * as path from 'path';
import type { Located } from '../analysis/projectView';
import { stringValue } from '../syntax/nodes';
import { nodesOfTypes, type Node } from '../syntax/parser';
import type { EnvVar } from './evaluate';
import { parseIni, parsePyproject, shellWords, tableAt, tomlLine } from './ini';

/** Where something was decided: a file, its 1-based line, and how. */
export interface Source {
  file: string;
  line: number;
  how: string;
}

export interface RunConfig {
  /** pytest (with pytest-django) when it is configured, else Django's runner (manage.py test, runtests.py) */
  runner: 'pytest' | 'django';
  /** the directory pytest takes as rootdir, or the one holding manage.py / runtests.py */
  rootdir: string;
  settingsModule: string | null;
  /** django-configurations' class, when DJANGO_CONFIGURATION is set, and where */
  configuration: string | null;
  configurationSource: Source | null;
  source: Source | null;
  /** `settings.configure(...)` in conftest.py or runtests.py: the settings are that call's arguments */
  configure: { call: Node; file: string } | null;
  /** the environment the test run sets (pytest-env, tox setenv, conftest.py before Django loads) */
  env: Map<string, EnvVar>;
  /** modules pytest loads as plugins (`pytest_plugins` in the root conftest.py) */
  plugins: string[];
  /** directories modules are imported from, first match wins */
  paths: string[];
  /** warnings raise in the test run (pytest's `filterwarnings = error`, `-W error`, PYTHONWARNINGS=error) */
  warningsAreErrors: boolean;
  /** pytest's `python_files`, where the ini file sets it: the patterns of the modules it collects */
  pythonFiles: string[] | null;
  /**
   * pytest's `norecursedirs` (its defaults where the ini file does not set it): directories it never
   * looks into for tests (fjord's `vendor`); null under Django's runner
   */
  noRecurse: string[] | null;
  /** pytest's `-m` in addopts, where CI passes none of its own: a test whose marks it rejects never runs */
  markExpression: string | null;
  /**
   * Tags (Django's `@tag`) and marks (pytest's) that CI leaves out of its parallel run and runs again in a
   * run with no workers (kitsune: `manage.py test --parallel=auto --exclude-tag no_parallel`, then
   * `manage.py test --tag no_parallel`): tests carrying one never have another test running beside them.
   */
  serialTags: string[];
}

export interface ConfigFiles {
  read(file: string): string | null;
  parse(file: string): Node | null;
  /** the names in a directory (CI workflows), or null; optional: a host may not list */
  list?(dir: string): string[] | null;
}

/** The files pytest may take its configuration from, in the order it tries them in one directory. */
const PYTEST_INIS = [
  'pytest.toml',
  '.pytest.toml',
  'pytest.ini',
  '.pytest.ini',
  'pyproject.toml',
  'tox.ini',
  'setup.cfg',
] as const;

/** An option's value and where it is: its line, and each item's line when it is a list. */
interface Option {
  value: string;
  line: number;
  items: { value: string; line: number }[];
}

interface PytestIni {
  file: string;
  /** its pytest options by key (lowercase), with the line of each item of a list */
  options: Map<string, Option>;
}

/**
 * pytest's configuration file: in the directory of the tests and upward, the first of pytest.ini
 * (even empty), .pytest.ini, pyproject.toml with [tool.pytest.ini_options] or [tool.pytest], tox.ini
 * with [pytest], setup.cfg with [tool:pytest]. Never above `ceiling`.
 */
function findPytestIni(start: string, ceiling: string, read: ConfigFiles['read']): PytestIni | null {
  for (let dir = start; ; dir = path.dirname(dir)) {
    for (const name of PYTEST_INIS) {
      const file = path.join(dir, name);
      const text = read(file);
      if (text === null) continue;
      const found = pytestOptions(name, text, file);
      if (found) return found;
    }
    if (dir === ceiling || !dir.startsWith(ceiling) || path.dirname(dir) === dir) return null;
  }
}

/** A TOML value pytest reads as an ini value's text: a string, number, boolean or date. */
function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object' || v instanceof Date;
}

function pytestOptions(name: string, text: string, file: string): PytestIni | null {
  const options = new Map<string, Option>();
  if (name.endsWith('.toml')) {
    const doc = parsePyproject(text);
    // pytest.toml and .pytest.toml (pytest 9): a [pytest] table, and the file counts even without one
    const own = name !== 'pyproject.toml';
    const legacy = own ? null : tableAt(doc, 'tool.pytest.ini_options');
    const native = tableAt(doc, own ? 'pytest' : 'tool.pytest');
    if (!legacy && !native) return own ? { file, options } : null;
    for (const [table, values] of [
      [own ? 'pytest' : 'tool.pytest', native],
      ['tool.pytest.ini_options', legacy],
    ] as const) {
      for (const [k, v] of Object.entries(values ?? {})) {
        if (k === 'ini_options' && table === 'tool.pytest') continue;
        // a table under the options (lacommunaute's `[tool.pytest.ini_options.markers]`) is no ini value
        if (!isScalar(v) && !(Array.isArray(v) && v.every(isScalar))) continue;
        const line = tomlLine(text, table, k);
        const items = (Array.isArray(v) ? v.map(String) : [String(v)]).map(item => ({
          value: item,
          line: tomlLine(text, table, k, item),
        }));
        options.set(k.toLowerCase(), { value: items.map(i => i.value).join('\n'), line, items });
      }
    }
    return { file, options };
  }
  const ini = parseIni(text);
  const section = name === 'setup.cfg' ? 'tool:pytest' : name === 'tox.ini' ? 'pytest' : 'pytest';
  const values = ini.get(section);
  if (!values) return name === 'pytest.ini' || name === '.pytest.ini' ? { file, options } : null;
  for (const [k, v] of values) {
    const items = v.value
      .split('\n')
      .map((item, i) => ({ value: item.trim(), line: v.line + i }))
      .filter(i => i.value !== '');
    options.set(k, { ...v, items });
  }
  return { file, options };
}

/** `--ds=x`, `--ds x`, `--dc=Y` in addopts. */
function fromAddopts(addopts: string, flag: string): string | null {
  const words = shellWords(addopts.replace(/\n/g, ' '));
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === flag) return words[i + 1] ?? null;
    if (w.startsWith(`${flag}=`)) return w.slice(flag.length + 1);
  }
  return null;
}

/**
 * pytest-env's TOML table: `[tool.pytest_env]` in pyproject.toml (`[pytest_env]` in pytest.toml), in
 * the directory of pytest's configuration file or above, whichever file pytest chose.
 */
function pytestEnvTable(
  start: string,
  ceiling: string,
  read: ConfigFiles['read'],
): { file: string; entries: { key: string; value: string; line: number; onlyIfUnset: boolean }[] } | null {
  for (let dir = start; ; dir = path.dirname(dir)) {
    for (const [name, table] of [
      ['pytest.toml', 'pytest_env'],
      ['.pytest.toml', 'pytest_env'],
      ['pyproject.toml', 'tool.pytest_env'],
    ] as const) {
      const file = path.join(dir, name);
      const text = read(file);
      const values = text === null ? null : tableAt(parsePyproject(text), table);
      if (!values || text === null) continue;
      const entries = Object.entries(values).flatMap(([key, v]) => {
        // `KEY = "value"` or `KEY = { value = "...", skip_if_set = true }`
        const obj = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
        const value = obj ? obj.value : v;
        return value === undefined
          ? []
          : [{ key, value: String(value), line: tomlLine(text, table, key), onlyIfUnset: !!obj?.skip_if_set }];
      });
      return { file, entries };
    }
    if (dir === ceiling || !dir.startsWith(ceiling) || path.dirname(dir) === dir) return null;
  }
}

/**
 * The environment pytest-env sets: its TOML table when that has entries (the ini's `env` list is then
 * ignored), else the `env = [...]` lines of pytest's configuration (`D:` only if unset, `R:` raw).
 */
function pytestEnv(
  ini: PytestIni | null,
  start: string,
  ceiling: string,
  read: ConfigFiles['read'],
  into: Map<string, EnvVar>,
): string {
  const set = (key: string, value: string, file: string, line: number, onlyIfUnset: boolean) => {
    if (onlyIfUnset && into.has(key)) return;
    into.set(key, { value, at: { file, line: line - 1, character: 0 } });
  };
  const table = pytestEnvTable(ini ? path.dirname(ini.file) : start, ceiling, read);
  if (table && table.entries.length > 0) {
    for (const e of table.entries) set(e.key, e.value, table.file, e.line, e.onlyIfUnset);
    return `pytest-env [${path.basename(table.file) === 'pyproject.toml' ? 'tool.pytest_env' : 'pytest_env'}]`;
  }
  for (const { value: entry, line } of ini?.options.get('env')?.items ?? []) {
    let e = entry.replace(/^["']|["'],?$/g, '');
    let onlyIfUnset = false;
    for (;;) {
      if (/^D:/.test(e)) onlyIfUnset = true;
      else if (!/^R:/.test(e)) break;
      e = e.slice(2);
    }
    const eq = e.indexOf('=');
    if (eq > 0 && ini) set(e.slice(0, eq).trim(), e.slice(eq + 1).trim(), ini.file, line, onlyIfUnset);
  }
  return 'pytest-env env';
}

/**
 * tox's `[testenv]` (tox.ini, or tox config in setup.cfg): the environment of runs through tox, and the
 * directories its `PYTHONPATH` puts on the import path. The tox file is the rootdir's, or one above it
 * whose `changedir` is the rootdir (graphite-web: `changedir = webapp`, where manage.py is).
 */
function toxEnv(
  rootdir: string,
  ceiling: string,
  read: ConfigFiles['read'],
): { env: Map<string, EnvVar>; paths: string[] } {
  const out = { env: new Map<string, EnvVar>(), paths: [] as string[] };
  for (const [name, section] of [
    ['tox.ini', 'testenv'],
    ['setup.cfg', 'tox:testenv'],
  ] as const) {
    let testenv: Map<string, { value: string; line: number }> | undefined;
    const toxinidir = findUp(rootdir, ceiling, dir => {
      const text = read(path.join(dir, name));
      const found = text === null ? undefined : parseIni(text).get(section);
      if (!found) return false;
      const changedir = found.get('changedir')?.value.replace('{toxinidir}', '.').trim() ?? '.';
      if (dir !== rootdir && path.resolve(dir, changedir) !== rootdir) return false;
      testenv = found;
      return true;
    });
    const setenv = testenv?.get('setenv');
    if (!toxinidir || !setenv) continue;
    const file = path.join(toxinidir, name);
    setenv.value.split('\n').forEach((raw, i) => {
      // `factor: VAR=value` applies to some environments only: not read
      const m = /^([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(raw.trim());
      if (!m?.[1]) return;
      const value = m[2] ?? '';
      if (m[1] === 'PYTHONPATH')
        for (const p of value.split(/[:;]/))
          if (/^\{toxinidir\}(\/|$)/.test(p)) out.paths.push(path.join(toxinidir, p.slice('{toxinidir}'.length)));
      // `{env:X}` and other substitutions are tox's to expand: not read
      if (!/[{}]/.test(value)) out.env.set(m[1], { value, at: { file, line: setenv.line - 1 + i, character: 0 } });
    });
  }
  return out;
}

/** What a Python file does to the environment and settings before Django loads: setdefault, assignment, configure(). */
interface ScriptEffects {
  /** directories the script puts on sys.path, relative to its own (`sys.path.insert(0, "tests/demo")`) */
  syspath: string[];
  setdefault: Map<string, { value: string; at: Located }>;
  assigned: Map<string, { value: string; at: Located }>;
  configure: Node | null;
  plugins: string[];
}

function scriptEffects(root: Node | null, file: string): ScriptEffects {
  const effects: ScriptEffects = {
    syspath: [],
    setdefault: new Map(),
    assigned: new Map(),
    configure: null,
    plugins: [],
  };
  if (!root) return effects;
  const at = (n: Node): Located => ({ file, line: n.startPosition.row, character: n.startPosition.column });
  // `ENV = {"DJANGO_SETTINGS_MODULE": "site.settings"}`, for `for k, v in ENV.items(): os.environ.setdefault(k, v)`
  const dicts = new Map<string, Node>();
  const visit = (node: Node, depth: number) => {
    for (const stmt of node.namedChildren) {
      if (!stmt) continue;
      if (stmt.type === 'for_statement') setdefaultLoop(stmt);
      if (stmt.type === 'expression_statement') {
        const e = stmt.firstNamedChild;
        if (e?.type === 'call') call(e);
        if (e?.type === 'assignment') {
          const left = e.childForFieldName('left');
          const right = e.childForFieldName('right');
          const envKey =
            left?.type === 'subscript' && /^os\.environ$/.test(left.childForFieldName('value')?.text ?? '');
          if (left?.type === 'identifier' && right?.type === 'dictionary') dicts.set(left.text, right);
          if (envKey && left && right) {
            const key = left.childForFieldName('subscript');
            const k = key ? stringValue(key) : null;
            const v = stringValue(right);
            if (k && v !== null) effects.assigned.set(k, { value: v, at: at(right) });
          }
          if (left?.text === 'pytest_plugins' && right) {
            const items = right.type === 'string' ? [right] : right.namedChildren;
            for (const item of items) {
              const v = item ? stringValue(item) : null;
              if (v) effects.plugins.push(v);
            }
          }
        }
      } else if (
        depth < 2 &&
        (stmt.type === 'if_statement' || stmt.type === 'function_definition' || stmt.type === 'block')
      ) {
        // `if __name__ == "__main__":` and `def main():` in manage.py and runtests.py
        const body =
          stmt.type === 'block' ? stmt : stmt.childForFieldName(stmt.type === 'if_statement' ? 'consequence' : 'body');
        if (body) visit(body, depth + 1);
      }
    }
  };
  const call = (c: Node) => {
    const fn = c.childForFieldName('function')?.text ?? '';
    const args =
      c.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
    if (/(^|\.)environ\.setdefault$/.test(fn) && args.length >= 2) {
      const k = args[0] ? stringValue(args[0]) : null;
      const v = args[1] ? stringValue(args[1]) : null;
      if (k && v !== null && !effects.setdefault.has(k))
        effects.setdefault.set(k, { value: v, at: at(args[1] as Node) });
    } else if (/(^|\.)settings\.configure$/.test(fn)) {
      effects.configure ??= c;
    } else if (/^sys\.path\.(insert|append)$/.test(fn)) {
      // the last string literal in the argument: `str(ROOT / "tests/demo_project")`, `"src"`
      const literal = [...(args.at(-1)?.text.matchAll(/["']([\w./-]+)["']/g) ?? [])].at(-1)?.[1];
      if (literal) effects.syspath.push(literal);
    }
  };
  const setdefaultLoop = (loop: Node) => {
    const m = /^(\w+)\.items\(\)$/.exec(loop.childForFieldName('right')?.text ?? '');
    const dict = m?.[1] ? dicts.get(m[1]) : undefined;
    if (!dict || !/\benviron\.setdefault\(/.test(loop.childForFieldName('body')?.text ?? '')) return;
    for (const pair of dict.namedChildren) {
      const k = pair?.type === 'pair' ? pair.childForFieldName('key') : null;
      const v = pair?.childForFieldName('value');
      const key = k ? stringValue(k) : null;
      const value = v ? stringValue(v) : null;
      if (key && v && value !== null && !effects.setdefault.has(key)) effects.setdefault.set(key, { value, at: at(v) });
    }
  };
  visit(root, 0);
  return effects;
}

/**
 * How the tests near `start` (a test file's directory) are run. `ceiling`: never above this directory.
 * `override`: [tool.crosstalk] settings-module, over everything.
 */
export function readRunConfig(
  start: string,
  ceiling: string,
  files: ConfigFiles,
  override: string | null,
  overrideFile: string | null,
): RunConfig {
  const conftestAbove = findUp(start, ceiling, d => files.read(path.join(d, 'conftest.py')) !== null);
  // nothing at the root or above: the Django project in one folder below it (nest's backend/, h2o's web/),
  // where pytest runs with that folder's configuration
  const below = conftestAbove ? null : soleTestProject(start, files);
  const ini = findPytestIni(start, ceiling, files.read) ?? (below ? findPytestIni(below, below, files.read) : null);
  const djangoRoot = findUp(start, ceiling, d =>
    ['manage.py', 'runtests.py'].some(f => files.read(path.join(d, f)) !== null),
  );
  const conftestRoot = ini ? path.dirname(ini.file) : conftestAbove;
  // pytest runs the suite when it is configured: an ini file, a conftest.py, pytest-env's table
  const pytestSigns =
    !!ini ||
    !!conftestRoot ||
    ['tests', 'test'].some(d => files.read(path.join(start, d, 'conftest.py')) !== null) ||
    pytestEnvTable(start, start, files.read) !== null;
  const runner: RunConfig['runner'] = pytestSigns ? 'pytest' : 'django';
  const rootdir = ini ? path.dirname(ini.file) : (conftestRoot ?? djangoRoot ?? start);
  const config: RunConfig = {
    runner,
    rootdir,
    settingsModule: null,
    configuration: null,
    configurationSource: null,
    source: null,
    configure: null,
    env: new Map(),
    plugins: [],
    paths: [],
    warningsAreErrors: false,
    pythonFiles: null,
    noRecurse: null,
    markExpression: null,
    serialTags: [],
  };

  // the environment: the CI service's own variables where its job runs the tests (`CIRCLECI`, `CI`), then
  // tox's (the outer one, in CI), then pytest-env over it
  for (const [k, v] of ciProviderEnv(rootdir, ceiling, files)) config.env.set(k, v);
  const { env: tox, paths: toxPaths } = toxEnv(rootdir, ceiling, files.read);
  for (const [k, v] of tox) config.env.set(k, v);
  const envHow = runner === 'pytest' ? pytestEnv(ini, rootdir, ceiling, files.read, config.env) : '';
  const envSource = (v: EnvVar, name: string): Source => ({
    file: v.at.file,
    line: v.at.line + 1,
    how: tox.get(name) === v ? 'tox setenv' : envHow,
  });

  // modules are imported from the rootdir (pytest's rootdir conftest, manage.py's directory), src/,
  // and pytest's `pythonpath` (`python_paths`, the pytest-pythonpath plugin's key before pytest 7)
  config.paths.push(rootdir, path.join(rootdir, 'src'), ...toxPaths);
  for (const key of ['pythonpath', 'python_paths'])
    for (const p of shellWords(ini?.options.get(key)?.value.replace(/\n/g, ' ') ?? ''))
      config.paths.push(path.resolve(rootdir, p));
  if (djangoRoot && djangoRoot !== rootdir) config.paths.push(djangoRoot);

  const choose = (module: string, source: Source) => {
    config.settingsModule = module;
    config.source = source;
  };
  // (where CI also runs Django's runner, it collects what pytest leaves: open-archiefbeheer's pytest
  // takes only its cassette tests, `manage.py test` the rest)
  const pythonFiles = runner === 'pytest' ? ini?.options.get('python_files')?.value : undefined;
  const pytestCollects = runner === 'pytest' && !ciRunsDjangoRunner(rootdir, ceiling, files);
  if (pythonFiles?.trim() && pytestCollects) config.pythonFiles = shellWords(pythonFiles.replace(/\n/g, ' '));
  const noRecurse = ini?.options.get('norecursedirs')?.value;
  if (pytestCollects) config.noRecurse = noRecurse?.trim() ? shellWords(noRecurse.replace(/\n/g, ' ')) : NO_RECURSE;
  const addopts = ini?.options.get('addopts');
  // its arguments: a TOML list's items as they are, an ini string split as a shell splits it
  const opts =
    ini?.file.endsWith('.toml') && addopts && addopts.items.length > 1
      ? addopts.items.map(i => i.value)
      : shellWords(addopts?.value.replace(/\n/g, ' ') ?? '');
  // `-m "not selenium"`: the tests it deselects never run, where every run takes it from the ini
  // (fragdenstaat-de's stripe tests); not where Django's runner runs the suite too, or CI passes `-m` itself
  const at = runner === 'pytest' ? opts.findIndex(a => a.startsWith('-m')) : -1;
  const expression = at < 0 ? null : opts[at] === '-m' ? opts[at + 1] : opts[at]?.slice(2);
  if (expression && !ciRunsDjangoRunner(rootdir, ceiling, files) && !ciPassesMarks(rootdir, ceiling, files))
    config.markExpression = expression;
  config.serialTags = ciSerialTags(rootdir, ceiling, files);
  // warnings as errors: a filter `error` (every warning) or `error::RuntimeWarning` (what Django's
  // "Model was already registered" is), in the ini file, on pytest's command line or in the environment
  const errorFilter = /^error(::(Runtime)?Warning)?$/;
  config.warningsAreErrors =
    (ini?.options.get('filterwarnings')?.items ?? []).some(i => errorFilter.test(i.value.trim())) ||
    opts.some((w, i) => errorFilter.test(w === '-W' ? (opts[i + 1] ?? '') : w.startsWith('-W') ? w.slice(2) : '')) ||
    (config.env.get('PYTHONWARNINGS')?.value.split(',') ?? []).some(w => errorFilter.test(w.trim()));

  if (override) {
    choose(override, {
      file: overrideFile ?? path.join(rootdir, 'pyproject.toml'),
      line: 1,
      how: '[tool.crosstalk] settings-module',
    });
  } else if (runner === 'pytest') {
    // pytest-django: --ds (addopts included), then the environment, then the ini key
    const ds = addopts ? fromAddopts(addopts.value, '--ds') : null;
    const fromEnv = config.env.get('DJANGO_SETTINGS_MODULE');
    const key = ini?.options.get('django_settings_module');
    // what the CI job that runs the tests sets (`env: DJANGO_SETTINGS_MODULE: x`, `pytest --ds=x`) is the
    // environment or the command line there: it wins over the ini key (le-marche's pyproject names a
    // module the project does not have; its workflow, the one it runs)
    const ci = ini && key ? ciSettings(rootdir, ceiling, files, config.paths, true) : null;
    if (ini && addopts && ds) choose(ds, { file: ini.file, line: addopts.line, how: '--ds in addopts' });
    else if (fromEnv && tox.get('DJANGO_SETTINGS_MODULE') !== fromEnv)
      choose(fromEnv.value, envSource(fromEnv, 'DJANGO_SETTINGS_MODULE'));
    else if (ci && ci.module !== key?.value.trim()) choose(ci.module, ci.source);
    else if (ini && key)
      choose(key.value.trim(), { file: ini.file, line: key.line, how: 'DJANGO_SETTINGS_MODULE ini key' });
  }
  // the conftest.py files pytest loads before configuring: the rootdir's, and those of the test paths
  const testpaths = shellWords(ini?.options.get('testpaths')?.value.replace(/\n/g, ' ') ?? '');
  const conftests = [...new Set(['.', ...testpaths, 'tests', 'test'].map(p => path.join(rootdir, p, 'conftest.py')))];
  for (const conftest of conftests) {
    const effects = runner === 'pytest' ? scriptEffects(files.parse(conftest), conftest) : null;
    if (!effects) continue;
    if (conftest === path.join(rootdir, 'conftest.py')) config.plugins.push(...effects.plugins);
    // relative to the conftest, the rootdir, or a directory above the conftest (`Path(__file__).parent.parent / p`)
    const above = [1, 2].map(n => path.resolve(path.dirname(conftest), ...Array<string>(n).fill('..')));
    for (const p of effects.syspath)
      config.paths.push(...[path.dirname(conftest), rootdir, ...above].map(dir => path.resolve(dir, p)));
    if (config.settingsModule || config.configure) continue;
    // a conftest.py decides only when pytest-django found no settings: it is loaded after
    const chosen = effects.assigned.get('DJANGO_SETTINGS_MODULE') ?? effects.setdefault.get('DJANGO_SETTINGS_MODULE');
    const how = effects.assigned.has('DJANGO_SETTINGS_MODULE') ? 'os.environ assignment' : 'os.environ.setdefault';
    if (chosen) {
      for (const [k, v] of [...effects.setdefault, ...effects.assigned]) if (!config.env.has(k)) config.env.set(k, v);
      choose(chosen.value, { file: conftest, line: chosen.at.line + 1, how });
    } else if (effects.configure) {
      config.configure = { call: effects.configure, file: conftest };
      config.source = { file: conftest, line: effects.configure.startPosition.row + 1, how: 'settings.configure' };
    }
  }
  const toxDsm = tox.get('DJANGO_SETTINGS_MODULE');
  // what CI runs the tests with, for Django's runner: `--settings x` on its command line wins over
  // anything manage.py sets before parsing it, an environment the workflow sets over a setdefault (brit:
  // `manage.py test --settings=brit.settings.testrunner`, manage.py's default being the local settings)
  const ciFirst =
    runner === 'django' && !config.settingsModule && !config.configure
      ? ciSettings(rootdir, ceiling, files, config.paths, true)
      : null;
  // Django's runner: what its script (runtests.py, else manage.py) in `base` sets
  const fromScripts = (base: string, scripts: string[]) => {
    for (const script of scripts) {
      if (config.settingsModule || config.configure) break;
      const file = path.join(base, script);
      const parsed = files.parse(file);
      if (!parsed) continue;
      let e = scriptEffects(parsed, file);
      // `from project.cli import main; main()`: the script hands over to the project's own entry point
      if (!e.setdefault.has('DJANGO_SETTINGS_MODULE') && !e.assigned.has('DJANGO_SETTINGS_MODULE') && !e.configure) {
        for (const target of importedProjectFiles(parsed, base, files.read)) {
          const handed = scriptEffects(files.parse(target), target);
          if (
            handed.setdefault.has('DJANGO_SETTINGS_MODULE') ||
            handed.assigned.has('DJANGO_SETTINGS_MODULE') ||
            handed.configure
          ) {
            e = handed;
            break;
          }
        }
      }
      const chosen = e.assigned.get('DJANGO_SETTINGS_MODULE') ?? e.setdefault.get('DJANGO_SETTINGS_MODULE');
      const how = e.assigned.has('DJANGO_SETTINGS_MODULE') ? 'os.environ assignment' : 'os.environ.setdefault';
      if (toxDsm && !e.assigned.has('DJANGO_SETTINGS_MODULE')) break; // tox's environment is set before the script runs
      if (ciFirst && (ciFirst.command || !e.assigned.has('DJANGO_SETTINGS_MODULE'))) break; // so is CI's
      for (const [k, v] of [...e.setdefault, ...e.assigned]) if (!config.env.has(k)) config.env.set(k, v);
      // the script's sys.path entries (`sys.path.insert(0, "tests")`), from its directory (where it runs)
      if (chosen || e.configure) config.paths.push(...e.syspath.map(p => path.resolve(path.dirname(file), p)));
      if (chosen) choose(chosen.value, { file, line: chosen.at.line + 1, how });
      else if (e.configure) {
        config.configure = { call: e.configure, file };
        config.source = { file, line: e.configure.startPosition.row + 1, how: 'settings.configure' };
      }
    }
  };
  if (!config.settingsModule && !config.configure && runner === 'django')
    fromScripts(djangoRoot ?? rootdir, [
      'runtests.py',
      'run_tests.py',
      'tests/runtests.py',
      'tests/run_tests.py',
      'manage.py',
    ]);
  if (!config.settingsModule && !config.configure && toxDsm)
    choose(toxDsm.value, { file: toxDsm.at.file, line: toxDsm.at.line + 1, how: 'tox setenv' });
  // last: a shell script at the root that runs the tests (`export DJANGO_SETTINGS_MODULE=...` in run.sh)
  for (const script of ['run.sh', 'runtests.sh', 'run_tests.sh', 'test.sh', 'scripts/test.sh']) {
    if (config.settingsModule || config.configure) break;
    const file = path.join(rootdir, script);
    const text = files.read(file);
    const m = text ? /^(?:export\s+)?DJANGO_SETTINGS_MODULE=["']?([\w.]+)/m.exec(text) : null;
    if (m?.[1] && text)
      choose(m[1], { file, line: text.slice(0, m.index).split('\n').length, how: `export in ${script}` });
  }

  // a library's one test project below the root: its directory is where its manage.py runs, and
  // imports from (a CI command may name `settings` there); its manage.py comes after the CI files
  const sole = config.settingsModule || config.configure ? null : soleTestProject(start, files);
  if (sole) config.paths.push(sole);
  // last of all: what the CI or tox command names (`--ds=x`, `--settings x`), or the environment a CI
  // workflow sets (`DJANGO_SETTINGS_MODULE: x`), in the first CI file that names one; then that
  // test project's manage.py
  const ci =
    config.settingsModule || config.configure ? null : (ciFirst ?? ciSettings(rootdir, ceiling, files, config.paths));
  if (ci) choose(ci.module, ci.source);
  if (sole && runner === 'django') fromScripts(sole, ['manage.py']);
  // a module named (by the ini key, say) that no path holds, but the one test project below the root
  // does: the script the tests run through puts that folder on sys.path first (django-loci's runtests.py,
  // `sys.path.insert(0, "tests")`, before `pytest.main`)
  const named = config.settingsModule;
  if (named && !config.paths.some(dir => moduleOn(dir, named, files))) {
    const project = soleTestProject(start, files);
    if (project && moduleOn(project, named, files)) config.paths.push(project);
  }

  // django-configurations: the class, from --dc, the environment, or the ini key
  const dc = addopts ? fromAddopts(addopts.value, '--dc') : null;
  // django-environment-config (env_config) names its class DJANGO_SETTINGS_ENVIRONMENT
  const dcEnv = config.env.get('DJANGO_CONFIGURATION') ?? config.env.get('DJANGO_SETTINGS_ENVIRONMENT');
  const dcKey = ini?.options.get('django_configuration') ?? ini?.options.get('django_settings_environment');
  if (ini && addopts && dc) {
    config.configuration = dc;
    config.configurationSource = { file: ini.file, line: addopts.line, how: '--dc in addopts' };
  } else if (dcEnv) {
    config.configuration = dcEnv.value;
    const variable = config.env.has('DJANGO_CONFIGURATION') ? 'DJANGO_CONFIGURATION' : 'DJANGO_SETTINGS_ENVIRONMENT';
    config.configurationSource = envSource(dcEnv, variable);
  } else if (ini && dcKey) {
    config.configuration = dcKey.value.trim();
    const key = ini.options.has('django_configuration') ? 'ini key' : '(DJANGO_SETTINGS_ENVIRONMENT) ini key';
    config.configurationSource = { file: ini.file, line: dcKey.line, how: key };
  } else if (ci?.configuration) {
    config.configuration = ci.configuration.name;
    config.configurationSource = ci.configuration.source;
  }
  return config;
}

/** whether `module` is a file (or a package) under `dir` */
function moduleOn(dir: string, module: string, files: ConfigFiles): boolean {
  const rel = module.split('.').join(path.sep);
  return [path.join(dir, `${rel}.py`), path.join(dir, rel, '__init__.py')].some(f => files.read(f) !== null);
}

/**
 * A library's test project: the one folder just below the project's root that holds a manage.py
 * (`cd testproject && ./manage.py test mylib`), when nothing else, the CI files included, names the settings.
 * Two or more (examples beside the test project) choose none.
 */
function soleTestProject(root: string, files: ConfigFiles): string | null {
  const found = (files.list?.(root) ?? [])
    .filter(name => !name.startsWith('.'))
    .map(name => path.join(root, name))
    .filter(dir => files.read(path.join(dir, 'manage.py')) !== null);
  return found.length === 1 ? (found[0] ?? null) : null;
}

/** the files CI and tox run the tests from, relative to a directory at or above the project's */
const CI_FILES = ['tox.ini', '.gitlab-ci.yml', '.circleci/config.yml', '.travis.yml', 'Makefile'];
const CI_SETTINGS =
  /(?:--ds|--settings)[= ]+([A-Za-z_][\w.]*)|\bDJANGO_SETTINGS_MODULE\s*[:=]\s*["']?([A-Za-z_][\w.]*)/;
const CI_CONFIGURATION = /\bDJANGO_CONFIGURATION\s*[:=]\s*["']?([A-Za-z_]\w*)/;

/**
 * a list item of nothing but variables, an environment every job gets (Travis' `env:` list,
 * `- DJANGO_SETTINGS_MODULE="tracpro.settings.tests"`), not a command run with them
 */
const ENVIRONMENT_ENTRY = /^\s*-\s*(?:[A-Za-z_]\w*=(?:"[^"]*"|'[^']*'|\S*)\s*)+$/;

/** a command that runs the tests */
const TEST_COMMAND = /\bmanage\.py\s+test\b|\bpy\.?test\b|\brun_?tests\b/;

/**
 * Where a CI file names a settings module, in order (same groups as CI_SETTINGS); with `testsOnly`, only
 * those the tests run with: `--settings x` / `--ds=x` on a line that runs the tests, or a
 * `DJANGO_SETTINGS_MODULE: x` environment key or a list item of variables alone (an inline `X=y` only
 * before a test command: pythondotorg's names the settings of its collectstatic step).
 */
function* ciMentions(text: string, testsOnly: boolean): Generator<RegExpExecArray> {
  const pattern = new RegExp(CI_SETTINGS.source, 'g');
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const start = text.lastIndexOf('\n', m.index) + 1;
    const end = text.indexOf('\n', m.index);
    const line = text.slice(start, end < 0 ? undefined : end);
    if (
      !testsOnly ||
      TEST_COMMAND.test(line) ||
      (m[2] && (/DJANGO_SETTINGS_MODULE\s*:/.test(m[0]) || ENVIRONMENT_ENTRY.test(line))) ||
      // a script's `export DJANGO_SETTINGS_MODULE=x`, in a script that runs the tests (syncano's test.sh)
      (m[2] && /^\s*export\s+DJANGO_SETTINGS_MODULE\s*=/.test(line) && TEST_COMMAND.test(text))
    )
      yield m;
  }
}

/**
 * The settings module the project's CI (GitHub workflows, GitLab, CircleCI, Travis, a Makefile) or tox
 * command names, from the rootdir up to the ceiling: the first file, in that order, that names one
 * found on the import paths (a module the command finds through a path it adds is not taken).
 */
function ciSettings(
  rootdir: string,
  ceiling: string,
  files: ConfigFiles,
  paths: string[],
  testsOnly = false,
): {
  module: string;
  configuration: { name: string; source: Source } | null;
  source: Source;
  /** named on a command line (`--settings x`, `--ds=x`), not only in an environment */
  command: boolean;
} | null {
  const found = (module: string) =>
    paths.some(p =>
      [`${module.split('.').join(path.sep)}.py`, path.join(...module.split('.'), '__init__.py')].some(
        f => files.read(path.join(p, f)) !== null,
      ),
    );
  for (const { file, text } of ciTexts(rootdir, ceiling, files)) {
    // the first mention of a module found on the import paths (a step may name one that is not)
    const m = [...ciMentions(text, testsOnly)].find(x => found(x[1] ?? x[2] ?? ''));
    if (!m) continue;
    const at = (index: number) => ({ file, line: text.slice(0, index).split('\n').length, how: 'named in CI' });
    const dc = CI_CONFIGURATION.exec(text);
    return {
      module: m[1] ?? m[2] ?? '',
      configuration: dc?.[1] ? { name: dc[1], source: at(dc.index) } : null,
      source: at(m.index),
      command: !!m[1],
    };
  }
  return null;
}

/**
 * The CI files (workflows, CI_FILES), from the rootdir up to the ceiling, each followed by the project's
 * own scripts it runs (hydroshare's `docker exec hydroshare ./run-tests-jenkins`, syncano's Makefile
 * running `./test.sh`): their texts, in that order.
 */
function* ciTexts(rootdir: string, ceiling: string, files: ConfigFiles): Generator<{ file: string; text: string }> {
  for (let dir = rootdir; ; dir = path.dirname(dir)) {
    for (const file of [
      ...workflowFiles(dir, files),
      ...CI_FILES.map(f => path.join(dir, f)),
      ...namedCiFiles(dir, files),
    ]) {
      const text = files.read(file);
      if (text === null) continue;
      yield { file, text };
      for (const m of text.matchAll(SCRIPT_RUN)) {
        const script = path.join(dir, m[1] ?? '');
        const body = script !== file ? files.read(script) : null;
        if (body !== null) yield { file: script, text: body };
      }
    }
    if (dir === ceiling || !dir.startsWith(ceiling) || path.dirname(dir) === dir) return;
  }
}

/** A CI file or tox (or a script one runs), from the rootdir up to the ceiling, runs tests with Django's runner. */
function ciRunsDjangoRunner(rootdir: string, ceiling: string, files: ConfigFiles): boolean {
  for (const { text } of ciTexts(rootdir, ceiling, files)) if (DJANGO_TEST_COMMAND.test(text)) return true;
  return false;
}

/** Whether a CI configuration (or tox, a Makefile) runs pytest with a `-m` of its own, which replaces the ini's. */
function ciPassesMarks(rootdir: string, ceiling: string, files: ConfigFiles): boolean {
  for (const { text } of ciTexts(rootdir, ceiling, files)) if (PYTEST_MARKS.test(text)) return true;
  return false;
}
const PYTEST_MARKS = /\bpy\.?test\b[^\n]*\s-m(?:\s|=|["'])/;

/**
 * The tags and marks a CI command leaves out of a parallel run (`manage.py test --parallel --exclude-tag x`,
 * `pytest -n 4 -m "not x"`) that another runs without workers (`manage.py test --tag x`, `pytest -m x`).
 */
function ciSerialTags(rootdir: string, ceiling: string, files: ConfigFiles): string[] {
  const excluded = new Set<string>();
  const alone = new Set<string>();
  for (const { text } of ciTexts(rootdir, ceiling, files))
    for (const line of text.split('\n')) {
      if (DJANGO_TEST_COMMAND.test(line)) {
        const parallel = /\s--parallel\b(?![=\s]+1\b)/.test(line);
        for (const m of line.matchAll(/\s--(exclude-)?tag[=\s]+["']?([\w-]+)/g)) {
          if (m[1] && parallel) excluded.add(m[2] ?? '');
          if (!m[1] && !parallel) alone.add(m[2] ?? '');
        }
      } else if (/\bpy\.?test\b/.test(line)) {
        const parallel = /\s(?:-n|--numprocesses)[=\s]*(?:auto|logical|[2-9]|\d\d)/.test(line);
        const m = /\s-m[=\s]*(?:"([^"]*)"|'([^']*)'|([\w-]+))/.exec(line);
        const expression = (m?.[1] ?? m?.[2] ?? m?.[3] ?? '').trim();
        const not = /^not\s+([\w-]+)$/.exec(expression);
        if (not?.[1] && parallel) excluded.add(not[1]);
        if (/^[\w-]+$/.test(expression) && !parallel) alone.add(expression);
      }
    }
  return [...excluded].filter(t => alone.has(t));
}

const SCRIPT_RUN = /(?:^|[\s;&|])(?:\.\/|(?:ba)?sh\s+)([\w][\w./-]*)/gm;
const DJANGO_TEST_COMMAND = /\b(?:manage\.py|django-admin(?:\.py)?)\s+test\b|\brun_?tests\.py\b/;

/**
 * The CI files of services named in their file names, in `dir`: Azure Pipelines (gigamaps'
 * `azure-pipeline-dev.yml` runs `./scripts/runtests.sh`), Bitbucket Pipelines, Drone, Jenkins.
 */
function namedCiFiles(dir: string, files: ConfigFiles): string[] {
  return (files.list?.(dir) ?? [])
    .filter(f => /^(?:azure-pipelines?[\w.-]*\.ya?ml|bitbucket-pipelines\.ya?ml|\.drone\.ya?ml|Jenkinsfile)$/.test(f))
    .sort()
    .map(f => path.join(dir, f));
}

/** The GitHub workflows in `dir`'s `.github/workflows`, in name order. */
function workflowFiles(dir: string, files: ConfigFiles): string[] {
  const workflows = path.join(dir, '.github', 'workflows');
  return (files.list?.(workflows) ?? [])
    .filter(f => /\.ya?ml$/.test(f))
    .sort()
    .map(f => path.join(workflows, f));
}

/** The variables each CI service sets in every job it runs, by the file that configures it. */
const CI_PROVIDERS: [string, string[]][] = [
  ['.github/workflows', ['CI', 'GITHUB_ACTIONS']],
  ['.gitlab-ci.yml', ['CI', 'GITLAB_CI']],
  ['.circleci/config.yml', ['CI', 'CIRCLECI']],
  ['.travis.yml', ['CI', 'TRAVIS']],
];

/**
 * The variables the CI service sets ("true") in the job that runs the tests: the first service, from the
 * rootdir up to the ceiling, whose configuration runs them (a test command in it). Settings that switch
 * on them (`if os.environ.get("CIRCLECI"): CACHES = {...LocMemCache}`: trade-remedies-api) are read as
 * that job runs them, as the rest of the run configuration is.
 */
function ciProviderEnv(rootdir: string, ceiling: string, files: ConfigFiles): Map<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  for (let dir = rootdir; ; dir = path.dirname(dir)) {
    for (const [where, names] of CI_PROVIDERS) {
      const configs = where.endsWith('workflows') ? workflowFiles(dir, files) : [path.join(dir, where)];
      const file = configs.find(f => TEST_COMMAND.test(files.read(f) ?? ''));
      if (!file) continue;
      for (const name of names) env.set(name, { value: 'true', at: { file, line: 0, character: 0 } });
      for (const [k, v] of ciFileEnv(files.read(file) ?? '', file)) env.set(k, v);
      return env;
    }
    if (dir === ceiling || !dir.startsWith(ceiling) || path.dirname(dir) === dir) return env;
  }
}

/**
 * The variables a CI file sets for its jobs: the `KEY: value` entries of its `env:` (GitHub),
 * `variables:` (GitLab) and `environment:` (CircleCI) mappings, as plain values (hawc's workflow sets
 * `DJANGO_CACHE_LOCATION: redis://localhost:6379/0`, which its settings read). A value the service fills
 * in (`${{ secrets.X }}`, `$VAR`), or one two mappings give differently (two jobs), is left unset. The
 * settings module is not among them: where CI names it is read as the rest of the run configuration.
 */
export function ciFileEnv(text: string, file: string): Map<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  const conflicting = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const block = /^(\s*)(?:-\s+)?(?:env|variables|environment):\s*(?:#.*)?$/.exec(line);
    if (!block) return;
    const outer = (block[1] ?? '').length;
    let inner: number | null = null;
    for (let j = i + 1; j < lines.length; j++) {
      const entry = lines[j] ?? '';
      if (/^\s*(#.*)?$/.test(entry)) continue;
      const indent = /^\s*/.exec(entry)?.[0].length ?? 0;
      if (indent <= outer) break;
      inner ??= indent;
      if (indent !== inner) continue;
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*(?:\s#.*)?$/.exec(entry);
      if (!m?.[1] || /^DJANGO_(SETTINGS_MODULE|CONFIGURATION)$/.test(m[1])) continue;
      const value = (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
      if (!value || /[$]|^[|>[{]/.test(value) || conflicting.has(m[1])) continue;
      const known = env.get(m[1]);
      if (known && known.value !== value) {
        env.delete(m[1]);
        conflicting.add(m[1]);
      } else if (!known) env.set(m[1], { value, at: { file, line: j, character: 0 } });
    }
  });
  return env;
}

/** The project's own modules a script imports from (`from scancodeio import command_line`), as files. */
function importedProjectFiles(root: Node, base: string, read: ConfigFiles['read']): string[] {
  const out: string[] = [];
  for (const stmt of nodesOfTypes(root, ['import_from_statement'])) {
    const module = stmt.childForFieldName('module_name')?.text ?? '';
    if (!module || module.startsWith('.') || /^(django|os|sys)\b/.test(module)) continue;
    const rel = module.split('.').join(path.sep);
    for (const candidate of [path.join(base, `${rel}.py`), path.join(base, rel, '__init__.py')]) {
      if (read(candidate) !== null) out.push(candidate);
    }
    // `from pkg import module`: the module itself
    for (const n of stmt.childrenForFieldName('name')) {
      const name = (n?.type === 'aliased_import' ? n.childForFieldName('name') : n)?.text;
      const file = name ? path.join(base, rel, `${name}.py`) : null;
      if (file && read(file) !== null) out.push(file);
    }
  }
  return out;
}

function findUp(start: string, ceiling: string, has: (dir: string) => boolean): string | null {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (has(dir)) return dir;
    if (dir === ceiling || !dir.startsWith(ceiling) || path.dirname(dir) === dir) return null;
  }
}

/**
 * pytest collects `file` as a test module by its `python_files` patterns (fnmatch, as pytest's
 * `fnmatch_ex` applies them): a pattern without a slash is matched against the file's name, one with a
 * slash against the tail of its path; `*` crosses directories. True when the ini sets no patterns.
 */
export function collectedByPytest(config: RunConfig, file: string): boolean {
  return !underNoRecurse(config, file) && namedForPytest(config, file);
}

/** Whether a directory between the rootdir and `file` is one pytest does not enter (`norecursedirs`). */
export function underNoRecurse(config: RunConfig, file: string): boolean {
  if (!config.noRecurse?.length) return false;
  const dirs = path.relative(config.rootdir, path.dirname(file)).split(path.sep);
  return !dirs[0]?.startsWith('..') && dirs.some(d => d && config.noRecurse?.some(p => fnmatch(p, d)));
}

/** Whether `file`'s name matches pytest's `python_files` (true where the ini file sets none). */
export function namedForPytest(config: RunConfig, file: string): boolean {
  if (!config.pythonFiles) return true;
  const posix = file.split(path.sep).join('/');
  return config.pythonFiles.some(pattern =>
    pattern.includes('/') ? fnmatch(`*/${pattern}`, posix) : fnmatch(pattern, path.basename(file)),
  );
}

/** pytest's default `norecursedirs` */
const NO_RECURSE = ['*.egg', '.*', '_darcs', 'build', 'CVS', 'dist', 'node_modules', 'venv', '{arch}'];

/** Python's fnmatch.fnmatchcase: `*` any run of characters, `?` one, `[...]` a set. */
function fnmatch(pattern: string, name: string): boolean {
  let compiled = FNMATCH.get(pattern);
  if (!compiled) FNMATCH.set(pattern, (compiled = fnmatchPattern(pattern)));
  return compiled.test(name);
}
/** asked once per test module of a scan: each pattern is compiled once */
const FNMATCH = new Map<string, RegExp>();

function fnmatchPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const close = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (close > 0) {
      const set = pattern.slice(i + 1, close);
      re += `[${set.startsWith('!') ? `^${set.slice(1)}` : set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\\][]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
