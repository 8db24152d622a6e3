// A fix is a titled set of text edits with an applicability, as in ruff: safe fixes keep the
// program's meaning apart from the hazard; unsafe ones may change behaviour and need a person.

/**
 * Replace `[start, end)` (UTF-16 offsets) with `text`: in the document being linted, or in `file`
 * (an absolute path) for a project-wide fix; `create` makes `file` with `text` as its content.
 */
export interface Edit {
  start: number;
  end: number;
  text: string;
  file?: string;
  create?: boolean;
}

export type Applicability = 'safe' | 'unsafe';

export interface Fix {
  title: string;
  applicability: Applicability;
  edits: Edit[];
}

/**
 * In the order they apply, each once. Insertions at one point: import lines by name, and a blank line
 * (the one that parts a new import section from the next) after them.
 */
function sorted(edits: Edit[]): Edit[] {
  const once = edits.filter((e, i) => edits.findIndex(o => same(o, e)) === i);
  return once.sort((a, b) => a.start - b.start || a.end - b.end || atOnePoint(a, b));
}

const IMPORT_LINE = /^(import|from) /;
function atOnePoint(a: Edit, b: Edit): number {
  if (a.start !== a.end || a.file !== b.file) return 0;
  const blank = (e: Edit) => (e.text.trim() === '' ? 1 : 0);
  if (blank(a) !== blank(b)) return blank(a) - blank(b);
  return IMPORT_LINE.test(a.text) && IMPORT_LINE.test(b.text) ? (a.text < b.text ? -1 : a.text > b.text ? 1 : 0) : 0;
}

export const Fix = {
  safe: (title: string, edits: Edit[]): Fix => ({ title, applicability: 'safe', edits: sorted(edits) }),
  unsafe: (title: string, edits: Edit[]): Fix => ({ title, applicability: 'unsafe', edits: sorted(edits) }),
};

export const Edit = {
  insert: (at: number, text: string): Edit => ({ start: at, end: at, text }),
  replace: (start: number, end: number, text: string): Edit => ({ start, end, text }),
  /** an insertion into another file, or that file's creation */
  elsewhere: (file: string, at: number, text: string, create = false): Edit => ({
    start: at,
    end: at,
    text,
    file,
    create,
  }),
};

/** Whether a fix edits only the document it was found in (fix-all and --fix apply only those). */
export const isLocal = (fix: Fix) => fix.edits.every(e => e.file === undefined);

const same = (a: Edit, b: Edit) => a.start === b.start && a.end === b.end && a.text === b.text;
// Two insertions at one point conflict too: their order would be arbitrary.
const overlaps = (a: Edit, b: Edit) => (a.start < b.end && b.start < a.end) || a.start === b.start;

/**
 * Applies as many of `fixes` as do not conflict, in order. An edit identical to one already taken
 * is shared (two fixes adding the same import); a fix with any other overlap waits for the next pass.
 */
export function applyFixes(text: string, fixes: Fix[]): { text: string; applied: number } {
  const taken: Edit[] = [];
  let applied = 0;
  for (const fix of fixes) {
    const fresh = fix.edits.filter(e => !taken.some(t => same(t, e)));
    if (fresh.some(e => taken.some(t => overlaps(t, e)))) continue;
    taken.push(...fresh);
    applied++;
  }
  let out = '';
  let last = 0;
  for (const e of sorted(taken)) {
    out += text.slice(last, e.start) + e.text;
    last = e.end;
  }
  return { text: out + text.slice(last), applied };
}

/**
 * Applies edits aimed at other files (project-wide fixes), each file once: identical edits from several
 * findings count once. Returns the new text of every file touched.
 */
export function applyFileEdits(edits: Edit[], read: (file: string) => string | null): Map<string, string> {
  const byFile = new Map<string, Edit[]>();
  for (const e of edits) {
    if (e.file === undefined) continue;
    const list = byFile.get(e.file) ?? [];
    if (!list.some(t => same(t, e))) list.push(e);
    byFile.set(e.file, list);
  }
  const out = new Map<string, string>();
  for (const [file, list] of byFile) {
    const base = list.some(e => e.create) ? '' : (read(file) ?? '');
    out.set(file, applyFixes(base, [{ title: '', applicability: 'unsafe', edits: sorted(list) }]).text);
  }
  return out;
}
