// `# noqa` (everything) and `# noqa: XT001, XT010` (those codes) suppress findings on their line,
// the syntax ruff and flake8 use, so one comment can name other tools' codes too.
import { Edit } from './fix';

const NOQA = /#\s*noqa(?::\s?(?<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?/di;

export interface Noqa {
  /** null: a bare `# noqa`, which suppresses every code */
  codes: string[] | null;
  /** where the code list ends (to append to it), or where a new code list would go */
  insertAt: number;
  bare: boolean;
}

/** The noqa directive in `comment` (the text of one `# ...` comment starting at `offset`). */
export function parseNoqa(comment: string, offset: number): Noqa | null {
  const m = NOQA.exec(comment);
  if (!m) return null;
  const codes = m.groups?.codes;
  if (!codes) return { codes: null, insertAt: offset + m.index + m[0].length, bare: true };
  return {
    codes: codes
      .split(/[,\s]+/)
      .filter(Boolean)
      .map(c => c.toUpperCase()),
    insertAt: offset + m.index + m[0].length,
    bare: false,
  };
}

/** Where each code of the noqa directive in `comment` (starting at `offset`) is, and where the directive is. */
export function noqaCodes(
  comment: string,
  offset: number,
): { directive: { start: number; end: number }; codes: { code: string; start: number; end: number }[] } | null {
  const m = NOQA.exec(comment);
  const at = m?.indices?.groups?.codes;
  const list = m?.groups?.codes;
  if (!m || !at || list === undefined) return null;
  const codes = [...list.matchAll(/[A-Z]+[0-9]+/gi)].map(c => ({
    code: c[0].toUpperCase(),
    start: offset + at[0] + c.index,
    end: offset + at[0] + c.index + c[0].length,
  }));
  return { directive: { start: offset + m.index, end: offset + m.index + m[0].length }, codes };
}

export function suppresses(noqa: Noqa | null | undefined, code: string): boolean {
  return !!noqa && (noqa.codes === null || noqa.codes.includes(code));
}

/**
 * The edit that adds `code` to the noqa of the line ending at `lineEnd`: merged into an existing
 * `# noqa: ...`, appended to an existing comment, or a new `  # noqa: CODE`.
 */
export function noqaEdit(
  code: string,
  lineEnd: number,
  lineText: string,
  noqa: Noqa | null,
  hasComment: boolean,
): Edit | null {
  if (noqa?.bare || noqa?.codes?.includes(code)) return null;
  if (noqa) return Edit.insert(noqa.insertAt, `, ${code}`);
  const trimmed = lineText.replace(/[ \t]+$/, '');
  const at = lineEnd - (lineText.length - trimmed.length);
  return Edit.replace(at, lineEnd, `${hasComment ? ' ' : '  '}# noqa: ${code}`);
}
