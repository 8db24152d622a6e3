// Lines of source text. Lines end at \n, \r\n or a lone \r: Python reads all three as line breaks,
// so positions, fixes and noqa comments must too.

/**
 * Where the line holding `index` starts (a scan back over that line only: no lastIndexOf of a \r that is not there).
 */
export function lineStartOf(text: string, index: number): number {
  let i = index;
  for (let c = text.charCodeAt(i - 1); i > 0 && c !== 10 && c !== 13; c = text.charCodeAt(--i - 1));
  return i;
}

/** Where the line holding `index` ends: at its line break, or the end of the text. */
export function lineEndOf(text: string, index: number): number {
  for (let i = index; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return text.length;
}

/** Past the line break at `lineEnd` (`\r\n` is one break). */
export function afterLineBreak(text: string, lineEnd: number): number {
  return text.startsWith('\r\n', lineEnd) ? lineEnd + 2 : Math.min(text.length, lineEnd + 1);
}

/** The text from the start of `node`'s line to `node`: the indentation of a statement. */
export function indentOf(text: string, index: number): string {
  const prefix = text.slice(lineStartOf(text, index), index);
  return /^[ \t]*/.exec(prefix)?.[0] ?? '';
}

/** Whether a statement at `start`-`end` has its line to itself (a trailing `;` or comment allowed). */
export function ownsLine(text: string, start: number, end: number): boolean {
  return (
    /^[ \t]*$/.test(text.slice(lineStartOf(text, start), start)) &&
    /^[ \t]*;?[ \t]*(#.*)?$/.test(text.slice(end, lineEndOf(text, end)))
  );
}

/** The text's lines (without their breaks) and where each starts, broken as Python breaks them. */
export function splitLines(text: string): { lines: string[]; starts: number[] } {
  const lines: string[] = [];
  const starts: number[] = [];
  let start = 0;
  for (const m of text.matchAll(/\r\n|\r|\n/g)) {
    starts.push(start);
    lines.push(text.slice(start, m.index));
    start = m.index + m[0].length;
  }
  starts.push(start);
  lines.push(text.slice(start));
  return { lines, starts };
}

/** The file's line break: that of its first line. */
export function eolOf(text: string): string {
  return /\r\n|\r|\n/.exec(text)?.[0] ?? '\n';
}

/** `s` as a regular expression matching itself. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
