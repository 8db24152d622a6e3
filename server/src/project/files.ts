// Which files are test modules, and what module a file is.
import * as path from 'path';

/**
 * pytest's and Django's default test-module patterns, plus conftest.py and anything under tests/, read
 * from the path relative to `root`: a project checked out under /home/me/tests/ is not all tests.
 */
export function isTestFile(file: string, root: string): boolean {
  return isTestPath(path.relative(root, file).split(/[\\/]/));
}

/**
 * The same, read from a module's dotted name (`tests.tasks`): its path below the `sys.path` entry it is
 * imported from, wherever the project's root is (a pytest rootdir inside tests/).
 */
export function isTestModule(module: string): boolean {
  const parts = module.split('.');
  return isTestPath([...parts.slice(0, -1), `${parts[parts.length - 1] ?? ''}.py`]);
}

function isTestPath(parts: readonly string[]): boolean {
  const base = parts[parts.length - 1] ?? '';
  if (!base.endsWith('.py')) return false;
  if (/^test_.*\.py$|_tests?\.py$|^tests\.py$|^conftest\.py$|^(testing|testcases|testutils)\.py$/.test(base))
    return true;
  return parts.slice(0, -1).some(p => p === 'tests' || p === 'test' || p === 'testing');
}

/** Dotted module name for a file relative to `root`: `app/tests/test_api.py` → `app.tests.test_api`. */
export function moduleName(file: string, root: string): string {
  const rel = path.relative(root, file);
  const inside = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.basename(file);
  return inside
    .replace(/\.py$/, '')
    .split(/[\\/]/)
    .filter(p => p && p !== '.')
    .join('.')
    .replace(/\.__init__$/, '');
}
