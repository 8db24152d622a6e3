// Open documents with their syntax trees: each change edits the tree in place (tree.edit), and the
// next request re-parses incrementally. Trees live in WASM memory, so they are deleted explicitly.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { editTree, parse, type Tree } from './parser';
import type { Parser } from 'web-tree-sitter';

export interface OpenDocument {
  doc: TextDocument;
  /** null until first needed, after a full-text change, or after a failed parse */
  tree: Tree | null;
  /** the tree matches `doc`'s current text */
  fresh: boolean;
}

export class Documents {
  private readonly open = new Map<string, OpenDocument>();

  get(uri: string): OpenDocument | undefined {
    return this.open.get(uri);
  }

  all(): IterableIterator<[string, OpenDocument]> {
    return this.open.entries();
  }

  didOpen(uri: string, languageId: string, version: number, text: string): void {
    this.didClose(uri);
    this.open.set(uri, { doc: TextDocument.create(uri, languageId, version, text), tree: null, fresh: false });
  }

  didChange(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    const entry = this.open.get(uri);
    if (!entry) return; // a change for a document never opened: nothing to apply it to
    for (const change of changes) {
      if ('range' in change && entry.tree) {
        const { doc } = entry;
        let startIndex = doc.offsetAt(change.range.start);
        let oldEndIndex = doc.offsetAt(change.range.end);
        // a reversed range: TextDocument.update swaps it, so the tree edit must too
        if (oldEndIndex < startIndex) [startIndex, oldEndIndex] = [oldEndIndex, startIndex];
        // positions are clamped by offsetAt; re-derive them so tree and text agree
        const startPosition = doc.positionAt(startIndex), oldEndPosition = doc.positionAt(oldEndIndex);
        entry.doc = TextDocument.update(doc, [change], version);
        const newEndIndex = startIndex + change.text.length;
        const newEndPosition = entry.doc.positionAt(newEndIndex);
        editTree(entry.tree, {
          startIndex, oldEndIndex, newEndIndex,
          startPosition: { row: startPosition.line, column: startPosition.character },
          oldEndPosition: { row: oldEndPosition.line, column: oldEndPosition.character },
          newEndPosition: { row: newEndPosition.line, column: newEndPosition.character },
        });
      } else {
        entry.doc = TextDocument.update(entry.doc, [change], version);
        entry.tree?.delete();
        entry.tree = null;
      }
    }
    entry.fresh = false;
  }

  didClose(uri: string): void {
    const entry = this.open.get(uri);
    entry?.tree?.delete();
    // an analysis still holding the entry (waiting for settings) must not get the freed tree
    if (entry) { entry.tree = null; entry.fresh = false; }
    this.open.delete(uri);
  }

  /** The document's tree, re-parsed (incrementally when possible) if the text changed. Throws ParseError. */
  tree(parser: Parser, entry: OpenDocument): Tree {
    if (entry.tree && entry.fresh) return entry.tree;
    const old = entry.tree;
    entry.tree = null;
    try {
      entry.tree = parse(parser, entry.doc.getText(), old);
      entry.fresh = true;
      return entry.tree;
    } finally {
      old?.delete();
    }
  }

  dispose(): void {
    for (const uri of [...this.open.keys()]) this.didClose(uri);
  }
}
