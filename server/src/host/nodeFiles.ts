// The file system of this machine, for the CLI and the language server that node/main.ts starts.
import * as fs from 'fs';
import * as path from 'path';
import type { FileAccess } from './files';

export const nodeFiles: FileAccess = {
  readText(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  },
  readBytes(file) {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error((e as NodeJS.ErrnoException).code ?? (e as Error).message, { cause: e });
    }
  },
  list(dir) {
    try {
      return fs.readdirSync(dir);
    } catch {
      return null;
    }
  },
  walkTestFiles,
};

/**
 * Writes `file` whole or not at all: a temporary file beside it (same mode), renamed over it. Another
 * process reading it meanwhile (a worker reading the project's files) sees the old text or the new,
 * never half of one.
 */
export function writeFileWhole(file: string, data: string | Uint8Array): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.crosstalk-${process.pid}-${Date.now()}`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    mode = undefined; // a new file
  }
  try {
    fs.writeFileSync(temporary, data, mode === undefined ? undefined : { mode });
    fs.renameSync(temporary, file);
  } catch (e) {
    fs.rmSync(temporary, { force: true });
    throw e;
  }
}

/** Directories never worth walking: VCS, caches, dependencies, virtualenvs, build output. */
const SKIP_DIRS = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.eggs',
  'build',
  'dist',
  'site-packages',
  '.direnv',
  '__pypackages__',
]);

/**
 * Test files under `dir`, sorted. Symbolic links are not followed (so a walk never leaves its root
 * or loops); unreadable directories are reported through `onError` and skipped.
 */
function walkTestFiles(
  dir: string,
  isTest: (file: string) => boolean,
  onError: (file: string, reason: string) => void,
): string[] {
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
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(p);
      } else if (e.isFile() && p.endsWith('.py') && isTest(p)) out.push(p);
    }
  };
  visit(dir);
  return out;
}
