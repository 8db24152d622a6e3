// Input the Python grammar's WASM build cannot take, refused before parsing. tree-sitter-python's
// external scanner saves its stack of indentation widths, two bytes each, into tree-sitter's
// 1,024-byte buffer and writes past it beyond about 380 to 510 nested indentation levels (the fuzz
// suite found it with 510 nested defs around a string): a WASM trap that leaves the parser broken
// for every later parse in the process. The stack only grows by a width larger than its top, so the
// number of distinct indentation widths in a file bounds its depth. Python itself stops at 100
// levels, and real code has at most about 50 distinct widths (seen over CPython, site-packages and
// seven Django suites), so refusing more than 256 costs no real file anything.
import type { Parser } from 'web-tree-sitter';

export const MAX_INDENT_WIDTHS = 256;

/** Why `text` must not be given to the parser (one line), or null. */
export function unparsableReason(text: string): string | null {
  const widths = new Set<number>();
  for (let i = 0; i < text.length;) {
    // at a line start: measure its indentation as the scanner does (tab 8 columns, form feed resets)
    let width = 0,
      c = text.charCodeAt(i);
    for (; c === 32 || c === 9 || c === 12; c = text.charCodeAt(++i))
      width = c === 32 ? width + 1 : c === 9 ? width + 8 : 0;
    if (i < text.length && c !== 10 && c !== 13 && widths.add(width).size > MAX_INDENT_WIDTHS) {
      return `indentation too deep to analyse (over ${MAX_INDENT_WIDTHS} distinct indentation widths; Python allows 100 levels)`;
    }
    // on to the next line (\n, \r\n or a lone \r)
    for (; i < text.length && c !== 10 && c !== 13; c = text.charCodeAt(++i));
    i++;
  }
  return null;
}

/**
 * After a WASM trap the parser's state is corrupt: give it a fresh one (the old one cannot even be
 * deleted), so the next file is parsed from a clean state.
 */
export function renewParser(parser: Parser): void {
  const language = parser.language;
  try {
    parser.delete();
  } catch {
    /* its memory is what trapped */
  }
  (parser as unknown as { initialize(): void }).initialize();
  if (language) parser.setLanguage(language);
}
