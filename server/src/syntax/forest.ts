// A document's syntax as a row of trees. After an edit only the top-level statements it touched are
// parsed again (with tree-sitter's included ranges over the whole text, so offsets and rows stay
// absolute), and the other trees are shifted with `tree.edit`.
// Why: tree-sitter-python's own incremental re-parse often re-reads everything after an edit that
// changes a comment or indentation line (a `#` typed on a blank line of a 2,000-line module:
// 6-26 ms CPU, as much as a full parse), while a typing edit nearly always stays inside one test
// class or function, whose parse takes a fraction of a millisecond.
import type { Parser, Point } from 'web-tree-sitter';
import { editTree, parse, type LiveText, type Node, type Tree } from './parser';

export interface TreeEdit {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: Point;
  oldEndPosition: Point;
  newEndPosition: Point;
}

/** The trees' top-level nodes inside [start, end) belong to this piece. */
interface Piece {
  tree: Tree;
  start: number;
  end: number;
}

/** What a module holds directly in a correct parse (error recovery leaves bare expressions and tokens). */
export const STATEMENT = /_statement$|_definition$/;

/** Past this many trees an edit parses the whole text again, so a long session stays compact. */
const MAX_TREES = 32;

export class Forest {
  private pieces: Piece[] = [];
  private top: Node[] | null = null;
  /** every tree here reads node text from this, the document as it is now */
  private readonly live: LiveText = { text: '' };

  /** A forest of one tree the caller owns (a whole parse): `dispose` leaves it alone. */
  static of(tree: Tree): Forest {
    const f = new Forest();
    f.pieces = [{ tree, start: 0, end: Infinity }];
    f.owned = false;
    return f;
  }

  private owned = true;

  /** Parses `text` whole. Throws ParseError. */
  static parse(parser: Parser, text: string): Forest {
    const f = new Forest();
    f.live.text = text;
    f.pieces = [{ tree: parse(parser, f.live), start: 0, end: Infinity }];
    return f;
  }

  /** The single tree when the forest is one whole parse (a query can then run over all of it). */
  get whole(): Tree | null {
    return this.pieces.length === 1 ? this.pieces[0].tree : null;
  }

  /** The top-level nodes (statements, comments, errors), in document order. */
  topLevel(): Node[] {
    if (this.top) return this.top;
    const out: Node[] = [];
    const children = new Map<Tree, Node[]>();
    for (const p of this.pieces) {
      let kids = children.get(p.tree);
      if (!kids) children.set(p.tree, (kids = p.tree.rootNode.children.filter((n): n is Node => n !== null)));
      for (const n of kids) if (n.startIndex >= p.start && n.startIndex < p.end) out.push(n);
    }
    return (this.top = out);
  }

  /** The smallest node at `offset`. */
  nodeAt(offset: number): Node | null {
    const p = this.pieces.find(p => p.start <= offset && offset < p.end) ?? this.pieces[this.pieces.length - 1];
    return p ? p.tree.rootNode.descendantForIndex(offset) : null;
  }

  /**
   * Applies one edit, `text` being the whole text after it and `pointAt` its offset-to-position map.
   * The statements around the edit are parsed again as a region: from the last top-level node starting
   * at or before it to the one holding its end (or starting on the next line), and through the first
   * line of the next node, which must still start a top-level node; else (an unclosed string or
   * bracket now runs on) the whole text is parsed. Throws ParseError.
   */
  edit(parser: Parser, text: string, e: TreeEdit, pointAt: (offset: number) => Point): void {
    const top = this.topLevel();
    this.live.text = text;
    const delta = e.newEndIndex - e.oldEndIndex;
    // A region starts and ends at statements in column 0: a comment does not end an indented block,
    // so code after one may belong to the statement before it; anything but a statement is error recovery.
    const boundary = (n: Node) => STATEMENT.test(n.type) && n.startPosition.column === 0;
    let a = -1;
    for (let i = 0; i < top.length && top[i].startIndex <= e.startIndex; i++) if (boundary(top[i])) a = i;
    // an edit on a statement's first line may indent it into the statement before
    if (a >= 0 && e.startPosition.row <= top[a].startPosition.row) {
      do a--;
      while (a >= 0 && !boundary(top[a]));
    }
    let b = Math.max(a, 0);
    while (b < top.length && top[b].endIndex < e.oldEndIndex) b++;
    if (b < top.length && top[b].startIndex > e.oldEndIndex && top[b].startPosition.row > e.oldEndPosition.row + 1) b--;
    let n = b + 1;
    while (n < top.length && !boundary(top[n])) n++;
    const next = top[n];
    const regionStart = a >= 0 ? Math.min(top[a].startIndex, lineStart(text, e.startIndex)) : 0;
    const nextStart = next ? next.startIndex + delta : Infinity;
    const parseEnd = next ? lineEnd(text, nextStart) : text.length;
    if (this.trees().size >= MAX_TREES || !(regionStart < nextStart)) return this.reparse(parser, text);
    const region = parse(parser, this.live, null, [
      {
        startIndex: regionStart,
        endIndex: parseEnd,
        startPosition: pointAt(regionStart),
        endPosition: pointAt(parseEnd),
      },
    ]);
    // broken code in the region: tree-sitter's error recovery may place it differently with less text
    // after it, so while code is broken the document is parsed whole, as the CLI would
    if (region.rootNode.hasError || (next && !region.rootNode.children.some(c => c?.startIndex === nextStart))) {
      region.delete();
      return this.reparse(parser, text);
    }
    for (const tree of this.trees()) editTree(tree, e);
    const shift = (x: number) => (x >= e.oldEndIndex ? x + delta : x);
    const pieces: Piece[] = [];
    for (const p of this.pieces)
      if (p.start < regionStart)
        pieces.push({ tree: p.tree, start: p.start, end: Math.min(shift(p.end), regionStart) });
    pieces.push({ tree: region, start: regionStart, end: nextStart });
    for (const p of this.pieces) {
      const end = shift(p.end);
      if (end > nextStart) pieces.push({ tree: p.tree, start: Math.max(shift(p.start), nextStart), end });
    }
    this.replace(pieces);
  }

  private reparse(parser: Parser, text: string): void {
    this.live.text = text;
    this.replace([{ tree: parse(parser, this.live), start: 0, end: Infinity }]);
  }

  private replace(pieces: Piece[]): void {
    const keep = new Set(pieces.map(p => p.tree));
    if (this.owned) for (const tree of this.trees()) if (!keep.has(tree)) tree.delete();
    this.pieces = pieces;
    this.top = null;
  }

  private trees(): Set<Tree> {
    return new Set(this.pieces.map(p => p.tree));
  }

  dispose(): void {
    if (this.owned) for (const tree of this.trees()) tree.delete();
    this.pieces = [];
    this.top = null;
  }
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end;
}
