// The configuration files a test run reads, as their own parsers read them: INI files the way
// Python's configparser does (pytest.ini, tox.ini, setup.cfg), pyproject.toml as TOML. Every value
// keeps its line, so what Crosstalk concludes from it can point there.
import { parse as parseToml } from 'smol-toml';

/** A value and the 1-based line its key is on. */
export interface IniValue {
  value: string;
  line: number;
}

/** Sections by name, keys by name (configparser lowercases keys; so do we). */
export type Ini = Map<string, Map<string, IniValue>>;

/**
 * configparser's reading: `[section]`, `key = value` or `key: value`, continuation lines indented
 * deeper than their key, `#` and `;` comment lines. A later key replaces an earlier one.
 */
export function parseIni(text: string): Ini {
  const sections: Ini = new Map();
  let section: Map<string, IniValue> | null = null;
  let current: { entry: IniValue; indent: number } | null = null;
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const indent = /^[ \t]*/.exec(raw)?.[0].length ?? 0;
    const line = raw.trim();
    if (current && indent > current.indent && line !== '' && !/^[#;]/.test(line)) {
      current.entry.value += `\n${line}`;
      return;
    }
    if (line === '' || /^[#;]/.test(line)) return;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      const name = header[1]?.trim() ?? '';
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      current = null;
      return;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!section || !pair) return;
    const entry = { value: pair[2] ?? '', line: i + 1 };
    section.set((pair[1] ?? '').toLowerCase(), entry);
    current = { entry, indent };
  });
  return sections;
}

/** A value's lines, without blanks (`addopts`, `env`, `setenv` are written one item a line). */
export function lines(value: string): string[] {
  return value
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
}

/**
 * Splits a command line the way a POSIX shell would (quotes, no expansion): pytest reads `addopts`
 * with shlex.split.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i] ?? '';
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + (text[++i] ?? '');
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** pyproject.toml as data, or null when it is not valid TOML. */
export function parsePyproject(text: string): Record<string, unknown> | null {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The table at a dotted path (`tool.pytest.ini_options`), if it is one. */
export function tableAt(doc: Record<string, unknown> | null, path: string): Record<string, unknown> | null {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? (cur as Record<string, unknown>) : null;
}

/**
 * The 1-based line of `key` in a TOML text: inside `[table]` when the key is written there, else the
 * first line mentioning the key (dotted keys, inline tables); 1 when not found.
 */
export function tomlLine(text: string, table: string, key: string, containing?: string): number {
  const rows = text.split(/\r\n|\r|\n/);
  let inTable = false;
  let fallback = 0;
  // a dotted key names the table's subtable (`ini_options.addopts = ...` under [tool.pytest])
  const keyRe = new RegExp(`^\\s*(?:[\\w-]+\\.)*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] ?? '';
    const header = /^\s*\[+([^\]]+)\]+/.exec(row);
    if (header) inTable = header[1]?.trim() === table;
    if (containing !== undefined && row.includes(containing) && (inTable || !fallback)) {
      if (inTable) return i + 1;
      fallback = i + 1;
    } else if (containing === undefined && keyRe.test(row)) {
      if (inTable) return i + 1;
      fallback ||= i + 1;
    }
  }
  return fallback || 1;
}
