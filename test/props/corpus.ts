// Where the real Python test code for the property and fuzz suites comes from: the repository's own
// fixtures (always), the CPython test package and Debian's Django/DRF (when installed, as
// scripts/setup.sh does), and any directory given with --corpus (a longer local run).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTestFile } from '../../server/src/project/files';

export const ROOT = path.resolve(__dirname, '../../..');

export interface Source {
  name: string;
  root: string;
  files: string[];
}

/** Every .py file under `dir` (sorted; no symbolic links, no __pycache__), or only test modules. */
export function pyFiles(dir: string, testsOnly = false): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && !/^(__pycache__|node_modules|\.git|\.venv|venv)$/.test(e.name)) visit(p);
      else if (e.isFile() && e.name.endsWith('.py') && (!testsOnly || isTestFile(p, dir))) out.push(p);
    }
  };
  visit(dir);
  return out.sort();
}

/** The repository's Python: rule fixtures, incidents, projects, the e2e workspace, examples, the proof project. */
export function repoFixtures(): Source {
  const dirs = ['test/fixtures', 'test/e2e/workspace', 'examples', 'test/proof/project'].map(d => path.join(ROOT, d));
  return { name: 'fixtures', root: ROOT, files: dirs.flatMap(d => pyFiles(d)) };
}

function testPackageOf(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import test, os; print(os.path.dirname(test.__file__))'], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  return dir && fs.existsSync(dir) ? dir : null;
}

/**
 * CPython's test package: Debian's (/usr/bin/python3, complete once libpython3.X-testsuite is
 * installed), else the one of the python3 on PATH when that is the more complete.
 */
export function cpythonTests(): Source | null {
  const candidates = [...new Set(['/usr/bin/python3', 'python3'].map(testPackageOf).filter((d): d is string => !!d))];
  const sources = candidates
    .map(root => ({ name: 'cpython-test', root, files: pyFiles(root) }))
    .sort((a, b) => b.files.length - a.files.length);
  return sources[0] ?? null;
}

/** Debian's Django and Django REST framework (python3-django, python3-djangorestframework). */
export function debianDjango(): Source[] {
  return ['django', 'rest_framework']
    .map(m => path.join('/usr/lib/python3/dist-packages', m))
    .filter(d => fs.existsSync(d))
    .map(root => ({ name: `debian-${path.basename(root)}`, root, files: pyFiles(root) }));
}

/** `--corpus DIR`: each project directory under DIR (or DIR itself), its test modules only. */
export function extraCorpus(dir: string): Source[] {
  const abs = path.resolve(dir);
  const children = fs.readdirSync(abs, { withFileTypes: true }).filter(e => e.isDirectory() && !e.name.startsWith('.'));
  const projects =
    children.length && !fs.existsSync(path.join(abs, 'setup.py')) && !fs.existsSync(path.join(abs, 'pyproject.toml'))
      ? children.map(e => path.join(abs, e.name))
      : [abs];
  return projects.map(root => ({ name: path.basename(root), root, files: pyFiles(root, true) }));
}

/** Command-line values of a repeatable option: `--corpus a --corpus b`. */
export function optionValues(argv: string[], name: string): string[] {
  return argv.flatMap((a, i) =>
    a === name && argv[i + 1] ? [argv[i + 1]!] : a.startsWith(`${name}=`) ? [a.slice(name.length + 1)] : [],
  );
}
