// `[tool.crosstalk]` in pyproject.toml (or a crosstalk.toml holding the same keys at top level).
// A bad value is reported with its line and that key falls back to its default; a file that is not
// valid TOML falls back entirely. Never throws.
import picomatch from 'picomatch';
import * as path from 'path';
import { parse, TomlError } from 'smol-toml';
import type { Severity } from '../engine/rule';
import { rules as allRules } from '../rules';
import { isTestFile as isDefaultTestFile } from './files';

export interface Config {
  /** the directory the file's patterns are relative to */
  root: string;
  /** the file it came from, if any */
  file?: string;
  select: string[];
  ignore: string[];
  perFileIgnores: { pattern: string; codes: string[] }[];
  severity: Record<string, Severity>;
  /** glob patterns for test modules; null: the built-in patterns */
  testFiles: string[] | null;
  settingsModule: string | null;
}

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function defaultConfig(root: string): Config {
  return { root, select: [], ignore: [], perFileIgnores: [], severity: {}, testFiles: null, settingsModule: null };
}

const SEVERITIES = new Set(['error', 'warning', 'info']);
const KEYS = ['select', 'ignore', 'per-file-ignores', 'severity', 'test-files', 'settings-module'];

/**
 * Parses a pyproject.toml (`[tool.crosstalk]`) or crosstalk.toml. Returns null config when it has no crosstalk table.
 */
export function parseConfig(text: string, file: string): { config: Config | null; problems: ConfigProblem[] } {
  const root = path.dirname(file);
  const isPyproject = path.basename(file) === 'pyproject.toml';
  const problems: ConfigProblem[] = [];
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    const err = e as TomlError;
    problems.push({
      file,
      line: err.line ?? 1,
      column: err.column ?? 1,
      message: `not valid TOML: ${String(err.message).split('\n')[0]}; using the defaults`,
    });
    return { config: isPyproject && !/^\s*\[tool\.crosstalk\]/m.test(text) ? null : defaultConfig(root), problems };
  }
  const table = isPyproject ? (doc.tool as Record<string, unknown> | undefined)?.crosstalk : doc;
  if (table === undefined) return { config: null, problems };
  const config: Config = { ...defaultConfig(root), file };
  const at = (key: string) => keyPosition(text, isPyproject ? 'tool.crosstalk' : null, key);
  const problem = (key: string, message: string) =>
    problems.push({
      file,
      ...at(key),
      message: `${isPyproject ? 'tool.crosstalk.' : ''}${key}: ${message}; using the default`,
    });
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    problems.push({ file, line: 1, column: 1, message: 'tool.crosstalk must be a table; using the defaults' });
    return { config, problems };
  }
  const t = table as Record<string, unknown>;
  for (const key of Object.keys(t)) if (!KEYS.includes(key)) problem(key, `unknown key (known: ${KEYS.join(', ')})`);

  const codes = (key: string, value: unknown): string[] | null => {
    if (!Array.isArray(value) || value.some(v => typeof v !== 'string')) {
      problem(key, 'expected a list of rule codes, like ["XT001", "XT02"]');
      return null;
    }
    const unknown = value.filter(c => !allRules.some(r => r.id.startsWith(String(c).toUpperCase())));
    if (unknown.length) {
      problem(key, `unknown rule code ${unknown.map(c => JSON.stringify(c)).join(', ')}`);
      return null;
    }
    return value.map(c => String(c).toUpperCase());
  };
  if ('select' in t) config.select = codes('select', t.select) ?? [];
  if ('ignore' in t) config.ignore = codes('ignore', t.ignore) ?? [];
  if ('per-file-ignores' in t) {
    const v = t['per-file-ignores'];
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      problem('per-file-ignores', 'expected a table of glob = [codes]');
    else
      for (const [pattern, list] of Object.entries(v)) {
        const c = codes('per-file-ignores', list);
        if (c) config.perFileIgnores.push({ pattern, codes: c });
      }
  }
  if ('severity' in t) {
    const v = t.severity;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      problem('severity', 'expected a table of code = "error" | "warning" | "info"');
    else config.severity = severityTable(v as Record<string, unknown>, message => problem('severity', message));
  }
  if ('test-files' in t) {
    const v = t['test-files'];
    if (!Array.isArray(v) || v.length === 0 || v.some(p => typeof p !== 'string'))
      problem('test-files', 'expected a non-empty list of glob patterns');
    else config.testFiles = v as string[];
  }
  if ('settings-module' in t) {
    const v = t['settings-module'];
    if (typeof v !== 'string' || !/^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$/.test(v))
      problem('settings-module', 'expected a dotted module name, like "project.settings.test"');
    else config.settingsModule = v;
  }
  return { config, problems };
}

/** A `{ code: level }` table (here and in the editor's crosstalk.severity): each bad entry is reported and dropped. */
export function severityTable(
  table: Record<string, unknown>,
  problem: (message: string) => void,
): Record<string, Severity> {
  const out: Record<string, Severity> = {};
  for (const [code, level] of Object.entries(table)) {
    if (!allRules.some(r => r.id === code.toUpperCase())) problem(`unknown rule code ${JSON.stringify(code)}`);
    else if (typeof level !== 'string' || !SEVERITIES.has(level))
      problem(`${code} must be "error", "warning" or "info"`);
    else out[code.toUpperCase()] = level as Severity;
  }
  return out;
}

/** Line and column (1-based) of `key = ...` inside `[table]` (or anywhere, for a table-less file). */
function keyPosition(text: string, table: string | null, key: string): { line: number; column: number } {
  const lines = text.split(/\r?\n/);
  let inTable = table === null;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^\]]+)\]/.exec(lines[i]);
    if (header) inTable = table === null || header[1].trim() === table || header[1].trim().startsWith(`${table}.`);
    if (header && table !== null && header[1].trim() === `${table}.${key}`) return { line: i + 1, column: 1 };
    const m = new RegExp(`^(\\s*)("?)${key.replace(/[-]/g, '\\-')}\\2\\s*=`).exec(lines[i]);
    if (inTable && m) return { line: i + 1, column: m[1].length + 1 };
  }
  const h = table && lines.findIndex(l => l.trim() === `[${table}]`);
  return { line: h && h >= 0 ? h + 1 : 1, column: 1 };
}

/** A config with everything resolved for questions about one file. */
export class ResolvedConfig {
  private readonly testMatchers: ((p: string) => boolean)[] | null;
  private readonly ignoreMatchers: { match: (p: string) => boolean; codes: string[] }[];

  constructor(readonly config: Config) {
    const opts = { dot: true };
    this.testMatchers = config.testFiles?.map(p => picomatch(p, opts)) ?? null;
    this.ignoreMatchers = config.perFileIgnores.map(({ pattern, codes }) => ({
      match: picomatch(pattern, opts),
      codes,
    }));
  }

  private relative(file: string): string {
    return path.relative(this.config.root, file).split(path.sep).join('/');
  }

  isTestFile(file: string): boolean {
    if (!this.testMatchers) return isDefaultTestFile(file, this.config.root);
    const rel = this.relative(file);
    return this.testMatchers.some(m => m(rel));
  }

  /** The rules for `file`: select (or all), minus ignore and the file's per-file ignores; `extra` narrows further. */
  rulesFor(file: string, extra: { select?: string[]; ignore?: string[] } = {}) {
    const rel = this.relative(file);
    const select = extra.select?.length ? extra.select : this.config.select;
    const ignore = [
      ...this.config.ignore,
      ...(extra.ignore ?? []),
      ...this.ignoreMatchers.filter(m => m.match(rel)).flatMap(m => m.codes),
    ];
    // an opt-in rule runs only when its own code is selected, not a prefix of it
    const selected = (id: string, optIn: boolean) =>
      optIn ? select.includes(id) : select.length === 0 || select.some(c => id.startsWith(c));
    return allRules.filter(r => selected(r.id, !!r.optIn) && !ignore.some(c => r.id.startsWith(c)));
  }
}

export function formatProblem(p: ConfigProblem, cwd: string): string {
  return `${path.relative(cwd, p.file) || p.file}:${p.line}:${p.column}: ${p.message}`;
}
