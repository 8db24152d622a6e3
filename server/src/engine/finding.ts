// What the engine reports: a finding, its place, its fix and its "Disable for this line" edit.
import type { Edit, Fix } from './fix';
import type { Rule, Severity } from './rule';

export interface Position {
  line: number;
  character: number;
}

export interface Span {
  start: number;
  end: number;
  startPos: Position;
  endPos: Position;
}

export interface Finding extends Span {
  rule: Rule;
  message: string;
  severity: Severity;
  fix?: Fix;
  /** "Disable XTnnn for this line" */
  noqa?: Edit;
  /** related places; `file` is set when the place is in another file */
  related: (Span & { message: string; file?: string })[];
  /** the root cause in another file this finding shares with others (Report.cause), if it names one */
  cause?: Span & { file: string; describe: string; remedy: string };
}
