// Which files are test modules, and what module a file is.
import * as path from 'path';

/**
 * pytest's and Django's default test-module patterns, plus conftest.py and anything under tests/, read
 * from the path relative to `root`: a project checked out under /home/me/tests/ is not all tests.
 */
export function isTestFile(file: string, root: string): boolean {
  const parts = path.relative(root, file).split(/[\\/]/);
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
