// Which files are test modules and what module a file is; walking a directory tree for them.
import * as fs from 'fs';
import * as path from 'path';

/** pytest's and Django's default test-module patterns, plus conftest.py and anything under tests/. */
export function isTestFile(file: string): boolean {
  const parts = file.split(/[\\/]/);
  const base = parts[parts.length - 1] ?? '';
  if (!base.endsWith('.py')) return false;
  if (/^test_.*\.py$|_tests?\.py$|^tests\.py$|^conftest\.py$/.test(base)) return true;
  return parts.slice(0, -1).some(p => p === 'tests' || p === 'test');
}

/** Directories never worth walking: VCS, caches, dependencies, virtualenvs, build output. */
const SKIP_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', 'venv', '.tox', '.nox',
  '.mypy_cache', '.pytest_cache', '.ruff_cache', '.eggs', 'build', 'dist', 'site-packages', '.direnv', '__pypackages__']);

/**
 * Test files under `dir`, sorted. Symbolic links are not followed (so a walk never leaves its root
 * or loops); unreadable directories are reported through `onError` and skipped.
 */
export function walkTestFiles(dir: string, onError: (file: string, reason: string) => void, isTest: (file: string) => boolean = isTestFile): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      onError(d, (e as NodeJS.ErrnoException).code ?? String(e));
      return;
    }
    if (entries.some(e => e.name === 'pyvenv.cfg')) return; // a virtualenv under any name
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) visit(p); }
      else if (e.isFile() && p.endsWith('.py') && isTest(p)) out.push(p);
    }
  };
  visit(dir);
  return out;
}

/** Dotted module name for a file relative to `root`: `app/tests/test_api.py` → `app.tests.test_api`. */
export function moduleName(file: string, root: string): string {
  const rel = path.relative(root, file);
  const inside = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.basename(file);
  return inside.replace(/\.py$/, '').split(/[\\/]/).filter(p => p && p !== '.').join('.').replace(/\.__init__$/, '');
}
