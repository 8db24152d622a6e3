// The line length the project's formatter or linter holds its code to, where its configuration says:
// a fix's new lines must pass the same gate as the rest of the file (black, ruff, flake8, pycodestyle).
import * as path from 'path';
import { parseIni, parsePyproject, tableAt } from './ini';

const INI_FILES = ['setup.cfg', 'tox.ini', '.flake8'];
const INI_SECTIONS = ['flake8', 'pycodestyle', 'pep8'];

/**
 * The shortest limit configured in `root`'s pyproject.toml (`[tool.black]`, `[tool.ruff]`), ruff.toml,
 * or the flake8/pycodestyle section of setup.cfg, tox.ini or .flake8; a flake8 that ignores E501 sets
 * none. Black with no `line-length` holds 88. Null where nothing is configured.
 */
export function configuredLineLength(root: string, read: (file: string) => string | null): number | null {
  const limits: number[] = [];
  const add = (value: unknown) => {
    const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
    if (Number.isInteger(n) && n > 0) limits.push(n);
  };
  const pyproject = parsePyproject(read(path.join(root, 'pyproject.toml')) ?? '');
  const black = tableAt(pyproject, 'tool.black');
  if (black) add(black['line-length'] ?? 88);
  add(tableAt(pyproject, 'tool.ruff')?.['line-length']);
  for (const name of ['ruff.toml', '.ruff.toml'])
    add(parsePyproject(read(path.join(root, name)) ?? '')?.['line-length']);
  for (const name of INI_FILES) {
    const text = read(path.join(root, name));
    if (text === null) continue;
    const ini = parseIni(text);
    for (const section of INI_SECTIONS) {
      const keys = ini.get(section);
      if (!keys) continue;
      const ignored = `${keys.get('ignore')?.value ?? ''},${keys.get('extend-ignore')?.value ?? ''}`;
      if (/\bE501\b/.test(ignored)) continue;
      add((keys.get('max-line-length') ?? keys.get('max_line_length'))?.value);
    }
  }
  return limits.length > 0 ? Math.min(...limits) : null;
}
