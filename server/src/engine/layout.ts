// A fix's new lines kept within the project's line length (where it configures none, 79), split the
// way black splits a line it must: at the last bracket pair that can open, one item a line, with the
// trailing comma that tells black and ruff's formatter to keep it so. Only whitespace between tokens
// changes, and a comma where Python reads one as it read none (never in a subscript, a parenthesised
// expression or a comprehension). A line the edit did not make, or one that cannot be split so, stays.
import { Edit, type Fix } from './fix';
import { lineEndOf, lineStartOf } from '../syntax/text';

/**
 * Where the project configures no limit: flake8's and pycodestyle's default. A line split for it keeps
 * its trailing commas, so black and ruff (88 by default) leave it split; it does not depend on the rest
 * of the file, so a fix reads the same however the file around it changes.
 */
/** the line length a fix keeps to where the project configures none (pycodestyle's) */
export const DEFAULT_LIMIT = 79;
/** words after which `(` opens an expression, not a call's arguments */
const KEYWORDS = new Set(
  'and as assert await del elif else for from if import in is lambda not or return while with yield print exec'.split(
    ' ',
  ),
);

/**
 * `fix` with every line its edits make longer than the limit split to fit (each edit widened to the
 * whole lines it touches); `fix` itself where nothing needs it or widening would make two edits meet.
 */
export function fitFix(fix: Fix, text: string, eol: string, configured: number | null | undefined): Fix {
  const limit = configured ?? DEFAULT_LIMIT;
  let changed = false;
  const edits = fix.edits.map(e => {
    if (e.file !== undefined) return e;
    const start = lineStartOf(text, e.start);
    const end = lineEndOf(text, e.end);
    const before = new Set(text.slice(start, end).split(/\r\n|\r|\n/));
    const parts = (text.slice(start, e.start) + e.text + text.slice(e.end, end)).split(/(\r\n|\r|\n)/);
    const isNew = (line: string, i: number) => i % 2 === 0 && line.length > limit && !before.has(line);
    if (!parts.some(isNew)) return e;
    let split = false;
    const unit = indentUnit(text);
    const out = parts.map((line, i) => {
      const fitted = isNew(line, i) ? splitLine(line, limit, eol, unit) : null;
      if (fitted !== null) split = true;
      return fitted ?? line;
    });
    if (!split) return e;
    changed = true;
    // the edit widened to what really differs: the lines' unchanged ends stay out of it
    const was = text.slice(start, end);
    const now = out.join('');
    let head = 0;
    while (head < was.length && head < now.length && was[head] === now[head] && head < e.start - start) head++;
    let tail = 0;
    const most = Math.min(was.length - head, now.length - head, end - e.end);
    while (tail < most && was[was.length - 1 - tail] === now[now.length - 1 - tail]) tail++;
    return Edit.replace(start + head, end - tail, now.slice(head, now.length - tail));
  });
  if (!changed) return fix;
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const meet = sorted.some((e, i) => i > 0 && e.file === undefined && e.start < (sorted[i - 1]?.end ?? 0));
  return meet ? fix : { ...fix, edits: sorted };
}

/** `line` split at a bracket pair (then each item that is still too long), or null where none can be. */
export function splitLine(line: string, limit: number, eol: string, unit = '    '): string | null {
  const scan = scanCode(line);
  if (!scan) return null;
  const code = line.slice(0, scan.codeEnd).trimEnd();
  const comment = line.slice(code.length);
  const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
  const inner = indent + unit;
  // `from m import a, b` has no bracket of its own: it takes one, as isort and black write it
  const bare = /^([ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+)([^()\\]+)$/.exec(code);
  const names = bare?.[2] ? items(bare[2]) : null;
  if (bare?.[1] && names?.length) return lines(bare[1] + '(', names, inner, indent + ')' + comment, limit, eol, unit);
  for (const [open, close] of scan.pairs.reverse()) {
    const list = items(code.slice(open + 1, close));
    if (!list || list.length === 0 || !opens(code, open, list)) continue;
    return lines(code.slice(0, open + 1), list, inner, indent + code.slice(close) + comment, limit, eol, unit);
  }
  return null;
}

function lines(head: string, list: string[], inner: string, tail: string, limit: number, eol: string, unit: string) {
  const body = list.map(item => {
    const line = `${inner}${item},`;
    return line.length > limit ? (splitLine(line, limit, eol, unit) ?? line) : line;
  });
  return [head, ...body, tail].join(eol);
}

/** One level of the file's indentation: that of the first block opened at the margin (a tab, or spaces). */
function indentUnit(text: string): string {
  return (
    /^(?:class|def|if|for|with|try)\b.*:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*(\t|[ ]+)\S/m.exec(text)?.[1] ??
    '    '
  );
}

/** Whether the bracket at `open` may take a line per item and a trailing comma without changing meaning. */
function opens(code: string, open: number, list: string[]): boolean {
  const before = code.slice(0, open);
  const word = /(\w+)$/.exec(before)?.[1];
  const follows = /[\w)\]'"]$/.test(before) && !(word && KEYWORDS.has(word) && !/\.\w+$/.test(before));
  // `x for x in y` takes no trailing comma
  if (list.length === 1 && /(^|[\s)\]}])(async\s+)?for\s/.test(list[0] ?? '')) return false;
  const bracket = code[open];
  if (bracket === '[') return !follows; // a subscript's comma makes a tuple key
  if (bracket === '(') return follows || list.length > 1; // `(x,)` is a tuple where `(x)` was x
  return true;
}

/** A bracket's content split at its top-level commas (an existing trailing comma dropped); null where unsure. */
function items(content: string): string[] | null {
  const scan = scanCode(content);
  if (!scan || scan.codeEnd !== content.length) return null;
  const list = scan.commas
    .concat(content.length)
    .map((end, i, all) => content.slice(i === 0 ? 0 : (all[i - 1] ?? 0) + 1, end).trim());
  if (list.at(-1) === '') list.pop();
  return list.some(item => item === '') ? null : list;
}

/**
 * Where the code of a physical line ends (at its comment, or its end), its top-level bracket pairs and
 * top-level commas. Null where a string or a bracket is left open (the line is part of more than itself).
 */
function scanCode(line: string): { codeEnd: number; pairs: [number, number][]; commas: number[] } | null {
  const pairs: [number, number][] = [];
  const commas: number[] = [];
  const stack: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '#') return stack.length === 0 ? { codeEnd: i, pairs, commas } : null;
    if (c === '"' || c === "'") {
      const quote = line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < line.length && !line.startsWith(quote, j)) j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) return null;
      i = j + quote.length - 1;
    } else if (c === '(' || c === '[' || c === '{') stack.push(i);
    else if (c === ')' || c === ']' || c === '}') {
      const open = stack.pop();
      if (open === undefined || '([{'.indexOf(line[open] ?? '') !== ')]}'.indexOf(c)) return null;
      if (stack.length === 0) pairs.push([open, i]);
    } else if (c === ',' && stack.length === 0) commas.push(i);
  }
  return stack.length === 0 ? { codeEnd: line.length, pairs, commas } : null;
}
